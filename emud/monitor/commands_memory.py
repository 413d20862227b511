"""x/FMT, xp/FMT and disas: memory and code, in QEMU's syntax.

FMT is ``[COUNT][FORMAT][SIZE]`` (letters in any order): FORMAT one of
x d u o t c a i s, SIZE one of b h w g. Like QEMU, the last format and size
are remembered per session; the defaults are ``x`` and ``w``.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from emud.debug import DebugError
from emud.monitor.commands_run import insn_dict
from emud.monitor.errors import CommandError
from emud.monitor.registry import Address, Int, Registry

FORMATS = "xduotcais"
SIZES = {"b": 1, "h": 2, "w": 4, "g": 8}
MAX_BYTES = 1 << 20
MAX_ITEMS = 10000      # instructions (x/Ni, disas) or strings (x/Ns) at once


def parse_format(fmt: str, last: Tuple[str, int]) -> Tuple[int, str, int]:
    """'10i' -> (10, 'i', size); '4wx' -> (4, 'x', 4). Pure."""
    m = re.match(r"^([0-9]*)([a-z]*)$", fmt or "")
    if not m:
        raise CommandError("bad format %r: expected /[COUNT][FORMAT][SIZE], e.g. /10i or /4wx" % fmt[:40])
    if len(m.group(1)) > 12:
        raise CommandError("count too large in /%s" % fmt[:40])
    count = int(m.group(1)) if m.group(1) else 1
    form, size = last
    size_given = False
    for ch in m.group(2):
        if ch in SIZES:
            size, size_given = SIZES[ch], True
        elif ch in FORMATS:
            form = ch
        else:
            raise CommandError("bad format letter %r in /%s (formats %s, sizes bhwg)" % (ch, fmt, " ".join(FORMATS)))
    if form == "c" and not size_given:
        size = 1
    if count <= 0:
        raise CommandError("count must be positive")
    if form in "is" and count > MAX_ITEMS:
        raise CommandError("too many %s at once (%d, at most %d)" % (
            "instructions" if form == "i" else "strings", count, MAX_ITEMS))
    return count, form, size


def register(reg: Registry) -> None:
    @reg.command("x", Address("addr"), slash_format=True, group="memory")
    def x(session: Any, addr: int, fmt: str) -> Dict[str, Any]:
        """Dump memory at a virtual address: x/10i $pc, x/4wx 0x80000000, x/s msg."""
        return dump(session, addr, fmt, physical=False)

    @reg.command("xp", Address("addr"), slash_format=True, group="memory")
    def xp(session: Any, addr: int, fmt: str) -> Dict[str, Any]:
        """Dump memory at a physical address (same as x: bare metal has no MMU)."""
        return dump(session, addr, fmt, physical=True)

    @reg.command("disas", Address("addr", optional=True), Int("count", optional=True, default=10, minimum=1),
                 aliases=("disassemble",), group="memory")
    def disas(session: Any, addr: Optional[int], count: int) -> Dict[str, Any]:
        """Disassemble N instructions (default 10) at ADDR (default pc)."""
        if addr is None:
            addr = session.pc()
        if count > MAX_ITEMS:
            raise CommandError("too many instructions at once (%d, at most %d)" % (count, MAX_ITEMS))
        return {"addr": addr, "insns": disassemble(session, addr, count)}


def disassemble(session: Any, addr: int, count: int) -> List[Dict[str, Any]]:
    try:
        rows = session.target.disassemble(addr, count)
    except DebugError as e:
        raise CommandError("cannot disassemble at 0x%x: %s" % (addr, e))
    return [insn_dict(session, r) for r in rows]


def read(session: Any, addr: int, length: int) -> bytes:
    if length > MAX_BYTES:
        raise CommandError("too much memory at once (%d bytes, at most %d)" % (length, MAX_BYTES))
    try:
        return session.target.read_memory(addr, length)
    except DebugError:
        raise CommandError("cannot access memory at 0x%x (%d bytes)" % (addr, length))


def dump(session: Any, addr: int, fmt: str, physical: bool) -> Dict[str, Any]:
    count, form, size = parse_format(fmt, session.last_x)
    session.last_x = (form, size)
    out: Dict[str, Any] = {"addr": addr, "count": count, "format": form, "size": size, "physical": physical,
                           "xlen": session.target.xlen}
    if form == "i":
        out["insns"] = disassemble(session, addr, count)
        return out
    if form == "s":
        strings = []
        a = addr
        for _ in range(count):
            if a - addr > MAX_BYTES:
                raise CommandError("too much memory at once (more than %d bytes of strings)" % MAX_BYTES)
            raw = _read_cstring(session, a)
            strings.append({"addr": a, "text": raw.decode("latin-1")})
            a += len(raw) + 1
        out["strings"] = strings
        return out
    data = read(session, addr, count * size)
    values = [int.from_bytes(data[i:i + size], "little") for i in range(0, len(data), size)]
    if form == "d":
        values = [v - (1 << (8 * size)) if v >> (8 * size - 1) else v for v in values]
    out["values"] = values
    out["hex"] = data.hex()
    if form == "a":
        out["symbols"] = [session.symbol(v) for v in values]
    return out


def _read_cstring(session: Any, addr: int, limit: int = 4096) -> bytes:
    out = bytearray()
    while len(out) < limit:
        chunk = read(session, addr + len(out), 1)
        if chunk == b"\0":
            break
        out += chunk
    return bytes(out)
