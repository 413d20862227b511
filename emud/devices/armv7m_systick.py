"""The ARMv7-M SysTick timer (B3.3), as QEMU 7.2's hw/timer/armv7m_systick.c.

Registers (offsets from 0xE000E010; the NVIC forwards them here): CSR
(ENABLE, TICKINT, CLKSOURCE, COUNTFLAG), RVR (24-bit reload), CVR (current
value; any write clears it and COUNTFLAG), CALIB (TENMS from the reference
clock, or NOREF without one).

Interface for boards::

    systick = ArmV7MSysTick(machine.clock, cpu_hz=25_000_000, ref_hz=1_000_000)
    systick.set_cpu_clock_hz(hz)   # a board whose system clock changes (Stellaris RCC)

``cpu_hz`` drives the counter when CSR.CLKSOURCE = 1, ``ref_hz`` when it is 0;
``ref_hz=None`` means no reference clock: CLKSOURCE reads as 1 and CALIB as
NOREF (0x80000000), as on QEMU's lm3s6965evb. ``irq`` pulses once per wrap
when TICKINT is set; the NVIC it is given to connects it to exception 15.

Counting, as QEMU's ptimer policy for SysTick: a counter at 0 that is
enabled loads RVR at the next tick; the wrap (COUNTFLAG, the interrupt) is
the tick that reaches 0, so the period is RVR + 1 ticks; RVR = 0 stops it.

-d guest_errors: QEMU 7.2's "SysTick: Bad read/write offset" (a write to
CALIB included); the NVIC logs the widths SysTick refuses.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from .base import Device, IrqLine

NS = 1_000_000_000
CSR_ENABLE, CSR_TICKINT, CSR_CLKSOURCE, CSR_COUNTFLAG = 1, 2, 4, 1 << 16
CALIB_NOREF = 1 << 31


class ArmV7MSysTick(Device):
    name = "armv7m_systick"
    region_name = "systick"     # what QEMU's messages quote (its map shows the alias, v7m_systick)
    size = 0x10
    access_sizes = (4,)

    def __init__(self, clock, cpu_hz: int, ref_hz: Optional[int] = None) -> None:
        self.clock = clock
        self.cpu_hz = int(cpu_hz)
        self.ref_hz = int(ref_hz) if ref_hz else None
        self.irq = IrqLine("systick")
        self._timer = None
        self.reset()

    # -- counting ----------------------------------------------------------------------------
    def _hz(self) -> int:
        return self.cpu_hz if self.csr & CSR_CLKSOURCE or self.ref_hz is None else self.ref_hz

    def _running(self) -> bool:
        return bool(self.csr & CSR_ENABLE) and (self.start_value or self.rvr)

    def _ticks(self) -> int:
        return (self.clock.now_ns() - self.start_ns) * self._hz() // NS

    def _first_zero(self) -> int:
        return self.start_value or self.rvr + 1

    def _position(self, ticks: int):
        """(counter value, wraps so far) ``ticks`` after the last restart."""
        if ticks == 0 or not self._running():
            return self.start_value, 0
        z = self._first_zero()
        if ticks < z:
            return z - ticks, 0
        if self.rvr == 0:
            return 0, 1
        period = self.rvr + 1
        m = (ticks - z) % period
        return (0 if m == 0 else period - m), 1 + (ticks - z) // period

    def _current(self) -> int:
        return self._position(self._ticks())[0]

    def _restart(self, value: int) -> None:
        """Count on from ``value`` now (after any change of rate, reload or enable)."""
        self.start_value = value & 0xFFFFFF
        self.start_ns = self.clock.now_ns()
        self.wraps = 0
        self._arm()

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._running():
            return
        if self.wraps and self.rvr == 0:
            return
        ticks = self._first_zero() + self.wraps * (self.rvr + 1)
        hz = self._hz()
        deadline = self.start_ns + (ticks * NS + hz - 1) // hz
        self._timer = self.clock.add_timer(deadline, self._expired)

    def _catch_up(self) -> bool:
        """Count the wraps that happened by now; True if there were new ones."""
        if not self._running():
            return False
        wraps = self._position(self._ticks())[1]
        if wraps <= self.wraps:
            return False
        self.wraps = wraps
        self.countflag = 1
        return True

    def _expired(self) -> None:
        self._timer = None
        if self._catch_up() and self.csr & CSR_TICKINT:
            self.irq.raise_()
            self.irq.lower()
        self._arm()

    def set_cpu_clock_hz(self, hz: int) -> None:
        """The processor clock changed (a board's clock tree)."""
        value = self._current()
        self.cpu_hz = int(hz)
        self._restart(value)

    # -- registers -----------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset == 0x0:
            self._catch_up()
            v = self.csr | (self.countflag << 16)
            if self.ref_hz is None:
                v |= CSR_CLKSOURCE
            self.countflag = 0
            return v
        if offset == 0x4:
            return self.rvr
        if offset == 0x8:
            return self._current()
        if offset == 0xC:
            if self.ref_hz is None:
                return CALIB_NOREF
            return (self.ref_hz // 100 - 1) & 0xFFFFFF
        self.guest_error("SysTick: Bad read offset 0x%x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x0:
            value &= CSR_ENABLE | CSR_TICKINT | CSR_CLKSOURCE
            if self.ref_hz is None:
                value |= CSR_CLKSOURCE
            current = self._current()
            self.csr = value
            self._restart(current)
        elif offset == 0x4:
            current = self._current()
            self.rvr = value & 0xFFFFFF
            self._restart(current)
        elif offset == 0x8:
            self.countflag = 0
            self._restart(0)
        else:       # CALIB is read-only: QEMU 7.2 calls its write a bad offset too
            self.guest_error("SysTick: Bad write offset 0x%x\n", offset)

    def reset(self) -> None:
        self.csr = CSR_CLKSOURCE if self.ref_hz is None else 0
        self.rvr = 0
        self.countflag = 0
        self.start_value = 0
        self.start_ns = self.clock.now_ns()
        self.wraps = 0
        self._arm()

    # -- snapshots -------------------------------------------------------------------------------
    def save_state(self) -> Dict[str, Any]:
        return {"csr": self.csr, "rvr": self.rvr, "countflag": self.countflag, "cvr": self._current(),
                "cpu_hz": self.cpu_hz}

    def load_state(self, state: Dict[str, Any]) -> None:
        self.csr, self.rvr, self.countflag = state["csr"], state["rvr"], state["countflag"]
        self.cpu_hz = state["cpu_hz"]
        self._restart(state["cvr"])

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d.update(csr=self.csr, rvr=self.rvr, cvr=self._current(), hz=self._hz())
        return d
