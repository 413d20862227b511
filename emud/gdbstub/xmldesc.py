"""The XML documents gdb reads through qXfer: the target description
(registers, grouped by feature), the memory map and the thread list.

All three are built from what the target reports (``registers()``,
``memory_map()``, ``hart_ids()``), never from a copy kept here, so they cannot
disagree with the registers and memory the stub really serves.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence
from xml.sax.saxutils import quoteattr, escape

from emud.debug import MemoryRange, RegisterInfo

# gdb knows these types; anything else would make it reject the description.
_GDB_TYPES = frozenset(("int", "code_ptr", "data_ptr", "int8", "int16", "int32",
                        "int64", "uint32", "uint64", "ieee_single", "ieee_double"))


def _reg_element(reg: RegisterInfo) -> str:
    attrs = [("name", reg.name), ("bitsize", str(reg.bitsize)), ("regnum", str(reg.regnum))]
    gdb_type = reg.gdb_type if reg.gdb_type in _GDB_TYPES else "int"
    attrs.append(("type", gdb_type))
    # The riscv "general" and "virtual" registers take gdb's own grouping;
    # CSRs are put in gdb's "csr" group ("info registers csr"), as
    # 'save-restore="no"' keeps gdb from saving them around inferior calls.
    if reg.group == "csr":
        attrs.append(("group", "csr"))
        attrs.append(("save-restore", "no"))
    return "<reg %s/>" % " ".join("%s=%s" % (k, quoteattr(v)) for k, v in attrs)


def features_of(registers: Sequence[RegisterInfo], default_feature: str) -> Dict[str, List[RegisterInfo]]:
    """Registers grouped by feature name, in first-seen order, each sorted by regnum."""
    grouped: Dict[str, List[RegisterInfo]] = {}
    for reg in registers:
        grouped.setdefault(reg.feature or default_feature, []).append(reg)
    for regs in grouped.values():
        regs.sort(key=lambda r: r.regnum)
    return grouped


def default_feature_for(arch_name: str) -> str:
    if arch_name.startswith("riscv"):
        return "org.gnu.gdb.riscv.cpu"
    return "org.emud.core"


def target_description(arch_name: str, registers: Sequence[RegisterInfo]) -> str:
    """One self-contained target.xml (every feature inline: one qXfer round
    trip chain instead of one per annex)."""
    parts = ['<?xml version="1.0"?>', '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
             '<target version="1.0">', "<architecture>%s</architecture>" % escape(arch_name)]
    for feature, regs in features_of(registers, default_feature_for(arch_name)).items():
        parts.append("<feature name=%s>" % quoteattr(feature))
        parts.extend(_reg_element(r) for r in regs)
        parts.append("</feature>")
    parts.append("</target>")
    return "\n".join(parts) + "\n"


# gdb's memory map knows ram, rom and flash. Device windows are "ram" to gdb
# (readable and writable), or gdb would refuse to touch them at all once a
# map exists; flash is "rom" because we do not implement vFlash* packets.
_MAP_TYPES = {"ram": "ram", "rom": "rom", "io": "ram", "mmio": "ram", "flash": "rom"}


def gdb_address_ranges(ranges: Sequence[MemoryRange], address_bits: int) -> List[MemoryRange]:
    """The ranges as gdb looks them up. On a target narrower than gdb's
    64-bit CORE_ADDR, gdb widens a signed register value with its sign
    (``x/i $mepc``: RV32 CSRs are ``int``, as QEMU describes them) and checks
    the widened address against the map before the remote layer masks it to
    ``address_bits``; so the upper half of the address space appears a second
    time, sign-extended, or gdb refuses those reads without asking."""
    out = [r for r in ranges if r.size > 0]
    if address_bits >= 64:
        return out
    half, widen = 1 << (address_bits - 1), (1 << 64) - (1 << address_bits)
    for r in list(out):
        start, end = max(r.start, half), min(r.start + r.size, 1 << address_bits)
        if start < end:
            out.append(MemoryRange(start + widen, end - start, r.kind, r.name))
    return out


def memory_map(ranges: Sequence[MemoryRange], address_bits: int = 64) -> str:
    parts = ['<?xml version="1.0"?>',
             '<!DOCTYPE memory-map PUBLIC "+//IDN gnu.org//DTD GDB Memory Map V1.0//EN"'
             ' "http://sourceware.org/gdb/gdb-memory-map.dtd">',
             "<memory-map>"]
    for r in sorted(gdb_address_ranges(ranges, address_bits), key=lambda r: r.start):
        parts.append('<memory type="%s" start="0x%x" length="0x%x"/>'
                     % (_MAP_TYPES.get(r.kind, "ram"), r.start, r.size))
    parts.append("</memory-map>")
    return "\n".join(parts) + "\n"


def thread_list(hart_ids: Sequence[int], describe: Callable[[int], str],
                name: Callable[[int], Optional[str]] = lambda hart: "hart %d" % hart,
                thread_id: Callable[[int], str] = lambda hart: "%x" % (hart + 1)) -> str:
    """qXfer:threads: ``name(hart)`` None leaves the name out (gdb then shows
    only the description, as for QEMU's stub, which names no thread)."""
    parts = ['<?xml version="1.0"?>', "<threads>"]
    for hart in hart_ids:
        label = name(hart)
        named = "" if label is None else " name=%s" % quoteattr(label)
        parts.append('<thread id="%s" core="%d"%s>%s</thread>'
                     % (thread_id(hart), hart, named, escape(describe(hart))))
    parts.append("</threads>")
    return "\n".join(parts) + "\n"
