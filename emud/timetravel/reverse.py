"""Reverse execution from history: reverse-step and reverse-continue.

Both are generators: they yield between pieces of work (one checkpoint
interval replayed at most) so that the machine's task can let the server
breathe and notice an interrupt, and return the StopEvent to report.

* **reverse-step** on hart *h*: the state just before *h* retired its last
  instruction (its retired count one less, the other harts wherever the turn
  order had them then): the latest checkpoint where *h* had not yet retired
  it, replayed forward until *h* is about to. At the start of history:
  "history-begin".
* **reverse-continue**: the last breakpoint or watchpoint hit before the
  current position. Checkpoint intervals are searched from the present
  backwards: each one is replayed silently, its hits counted; the last hit of
  the latest interval that has one is reached again by replaying to that
  many hits, which leaves the machine exactly as a forward run stopping there
  does. An interval where only write watchpoints are set and none of their
  RAM chunks was written is passed over without replaying it. A watchpoint
  found this way is reported *after* its access (pc past the accessing
  instruction): gdb, whose RISC-V and Arm watchpoints trigger before the
  access, then steps over it backwards (``bs``) and so lands on the
  instruction that did the access, with the watched value before it, as its
  record-full target shows. No hit before: "history-begin".
"""
from __future__ import annotations

from typing import Any, Generator, List, Optional

from ..debug import StopEvent
from .recorder import Hit, TimeTravel

Work = Generator[None, None, StopEvent]


def history_begin(tt: TimeTravel, hart: int) -> StopEvent:
    tt.restore(tt.history.first)
    cpu = tt.m._cpu(hart)
    return StopEvent("history-begin", hart, cpu.pc, direction="reverse")


def _hart_index(tt: TimeTravel, cpu) -> int:
    return tt.m.cpus.index(cpu)


def reverse_step(tt: TimeTravel, cpu, count: int = 1) -> Work:
    idx = _hart_index(tt, cpu)
    for _ in range(max(1, count)):
        pos = tt.position()
        retired = cpu.instructions_retired()
        first = tt.history.first
        if pos <= first.position or retired <= first.state["cpus"][idx]["retired"]:
            return history_begin(tt, cpu.hart_id)
        target = retired - 1
        cp = tt.history.at_or_before(pos)
        while cp.state["cpus"][idx]["retired"] > target:
            prev = tt.history.before(cp)
            if prev is None:
                return history_begin(tt, cpu.hart_id)
            cp = prev
        # from here when the checkpoint is behind us and nothing ran past it
        tt.restore(cp)
        yield
        tt.replay(pos, hart=cpu, hart_target=target)
        tt._set_mode(tt.position())
        if tt.abort:
            break
    return StopEvent("step", cpu.hart_id, cpu.pc, direction="reverse")


def _only_write_watches(bps) -> bool:
    return bool(bps) and all(bp.kind == "write" for bp in bps)


def _watched_chunks(tt: TimeTravel, bps) -> Optional[set]:
    """The canonical RAM chunks the write watchpoints cover; None if one
    watches something that is not RAM (no interval can be passed over)."""
    shift = tt.history.shift
    out = set()
    for bp in bps:
        first, last = bp.addr >> shift, (bp.addr + max(1, bp.length) - 1) >> shift
        raw = set(range(first, last + 1))
        canon = tt.history.canonical(raw)
        if len(canon) != len(raw):
            return None
        out |= canon
    return out


def reverse_continue(tt: TimeTravel, hart: int) -> Work:
    m = tt.m
    history = tt.history
    pos0 = tt.position()
    bps = m.breakpoints()
    watched = _watched_chunks(tt, bps) if _only_write_watches(bps) else None
    hi = pos0
    cp: Optional[Any] = history.at_or_before(pos0 - 1) if pos0 > history.first.position else None
    while cp is not None:
        passable = False
        if watched is not None and hi != pos0:
            later = history.checkpoint_at(hi)
            passable = later.position == hi and not (set(later.chunks) & watched)
        if not passable and bps:
            hits: List[Hit] = []
            tt.restore(cp)
            tt.replay(hi, hits=hits)
            hits = [h for h in hits if h.position < hi]
            if hits:
                yield
                return _land(tt, cp, hits[-1])
        hi = cp.position
        cp = history.before(cp)
        yield
        if tt.abort:
            tt.seek_state(pos0)
            cpu = m._cpu(hart)
            return StopEvent("interrupt", hart, cpu.pc, direction="reverse")
    return history_begin(tt, hart)


def _land(tt: TimeTravel, cp, hit: Hit) -> StopEvent:
    m = tt.m
    tt.restore(cp)
    found = tt.replay(1 << 62, stop_at_hit=hit.ordinal)
    assert found is not None and found.position == hit.position, "replay did not reach the hit again"
    cpu = m._cpu(found.hart)
    if found.kind == "watchpoint":
        # past the access, so that gdb's step back over it lands on it
        cpu.skip_watch_at = cpu.pc
        tt.replay(1 << 62, hart=cpu, hart_target=cpu.instructions_retired() + 1)
        cpu.skip_watch_at = None
        tt._set_mode(tt.position())
        return StopEvent("watchpoint", cpu.hart_id, cpu.pc, watch_kind=found.watch_kind,
                         watch_addr=found.watch_addr, access_done=True, direction="reverse")
    tt._set_mode(tt.position())
    kind = "hw-breakpoint" if found.bp_kind == "hw" else "breakpoint"
    return StopEvent(kind, cpu.hart_id, cpu.pc, direction="reverse")
