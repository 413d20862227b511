"""The few `monitor` commands the stub answers itself when no monitor
console is plugged in (``serve_gdb(..., run_command=...)`` replaces them)."""
from __future__ import annotations

from typing import Callable, Dict, Tuple

from emud.debug import DebugError, DebugTarget


def _help(target: DebugTarget, hart: int, arg: str) -> str:
    width = max(len(name) for name in COMMANDS)
    return "".join("%-*s  %s\n" % (width, name, doc) for name, (_, doc) in COMMANDS.items())


def _info_registers(target: DebugTarget, hart: int, arg: str) -> str:
    lines = []
    for reg in sorted(target.registers(), key=lambda r: r.regnum):
        try:
            value = "0x%0*x" % (reg.bitsize // 4, target.read_register(hart, reg.name))
        except DebugError as exc:
            value = "<%s>" % exc
        lines.append("%-10s %s\n" % (reg.name, value))
    return "hart %d\n%s" % (hart, "".join(lines))


def _info_mtree(target: DebugTarget, hart: int, arg: str) -> str:
    return "".join("%016x-%016x (%s): %s\n" % (r.start, r.start + r.size - 1, r.kind, r.name)
                   for r in sorted(target.memory_map(), key=lambda r: r.start))


def _system_reset(target: DebugTarget, hart: int, arg: str) -> str:
    target.reset()
    return "machine reset (gdb: 'flushregs' to reread registers)\n"


def _tb_flush(target: DebugTarget, hart: int, arg: str) -> str:
    target.flush_code_cache()
    return "translation cache flushed\n"


Command = Callable[[DebugTarget, int, str], str]

COMMANDS: Dict[str, Tuple[Command, str]] = {
    "help": (_help, "list these commands"),
    "info registers": (_info_registers, "all registers of the current hart"),
    "info mtree": (_info_mtree, "the machine's memory regions"),
    "system_reset": (_system_reset, "reset the machine (it stays stopped)"),
    "tb flush": (_tb_flush, "drop every translated block"),
}


def run_builtin(target: DebugTarget, hart: int, text: str) -> str:
    words = " ".join(text.split())
    for name in sorted(COMMANDS, key=len, reverse=True):
        if words == name or words.startswith(name + " "):
            fn, _ = COMMANDS[name]
            return fn(target, hart, words[len(name):].strip())
    if words in ("", "?", "h"):
        return _help(target, hart, "")
    raise DebugError("unknown monitor command %r (try 'monitor help')" % words)
