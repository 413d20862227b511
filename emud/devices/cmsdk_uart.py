"""ARM CMSDK APB UART, as QEMU's hw/char/cmsdk-apb-uart.c models it.

Registers: 0x00 DATA, 0x04 STATE (TXFULL, RXFULL, TXOVERRUN, RXOVERRUN; the
overruns W1C), 0x08 CTRL (TX_EN, RX_EN, TX/RX/TXO/RXO interrupt enables,
HSTEST), 0x0C INTSTATUS (W1C), 0x10 BAUDDIV, 0xFD0-0xFFC PID/CID.

Transmit is instantaneous, as in QEMU with a backend that takes the byte:
a DATA write sets TXFULL and, if TX is enabled, the byte goes out at once,
TXFULL clears and (with TX_INTEN) the TX interrupt latches in INTSTATUS.
With TX disabled the byte waits in the buffer (TXFULL stays set) and a
second write is a TX overrun, exactly as QEMU keeps it. Receive takes one
byte at a time while RX is enabled and the buffer is empty.

Interrupt outputs (QEMU's order): TX, RX, TX overrun, RX overrun, and the
combined UARTINT. The overrun interrupts are STATE's overrun bits gated by
their enables, recomputed on every update.

-d guest_errors: QEMU 7.2's messages for a bad offset, a write to PID/CID
and TX enabled with BAUDDIV outside 16..PCLK.
"""
from __future__ import annotations

from typing import Any, Dict, List

from emud.devices.base import Device, IrqLine
from emud.devices.serial_frontend import SerialFrontend

STATE_TXFULL, STATE_RXFULL, STATE_TXOVR, STATE_RXOVR = 1, 2, 4, 8
CTRL_TX_EN, CTRL_RX_EN, CTRL_TX_INTEN, CTRL_RX_INTEN = 1, 2, 4, 8
INT_TX, INT_RX, INT_TXO, INT_RXO = 1, 2, 4, 8

#: PID4..PID7, PID0..PID3, CID0..CID3 at 0xFD0..0xFFC
CMSDK_UART_ID = (0x04, 0x00, 0x00, 0x00, 0x21, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1)


def id_register(ident, offset: int) -> int:
    """PrimeCell-style ID words at 0xFD0-0xFFC (0 at unaligned offsets)."""
    if offset & 3:
        return 0
    return ident[(offset - 0xFD0) >> 2]


class CmsdkUart(SerialFrontend, Device):
    region_name = "uart"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("state", "ctrl", "intstatus", "bauddiv", "txbuf", "rxbuf")

    def __init__(self, chardev=None, pclk_hz: int = 25_000_000, name: str = "uart") -> None:
        self.name = name
        self.pclk_hz = pclk_hz
        self.txint = IrqLine(name + ".tx")
        self.rxint = IrqLine(name + ".rx")
        self.txovrint = IrqLine(name + ".txovr")
        self.rxovrint = IrqLine(name + ".rxovr")
        self.uartint = IrqLine(name + ".int")
        self.reset()
        self.init_serial(chardev)

    def reset(self) -> None:
        self.state = 0
        self.ctrl = 0
        self.intstatus = 0
        self.bauddiv = 0
        self.txbuf = 0
        self.rxbuf = 0
        self._update()

    def _update(self) -> None:
        overruns = INT_TXO | INT_RXO
        self.intstatus = (self.intstatus & ~overruns) | (self.state & (self.ctrl >> 2) & overruns)
        self.txint.set(self.intstatus & INT_TX)
        self.rxint.set(self.intstatus & INT_RX)
        self.txovrint.set(self.intstatus & INT_TXO)
        self.rxovrint.set(self.intstatus & INT_RXO)
        self.uartint.set(self.intstatus)

    def _transmit(self) -> None:
        if not (self.ctrl & CTRL_TX_EN) or not (self.state & STATE_TXFULL):
            return
        self.send(bytes((self.txbuf,)))
        self.state &= ~STATE_TXFULL
        if self.ctrl & CTRL_TX_INTEN:
            self.intstatus |= INT_TX
        self._update()

    # -- registers ----------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset == 0x00:
            self.state &= ~STATE_RXFULL
            self._update()
            self.accept_input()
            return self.rxbuf
        if offset == 0x04:
            return self.state
        if offset == 0x08:
            return self.ctrl
        if offset == 0x0C:
            return self.intstatus
        if offset == 0x10:
            return self.bauddiv
        if 0xFD0 <= offset <= 0xFFC:
            return id_register(CMSDK_UART_ID, offset)
        self.guest_error("CMSDK APB UART read: bad offset %x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x00:
            self.txbuf = value & 0xFF
            if self.state & STATE_TXFULL:
                # the byte waiting is overwritten: QEMU notes the overrun
                self.state |= STATE_TXOVR
                self._update()
            else:
                self.state |= STATE_TXFULL
                self._transmit()
        elif offset == 0x04:
            self.state &= ~(value & (STATE_TXOVR | STATE_RXOVR))
            self._update()
        elif offset == 0x08:
            self.ctrl = value & 0x7F
            if self.ctrl & CTRL_TX_EN and not 16 <= self.bauddiv <= self.pclk_hz:
                self.guest_error("CMSDK APB UART: Tx enabled with invalid baudrate\n")
            self._update()     # a byte waiting since TX was off stays there, as in QEMU
        elif offset == 0x0C:
            self.state &= ~(value & (INT_TXO | INT_RXO))
            self.intstatus &= ~value
            self._update()
        elif offset == 0x10:
            self.bauddiv = value & 0xFFFFF
        elif 0xFD0 <= offset <= 0xFFC:
            self.guest_error("CMSDK APB UART write: write to RO offset 0x%x\n", offset)
        else:
            self.guest_error("CMSDK APB UART write: bad offset 0x%x\n", offset)

    # -- receive side (the chardev calls these) -------------------------------------------------
    def can_receive(self) -> int:
        return 1 if (self.ctrl & CTRL_RX_EN) and not (self.state & STATE_RXFULL) else 0

    def receive(self, data: bytes) -> None:
        for b in data:
            if not (self.ctrl & CTRL_RX_EN):
                return
            if self.state & STATE_RXFULL:
                self.state |= STATE_RXOVR
            self.rxbuf = b
            self.state |= STATE_RXFULL
            if self.ctrl & CTRL_RX_INTEN:
                self.intstatus |= INT_RX
            self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._update()

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d.update(state=self.state, ctrl=self.ctrl, intstatus=self.intstatus, bauddiv=self.bauddiv)
        return d
