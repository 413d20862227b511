"""RISC-V ACLINT: the machine-level software interrupt device (MSWI), the
machine timer (MTIMER) and the supervisor-level software interrupt device
(SSWI), as QEMU's hw/intc/riscv_aclint.c and virt map them.

virt puts MSWI at 0x2000000 (0x4000 bytes: ``msip`` of hart h at +4*h) and
MTIMER right after it at 0x2004000 (0x8000 bytes: ``mtimecmp`` of hart h at
+8*h, ``mtime`` at +0x7ff8). Together they are the CLINT the device tree
advertises; with ``-M virt,aclint=on`` the tree names them as the ACLINT's
MSWI and MTIMER instead, and SSWI joins them at 0x2f00000.

Time: ``mtime`` = guest ns * timebase / 1e9 + delta, where ``delta`` changes
when the guest writes ``mtime`` (QEMU's time_delta). Writing ``mtimecmp``
either raises MTIP at once (compare value already reached) or lowers it and
arms a clock timer for the guest instant the compare value is reached. Reset
writes mtime=0, so mtimecmp=0 makes MTIP pending straight away (mip=0x80 at
reset, as QEMU shows).

-d guest_errors: QEMU 7.2's MTIMER logs (LOG_GUEST_ERROR) an 8-byte write to
the high word of mtimecmp or of mtime ("aclint-mtimer: invalid timecmp_hi
write: %08x", "aclint-mtimer: invalid time_hi write: %08x", with no newline);
QEMU's CPU never makes one (it splits a misaligned store into bytes, which
the bus refuses), emud's can. Both devices also log an access for a hart that
does not exist, which cannot happen on virt; the registers they do not have
are LOG_UNIMP (QEMU's -d unimp, not an emud item), so no other message.
"""
from __future__ import annotations

from typing import Any, Dict, List

from emud.devices.base import Device, IrqLine

NS_PER_SEC = 1_000_000_000
MASK64 = (1 << 64) - 1
INT64_MAX = (1 << 63) - 1

SWI_SIZE = 0x4000
MTIMER_SIZE = 0x8000
DEFAULT_MTIMECMP = 0x0
DEFAULT_MTIME = 0x7FF8
DEFAULT_TIMEBASE_FREQ = 10_000_000


class AclintSwi(Device):
    """MSWI: one ``msip`` word per hart; bit 0 drives the hart's MSIP (mip bit 3)."""

    name = "aclint-swi"
    region_name = "riscv.aclint.swi"
    size = SWI_SIZE
    access_sizes = (4,)

    def __init__(self, num_harts: int = 1, name: str = "aclint-swi") -> None:
        self.name = name
        self.num_harts = num_harts
        self.msip_irqs: List[IrqLine] = [IrqLine("%s.msip%d" % (name, h)) for h in range(num_harts)]

    def read(self, offset: int, size: int) -> int:
        if offset < self.num_harts * 4 and offset & 3 == 0:
            return self.msip_irqs[offset >> 2].level
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < self.num_harts * 4 and offset & 3 == 0:
            self.msip_irqs[offset >> 2].set(value & 1)

    def reset(self) -> None:
        for line in self.msip_irqs:
            line.lower()

    def save_state(self) -> Dict[str, Any]:
        return {"msip": [line.level for line in self.msip_irqs]}

    def load_state(self, state: Dict[str, Any]) -> None:
        for line, level in zip(self.msip_irqs, state["msip"]):
            line.set(level)

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d["msip"] = [line.level for line in self.msip_irqs]
        return d


class AclintSswi(Device):
    """SSWI: one ``setssip`` word per hart. Writing 1 to bit 0 makes the
    hart's supervisor software interrupt (SSIP, mip bit 1) pending; writing 0
    does nothing and the word always reads 0 (the ACLINT spec's SETSSIP, and
    QEMU's riscv_aclint_swi with sswi=1: the hart clears SSIP itself, through
    mip/sip). Each write of 1 is a pulse on the hart's line, for a sink that
    latches the pending bit on the rising edge; the device keeps no state,
    so reset and snapshots have nothing to do.

    A hart without S-mode has no SSIP to set (mip.SSIP is read-only zero,
    privileged spec "Machine Interrupt Registers"): the machine then leaves
    the lines unconnected and the register does nothing, as on such a hart
    in hardware."""

    name = "aclint-sswi"
    region_name = "riscv.aclint.swi"
    size = SWI_SIZE
    access_sizes = (4,)

    def __init__(self, num_harts: int = 1, name: str = "aclint-sswi") -> None:
        self.name = name
        self.num_harts = num_harts
        self.ssip_irqs: List[IrqLine] = [IrqLine("%s.ssip%d" % (name, h)) for h in range(num_harts)]

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < self.num_harts * 4 and offset & 3 == 0 and value & 1:
            line = self.ssip_irqs[offset >> 2]
            line.raise_()
            line.lower()


