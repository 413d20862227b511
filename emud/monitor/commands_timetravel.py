"""Time travel from the monitor: record start/stop, info record, rewind,
replay seek, reverse-continue, reverse-step, and `run until ... reverse`.

Each acts through the DebugTarget's time-travel methods (emud/debug.py);
their refusals (not recording, the machine running, a position outside
history) are one line. QMP names: emud-record-start, emud-record-stop,
emud-query-record, emud-rewind, emud-seek, emud-reverse-continue,
emud-reverse-step, and emud-run-until with "reverse": true.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, Optional

import trio

from emud.debug import CONTINUE, ResumeAction
from emud.monitor.errors import CommandError
from emud.monitor.registry import Float, Int, Option, Registry, Str
from emud.monitor.runctl import Condition, stop_dict


def register(reg: Registry) -> None:
    @reg.command("record start", Option("size", Str("size", metavar="SIZE")), group="record")
    def record_start(session: Any, size: Optional[str]) -> Dict[str, Any]:
        """Start recording here (history for rewind, reverse-step, reverse-continue); size=512M bounds its memory."""
        limit = None
        if size is not None:
            from emud.option_values import OptionValueError, parse_record
            try:
                limit = parse_record("size=%s" % size).size
            except OptionValueError as e:
                raise CommandError(str(e).replace("-record ", "record start ", 1))
        try:
            session.target.record_start(limit)
        except NotImplementedError:
            raise CommandError(NO_TIME_TRAVEL) from None
        return record_info(session.target)

    @reg.command("record stop", group="record")
    def record_stop(session: Any) -> Dict[str, Any]:
        """Stop recording and forget history (the machine stays where it is)."""
        t = session.target
        if _info(t).get("mode") == "off":
            raise CommandError("not recording")
        t.record_stop()
        return {"mode": "off", "position": t.history_position()}

    @reg.command("info record", group="info", qmp_name="emud-query-record")
    def info_record(session: Any) -> Dict[str, Any]:
        """History: its span in instructions and guest time, memory used and its limit, checkpoints, mode, position."""
        return record_info(session.target)

    @reg.command("rewind", Int("count", optional=True, default=1, minimum=1), group="record")
    def rewind(session: Any, count: int) -> Dict[str, Any]:
        """Go back N instructions (all CPUs together; default 1), as they were then."""
        t = session.target
        info = _recording(t)
        target = info["position"] - count
        if target < info["begin"]:
            raise CommandError("rewind %d: history holds %d instruction(s) before here (it starts at %d)"
                               % (count, info["position"] - info["begin"], info["begin"]))
        return _seek(session, target)

    @reg.command("replay seek", Int("icount", minimum=0, metavar="ICOUNT"), group="record", qmp_name="emud-seek")
    def replay_seek(session: Any, icount: int) -> Dict[str, Any]:
        """Go to instruction count ICOUNT within history (info record shows its span)."""
        _recording(session.target)
        return _seek(session, icount)

    @reg.command("reverse-continue", Option("timeout", Float("seconds")), aliases=("rc",), group="run")
    async def reverse_continue(session: Any, timeout: Optional[float]) -> Dict[str, Any]:
        """Run backwards to the last breakpoint or watchpoint hit (or the start of history)."""
        return await reverse(session, CONTINUE, timeout=timeout)

    @reg.command("reverse-step", Int("count", optional=True, default=1, minimum=1),
                 aliases=("reverse-stepi", "rsi"), group="run")
    async def reverse_step(session: Any, count: int) -> Dict[str, Any]:
        """Go back N instructions of the current CPU (default 1): the state just before it ran them."""
        return await reverse(session, ResumeAction("step", count=count))


NO_TIME_TRAVEL = "this machine has no time travel"


def _info(target: Any) -> Dict[str, Any]:
    try:
        return target.record_info()
    except NotImplementedError:
        raise CommandError(NO_TIME_TRAVEL) from None


def record_info(target: Any) -> Dict[str, Any]:
    info = dict(_info(target))
    if info.get("mode") != "off":
        info["instructions"] = info["end"] - info["begin"]
    return info


def _recording(target: Any) -> Dict[str, Any]:
    info = _info(target)
    if info.get("mode") == "off":
        raise CommandError("not recording (start with: record start)")
    if target.run_state == "running":
        raise CommandError("the machine is running (stop it first)")
    return info


def _seek(session: Any, position: int) -> Dict[str, Any]:
    t = session.target
    t.seek(position)
    return _where(session, t.history_position())


def _where(session: Any, position: int) -> Dict[str, Any]:
    pc = session.pc()
    out: Dict[str, Any] = {"position": position, "hart": session.hart, "pc": pc,
                           "icount": session.target.instructions_retired(session.hart)}
    sym = session.symbol(pc)
    if sym:
        out["symbol"] = sym
    return out


async def reverse(session: Any, action: ResumeAction, timeout: Optional[float] = None) -> Dict[str, Any]:
    """Run backwards with ``action`` on the session's hart and wait for the stop."""
    t = session.target
    _recording(t)
    start = t.history_position()
    t.reverse_resume(action, session.hart)
    ev = None
    with trio.move_on_after(timeout if timeout is not None else float("inf")):
        ev = await t.wait_for_stop()
    timed_out = ev is None
    if timed_out:
        t.request_stop()        # a reverse run ends where it started
        ev = await t.wait_for_stop()
    if ev.reason == "watchpoint" and ev.access_done and action.kind == "continue":
        # found past its access: step back over it, as gdb does, to the
        # instruction that made it (and the value before it); the next
        # reverse-continue then looks before this access
        t.reverse_resume(ResumeAction("step"), ev.hart)
        back = await t.wait_for_stop()
        if back.reason == "step":
            ev = dataclasses.replace(ev, pc=back.pc, access_done=False)
    out = _where(session, t.history_position())
    out["stop"] = stop_dict(session, ev)
    out["stop"]["direction"] = getattr(ev, "direction", "reverse")
    out["moved"] = out["position"] - start
    if timed_out:
        out["timeout"] = timeout
    return out


async def run_until_reverse(session: Any, condition: Condition, timeout: Optional[float]) -> Dict[str, Any]:
    """`run until pc ADDR reverse` (the last time the hart was about to run
    ADDR) and `run until insns N reverse` (N instructions back)."""
    t = session.target
    if condition.kind == "insns":
        result = await reverse(session, ResumeAction("step", count=condition.value), timeout)
        fired = result["stop"].get("reason") == "step"
    elif condition.kind == "pc":
        _recording(t)
        addr = condition.value
        added = None
        if not any(b.kind in ("sw", "hw") and b.addr == addr for b in t.breakpoints()):
            added = t.add_breakpoint("sw", addr, 1, temporary=True)
        try:
            result = await reverse(session, CONTINUE, timeout)
        finally:
            if added is not None:
                t.delete_breakpoint(added.number)
        fired = result["stop"].get("reason") in ("breakpoint", "hw-breakpoint") and result["stop"]["pc"] == addr
    else:
        raise CommandError("run until %s reverse: only pc and insns conditions run backwards" % condition.kind)
    if "timeout" in result:
        result["condition"] = "timeout"
    elif fired:
        result["condition"] = condition.kind
    elif result["stop"].get("reason") == "history-begin":
        result["condition"] = "history-begin"
    else:
        result["condition"] = None     # a user breakpoint or watchpoint on the way back
    result["retired"] = result["moved"]
    return result
