"""The machine-mode CSR file: one table row per CSR.

A row is (name, number, read(cpu), write(cpu, value) or None, xlen or None).
``write=None`` means writes are ignored (WARL with no writable bits); writes
to the read-only number space (csr[11:10] == 3) never reach the table: the
access check raises illegal instruction first. A CSR that is not in the
table for the hart's XLEN does not exist (illegal instruction).

Access rules (:func:`check_access`), as the privileged spec and QEMU 7.2:
* csr[9:8] is the lowest privilege allowed;
* csr[11:10] == 3 is read-only: any write (csrrw, or csrrs/c with rs1 != x0)
  is illegal, a pure read is fine;
* U-mode reads of cycle/time/instret/hpmcounterN need mcounteren bit N.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

from . import triggers

# mstatus fields
MSTATUS_MIE = 1 << 3
MSTATUS_MPIE = 1 << 7
MSTATUS_MPP_SHIFT = 11
MSTATUS_MPP = 3 << MSTATUS_MPP_SHIFT
MSTATUS_MPRV = 1 << 17
MSTATUS_TW = 1 << 21
MSTATUS_WRITABLE = MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TW
# RV64: UXL = SXL = 2 (64-bit), read-only, as QEMU 7.2 shows them.
MSTATUS64_XL = (2 << 32) | (2 << 34)

# mip/mie bits (interrupt numbers) we model: machine software, timer, external.
IRQ_MSI, IRQ_MTI, IRQ_MEI = 3, 7, 11
MIE_WRITABLE = (1 << IRQ_MSI) | (1 << IRQ_MTI) | (1 << IRQ_MEI)

# misa: I, M, A, C, U
MISA_EXTS = sum(1 << (ord(c) - ord("A")) for c in "IMACU")

MCOUNTINHIBIT_CY = 1 << 0
MCOUNTINHIBIT_IR = 1 << 2
MENVCFG_FIOM = 1 << 0
PMPCFG_L = 0x80

CAUSE_ILLEGAL = 2

Read = Callable[..., int]
Write = Optional[Callable[..., None]]
Row = Tuple[str, int, Read, Write, Optional[int]]


def _zero(cpu) -> int:
    return 0


def _field(name: str) -> Tuple[Read, Callable]:
    """A plain read/write register stored as cpu.<name>, XLEN bits."""
    def read(cpu):
        return getattr(cpu, name)

    def write(cpu, value):
        setattr(cpu, name, value & cpu.mask)
    return read, write


# -- individual CSRs -----------------------------------------------------------------------

def read_mstatus(cpu) -> int:
    return cpu.mstatus | (MSTATUS64_XL if cpu.xlen == 64 else 0)


def write_mstatus(cpu, value: int) -> None:
    new = (cpu.mstatus & ~MSTATUS_WRITABLE) | (value & MSTATUS_WRITABLE)
    mpp = (new & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT
    if mpp not in (0, 3):  # WARL: only M and U exist, keep the old MPP
        new = (new & ~MSTATUS_MPP) | (cpu.mstatus & MSTATUS_MPP)
    cpu.mstatus = new


def read_misa(cpu) -> int:
    mxl = 1 if cpu.xlen == 32 else 2
    return (mxl << (cpu.xlen - 2)) | MISA_EXTS


def write_mie(cpu, value: int) -> None:
    cpu.mie = value & MIE_WRITABLE


def write_mtvec(cpu, value: int) -> None:
    if value & 3 >= 2:  # reserved modes: QEMU ignores the write
        return
    cpu.mtvec = value & cpu.mask


def write_mepc(cpu, value: int) -> None:
    cpu.mepc = value & cpu.mask & ~1  # IALIGN = 16 with RVC (QEMU 7.2 keeps bit 0)


def write_menvcfg(cpu, value: int) -> None:
    cpu.menvcfg = value & MENVCFG_FIOM


def write_mcountinhibit(cpu, value: int) -> None:
    cpu.set_countinhibit(value & cpu.mask)


def _counter(kind: str, half: int) -> Tuple[Read, Callable]:
    """A 64-bit counter seen whole (half=0 on RV64), or as its low (half=1)
    or high (half=2) 32 bits on RV32."""
    def read(cpu):
        v = cpu.counter(kind)
        if half == 2:
            return v >> 32
        return v & cpu.mask

    def write(cpu, value):
        old = cpu.counter(kind)
        if half == 1:
            value = (old & ~0xFFFFFFFF) | (value & 0xFFFFFFFF)
        elif half == 2:
            value = (old & 0xFFFFFFFF) | ((value & 0xFFFFFFFF) << 32)
        cpu.set_counter(kind, value)
    return read, write


def _time(half: int) -> Read:
    def read(cpu):
        v = cpu.read_time() & 0xFFFFFFFFFFFFFFFF
        if half == 2:
            return v >> 32
        return v & cpu.mask
    return read


def _pmpcfg(n: int) -> Tuple[Read, Callable]:
    """pmpcfgN packs XLEN/8 entry bytes: entries 4N.. on RV32, 4N.. (N even) on RV64."""
    def read(cpu):
        per = cpu.xlen // 8
        value = 0
        for i in range(per):
            value |= cpu.pmpcfg[4 * n + i] << (8 * i)
        return value

    def write(cpu, value):
        per = cpu.xlen // 8
        for i in range(per):
            entry = 4 * n + i
            if not cpu.pmpcfg[entry] & PMPCFG_L:  # locked entries stay as they are
                cpu.pmpcfg[entry] = (value >> (8 * i)) & 0xFF
        cpu.pmp_changed()
    return read, write


def _pmpaddr(n: int) -> Tuple[Read, Callable]:
    def read(cpu):
        return cpu.pmpaddr[n]

    def write(cpu, value):
        if cpu.pmpcfg[n] & PMPCFG_L:
            return
        # a locked TOR entry above also locks this address
        if n + 1 < 16 and cpu.pmpcfg[n + 1] & PMPCFG_L and (cpu.pmpcfg[n + 1] >> 3) & 3 == 1:
            return
        cpu.pmpaddr[n] = value & cpu.mask
        cpu.pmp_changed()
    return read, write


# -- the table ------------------------------------------------------------------------------

def _rows() -> List[Row]:
    rows: List[Row] = []

    def add(name, num, read, write=None, xlen=None):
        rows.append((name, num, read, write, xlen))

    # unprivileged counters (read-only; U-mode access gated by mcounteren)
    add("cycle", 0xC00, _counter("cycle", 0)[0], xlen=64)
    add("cycle", 0xC00, _counter("cycle", 1)[0], xlen=32)
    add("time", 0xC01, _time(0), xlen=64)
    add("time", 0xC01, _time(1), xlen=32)
    add("instret", 0xC02, _counter("instret", 0)[0], xlen=64)
    add("instret", 0xC02, _counter("instret", 1)[0], xlen=32)
    add("cycleh", 0xC80, _counter("cycle", 2)[0], xlen=32)
    add("timeh", 0xC81, _time(2), xlen=32)
    add("instreth", 0xC82, _counter("instret", 2)[0], xlen=32)
    for n in range(3, 32):
        add("hpmcounter%d" % n, 0xC00 + n, _zero)
        add("hpmcounter%dh" % n, 0xC80 + n, _zero, xlen=32)
    # machine information
    add("mvendorid", 0xF11, _zero)
    add("marchid", 0xF12, _zero)
    add("mimpid", 0xF13, _zero)
    add("mhartid", 0xF14, lambda cpu: cpu.hart_id)
    add("mconfigptr", 0xF15, _zero)
    # trap setup
    add("mstatus", 0x300, read_mstatus, write_mstatus)
    add("misa", 0x301, read_misa, None)
    add("mie", 0x304, lambda cpu: cpu.mie, write_mie)
    add("mtvec", 0x305, lambda cpu: cpu.mtvec, write_mtvec)
    add("mcounteren", 0x306, *_field("mcounteren"))
    add("mstatush", 0x310, _zero, None, xlen=32)
    add("menvcfg", 0x30A, lambda cpu: cpu.menvcfg, write_menvcfg)
    add("menvcfgh", 0x31A, _zero, None, xlen=32)
    add("mcountinhibit", 0x320, lambda cpu: cpu.mcountinhibit, write_mcountinhibit)
    for n in range(3, 32):
        add("mhpmevent%d" % n, 0x320 + n, _zero, lambda cpu, v: None)
    # trap handling
    add("mscratch", 0x340, *_field("mscratch"))
    add("mepc", 0x341, lambda cpu: cpu.mepc, write_mepc)
    add("mcause", 0x342, *_field("mcause"))
    add("mtval", 0x343, *_field("mtval"))
    add("mip", 0x344, lambda cpu: cpu.mip, lambda cpu, v: None)  # device-driven
    # memory protection (storage only, not enforced)
    for n in range(4):
        add("pmpcfg%d" % n, 0x3A0 + n, *_pmpcfg(n), xlen=(None if n % 2 == 0 else 32))
    for n in range(16):
        add("pmpaddr%d" % n, 0x3B0 + n, *_pmpaddr(n))
    # machine counters
    add("mcycle", 0xB00, *_counter("cycle", 0), xlen=64)
    add("mcycle", 0xB00, *_counter("cycle", 1), xlen=32)
    add("minstret", 0xB02, *_counter("instret", 0), xlen=64)
    add("minstret", 0xB02, *_counter("instret", 1), xlen=32)
    add("mcycleh", 0xB80, *_counter("cycle", 2), xlen=32)
    add("minstreth", 0xB82, *_counter("instret", 2), xlen=32)
    for n in range(3, 32):
        add("mhpmcounter%d" % n, 0xB00 + n, _zero, lambda cpu, v: None)
        add("mhpmcounter%dh" % n, 0xB80 + n, _zero, lambda cpu, v: None, xlen=32)
    # debug triggers (Sdtrig)
    triggers.csr_rows(add)
    return rows


class CsrDef:
    __slots__ = ("name", "num", "read", "write")

    def __init__(self, name: str, num: int, read: Read, write: Write) -> None:
        self.name, self.num, self.read, self.write = name, num, read, write


_ROWS = _rows()


def csr_table(xlen: int) -> Dict[int, CsrDef]:
    """number -> CsrDef for the CSRs a hart of this XLEN has."""
    return {num: CsrDef(name, num, read, write)
            for name, num, read, write, xl in _ROWS if xl is None or xl == xlen}


#: Every CSR name we know -> number (either XLEN), for the monitor, gdb and tests.
CSR_NUMBERS: Dict[str, int] = {name: num for name, num, _, _, _ in _ROWS}
#: number -> name
CSR_NAMES: Dict[int, str] = {num: name for name, num, _, _, _ in _ROWS}


def check_access(cpu, csr: int, write: bool) -> bool:
    """True if the access is legal in the hart's current state."""
    if csr not in cpu.csrs:
        return False
    if cpu.priv < (csr >> 8) & 3:
        return False
    if write and (csr >> 10) & 3 == 3:
        return False
    if cpu.priv < 3 and (0xC00 <= csr <= 0xC1F or 0xC80 <= csr <= 0xC9F):
        if not (cpu.mcounteren >> (csr & 0x1F)) & 1:
            return False
    return True
