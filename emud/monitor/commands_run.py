"""Run control: stop, cont, step, run until, system_reset, quit."""
from __future__ import annotations

from typing import Any, Dict, Optional

from emud.debug import CONTINUE, DebugError
from emud.monitor.commands_info import status
from emud.monitor.errors import CommandError
from emud.monitor.registry import Address, Arg, Flag, Float, Int, Option, Regex, Registry, Tokens
from emud.monitor.runctl import CONDITION_KINDS, Condition, ensure_can_run, run_until, stop_dict, stop_machine


class ConditionArg(Arg):
    """`pc ADDR|SYMBOL`, `uart /REGEX/`, `insns N`, `trap`, `exit`."""

    metavar = "pc ADDR|uart /REGEX/|insns N|trap|exit"

    def consume(self, toks: Tokens) -> Any:
        kind = toks.take().lower()
        if kind in ("insn", "instructions"):
            kind = "insns"
        if kind not in CONDITION_KINDS:
            raise CommandError("unknown condition %r: expected %s" % (kind, self.metavar))
        if kind == "pc":
            if toks.empty():
                raise CommandError("pc needs an address or symbol")
            return ("pc", Address("addr").consume(toks))
        if kind == "uart":
            if toks.empty():
                raise CommandError("uart needs a /REGEX/")
            return ("uart", Regex("regex").consume(toks))
        if kind == "insns":
            if toks.empty():
                raise CommandError("insns needs a count")
            return ("insns", Int("count", minimum=1).consume(toks))
        return (kind, None)

    def from_json(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (kind, v), = value.items()
            return self.from_json("%s %s" % (kind, v if v is not None else "") if not isinstance(v, bool) else kind)
        return super().from_json(value)

    def resolve(self, session: Any, value: Any) -> Condition:
        kind, v = value
        if kind == "pc":
            return Condition("pc", Address("addr").resolve(session, v), v[1])
        return Condition(kind, v)


def register(reg: Registry) -> None:
    @reg.command("stop", group="run")
    async def stop(session: Any) -> Dict[str, Any]:
        """Stop the machine (every CPU)."""
        ev = await stop_machine(session.target)
        out = status(session)
        if ev is not None:
            out["stop"] = stop_dict(session, ev)
        return out

    @reg.command("cont", Flag("wait", "-w", help="wait until the machine stops"),
                 Option("timeout", Float("seconds")), aliases=("c",), group="run")
    async def cont(session: Any, wait: bool, timeout: Optional[float]) -> Dict[str, Any]:
        """Resume the machine; -w waits until it stops (timeout T stops it after T seconds)."""
        t = session.target
        ensure_can_run(t)
        if not wait:
            if timeout is not None:
                raise CommandError("timeout needs -w")
            if t.run_state != "running":
                t.resume(None, default=CONTINUE)
            return status(session)
        return await run_until(session, [], timeout=timeout)

    @reg.command("step", Int("count", optional=True, default=1, minimum=1), aliases=("stepi", "si", "s"),
                 group="run")
    async def step(session: Any, count: int) -> Dict[str, Any]:
        """Run exactly N guest instructions on the current CPU (default 1); show the new pc."""
        t = session.target
        if t.run_state == "running":
            raise CommandError("the machine is running; stop it first")
        result = await run_until(session, [Condition("insns", count)], others_stay=True)
        result["count"] = count
        result["insn"] = disassemble_one(session, result["pc"])
        return result

    @reg.command("run until", ConditionArg("condition"), Option("timeout", Float("seconds")),
                 Flag("reverse", "reverse", help="backwards in recorded history (pc and insns)"), group="run",
                 aliases=("until",))
    async def run_until_(session: Any, condition: Condition, timeout: Optional[float], reverse: bool) -> Dict[str, Any]:
        """Run until pc ADDR|SYMBOL, uart /REGEX/, insns N, trap or exit (timeout T: stop after T seconds).
        The reply says which condition fired. With `reverse` (while recording): back to the last time
        pc ADDR was about to run, or N instructions back."""
        if reverse:
            from emud.monitor.commands_timetravel import run_until_reverse
            result = await run_until_reverse(session, condition, timeout)
        else:
            result = await run_until(session, [condition], timeout=timeout)
        result["insn"] = disassemble_one(session, result["pc"])
        return result

    @reg.command("system_reset", aliases=("system-reset", "reset"), group="run")
    def system_reset(session: Any) -> Dict[str, Any]:
        """Reset the machine (CPUs, devices; RAM is kept)."""
        session.target.reset()
        return {"pc": session.pc(), **status(session)}

    @reg.command("quit", Int("code", optional=True, default=None), aliases=("q",), group="run")
    def quit_(session: Any, code: Optional[int]) -> Dict[str, Any]:
        """Quit emud, with exit status CODE (default: the guest's exit code if it exited, else 0)."""
        session.target.request_quit(code)
        if session.context.on_quit is not None:
            session.context.on_quit(code)
        return {"quit": True, "exit_code": code}


def disassemble_one(session: Any, pc: int) -> Optional[Dict[str, Any]]:
    try:
        rows = session.target.disassemble(pc, 1)
    except DebugError:   # pc outside memory: the step still happened
        return None
    return insn_dict(session, rows[0]) if rows else None


def insn_dict(session: Any, row: Any) -> Dict[str, Any]:
    addr, raw, mnemonic, op_str = row
    raw = bytes(raw)
    # "insn": the encoding as a little-endian word, the way objdump and QEMU show it
    out = {"addr": addr, "bytes": raw.hex(), "insn": "%0*x" % (2 * len(raw), int.from_bytes(raw, "little")),
           "mnemonic": mnemonic, "op_str": op_str}
    sym = session.symbol(addr)
    if sym:
        out["symbol"] = sym
    return out
