"""break, hbreak, watch, delete, info breakpoints."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from emud.monitor.errors import CommandError
from emud.monitor.registry import Address, Enum, Int, Registry

WATCH_KINDS = {"r": "read", "w": "write", "a": "access"}


def register(reg: Registry) -> None:
    @reg.command("break", Address("addr", metavar="ADDR|SYMBOL"), aliases=("b", "break-insert"), group="breakpoints")
    def break_(session: Any, addr: int) -> Dict[str, Any]:
        """Set a software breakpoint at an address or symbol."""
        return bp_dict(session, session.target.add_breakpoint("sw", addr, 1))

    @reg.command("hbreak", Address("addr", metavar="ADDR|SYMBOL"), group="breakpoints")
    def hbreak(session: Any, addr: int) -> Dict[str, Any]:
        """Set a hardware breakpoint at an address or symbol."""
        return bp_dict(session, session.target.add_breakpoint("hw", addr, 1))

    @reg.command("watch", Address("addr"), Int("length", optional=True, default=4, minimum=1, metavar="LEN"),
                 Enum("kind", ["r", "w", "a"], optional=True, default="w",
                      aliases={"read": "r", "write": "w", "access": "a", "rw": "a"}),
                 group="breakpoints")
    def watch(session: Any, addr: int, length: int, kind: str) -> Dict[str, Any]:
        """Stop right after LEN bytes (default 4) at ADDR are read (r), written (w, default) or
        accessed (a): the access done, pc at the next instruction; the stop shows old and new values."""
        return bp_dict(session, session.target.add_breakpoint(WATCH_KINDS[kind], addr, length, after_access=True))

    @reg.command("delete", Int("number", optional=True, minimum=1), aliases=("d",), group="breakpoints")
    def delete(session: Any, number: Optional[int]) -> Dict[str, Any]:
        """Delete breakpoint N, or every breakpoint and watchpoint."""
        t = session.target
        if number is not None:
            if not t.delete_breakpoint(number):
                raise CommandError("no breakpoint number %d" % number)
            return {"deleted": [number]}
        numbers = [b.number for b in t.breakpoints()]
        for n in numbers:
            t.delete_breakpoint(n)
        return {"deleted": numbers}

    @reg.command("info breakpoints", aliases=("info break", "info watchpoints"), group="info")
    def info_breakpoints(session: Any) -> List[Dict[str, Any]]:
        """List breakpoints and watchpoints."""
        return [bp_dict(session, b) for b in sorted(session.target.breakpoints(), key=lambda b: b.number)]


def bp_dict(session: Any, b: Any) -> Dict[str, Any]:
    out = {"number": b.number, "kind": b.kind, "addr": b.addr, "length": b.length, "temporary": b.temporary}
    sym = session.symbol(b.addr)
    if sym:
        out["symbol"] = sym
    return out
