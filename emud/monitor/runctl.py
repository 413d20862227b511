"""Run the machine until something happens: the shared core of `cont -w`,
`step N` and `run until COND [timeout T]`.

A condition installs a watcher (a temporary breakpoint, a UART listener, an
event hook), the machine is resumed, and the first stop ends the run; the
watcher that requested it is reported as the condition that fired. A
timeout stops the machine and says so. Watchers are always removed again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import trio

from emud.debug import CONTINUE, ResumeAction, StopEvent, watch_values
from emud.monitor.errors import CommandError

CONDITION_KINDS = ("pc", "uart", "insns", "trap", "exit")


@dataclass
class Condition:
    kind: str             # one of CONDITION_KINDS
    value: Any = None     # pc: address; uart: {"pattern", "ignorecase"}; insns: count
    text: str = ""        # as the user wrote it


def stop_dict(session: Any, ev: Optional[StopEvent]) -> Dict[str, Any]:
    if ev is None:
        return {}
    out: Dict[str, Any] = {"reason": ev.reason, "hart": ev.hart, "pc": ev.pc, "direction": ev.direction}
    sym = session.symbol(ev.pc)
    if sym:
        out["symbol"] = sym
    if ev.watch_kind is not None:
        out["watch_kind"] = ev.watch_kind
        out["watch_addr"] = ev.watch_addr
        out.update(watch_values(ev))
    if ev.exit_code is not None:
        out["exit_code"] = ev.exit_code
    if ev.detail:
        out["detail"] = ev.detail
    return out


def ensure_can_run(target: Any) -> None:
    if target.run_state == "exited":
        raise CommandError("the guest has exited; use system_reset first")


async def stop_machine(target: Any) -> Optional[StopEvent]:
    """Stop a running machine and wait for the stop; no-op when stopped."""
    if target.run_state == "running":
        target.request_stop()
        return await target.wait_for_stop()
    return None


async def run_until(session: Any, conditions: List[Condition], *, timeout: Optional[float] = None,
                    hart: Optional[int] = None, others_stay: bool = False) -> Dict[str, Any]:
    """Run until one of ``conditions`` fires (or ``timeout``). An ``insns``
    condition counts the instructions of ``hart``; the other harts run
    meanwhile, unless ``others_stay`` (a `step`: only that hart moves)."""
    target = session.target
    ensure_can_run(target)
    hart = session.hart if hart is None else hart
    fired: List[Dict[str, Any]] = []
    cleanups: List[Any] = []
    action = CONTINUE
    actions: Optional[Dict[int, ResumeAction]] = None
    temp_pcs: List[int] = []

    def fire(info: Dict[str, Any]) -> None:
        if not fired:
            fired.append(info)
            target.request_stop()

    try:
        for cond in conditions:
            if cond.kind == "pc":
                addr = cond.value
                temp_pcs.append(addr)
                if not any(b.kind in ("sw", "hw") and b.addr == addr for b in target.breakpoints()):
                    target.add_breakpoint("sw", addr, 1, temporary=True)
                    cleanups.append(lambda a=addr: _remove_temp(target, a))
            elif cond.kind == "uart":
                cleanups.append(_watch_uart(target, cond.value, fire))
            elif cond.kind == "trap":
                cleanups.append(_watch_traps(target, fire))
            elif cond.kind == "insns":
                if cond.value <= 0:
                    raise CommandError("insns needs a positive count")
                action = ResumeAction("step", count=cond.value)
                actions = {hart: action}
            elif cond.kind == "exit":
                pass   # every run ends on a guest exit
            else:
                raise CommandError("unknown condition %r" % cond.kind)

        start = target.instructions_retired(hart)
        if target.run_state != "running":
            if actions is not None:
                from emud.debug import STAY
                target.resume(actions, default=STAY if others_stay else CONTINUE)
            else:
                target.resume(None, default=action)
        timed_out = False
        ev: Optional[StopEvent] = None
        with trio.move_on_after(timeout if timeout is not None else float("inf")):
            ev = await target.wait_for_stop()
        if ev is None:
            timed_out = True
            fired.append({"condition": "timeout"})   # wins over a watcher firing during the stop
            target.request_stop()
            ev = await target.wait_for_stop()
    finally:
        for undo in cleanups:
            undo()

    where = hart if (timed_out or actions is not None) else (ev.hart if ev else hart)
    result: Dict[str, Any] = {"stop": stop_dict(session, ev), "hart": where,
                              "pc": ev.pc if ev is not None and ev.hart == where else session.pc(where)}
    sym = session.symbol(result["pc"])
    if sym:
        result["symbol"] = sym
    result["icount"] = target.instructions_retired(hart)
    result["retired"] = result["icount"] - start
    if timed_out:
        result.update(condition="timeout", timeout=timeout)
    elif fired:
        result.update(fired[0])
    if fired and result["stop"].get("reason") == "interrupt":
        # the stop we requested for a condition: say which one ended the run
        result["stop"]["reason"] = fired[0]["condition"]
    elif ev is not None and ev.reason in ("breakpoint", "hw-breakpoint") and ev.pc in temp_pcs:
        result["condition"] = "pc"
    elif ev is not None and ev.reason == "step" and actions is not None:
        result["condition"] = "insns"
    elif ev is not None and ev.reason == "exited":
        result["condition"] = "exit"
        result["exit_code"] = ev.exit_code
    else:
        result["condition"] = None   # stopped for another reason (a user breakpoint, `stop`...)
    return result


def attach(listeners: List[Any], fn: Any) -> Callable[[], None]:
    """Append ``fn`` to a listener list (UART, traps, event hooks); the
    returned undo removes it again (once, and only if it is still there)."""
    listeners.append(fn)

    def undo() -> None:
        if fn in listeners:
            listeners.remove(fn)

    return undo


def _remove_temp(target: Any, addr: int) -> None:
    for b in target.breakpoints():
        if b.kind == "sw" and b.addr == addr and b.temporary:
            target.remove_breakpoint("sw", addr, b.length)


def _watch_traps(target: Any, fire: Any) -> Any:
    """A trap, seen through the machine's trap_listeners (hart, cause, pc,
    is_interrupt) when it has them, else through TRAP events on the bus."""
    traps = getattr(target, "trap_listeners", None)
    if isinstance(traps, list):
        def listener(hart: int, cause: int, pc: int, is_interrupt: bool) -> None:
            fire({"condition": "trap", "trap": trap_data(hart, cause, pc, is_interrupt)})
        return attach(traps, listener)

    def hook(ev: Any) -> None:
        if ev.name == "TRAP":
            fire({"condition": "trap", "trap": _plain(ev.data)})
    return attach(target.events.hooks, hook)


def trap_data(hart: int, cause: int, pc: int, is_interrupt: bool) -> Dict[str, Any]:
    """A trap from the machine's trap_listeners, as TRAP events carry it."""
    return {"hart": hart, "cause": cause, "pc": pc, "interrupt": bool(is_interrupt)}


def _watch_uart(target: Any, regex: Dict[str, Any], fire: Any) -> Any:
    pattern = re.compile(regex["pattern"], re.IGNORECASE if regex.get("ignorecase") else 0)
    seen = bytearray()

    def listener(data: bytes) -> None:
        seen.extend(data)
        m = pattern.search(seen.decode("utf-8", "replace"))
        if m:
            fire({"condition": "uart", "match": m.group(0)})

    return attach(target.uart_listeners(), listener)


def _plain(data: Any) -> Any:
    """Event data made JSON-safe (bytes become text)."""
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_plain(v) for v in data]
    if isinstance(data, (bytes, bytearray)):
        return bytes(data).decode("utf-8", "replace")
    return data


plain = _plain
