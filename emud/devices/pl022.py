"""Arm PrimeCell PL022 synchronous serial port (the Stellaris SSI), as
QEMU 7.2's hw/ssi/pl022.c models it: the SPI master of an SsiBus
(emud/devices/ssi.py).

Registers: 0x00 CR0 (DSS sets the frame width: bitmask), 0x04 CR1 (LBM
loopback, SSE enable, MS), 0x08 DR, 0x0C SR (TFE, TNF, RNE, RFF, BSY),
0x10 CPSR, 0x14 IMSC, 0x18 RIS, 0x1C MIS, 0x20 ICR, 0x24 DMACR (reads 0),
0xFE0-0xFFC PrimeCell ID.

As QEMU: no line speed. A frame written to the 8-deep TX FIFO goes out at
once while the port is enabled, and its reply lands in the 8-deep RX FIFO;
transmission stalls while the RX FIFO is full (a driver that fills TX and
then drains RX works; one that lets RX overflow does not, as in QEMU), so
ROR never happens. RIS: RX when 4 or more frames wait, TX when 4 or fewer
are queued; ICR clears only ROR/RT, which are never set. Reset keeps
CR0/CR1/CPSR and the frame width (QEMU resets only the FIFOs, IMSC, RIS
and SR). Peripheral (slave) mode is not modelled: QEMU prints an error
and goes on as master.

-d guest_errors: QEMU's "pl022_read/pl022_write: Bad offset" messages.
"""
from __future__ import annotations

import sys
from typing import Any, Dict

from emud.devices.base import Device, IrqLine
from emud.devices.ssi import SsiBus

PL022_ID = (0x22, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1)
CR1_LBM, CR1_SSE, CR1_MS = 0x01, 0x02, 0x04
SR_TFE, SR_TNF, SR_RNE, SR_RFF, SR_BSY = 0x01, 0x02, 0x04, 0x08, 0x10
INT_ROR, INT_RT, INT_RX, INT_TX = 0x01, 0x02, 0x04, 0x08
DEPTH = 8


class Pl022(Device):
    region_name = "pl022"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("cr0", "cr1", "bitmask", "sr", "cpsr", "ris", "im", "tx_fifo_head",
                    "rx_fifo_head", "tx_fifo_len", "rx_fifo_len", "tx_fifo", "rx_fifo")

    def __init__(self, name: str = "ssi") -> None:
        self.name = name
        self.irq = IrqLine(name + ".irq")
        self.bus = SsiBus(name)
        # what reset leaves alone starts at zero, as QEMU's zeroed device state
        self.cr0 = self.cr1 = self.bitmask = self.cpsr = 0
        self.tx_fifo_head = self.rx_fifo_head = 0
        self.tx_fifo = [0] * DEPTH
        self.rx_fifo = [0] * DEPTH
        self.reset()

    def reset(self) -> None:
        self.rx_fifo_len = 0
        self.tx_fifo_len = 0
        self.im = 0
        self.ris = INT_TX
        self.sr = SR_TFE | SR_TNF
        for p in self.bus.peripherals:
            p.reset()

    def _update(self) -> None:
        tx, rx = self.tx_fifo_len, self.rx_fifo_len
        self.sr = ((SR_TFE if tx == 0 else 0) | (SR_TNF if tx != DEPTH else 0)
                   | (SR_RNE if rx != 0 else 0) | (SR_RFF if rx == DEPTH else 0)
                   | (SR_BSY if tx else 0))
        self.ris = (INT_RX if rx >= 4 else 0) | (INT_TX if tx <= 4 else 0)
        self.irq.set(self.ris & self.im)

    def _xfer(self) -> None:
        if self.cr1 & CR1_SSE:
            i = (self.tx_fifo_head - self.tx_fifo_len) & 7
            o = self.rx_fifo_head
            while self.tx_fifo_len and self.rx_fifo_len < DEPTH:
                val = self.tx_fifo[i]
                if not self.cr1 & CR1_LBM:
                    val = self.bus.transfer(val)
                self.rx_fifo[o] = val & self.bitmask
                i = (i + 1) & 7
                o = (o + 1) & 7
                self.tx_fifo_len -= 1
                self.rx_fifo_len += 1
            self.rx_fifo_head = o
        self._update()

    def read(self, offset: int, size: int) -> int:
        if 0xFE0 <= offset < 0x1000:
            return PL022_ID[(offset - 0xFE0) >> 2]
        if offset == 0x00:
            return self.cr0
        if offset == 0x04:
            return self.cr1
        if offset == 0x08:
            if not self.rx_fifo_len:
                return 0
            val = self.rx_fifo[(self.rx_fifo_head - self.rx_fifo_len) & 7]
            self.rx_fifo_len -= 1
            self._xfer()
            return val
        if offset == 0x0C:
            return self.sr
        if offset == 0x10:
            return self.cpsr
        if offset == 0x14:
            return self.im
        if offset == 0x18:
            return self.ris
        if offset == 0x1C:
            return self.im & self.ris
        if offset == 0x24:
            return 0
        self.guest_error("pl022_read: Bad offset %x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x00:
            self.cr0 = value
            self.bitmask = (1 << ((value & 15) + 1)) - 1     # clock rate and format ignored
        elif offset == 0x04:
            self.cr1 = value
            if value & (CR1_MS | CR1_SSE) == CR1_MS | CR1_SSE:
                # QEMU says so on stderr, whatever -d asks, and goes on as master
                sys.stderr.write("pl022: error: SPI peripheral mode not implemented\n")
            self._xfer()
        elif offset == 0x08:
            if self.tx_fifo_len < DEPTH:
                self.tx_fifo[self.tx_fifo_head] = value & self.bitmask
                self.tx_fifo_head = (self.tx_fifo_head + 1) & 7
                self.tx_fifo_len += 1
                self._xfer()
        elif offset == 0x10:
            self.cpsr = value & 0xFF                          # prescaler: ignored
        elif offset == 0x14:
            self.im = value
            self._update()
        elif offset == 0x20:
            self.ris &= ~(value & (INT_ROR | INT_RT))         # RX and TX are not cleared this way
        elif offset == 0x24:
            pass                                              # DMA: not modelled (QEMU: LOG_UNIMP)
        else:
            self.guest_error("pl022_write: Bad offset %x\n", offset)

    # the peripherals on the bus are part of the port's state (QEMU saves each on its own)
    def save_state(self) -> Dict[str, Any]:
        state = super().save_state()
        state["bus"] = [p.save_state() for p in self.bus.peripherals]
        return state

    def load_state(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        for p, s in zip(self.bus.peripherals, state.pop("bus", [])):
            p.load_state(s)
        super().load_state(state)
        self.irq.set(self.ris & self.im)
