"""help, info registers/cpus/status/symbol/version/name, cpu, print."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from emud.debug import DebugError
from emud.monitor.errors import CommandError
from emud.monitor.registry import Address, Flag, Int, Registry, Words

VERSION = "0.1.0"


def register(reg: Registry) -> None:
    @reg.command("help", Words("topic", optional=True, default=None, metavar="[CMD]"), aliases=("?",), group="general")
    def help_(session: Any, topic: Optional[List[str]]) -> Dict[str, Any]:
        """Show the commands, or one command's usage and help."""
        cmds = session.registry.commands()
        if topic:
            cmd = session.registry.get(" ".join(topic))
            if cmd is not None:
                return {"commands": [_describe(cmd)]}
            group = [c for c in cmds if c.name.split()[0] == topic[0] and len(c.name.split()) > 1]
            if not group:
                raise CommandError("no command named '%s' (try 'help')" % " ".join(topic))
            cmds = group
        return {"commands": [_describe(c) for c in sorted(cmds, key=lambda c: c.name)]}

    @reg.command("info registers", Flag("all", "-a", help="all CPUs"), Flag("full", "-f", help="every CSR"),
                 aliases=("info r", "info reg"), group="info")
    def info_registers(session: Any, all: bool, full: bool) -> Dict[str, Any]:
        """Show the registers of the current CPU (-a: of every CPU; -f: every CSR, not just the usual ones)."""
        t = session.target
        harts = t.hart_ids() if all else [session.hart]
        return {"xlen": t.xlen, "harts": [{"hart": h, "registers": read_registers(t, h, full)} for h in harts]}

    @reg.command("info cpus", group="info")
    def info_cpus(session: Any) -> Dict[str, Any]:
        """List the CPUs (a RISC-V hart, an Arm core); * marks the current one."""
        t = session.target
        out = []
        for h in t.hart_ids():
            out.append({"cpu": h, "current": h == session.hart, "pc": t.read_register(h, "pc"),
                        "description": t.hart_description(h), "icount": t.instructions_retired(h)})
        return {"cpus": out}

    @reg.command("cpu", Int("index", minimum=0), group="general")
    def cpu(session: Any, index: int) -> Dict[str, Any]:
        """Select the current CPU for registers, x, step..."""
        if index not in session.target.hart_ids():
            raise CommandError("no CPU %d (CPUs: %s)" % (index, ", ".join(map(str, session.target.hart_ids()))))
        session.hart = index
        return {"cpu": index}

    @reg.command("info status", group="info")
    def info_status(session: Any) -> Dict[str, Any]:
        """Show whether the machine runs."""
        return status(session)

    @reg.command("info symbol", Address("addr"), group="info")
    def info_symbol(session: Any, addr: int) -> Dict[str, Any]:
        """Show the symbol an address belongs to."""
        sym = session.target.symbolize(addr)
        if not sym:
            return {"addr": addr, "symbol": None, "offset": None}
        return {"addr": addr, "symbol": sym[0], "offset": sym[1]}

    @reg.command("info version", group="info")
    def info_version(session: Any) -> Dict[str, Any]:
        """Show emud's version."""
        return {"version": VERSION, "arch": session.target.arch_name}

    @reg.command("info name", group="info")
    def info_name(session: Any) -> Dict[str, Any]:
        """Show the guest's name (-name); nothing when it has none."""
        return {"name": getattr(session.target, "guest_name", None)}

    @reg.command("print", Address("expr", metavar="EXPR"), slash_format=True, aliases=("p",), group="general")
    def print_(session: Any, expr: int, fmt: str) -> Dict[str, Any]:
        """Evaluate an expression: print/x $sp + 16, print main."""
        f = fmt or "x"
        if f not in ("x", "d", "u", "o", "t", "c"):
            raise CommandError("print: unknown format %r (x d u o t c)" % f)
        return {"value": expr, "format": f, "xlen": session.target.xlen}


def status(session: Any) -> Dict[str, Any]:
    t = session.target
    state = t.run_state
    last = t.last_stop()
    st = {"running": "running", "stopped": "paused", "exited": "shutdown"}.get(state, state)
    out: Dict[str, Any] = {"running": state == "running", "status": st, "singlestep": False}
    if state != "running" and last is not None:
        out["reason"] = last.reason
        if last.exit_code is not None:
            out["exit_code"] = last.exit_code
    return out


# what `info registers` shows besides the general registers (QEMU shows about these)
USUAL_CSRS = ("priv", "mhartid", "mstatus", "mstatush", "misa", "mie", "mip", "mtvec", "mscratch", "mepc", "mcause",
              "mtval", "mcycle", "minstret")


def read_registers(target: Any, hart: int, full: bool = True) -> Dict[str, int]:
    """name -> value, general registers first (in gdb order), then the CSRs
    (all of them, or the usual ones)."""
    infos = sorted(target.registers(), key=lambda r: (r.group != "general", r.regnum))
    if not full:
        usual = {name: i for i, name in enumerate(USUAL_CSRS)}
        general = [r for r in infos if r.group == "general"]
        infos = general + sorted((r for r in infos if r.group != "general" and r.name in usual), key=lambda r: usual[r.name])
    out: Dict[str, int] = {}
    for r in infos:
        try:
            out[r.name] = target.read_register(hart, r.name)
        except DebugError:
            continue   # a register this hart does not implement
    return out


def _describe(cmd: Any) -> Dict[str, Any]:
    return {"name": cmd.name, "usage": cmd.usage(), "help": cmd.help, "aliases": list(cmd.aliases), "qmp": cmd.qmp_name}
