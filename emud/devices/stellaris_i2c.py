"""Stellaris I2C master (QEMU 7.2's stellaris-i2c in hw/arm/stellaris.c),
with the bus it drives empty, as on lm3s6965evb (its OLED is on the SSI).

Registers: 0x00 MSA (slave address, bit 0 = receive), 0x04 MCS (control
on write, status on read: BUSY, ERROR, ADRACK, DATACK, ARBLST, IDLE,
BUSBSY), 0x08 MDR, 0x0C MTPR, 0x10 MIMR, 0x14 MRIS, 0x18 MMIS, 0x1C MICR,
0x20 MCR (bit 4 master enable).

As QEMU: no timing, so MCS always reads IDLE. With the master enabled, a
START on the empty bus finds no slave: QEMU's i2c_start_transfer fails,
which sets ARBLST, and as the bus was never taken ERROR too; the byte and
the STOP of that command are not done. (A slave would get the bytes; none
is modelled since the board has none.) A MIMR write sets the mask to 1
whatever is written (QEMU does so). Loopback and slave mode are not
modelled (QEMU: LOG_UNIMP). The block is reset when built, not by a system
reset, as QEMU's has no reset handler.

-d guest_errors: QEMU's "stellaris_i2c: read/write at bad offset" messages.
"""
from __future__ import annotations

from typing import Any, Dict

from emud.devices.base import Device, IrqLine

MCS_ERROR, MCS_ARBLST, MCS_IDLE, MCS_BUSBSY = 0x02, 0x10, 0x20, 0x40
MCR_MFE = 0x10
RUN, START, STOP = 0x01, 0x02, 0x04


class StellarisI2c(Device):
    region_name = "i2c"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("msa", "mcs", "mdr", "mtpr", "mimr", "mris", "mcr")

    def __init__(self, name: str = "i2c") -> None:
        self.name = name
        self.irq = IrqLine(name + ".irq")
        self.msa = self.mcs = self.mdr = self.mimr = self.mris = self.mcr = 0
        self.mtpr = 1

    def _update(self) -> None:
        self.irq.set(self.mris & self.mimr)

    def read(self, offset: int, size: int) -> int:
        if offset == 0x00:
            return self.msa
        if offset == 0x04:
            return self.mcs | MCS_IDLE
        if offset == 0x08:
            return self.mdr
        if offset == 0x0C:
            return self.mtpr
        if offset == 0x10:
            return self.mimr
        if offset == 0x14:
            return self.mris
        if offset == 0x18:
            return self.mris & self.mimr
        if offset == 0x20:
            return self.mcr
        self.guest_error("stellaris_i2c: read at bad offset 0x%x\n", offset)
        return 0

    def _control(self, value: int) -> None:
        if not self.mcr & MCR_MFE:
            return                                  # master disabled: nothing happens
        if value & START and not self.mcs & MCS_BUSBSY:
            self.mcs |= MCS_ARBLST                  # no slave answers the address
        # the bus is never ours: an error, and neither the byte nor the STOP is done
        self.mcs |= MCS_ERROR

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x00:
            self.msa = value & 0xFF
        elif offset == 0x04:
            self._control(value)
        elif offset == 0x08:
            self.mdr = value & 0xFF
        elif offset == 0x0C:
            self.mtpr = value & 0xFF
        elif offset == 0x10:
            self.mimr = 1                           # sic: QEMU 7.2 ignores the value
        elif offset == 0x1C:
            self.mris &= ~value
        elif offset == 0x20:
            self.mcr = value & 0x31
        else:
            self.guest_error("stellaris_i2c: write at bad offset 0x%x\n", offset)
        self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._update()
