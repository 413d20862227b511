"""The ARMv7-M System Control Space: NVIC, SCB, MPU registers, and the
SysTick window (QEMU 7.2's hw/intc/armv7m_nvic.c), one device of 0x1000
bytes mapped at 0xE000E000.

Interface for boards (keep it stable)::

    cpu = ArmCPU(0, "v7m")                        # or "v6m" (Cortex-M0)
    systick = ArmV7MSysTick(machine.clock, cpu_hz=25_000_000, ref_hz=1_000_000)
    nvic = ArmV7MNvic(cpu, num_irq=32, prio_bits=8, systick=systick,
                      on_reset_request=machine.request_guest_reset)
    machine.map_device("nvic", 0xE000E000, nvic)
    uart.irq.connect(nvic.irq(0).set)             # external interrupt 0 (exception 16)
    # or give a device the line itself: dev = Foo(..., irq=nvic.irq(5))
    machine.kick is called by the NVIC (``on_pending``) when an exception
    becomes pending, so a hart in WFI wakes: pass ``on_pending=machine.kick``.

``nvic.irq(n)`` is an :class:`~emud.devices.base.IrqLine`; external
interrupts are level-sensitive as in QEMU (a line still high when its
handler returns is pending again). ``nvic.nmi`` is the NMI input (a rising
level pends NMI, as QEMU's nvic_nmi_trigger). ``prio_bits``: implemented
priority bits of a Cortex-M3 (QEMU 7.2: 8 on every board, mps2-an385 and
lm3s6965evb alike: its NVIC has no num-prio-bits property yet; a 0xFF written
to an IPR byte reads back 0xFF on both); a Cortex-M0 has 2, whatever is
asked, as QEMU decides by the core. The constructor makes itself ``cpu.nvic``.

Registers: ICTR, ISER/ICER/ISPR/ICPR/IABR, IPR, CPUID, ICSR, VTOR, AIRCR
(VECTKEY, SYSRESETREQ, VECTCLRACTIVE, PRIGROUP), SCR, CCR, SHPR1-3, SHCSR,
CFSR/HFSR/DFSR/MMFAR/BFAR/AFSR, the ID registers, CPACR, the PMSAv7 MPU
(8 regions) and STIR, read and written as QEMU does (values checked against
qemu-system-arm 7.2: CPUID 0x410fc231, CCR 0x200 at reset); on a Cortex-M0
(ARMv6-M) only those QEMU 7.2 gives it (V6M_NO_READ, V6M_NO_WRITE).

-d guest_errors: QEMU 7.2's "NVIC: Bad read/write offset" for a word with no
register, "NVIC: Bad read/write of size N" for a byte or halfword access to a
word-only register (read as 0, write ignored), and for SysTick's window the
bus's "invalid size" line (QEMU's SysTick region takes words only).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ..cpu.arm import excnum as X
from ..memory import BusError
from .base import Device, IrqLine

CPUID_M3 = 0x410FC231
CPUID_M0 = 0x410CC200
CCR_RESET = 0x200                  # STKALIGN
CCR_WRITABLE = 0x31B               # NONBASETHRDENA USERSETMPEND UNALIGN_TRP DIV_0_TRP BFHFNMIGN STKALIGN
VECTKEY = 0x05FA
MPU_REGIONS = 8
RASR_WRITABLE = 0x173FFF3F         # QEMU: DRACR (XN, AP, TEX, S, C, B) << 16 | DRSR (SRD, SIZE, ENABLE)
SCR_V7M_MASK = ~0xC & 0xFFFFFFFF   # QEMU keeps every bit but SLEEPDEEP(S) (RAZ/WI: no deep sleep)
#: -d guest_errors: word offsets QEMU 7.2 answers with 0 (no log), and word offsets whose
#: writes it ignores (no log); any other offset with no register is a bad offset
READ_AS_ZERO = (0xD3C, 0xF34, 0xF38, 0xF3C, 0xF40, 0xF44, 0xF48)   # AFSR; the FP registers (no FPU)
WRITE_IGNORED = (0xD3C, 0xD84, 0xD88, 0xD8C, 0xD90, 0xF34, 0xF38, 0xF3C,    # ... CSSELR, CPACR, NSACR; FP
                 0xF50) + tuple(range(0xF58, 0xF7C, 4))                    # cache maintenance
#: the bus's line for a SysTick access that is not a word (QEMU's region takes words only)
SYSTICK_BAD_SIZE = "Invalid %s at addr 0x%X, size %d, region 'systick', reason: invalid size (min:4 max:4)\n"
#: ARMv6-M (Cortex-M0) on QEMU 7.2: the registers of the Main Extension it lacks are bad
#: offsets (ICTR, SCR, SHCSR, HFSR, MMFAR, BFAR, the ID registers; CCR and STIR to write), CCR
#: reads UNALIGN_TRP and STKALIGN (RES1), SHPR1's priorities are RAZ/WI and
#: priorities have two bits (read off qemu-system-arm -M lm3s6965evb -cpu cortex-m0)
V6M_NO_READ = frozenset((0x004, 0xD10, 0xD24, 0xD2C, 0xD34, 0xD38) + tuple(range(0xD40, 0xD78, 4)))
V6M_NO_WRITE = frozenset((0x004, 0xD10, 0xD14, 0xD24, 0xD2C, 0xD34, 0xD38, 0xF00))
V6M_CCR = 0x208
V6M_PRIO_BITS = 2
#: the SCS's PrimeCell ID registers at 0xFE0-0xFFC, as QEMU 7.2's nvic_id
NVIC_ID = (0x00, 0xB0, 0x1B, 0x00, 0x0D, 0xE0, 0x05, 0xB1)

#: ID_PFR0 .. ID_ISAR5 at 0xD40, as qemu-system-arm 7.2 reads them for cortex-m3
ID_REGS_M3 = (0x30, 0x200, 0x100000, 0, 0x30, 0, 0, 0,
              0x01141110, 0x02111000, 0x21112231, 0x01111110, 0x01310102, 0)

# SHCSR bits: (active bit, exception), (pended bit, exception), enables
SHCSR_ACTIVE = ((0, X.MEM_MANAGE), (1, X.BUS_FAULT), (3, X.USAGE_FAULT), (7, X.SVCALL),
                (8, X.DEBUG_MONITOR), (10, X.PENDSV), (11, X.SYSTICK))
SHCSR_PENDED = ((12, X.USAGE_FAULT), (13, X.MEM_MANAGE), (14, X.BUS_FAULT), (15, X.SVCALL))
SHCSR_ENABLE = ((16, X.MEM_MANAGE), (17, X.BUS_FAULT), (18, X.USAGE_FAULT))


class ArmV7MNvic(Device):
    name = "armv7m_nvic"
    region_name = "nvic_sysregs"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("enabled", "pending", "active", "prio", "vtor", "prigroup", "scr", "ccr", "cfsr",
                    "hfsr", "dfsr", "mmfar", "bfar", "mpu_ctrl", "mpu_rnr", "mpu_rbar", "mpu_rasr", "levels")

    def __init__(self, cpu, num_irq: int = 32, prio_bits: int = 8, systick=None,
                 on_reset_request: Optional[Callable[[], None]] = None,
                 on_pending: Optional[Callable[[], None]] = None) -> None:
        if not 1 <= num_irq <= 496:
            raise ValueError("num_irq must be 1..496")
        self.cpu = cpu
        cpu.nvic = self
        self.v6m = getattr(cpu, "profile", "v7m") == "v6m"
        if self.v6m:
            prio_bits = V6M_PRIO_BITS       # QEMU 7.2 decides by the core (no num-prio-bits yet)
        self.num_irq = num_irq
        self.num_exc = X.FIRST_IRQ + num_irq
        self.prio_mask = (0xFF << (8 - prio_bits)) & 0xFF
        self.systick = systick
        self.on_reset_request = on_reset_request
        self.on_pending = on_pending
        self._lines = [IrqLine("irq%d" % n, self._sink(n)) for n in range(num_irq)]
        self.nmi = IrqLine("nmi", lambda level: level and self.set_pending(X.NMI))
        if systick is not None:
            systick.irq.connect(lambda level: level and self.set_pending(X.SYSTICK))
        self.levels = [0] * num_irq
        self.reset()

    # -- the board's side ----------------------------------------------------------------------
    def irq(self, n: int) -> IrqLine:
        """External interrupt ``n`` (exception 16 + n)."""
        return self._lines[n]

    def _sink(self, n: int) -> Callable[[int], None]:
        def sink(level: int) -> None:
            self.levels[n] = level
            if level:
                self.set_pending(X.FIRST_IRQ + n)
        return sink

    # -- exception state (m_helper's side) ------------------------------------------------------
    def reset(self) -> None:
        n = self.num_exc
        self.enabled = [0] * n
        self.pending = [0] * n
        self.active = [0] * n
        self.prio = [0] * n
        self.vtor = 0
        self.prigroup = 0
        self.scr = 0
        self.ccr = V6M_CCR if self.v6m else CCR_RESET
        self.cfsr = self.hfsr = self.dfsr = self.mmfar = self.bfar = 0
        self.mpu_ctrl = self.mpu_rnr = 0
        self.mpu_rbar = [0] * MPU_REGIONS
        self.mpu_rasr = [0] * MPU_REGIONS
        self.cpu.mpu_changed()
        for exc in (X.RESET, X.NMI, X.HARD_FAULT, X.SVCALL, X.PENDSV, X.SYSTICK):
            self.enabled[exc] = 1
        for i, level in enumerate(self.levels):
            if level:
                self.pending[X.FIRST_IRQ + i] = 1
        self._changed()

    def _changed(self) -> None:
        self._best: Any = False          # recomputed on demand
        self.cpu.ccr_flags = self._ccr_flags()

    def _ccr_flags(self) -> int:
        from ..cpu.arm.cpu import FLAG_DIV0_TRP, FLAG_UNALIGN_TRP
        return (FLAG_UNALIGN_TRP if self.ccr & 8 else 0) | (FLAG_DIV0_TRP if self.ccr & 16 else 0)

    def priority(self, exc: int) -> int:
        if exc <= X.HARD_FAULT:
            return (0, -3, -2, -1)[exc]
        return self.prio[exc]

    def group_priority_of(self, raw: int) -> int:
        """The group priority part of an 8-bit priority under PRIGROUP."""
        return raw & ~((2 << self.prigroup) - 1) & 0xFF

    def group_priority(self, exc: int) -> int:
        p = self.priority(exc)
        return p if p < 0 else self.group_priority_of(p)

    def mask_priority(self, v: int) -> int:
        return v & self.prio_mask

    def exception_enabled(self, exc: int) -> bool:
        return bool(self.enabled[exc])

    def active_group_priority(self) -> int:
        best = 256
        for exc in range(1, self.num_exc):
            if self.active[exc]:
                best = min(best, self.group_priority(exc))
        return best

    def active_count(self) -> int:
        return sum(self.active)

    def is_active(self, exc: int) -> bool:
        return 0 < exc < self.num_exc and bool(self.active[exc])

    def set_pending(self, exc: int) -> None:
        if not self.pending[exc]:
            self.pending[exc] = 1
            self._changed()
        cpu = self.cpu
        cpu.exit_request = True
        if self.on_pending is not None:
            self.on_pending()

    def clear_pending(self, exc: int) -> None:
        if self.pending[exc]:
            self.pending[exc] = 0
            self._changed()

    def pending_exception(self) -> Optional[int]:
        """The pending, enabled exception with the highest priority (lowest
        number on a tie): QEMU's vectpending. Cached until the state changes."""
        best = self._best
        if best is False:
            best = None
            key = None
            for exc in range(1, self.num_exc):
                if self.pending[exc] and (self.enabled[exc] or exc < X.FIRST_IRQ):
                    k = (self.priority(exc), exc)
                    if key is None or k < key:
                        best, key = exc, k
            self._best = best
        return best

    def activate(self, exc: int) -> None:
        self.pending[exc] = 0
        self.active[exc] = 1
        self._changed()

    def deactivate(self, exc: int) -> None:
        if 0 < exc < self.num_exc:
            self.active[exc] = 0
            irq = exc - X.FIRST_IRQ
            if irq >= 0 and self.levels[irq]:
                self.pending[exc] = 1     # level-sensitive: still asserted
            self._changed()

    def ccr_stkalign(self) -> int:
        return 1 if self.v6m else (self.ccr >> 9) & 1

    # -- registers ------------------------------------------------------------------------------
    def _user_refused(self, offset: int, write: bool) -> bool:
        """QEMU's nvic_user_access_ok: an unprivileged access (the CPU's data guard
        marked it) is a bus error, except STIR when CCR.USERSETMPEND allows it."""
        cpu = self.cpu
        if not cpu.scs_user:
            return False
        cpu.scs_user = False
        if cpu.privileged():
            return False        # a mark left by an access that never came (a debugger stop between)
        return not (write and offset == 0xF00 and self.ccr & 2)

    def _systick_size_ok(self, offset: int, size: int, is_write: bool) -> bool:
        """QEMU's SysTick region (0x10-0xef) takes word accesses only: any other
        width is refused as the bus refuses it (logged, a bus error)."""
        if size == 4:
            return True
        if self.guest_log is not None:
            self.guest_error(SYSTICK_BAD_SIZE, "write" if is_write else "read", offset - 0x10, size)
        raise BusError(offset, size, is_write, "v7m_systick does not accept %d-byte accesses" % size)

    def read(self, offset: int, size: int) -> int:
        if self.cpu.scs_user and self._user_refused(offset, False):
            raise BusError(offset, size, False, "unprivileged access to the SCS")
        if 0x10 <= offset < 0xF0 and self.systick is not None:
            self._systick_size_ok(offset, size, False)
            return self.systick.read(offset - 0x10, size)
        if 0x400 <= offset < 0x5F0 or 0xD18 <= offset < 0xD24:
            return self._read_bytes(offset, size)
        if size != 4 and not (0x100 <= offset < 0x340 or 0xD28 <= offset < 0xD2C):
            # QEMU 7.2: only these take byte and halfword reads
            self.guest_error("NVIC: Bad read of size %d at offset 0x%x\n", size, offset)
            return 0
        word = self._read_word(offset & ~3)
        if word is None:
            self.guest_error("NVIC: Bad read offset 0x%x\n", offset)
            return 0
        shift = 8 * (offset & 3)
        return (word >> shift) & ((1 << (8 * size)) - 1)

    def _read_bytes(self, offset: int, size: int) -> int:
        v = 0
        for i in range(size):
            exc = self._prio_exc(offset + i)
            v |= (self.prio[exc] if exc is not None else 0) << (8 * i)
        return v

    def _prio_exc(self, offset: int) -> Optional[int]:
        if 0x400 <= offset < 0x5F0:
            exc = X.FIRST_IRQ + offset - 0x400
        else:
            exc = 4 + offset - 0xD18
            if exc not in (X.MEM_MANAGE, X.BUS_FAULT, X.USAGE_FAULT, X.SVCALL, X.DEBUG_MONITOR,
                           X.PENDSV, X.SYSTICK):
                return None
            if self.v6m and exc < X.SVCALL:
                return None         # SHPR1: ARMv6-M has no configurable faults (RAZ/WI)
        return exc if exc < self.num_exc else None

    def _bits(self, table: List[int], base: int) -> int:
        v = 0
        for i in range(32):
            exc = X.FIRST_IRQ + base + i
            if exc < self.num_exc and table[exc]:
                v |= 1 << i
        return v

    def _read_word(self, offset: int) -> Optional[int]:
        """A register's value; None: there is none at ``offset``."""
        if self.v6m and offset in V6M_NO_READ:
            return None
        if offset == 0x004:
            return (self.num_irq + 31) // 32 - 1
        if 0x100 <= offset < 0x140:
            return self._bits(self.enabled, 8 * (offset - 0x100))
        if 0x180 <= offset < 0x1C0:
            return self._bits(self.enabled, 8 * (offset - 0x180))
        if 0x200 <= offset < 0x240:
            return self._bits(self.pending, 8 * (offset - 0x200))
        if 0x280 <= offset < 0x2C0:
            return self._bits(self.pending, 8 * (offset - 0x280))
        if 0x300 <= offset < 0x340:
            return self._bits(self.active, 8 * (offset - 0x300))
        if offset == 0xD00:
            return CPUID_M0 if self.v6m else CPUID_M3
        if offset == 0xD04:
            return self._icsr()
        if offset == 0xD08:
            return self.vtor
        if offset == 0xD0C:
            return (0xFA05 << 16) | (self.prigroup << 8)
        if offset == 0xD10:
            return self.scr
        if offset == 0xD14:
            return self.ccr
        if offset == 0xD24:
            return self._shcsr()
        if offset == 0xD28:
            return self.cfsr
        if offset == 0xD2C:
            return self.hfsr
        if offset == 0xD30:
            return self.dfsr
        if offset == 0xD34:
            return self.mmfar
        if offset == 0xD38:
            return self.bfar
        if 0xD40 <= offset < 0xD78 and not self.v6m:
            return ID_REGS_M3[(offset - 0xD40) // 4]
        if offset == 0xD90:
            return 0 if self.v6m else MPU_REGIONS << 8
        if offset == 0xD94:
            return self.mpu_ctrl
        if offset == 0xD98:
            return self.mpu_rnr
        if offset in (0xD9C, 0xDA4, 0xDAC, 0xDB4):
            return self.mpu_rbar[self.mpu_rnr] | self.mpu_rnr
        if offset in (0xDA0, 0xDA8, 0xDB0, 0xDB8):
            return self.mpu_rasr[self.mpu_rnr]
        if 0xFE0 <= offset < 0x1000:
            return NVIC_ID[(offset - 0xFE0) >> 2]
        if offset in READ_AS_ZERO or 0x300 <= offset < 0x340 or 0xD40 <= offset < 0xD90:
            return 0
        return None             # no register: a guest error

    def _icsr(self) -> int:
        cpu = self.cpu
        v = cpu.ipsr & 0x1FF
        others = [e for e in range(1, self.num_exc) if self.active[e] and e != cpu.ipsr]
        if not others:
            v |= 1 << 11                            # RETTOBASE
        pend = self.pending_exception()
        if pend is not None:
            v |= pend << 12
        if any(self.pending[X.FIRST_IRQ:]):
            v |= 1 << 22                            # ISRPENDING
        if self.pending[X.SYSTICK]:
            v |= 1 << 26
        if self.pending[X.PENDSV]:
            v |= 1 << 28
        if self.pending[X.NMI]:
            v |= 1 << 31
        return v

    def _shcsr(self) -> int:
        v = 0
        for bit, exc in SHCSR_ACTIVE:
            v |= self.active[exc] << bit
        for bit, exc in SHCSR_PENDED:
            v |= self.pending[exc] << bit
        for bit, exc in SHCSR_ENABLE:
            v |= self.enabled[exc] << bit
        return v

    def write(self, offset: int, size: int, value: int) -> None:
        if self.cpu.scs_user and self._user_refused(offset, True):
            raise BusError(offset, size, True, "unprivileged access to the SCS")
        if 0x10 <= offset < 0xF0 and self.systick is not None:
            self._systick_size_ok(offset, size, True)
            self.systick.write(offset - 0x10, size, value)
            return
        if 0x400 <= offset < 0x5F0 or 0xD18 <= offset < 0xD24:
            for i in range(size):
                exc = self._prio_exc(offset + i)
                if exc is not None:
                    self.prio[exc] = self.mask_priority(value >> (8 * i))
            self._changed()
            self.cpu.exit_request = True
            return
        if 0xD28 <= offset < 0xD2C:
            # CFSR: write-one-to-clear, any width
            self.cfsr &= ~(value << 8 * (offset & 3))
            return
        if 0x300 <= offset < 0x340:
            return          # IABR: read-only, any width, no complaint (QEMU 7.2)
        if 0x100 <= offset < 0x2C0 and size != 4:
            # ISER/ICER/ISPR/ICPR take bytes and halfwords too: the bits they cover
            self._write_word(offset & ~3, (value & ((1 << 8 * size) - 1)) << 8 * (offset & 3))
            self.cpu.exit_request = True
            return
        if size != 4:
            # the other registers are word-only: QEMU 7.2 ignores the rest, and says so
            self.guest_error("NVIC: Bad write of size %d at offset 0x%x\n", size, offset)
            return
        if not self._write_word(offset, value):
            self.guest_error("NVIC: Bad write offset 0x%x\n", offset)
        self.cpu.exit_request = True      # masks, priorities, CCR may have changed

    def _set_bits(self, table: List[int], base: int, value: int, on: int) -> None:
        for i in range(32):
            exc = X.FIRST_IRQ + base + i
            if value >> i & 1 and exc < self.num_exc:
                table[exc] = on
        self._changed()

    def _write_word(self, offset: int, value: int) -> bool:
        """Write a register; False: there is none at ``offset``."""
        if self.v6m and offset in V6M_NO_WRITE:
            return False
        if 0x100 <= offset < 0x140:
            self._set_bits(self.enabled, 8 * (offset - 0x100), value, 1)
        elif 0x180 <= offset < 0x1C0:
            self._set_bits(self.enabled, 8 * (offset - 0x180), value, 0)
        elif 0x200 <= offset < 0x240:
            self._set_bits(self.pending, 8 * (offset - 0x200), value, 1)
            if self.on_pending is not None:
                self.on_pending()
        elif 0x280 <= offset < 0x2C0:
            self._set_bits(self.pending, 8 * (offset - 0x280), value, 0)
        elif offset == 0xD04:
            self._write_icsr(value)
        elif offset == 0xD08:
            self.vtor = value & 0xFFFFFF80
        elif offset == 0xD0C:
            self._write_aircr(value)
        elif offset == 0xD10:
            self.scr = value & SCR_V7M_MASK
        elif offset == 0xD14:
            self.ccr = value & CCR_WRITABLE
            self._changed()
        elif offset == 0xD2C:
            self.hfsr &= ~value
        elif offset == 0xD24:
            for bit, exc in SHCSR_ACTIVE + SHCSR_PENDED:
                (self.active if (bit, exc) in SHCSR_ACTIVE else self.pending)[exc] = value >> bit & 1
            for bit, exc in SHCSR_ENABLE:
                self.enabled[exc] = value >> bit & 1
            self._changed()
        elif offset == 0xD30:
            self.dfsr &= ~value
        elif offset == 0xD34:
            self.mmfar = value
        elif offset == 0xD38:
            self.bfar = value
        elif 0xD94 <= offset < 0xDBC:
            self._write_mpu(offset, value)
        elif offset == 0xF00:
            exc = X.FIRST_IRQ + (value & 0x1FF)
            if exc < self.num_exc:
                self.set_pending(exc)
        elif offset not in WRITE_IGNORED:
            return False
        return True

    def _write_mpu(self, offset: int, value: int) -> None:
        """MPU_CTRL, MPU_RNR, MPU_RBAR/RASR and their A1-A3 aliases (which on
        ARMv7-M are the same registers), as QEMU's nvic_writel; Cortex-M0 has
        no regions (QEMU's pmsav7_dregion 0): only CTRL keeps what is written."""
        regions = 0 if self.v6m else MPU_REGIONS
        if offset == 0xD94:
            self.mpu_ctrl = value & 7
        elif offset == 0xD98:
            if value < regions:
                self.mpu_rnr = value
            else:
                self.guest_error("MPU region out of range %d/%d\n", value, regions)
            return
        elif offset in (0xD9C, 0xDA4, 0xDAC, 0xDB4):
            region = self.mpu_rnr
            if value & 0x10:                  # VALID: REGION selects the region (and sets RNR)
                region = value & 0xF
                if region >= regions:
                    self.guest_error("MPU region out of range %d/%d\n", region, regions)
                    return
                self.mpu_rnr = region
            if region >= regions:
                return
            self.mpu_rbar[region] = value & 0xFFFFFFE0
        elif offset in (0xDA0, 0xDA8, 0xDB0, 0xDB8):
            if self.mpu_rnr >= regions:
                return
            self.mpu_rasr[self.mpu_rnr] = value & RASR_WRITABLE
        else:
            return
        self.cpu.mpu_changed()

    def _write_icsr(self, value: int) -> None:
        if value >> 31 & 1:
            self.set_pending(X.NMI)
        if value >> 28 & 1:
            self.set_pending(X.PENDSV)
        elif value >> 27 & 1:
            self.clear_pending(X.PENDSV)
        if value >> 26 & 1:
            self.set_pending(X.SYSTICK)
        elif value >> 25 & 1:
            self.clear_pending(X.SYSTICK)

    def _write_aircr(self, value: int) -> None:
        if value >> 16 != VECTKEY:
            return
        if not self.v6m:
            self.prigroup = (value >> 8) & 7
        if value & 2:                   # VECTCLRACTIVE
            self.active = [0] * self.num_exc
            self.cpu.ipsr = 0
        self._changed()
        if value & 4 and self.on_reset_request is not None:   # SYSRESETREQ
            self.on_reset_request()

    # -- snapshots --------------------------------------------------------------------------------
    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._changed()
        self.cpu.mpu_changed()

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d.update(num_irq=self.num_irq, vtor=self.vtor, pending=self.pending_exception(),
                 active=[e for e in range(self.num_exc) if self.active[e]])
        return d
