"""A whole recording as plain data, and replaying one on a machine.

:func:`export` gives what ``DebugTarget.export_recording`` documents: the
state at the start of retained history (the first checkpoint's state with
its RAM from the base image, in ``Machine.save_snapshot``'s shape), the
input log from there, and the harts' digest at every checkpoint, which a
replay checks. :func:`start_replay` puts a stopped machine in that state
and lets its next runs replay the log; nothing in a recording is code.
"""
from __future__ import annotations

from typing import Any, Dict

from ..debug import DebugError, StopEvent
from .recorder import DEFAULT_INTERVAL, TimeTravel
from .scheduler import TURN

FORMAT = 1


def export(tt: TimeTravel) -> Dict[str, Any]:
    m = tt.m
    history = tt.history
    first = history.first
    memory = []
    for base, region in history._regions:
        data = bytearray(region.size)
        for page, blob in history.base.items():
            if base <= page < base + region.size:
                off = page - base
                data[off:off + len(blob)] = blob[:region.size - off]
        memory.append([base, bytes(data)])
    state = first.state
    initial = {
        "machine": m.name, "cpus": state["cpus"], "memory": memory, "devices": state["devices"],
        "clock": state["clock"], "exit_code": state["exit_code"],
        "timetravel": {"turns": state["turns"], "pos_offset": state["pos_offset"],
                       "semihosting": state["semihosting"], "timers": state["timers"]},
    }
    push0, pull0 = first.cursors
    log = tt.log
    return {
        "format": FORMAT, "machine": m.name, "harts": len(m.cpus), "icount_shift": m.clock.icount_shift,
        "interval": tt.interval, "turn": TURN, "begin": first.position, "end": tt.end,
        "initial": initial,
        "log": {"pushed": [list(e) for e in log.pushed[push0:]], "pulled": [list(e) for e in log.pulled[pull0:]]},
        "checks": [[cp.position, cp.state["cpus"][0]["pc"], cp.digest] for cp in history.checkpoints],
    }


def start_replay(m, recording: Dict[str, Any]) -> None:
    try:
        fmt = recording["format"]
        machine, harts = recording["machine"], recording["harts"]
        initial = recording["initial"]
    except (KeyError, TypeError):
        raise DebugError("not a recording (no format, machine or initial state)") from None
    if fmt != FORMAT:
        raise DebugError("recording format %r: this emud reads format %d" % (fmt, FORMAT))
    if machine != m.name or harts != len(m.cpus):
        raise DebugError("the recording is of machine %s with %d hart(s), this is %s with %d"
                         % (machine, harts, m.name, len(m.cpus)))
    if recording.get("turn", TURN) != TURN:
        raise DebugError("the recording's harts took turns of %s instructions, this emud's %d"
                         % (recording.get("turn"), TURN))
    if m.timetravel is not None:
        m.record_stop()
    m._check_snapshot(initial)
    m._restore_snapshot_now(initial)
    extra = initial.get("timetravel", {})
    tt = TimeTravel(m, None, int(recording.get("interval") or 0) or DEFAULT_INTERVAL)
    m.timetravel = tt
    tt.turns.load(extra.get("turns", [0, TURN]))
    tt.pos_offset = 0
    tt.start(recording.get("icount_shift"))
    # positions as recorded
    tt.pos_offset = int(recording["begin"]) - m._total_retired()
    tt._semihosting_state = extra.get("semihosting", [])
    for service, ss in zip(tt._semihosting, extra.get("semihosting", [])):
        service.load_state(ss)
        tt.hide_host_files(service)
    m.clock.retime([(int(d), str(k)) for d, k in extra.get("timers", [])], tt._timer_key)
    tt.history.begin(tt._checkpoint(tt.position()))
    tt.synced = tt.output_mark = tt.position()
    from .inputlog import InputLog
    tt.log = InputLog.from_export(recording.get("log", {}))
    tt.log.seek((0, 0))
    tt.history.first.cursors = (0, 0)
    tt.end = int(recording["end"])
    tt.checks = {int(p): int(d) for p, _, d in sorted(recording.get("checks", []))}
    tt._set_mode(tt.position())
    cpu = m.cpus[0]
    if m._state == "exited":
        m._state = "stopped"
    m._last_stop = StopEvent("seek", cpu.hart_id, cpu.pc)
    m._publish("HISTORY", {"what": "replay-start", "position": tt.position(), "end": tt.end})
