"""The debug trigger module (Sdtrig) as QEMU 7.2 implements it for ``virt``.

Two triggers, selected by ``tselect`` (a write of 2 or more is ignored), each
with ``tdata1`` (control) and ``tdata2`` (the address); ``tdata3`` reads 0
and ignores writes; ``tinfo`` reads 0x44: types 2 (mcontrol) and 6
(mcontrol6). A ``tdata1`` write of another type is ignored whole. Of a
type-2 or type-6 write only these bits stay (read off qemu-system-riscv32/64
7.2): load, store, execute (bits 0-2), U, S, M (3, 4, 6), for type 6 also
VU, VS (23, 24), and the size field when it is a size QEMU supports
(any, 1, 2, 4 or 8 bytes); match, chain, action, timing, select, hit and
dmode read back 0. Reset: both triggers type 2 with nothing enabled.

A trigger fires when its mode bit for the current privilege is set:
execute when the instruction at ``tdata2`` is about to run, load/store
before an access overlapping ``tdata2`` (size "any": XLEN/8 bytes); an AMO
counts as both. The action is always a breakpoint exception (cause 3,
mtval 0) at the instruction, before it does anything.
"""
from __future__ import annotations

from typing import Any, Dict, List, Set, Tuple

N_TRIGGERS = 2
TINFO = (1 << 2) | (1 << 6)
LOAD, STORE, EXEC = 1 << 0, 1 << 1, 1 << 2
MODE_BITS = {0: 1 << 3, 1: 1 << 4, 3: 1 << 6}     # privilege -> its U / S / M bit
KEEP = LOAD | STORE | EXEC | MODE_BITS[0] | MODE_BITS[1] | MODE_BITS[3]
KEEP6 = KEEP | (1 << 23) | (1 << 24)                # mcontrol6: VU, VS
#: size encodings QEMU accepts -> bytes (0: any access size)
SIZES = {0: 0, 1: 1, 2: 2, 3: 4, 5: 8}
CAUSE_BREAKPOINT = 3


class Triggers:
    def __init__(self, xlen: int) -> None:
        self.xlen = xlen
        self.type_shift = xlen - 4
        self.reset()

    def reset(self) -> None:
        self.select = 0
        self.tdata1 = [2 << self.type_shift] * N_TRIGGERS
        self.tdata2 = [0] * N_TRIGGERS

    # -- the CSRs --------------------------------------------------------------------
    def write_select(self, value: int) -> None:
        if value < N_TRIGGERS:
            self.select = value

    def write_tdata1(self, value: int) -> None:
        kind = value >> self.type_shift & 0xF
        if kind == 2:
            sizelo = value >> 16 & 3
            sizehi = value >> 21 & 3 if self.xlen == 64 else 0
            size_bits = (3 << 16) | ((3 << 21) if self.xlen == 64 else 0)
            new = value & KEEP
            if (sizehi << 2 | sizelo) in SIZES:
                new |= value & size_bits
        elif kind == 6:
            new = value & KEEP6
            if value >> 16 & 0xF in SIZES:
                new |= value & (0xF << 16)
        else:
            return                       # types QEMU 7.2 does not offer: ignored
        self.tdata1[self.select] = (kind << self.type_shift) | new

    def write_tdata2(self, value: int) -> None:
        self.tdata2[self.select] = value

    # -- matching ----------------------------------------------------------------------
    def _size(self, ctrl: int) -> int:
        if ctrl >> self.type_shift & 0xF == 6:
            code = ctrl >> 16 & 0xF
        else:
            code = (ctrl >> 16 & 3) | ((ctrl >> 21 & 3) << 2 if self.xlen == 64 else 0)
        return SIZES.get(code, 0) or self.xlen // 8

    def armed(self) -> Tuple[Set[int], List[Tuple[int, int, str]]]:
        """The execute addresses and the (address, length, "read"/"write"/"access")
        ranges of every trigger that can fire at some privilege."""
        pcs: Set[int] = set()
        ranges: List[Tuple[int, int, str]] = []
        for ctrl, addr in zip(self.tdata1, self.tdata2):
            if not ctrl & (MODE_BITS[0] | MODE_BITS[1] | MODE_BITS[3]):
                continue
            if ctrl & EXEC:
                pcs.add(addr)
            if ctrl & (LOAD | STORE):
                kind = "access" if ctrl & LOAD and ctrl & STORE else "read" if ctrl & LOAD else "write"
                ranges.append((addr, self._size(ctrl), kind))
        return pcs, ranges

    def fires_on_exec(self, pc: int, priv: int) -> bool:
        bit = MODE_BITS.get(priv, 0)
        return any(ctrl & EXEC and ctrl & bit and addr == pc for ctrl, addr in zip(self.tdata1, self.tdata2))

    def fires_on_access(self, addr: int, size: int, reads: bool, writes: bool, priv: int) -> bool:
        bit = MODE_BITS.get(priv, 0)
        for ctrl, base in zip(self.tdata1, self.tdata2):
            if not ctrl & bit or not ((reads and ctrl & LOAD) or (writes and ctrl & STORE)):
                continue
            if addr < base + self._size(ctrl) and base < addr + size:
                return True
        return False

    # -- snapshots -------------------------------------------------------------------
    def save(self) -> Dict[str, Any]:
        return {"tselect": self.select, "tdata1": list(self.tdata1), "tdata2": list(self.tdata2)}

    def load(self, state: Dict[str, Any]) -> None:
        self.select = state["tselect"]
        self.tdata1 = list(state["tdata1"])
        self.tdata2 = list(state["tdata2"])


def csr_rows(add) -> None:
    """Add tselect, tdata1-3 and tinfo to a CSR table (``add(name, number, read, write)``);
    writes go through ``cpu.triggers`` and tell the hart its triggers changed."""
    def writer(method: str):
        def write(cpu, value: int) -> None:
            getattr(cpu.triggers, method)(value & cpu.mask)
            cpu.note_triggers_changed()
        return write
    add("tselect", 0x7A0, lambda cpu: cpu.triggers.select, writer("write_select"))
    add("tdata1", 0x7A1, lambda cpu: cpu.triggers.tdata1[cpu.triggers.select], writer("write_tdata1"))
    add("tdata2", 0x7A2, lambda cpu: cpu.triggers.tdata2[cpu.triggers.select], writer("write_tdata2"))
    add("tdata3", 0x7A3, lambda cpu: 0, None)
    add("tinfo", 0x7A4, lambda cpu: TINFO, None)
