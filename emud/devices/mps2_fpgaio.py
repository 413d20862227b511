"""MPS2 FPGA system control and I/O block, as QEMU's hw/misc/mps2-fpgaio.c
models it for the AN385 (2 LEDs, no switches, no DBGCTRL).

Registers: 0x00 LED0, 0x08 BUTTON (reads 0: buttons are not modelled),
0x10 CLK1HZ and 0x14 CLK100HZ (free-running counters of guest time, writable:
a write sets the count from now on), 0x18 COUNTER and 0x20 PSCNTR (a
prescaled cycle counter: PSCNTR counts down at ``prescale_clk`` and COUNTER
increments each time it reloads from 0x1C PRESCALE), 0x4C MISC (reads as
written). Everything else reads 0 and ignores writes.

-d guest_errors: QEMU 7.2's "MPS2 FPGAIO read/write: bad offset" messages.
"""
from __future__ import annotations

from typing import Any, Dict, List

from emud.devices.base import Device, IrqLine

NS = 1_000_000_000
MASK32 = 0xFFFFFFFF


class Mps2FpgaIO(Device):
    region_name = "mps2-fpgaio"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("led0", "prescale", "misc", "clk1hz_offset", "clk100hz_offset",
                    "counter", "pscntr", "pscntr_sync_ns")

    def __init__(self, clock, prescale_clk: int = 25_000_000, num_leds: int = 2,
                 name: str = "mps2-fpgaio") -> None:
        self.name = name
        self.clock = clock
        self.prescale_clk = prescale_clk
        self.num_leds = num_leds
        # the LEDs as output lines (QEMU's led devices): tests and the monitor watch them
        self.leds: List[IrqLine] = [IrqLine("%s.led%d" % (name, i)) for i in range(num_leds)]
        self.reset()

    def reset(self) -> None:
        now = self.clock.now_ns()
        self.led0 = 0
        self.prescale = 0
        self.misc = 0
        self.clk1hz_offset = now
        self.clk100hz_offset = now
        self.counter = 0
        self.pscntr = 0
        self.pscntr_sync_ns = now
        for led in self.leds:
            led.lower()

    def _resync(self) -> None:
        """Bring PSCNTR/COUNTER up to now: PSCNTR reloads from PRESCALE one
        tick after reaching 0, and COUNTER increments at that moment."""
        elapsed = self.clock.now_ns() - self.pscntr_sync_ns
        ticks = elapsed * self.prescale_clk // NS
        if ticks == 0:
            return
        if ticks < self.pscntr:
            self.pscntr -= ticks
        elif self.prescale == 0:
            self.counter = (self.counter + ticks - self.pscntr) & MASK32
            self.pscntr = 0
        else:
            y = ticks - self.pscntr + self.prescale
            self.pscntr = self.prescale - y % (self.prescale + 1)
            self.counter = (self.counter + y // (self.prescale + 1)) & MASK32
        # advance only to the last whole tick, so repeated reads lose no time
        self.pscntr_sync_ns += ticks * NS // self.prescale_clk

    def _clk(self, offset_ns: int, hz: int) -> int:
        return ((self.clock.now_ns() - offset_ns) * hz // NS) & MASK32

    def read(self, offset: int, size: int) -> int:
        if offset == 0x00:
            return self.led0
        if offset == 0x10:
            return self._clk(self.clk1hz_offset, 1)
        if offset == 0x14:
            return self._clk(self.clk100hz_offset, 100)
        if offset in (0x18, 0x20):
            self._resync()
            return self.counter if offset == 0x18 else self.pscntr
        if offset == 0x1C:
            return self.prescale
        if offset == 0x4C:
            return self.misc
        if offset != 0x08:      # BUTTON: no buttons modelled, reads 0
            self.guest_error("MPS2 FPGAIO read: bad offset %x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        now = self.clock.now_ns()
        if offset == 0x00:
            self.led0 = value & ((1 << self.num_leds) - 1)
            for i, led in enumerate(self.leds):
                led.set((value >> i) & 1)
        elif offset == 0x10:
            self.clk1hz_offset = now - value * NS
        elif offset == 0x14:
            self.clk100hz_offset = now - value * NS // 100
        elif offset in (0x18, 0x1C, 0x20):
            self._resync()
            if offset == 0x18:
                self.counter = value
            elif offset == 0x1C:
                self.prescale = value
            else:
                self.pscntr = value
        elif offset == 0x4C:
            self.misc = value
        else:
            self.guest_error("MPS2 FPGAIO write: bad offset 0x%x\n", offset)

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        for i, led in enumerate(self.leds):
            led.set((self.led0 >> i) & 1)