class AclintMtimer(Device):
    """MTIMER: ``mtime`` and one ``mtimecmp`` per hart; drives MTIP (mip bit 7)."""

    name = "aclint-mtimer"
    region_name = "riscv.aclint.mtimer"
    size = MTIMER_SIZE
    access_sizes = (4, 8)

    def __init__(self, clock, num_harts: int = 1, timebase_freq: int = DEFAULT_TIMEBASE_FREQ,
                 timecmp_base: int = DEFAULT_MTIMECMP, time_base: int = DEFAULT_MTIME,
                 name: str = "aclint-mtimer") -> None:
        self.name = name
        self.clock = clock
        self.num_harts = num_harts
        self.timebase_freq = timebase_freq
        self.timecmp_base = timecmp_base
        self.time_base = time_base
        self.mtip_irqs: List[IrqLine] = [IrqLine("%s.mtip%d" % (name, h)) for h in range(num_harts)]
        self.timecmp = [0] * num_harts
        self.time_delta = 0
        self._timers = [None] * num_harts
        self.reset()

    # -- time -------------------------------------------------------------------
    def _raw_ticks(self) -> int:
        return (self.clock.now_ns() * self.timebase_freq // NS_PER_SEC) & MASK64

    def read_time(self) -> int:
        """mtime in ticks: what the hart's ``time``/``timeh`` CSRs read."""
        return (self._raw_ticks() + self.time_delta) & MASK64

    # -- compare -------------------------------------------------------------------
    def _write_timecmp(self, hart: int, value: int) -> None:
        value &= MASK64
        self.timecmp[hart] = value
        old = self._timers[hart]
        if old is not None:
            old.cancel()
            self._timers[hart] = None
        rtc = self.read_time()
        if value <= rtc:
            self.mtip_irqs[hart].raise_()
            return
        self.mtip_irqs[hart].lower()
        ns_diff = (value - rtc) * NS_PER_SEC // self.timebase_freq
        if ns_diff > INT64_MAX:
            return          # QEMU parks it at INT64_MAX ns: never, in practice
        deadline = min(self.clock.now_ns() + ns_diff, INT64_MAX)
        self._timers[hart] = self.clock.add_timer(deadline, lambda h=hart: self._expired(h))

    def _expired(self, hart: int) -> None:
        self._timers[hart] = None
        self.mtip_irqs[hart].raise_()

    def _set_time(self, value: int) -> None:
        self.time_delta = (value - self._raw_ticks()) & MASK64
        for h in range(self.num_harts):
            self._write_timecmp(h, self.timecmp[h])

    # -- registers --------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if self.timecmp_base <= offset < self.timecmp_base + 8 * self.num_harts:
            hart = (offset - self.timecmp_base) >> 3
            cmp_ = self.timecmp[hart]
            if offset & 7 == 0:
                return cmp_ & 0xFFFFFFFF if size == 4 else cmp_
            if offset & 7 == 4:
                return cmp_ >> 32
            return 0
        if offset == self.time_base:
            rtc = self.read_time()
            return rtc & 0xFFFFFFFF if size == 4 else rtc
        if offset == self.time_base + 4:
            return self.read_time() >> 32
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        value &= (1 << (8 * size)) - 1
        if self.timecmp_base <= offset < self.timecmp_base + 8 * self.num_harts:
            hart = (offset - self.timecmp_base) >> 3
            cur = self.timecmp[hart]
            if offset & 7 == 0:
                self._write_timecmp(hart, (cur & ~0xFFFFFFFF) | value if size == 4 else value)
            elif offset & 7 == 4:
                if size == 4:
                    self._write_timecmp(hart, (value << 32) | (cur & 0xFFFFFFFF))
                else:
                    self.guest_error("aclint-mtimer: invalid timecmp_hi write: %08x", offset)
            # other offsets: ignored, as QEMU (LOG_UNIMP)
            return
        if offset == self.time_base or offset == self.time_base + 4:
            rtc = self.read_time()
            if offset == self.time_base:
                self._set_time((rtc & ~0xFFFFFFFF) | value if size == 4 else value)
            elif size == 4:
                self._set_time((value << 32) | (rtc & 0xFFFFFFFF))
            else:
                self.guest_error("aclint-mtimer: invalid time_hi write: %08x", offset)

    def reset(self) -> None:
        # ACLINT spec: mtime clears on reset (QEMU writes mtime=0); mtimecmp
        # keeps its value (0 after power-on), so MTIP rises at once.
        self._set_time(0)

    # -- snapshots --------------------------------------------------------------------
    def save_state(self) -> Dict[str, Any]:
        return {"timecmp": list(self.timecmp), "time_delta": self.time_delta}

    def load_state(self, state: Dict[str, Any]) -> None:
        # restore the clock first (VirtualClock.load_state), then devices
        self.time_delta = state["time_delta"]
        for h, v in enumerate(state["timecmp"]):
            self._write_timecmp(h, v)

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d.update(mtime=self.read_time(), mtimecmp=list(self.timecmp),
                 mtip=[line.level for line in self.mtip_irqs], timebase=self.timebase_freq)
        return d
