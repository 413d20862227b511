"""Arm PrimeCell PL011 UART (and the Luminary variant), as QEMU 7.2's
hw/char/pl011.c models it.

Registers (offset): 0x000 DR, 0x004 RSR/ECR, 0x018 FR, 0x020 ILPR, 0x024
IBRD, 0x028 FBRD, 0x02C LCR_H, 0x030 CR, 0x034 IFLS, 0x038 IMSC, 0x03C RIS,
0x040 MIS, 0x044 ICR, 0x048 DMACR, 0xFE0-0xFFC peripheral/cell ID.

Transmit is instantaneous: a DR write sends the byte and latches the TX
interrupt (QEMU does not model the transmit FIFO nor check CR's enables).
Receive: a 16-entry FIFO when LCR_H.FEN is set, a single holding register
otherwise; the RX interrupt rises with the first byte (QEMU's trigger level
is always 1) and falls when a DR read leaves the FIFO empty. A break from
the backend queues a byte with the BE bit.

Outputs: the combined UARTINTR and, in QEMU's order, RX, TX, RT, MS, E.

-d guest_errors: QEMU 7.2's "pl011_read/pl011_write: Bad offset" messages
(a write to FR is ignored without one).
"""
from __future__ import annotations

from typing import Any, Dict, List

from emud.devices.base import Device, IrqLine
from emud.devices.serial_frontend import SerialFrontend

INT_OE, INT_BE, INT_PE, INT_FE = 1 << 10, 1 << 9, 1 << 8, 1 << 7
INT_RT, INT_TX, INT_RX = 1 << 6, 1 << 5, 1 << 4
INT_MS = 0xF
INT_E = INT_OE | INT_BE | INT_PE | INT_FE
FR_TXFE, FR_RXFF, FR_TXFF, FR_RXFE = 0x80, 0x40, 0x20, 0x10
LCR_FEN = 0x10
DR_BE = 1 << 10
FIFO_DEPTH = 16

PL011_ID_ARM = (0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1)
PL011_ID_LUMINARY = (0x11, 0x00, 0x18, 0x01, 0x0D, 0xF0, 0x05, 0xB1)

#: the interrupts each output carries: combined, RX, TX, RT, MS, E
_OUTPUT_MASKS = (INT_E | INT_MS | INT_RT | INT_TX | INT_RX, INT_RX, INT_TX, INT_RT, INT_MS, INT_E)


class Pl011(SerialFrontend, Device):
    region_name = "pl011"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("flags", "lcr", "rsr", "cr", "dmacr", "int_enabled", "int_level", "read_fifo",
                    "ilpr", "ibrd", "fbrd", "ifl", "read_pos", "read_count", "read_trigger")

    def __init__(self, chardev=None, luminary: bool = False, name: str = "pl011") -> None:
        self.name = name
        self.ident = PL011_ID_LUMINARY if luminary else PL011_ID_ARM
        self.irqs: List[IrqLine] = [IrqLine("%s.%s" % (name, n)) for n in ("intr", "rx", "tx", "rt", "ms", "e")]
        self.irq = self.irqs[0]
        self.reset()
        self.init_serial(chardev)

    def reset(self) -> None:
        self.lcr = 0
        self.rsr = 0
        self.dmacr = 0
        self.int_enabled = 0
        self.int_level = 0
        self.ilpr = 0
        self.ibrd = 0
        self.fbrd = 0
        self.read_trigger = 1
        self.ifl = 0x12
        self.cr = 0x300
        self.flags = FR_RXFE | FR_TXFE
        self.read_fifo = [0] * FIFO_DEPTH
        self.read_pos = 0
        self.read_count = 0
        self._update()

    def _update(self) -> None:
        pending = self.int_level & self.int_enabled
        for line, mask in zip(self.irqs, _OUTPUT_MASKS):
            line.set(pending & mask)

    def _fifo_depth(self) -> int:
        return FIFO_DEPTH if self.lcr & LCR_FEN else 1

    # -- registers ------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if 0xFE0 <= offset < 0x1000:
            return self.ident[(offset - 0xFE0) >> 2]
        reg = offset >> 2
        if reg == 0:
            return self._read_dr()
        value = {1: self.rsr, 6: self.flags, 8: self.ilpr, 9: self.ibrd, 10: self.fbrd, 11: self.lcr,
                 12: self.cr, 13: self.ifl, 14: self.int_enabled, 15: self.int_level,
                 16: self.int_level & self.int_enabled, 18: self.dmacr}.get(reg)
        if value is None:
            self.guest_error("pl011_read: Bad offset 0x%x\n", offset)
            return 0
        return value

    def _read_dr(self) -> int:
        self.flags &= ~FR_RXFF
        c = self.read_fifo[self.read_pos]
        if self.read_count > 0:
            self.read_count -= 1
            self.read_pos = (self.read_pos + 1) % FIFO_DEPTH
        if self.read_count == 0:
            self.flags |= FR_RXFE
        if self.read_count == self.read_trigger - 1:
            self.int_level &= ~INT_RX
        self.rsr = c >> 8
        self._update()
        self.accept_input()
        return c

    def write(self, offset: int, size: int, value: int) -> None:
        reg = offset >> 2
        if reg == 0:
            self.send(bytes((value & 0xFF,)))
            self.int_level |= INT_TX
            self._update()
        elif reg == 1:
            self.rsr = 0
        elif reg == 8:
            self.ilpr = value
        elif reg == 9:
            self.ibrd = value
        elif reg == 10:
            self.fbrd = value
        elif reg == 11:
            if (self.lcr ^ value) & LCR_FEN:     # toggling the FIFO empties it
                self.read_count = 0
                self.read_pos = 0
            self.lcr = value
            self.read_trigger = 1
        elif reg == 12:
            self.cr = value
        elif reg == 13:
            self.ifl = value
            self.read_trigger = 1
        elif reg == 14:
            self.int_enabled = value
            self._update()
        elif reg == 17:
            self.int_level &= ~value
            self._update()
        elif reg == 18:
            self.dmacr = value
        elif reg != 6:          # FR: writes ignored
            self.guest_error("pl011_write: Bad offset 0x%x\n", offset)

    # -- receive side (the chardev calls these) ----------------------------------------------
    def can_receive(self) -> int:
        return max(0, self._fifo_depth() - self.read_count)

    def receive(self, data: bytes) -> None:
        for b in data:
            self._put_fifo(b)

    def receive_break(self) -> None:
        self._put_fifo(DR_BE)

    def _put_fifo(self, value: int) -> None:
        slot = (self.read_pos + self.read_count) % FIFO_DEPTH
        self.read_fifo[slot] = value
        self.read_count += 1
        self.flags &= ~FR_RXFE
        if self.read_count >= self._fifo_depth():
            self.flags |= FR_RXFF
        if self.read_count == self.read_trigger:
            self.int_level |= INT_RX
            self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._update()

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d.update(cr=self.cr, lcr=self.lcr, flags=self.flags, imsc=self.int_enabled, ris=self.int_level,
                 rx_pending=self.read_count)
        return d
