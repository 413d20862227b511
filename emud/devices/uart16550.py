"""ns16550a UART, as QEMU's hw/char/serial.c models it (virt: regshift 0).

Theory of operation: transmit is instantaneous (our chardev backends buffer
and never refuse a byte), so a THR write sends the byte at once and THRE/TEMT
come straight back, raising the THR-empty interrupt again when enabled - the
same thing QEMU shows when its backend accepts the byte. Receive comes from
the chardev, which asks :meth:`can_receive` first (back-pressure: one byte
without FIFO, up to the trigger level with FIFO) and then calls
:meth:`receive`. A guest read of RBR tells the chardev to offer more input.

Registers (offset, DLAB=0 / DLAB=1):
  0 RBR(r)/THR(w) / DLL   1 IER / DLM   2 IIR(r)/FCR(w)   3 LCR
  4 MCR   5 LSR   6 MSR   7 SCR

The interrupt identification follows QEMU's priority order: receiver line
status, character timeout, received data (at the FIFO trigger level), THR
empty, modem status.

-d guest_errors: QEMU 7.2's serial.c logs nothing (every offset is a
register); only the bus speaks, of the accesses around the 8-byte region.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from emud.devices.base import Device, IrqLine

LCR_DLAB = 0x80

IER_MSI = 0x08
IER_RLSI = 0x04
IER_THRI = 0x02
IER_RDI = 0x01

IIR_NO_INT = 0x01
IIR_ID = 0x06
IIR_MSI = 0x00
IIR_THRI = 0x02
IIR_RDI = 0x04
IIR_RLSI = 0x06
IIR_CTI = 0x0C
IIR_FE = 0xC0

MCR_LOOP = 0x10
MCR_OUT2 = 0x08

MSR_DCD = 0x80
MSR_DSR = 0x20
MSR_CTS = 0x10
MSR_ANY_DELTA = 0x0F

LSR_TEMT = 0x40
LSR_THRE = 0x20
LSR_BI = 0x10
LSR_OE = 0x02
LSR_DR = 0x01
LSR_INT_ANY = 0x1E

FCR_FE = 0x01
FCR_RFR = 0x02
FCR_XFR = 0x04

FIFO_LENGTH = 16
ITL_BYTES = {0x00: 1, 0x40: 4, 0x80: 8, 0xC0: 14}

VIRT_BAUDBASE = 399193   # hw/riscv/virt.c passes this to serial_mm_init


class Uart16550(Device):
    name = "uart"
    region_name = "serial"
    size = 8
    # QEMU 7.2's serial_mm accepts 1..8-byte accesses; each reads or writes
    # the one byte-wide register at the offset.
    access_sizes = (1, 2, 4, 8)
    state_fields = ("rbr", "thr", "tsr", "ier", "iir", "lcr", "mcr", "lsr", "msr", "scr",
                    "fcr", "divider", "recv_fifo", "xmit_fifo", "recv_fifo_itl",
                    "thr_ipending", "timeout_ipending", "char_transmit_time")

    def __init__(self, chardev=None, clock=None, baudbase: int = VIRT_BAUDBASE,
                 name: str = "uart") -> None:
        """``chardev``: a backend from :mod:`emud.chardev` (or None: output is
        dropped). ``clock``: the VirtualClock, used for the FIFO character
        timeout interrupt (None: no timeout interrupts)."""
        self.name = name
        self.irq = IrqLine(name + ".irq")
        self.clock = clock
        self.baudbase = baudbase
        # The monitor listens here: called with the bytes the guest transmits.
        self.output_listeners: List[Callable[[bytes], None]] = []
        self.chardev = None
        self._timeout_timer = None
        self.reset()
        if chardev is not None:
            self.set_chardev(chardev)

    # -- wiring ---------------------------------------------------------------
    def set_chardev(self, chardev) -> None:
        self.chardev = chardev
        chardev.attach(self)

    # -- reset ------------------------------------------------------------------
    def reset(self) -> None:
        self.rbr = 0
        self.thr = 0
        self.tsr = 0
        self.ier = 0
        self.iir = IIR_NO_INT
        self.lcr = 0
        self.lsr = LSR_TEMT | LSR_THRE
        # our backends have no modem lines: QEMU then keeps DCD|DSR|CTS
        self.msr = MSR_DCD | MSR_DSR | MSR_CTS
        self.divider = 0x0C
        self.mcr = MCR_OUT2
        self.scr = 0
        self.fcr = 0
        self.recv_fifo = bytearray()
        self.xmit_fifo = bytearray()
        self.recv_fifo_itl = 1
        self.thr_ipending = 0
        self.timeout_ipending = 0
        self.char_transmit_time = (1_000_000_000 // 9600) * 10
        self._cancel_timeout()
        self.irq.lower()

    # -- interrupt logic ----------------------------------------------------------
    def _update_irq(self) -> None:
        iir = IIR_NO_INT
        if (self.ier & IER_RLSI) and (self.lsr & LSR_INT_ANY):
            iir = IIR_RLSI
        elif (self.ier & IER_RDI) and self.timeout_ipending:
            iir = IIR_CTI
        elif ((self.ier & IER_RDI) and (self.lsr & LSR_DR)
              and (not (self.fcr & FCR_FE) or len(self.recv_fifo) >= self.recv_fifo_itl)):
            iir = IIR_RDI
        elif (self.ier & IER_THRI) and self.thr_ipending:
            iir = IIR_THRI
        elif (self.ier & IER_MSI) and (self.msr & MSR_ANY_DELTA):
            iir = IIR_MSI
        self.iir = iir | (self.iir & 0xF0)
        self.irq.set(iir != IIR_NO_INT)

    def _update_parameters(self) -> None:
        if self.divider == 0 or self.divider > self.baudbase:
            return
        frame = 1 + (1 if self.lcr & 0x08 else 0) + ((self.lcr & 0x03) + 5) + (2 if self.lcr & 0x04 else 1)
        speed = self.baudbase // self.divider
        self.char_transmit_time = (1_000_000_000 // speed) * frame

    # -- FIFO character timeout (QEMU's fifo_timeout_timer) -----------------------
    def _cancel_timeout(self) -> None:
        if self._timeout_timer is not None:
            self._timeout_timer.cancel()
            self._timeout_timer = None

    def _arm_timeout(self, deadline: Optional[int] = None) -> None:
        if self.clock is None:
            return
        self._cancel_timeout()
        if deadline is None:
            deadline = self.clock.now_ns() + self.char_transmit_time * 4
        self._timeout_timer = self.clock.add_timer(deadline, self._timeout_fired)

    def _timeout_fired(self) -> None:
        self._timeout_timer = None
        if self.recv_fifo:
            self.timeout_ipending = 1
            self._update_irq()

    # -- transmit -------------------------------------------------------------------
    def _xmit(self) -> None:
        while True:
            if self.fcr & FCR_FE:
                self.tsr = self.xmit_fifo.pop(0)
                if not self.xmit_fifo:
                    self.lsr |= LSR_THRE
            else:
                self.tsr = self.thr
                self.lsr |= LSR_THRE
            if (self.lsr & LSR_THRE) and not self.thr_ipending:
                self.thr_ipending = 1
                self._update_irq()
            if self.mcr & MCR_LOOP:
                self._receive_bytes(bytes((self.tsr,)))
            else:
                data = bytes((self.tsr,))
                if self.chardev is not None:
                    self.chardev.write(data)
                for listener in self.output_listeners:
                    listener(data)
            if self.lsr & LSR_THRE:
                break
        self.lsr |= LSR_TEMT

    # -- register access ----------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        handler = _READS[offset & 7]
        return handler(self)

    def write(self, offset: int, size: int, value: int) -> None:
        value &= (1 << (8 * size)) - 1
        _WRITES[offset & 7](self, value)

    def _read_rbr(self) -> int:
        if self.lcr & LCR_DLAB:
            return self.divider & 0xFF
        if self.fcr & FCR_FE:
            ret = self.recv_fifo.pop(0) if self.recv_fifo else 0
            if not self.recv_fifo:
                self.lsr &= ~(LSR_DR | LSR_BI)
            else:
                self._arm_timeout()
            self.timeout_ipending = 0
        else:
            ret = self.rbr
            self.lsr &= ~(LSR_DR | LSR_BI)
        self._update_irq()
        if not (self.mcr & MCR_LOOP) and self.chardev is not None:
            accept = getattr(self.chardev, "accept_input", None)
            if accept is not None:
                accept()
        return ret

    def _read_ier(self) -> int:
        return (self.divider >> 8) & 0xFF if self.lcr & LCR_DLAB else self.ier

    def _read_iir(self) -> int:
        ret = self.iir
        if (ret & IIR_ID) == IIR_THRI:
            self.thr_ipending = 0
            self._update_irq()
        return ret

    def _read_lcr(self) -> int:
        return self.lcr

    def _read_mcr(self) -> int:
        return self.mcr

    def _read_lsr(self) -> int:
        ret = self.lsr
        if self.lsr & (LSR_BI | LSR_OE):
            self.lsr &= ~(LSR_BI | LSR_OE)
            self._update_irq()
        return ret

    def _read_msr(self) -> int:
        if self.mcr & MCR_LOOP:
            # loopback: modem outputs feed the inputs
            return ((self.mcr & 0x0C) << 4) | ((self.mcr & 0x02) << 3) | ((self.mcr & 0x01) << 5)
        ret = self.msr
        if self.msr & MSR_ANY_DELTA:
            self.msr &= 0xF0
            self._update_irq()
        return ret

    def _read_scr(self) -> int:
        return self.scr

    def _write_thr(self, value: int) -> None:
        if self.lcr & LCR_DLAB:
            self.divider = ((self.divider & 0xFF00) | value) & 0xFFFF
            self._update_parameters()
            return
        self.thr = value & 0xFF
        if self.fcr & FCR_FE:
            if len(self.xmit_fifo) >= FIFO_LENGTH:   # overrun overwrites
                self.xmit_fifo.pop(0)
            self.xmit_fifo.append(self.thr)
        self.thr_ipending = 0
        self.lsr &= ~(LSR_THRE | LSR_TEMT)
        self._update_irq()
        self._xmit()

    def _write_ier(self, value: int) -> None:
        if self.lcr & LCR_DLAB:
            self.divider = ((self.divider & 0x00FF) | (value << 8)) & 0xFFFF
            self._update_parameters()
            return
        changed = (self.ier ^ value) & 0x0F
        self.ier = value & 0x0F
        # QEMU: enabling THRI while THR is empty raises the interrupt even if
        # an IIR read had acknowledged it (Windows relies on this).
        if changed & IER_THRI:
            self.thr_ipending = 1 if (self.ier & IER_THRI) and (self.lsr & LSR_THRE) else 0
        if changed:
            self._update_irq()

    def _write_fcr(self, value: int) -> None:
        value &= 0xFF
        if (value ^ self.fcr) & FCR_FE:     # toggling FIFO mode flushes both
            value |= FCR_XFR | FCR_RFR
        if value & FCR_RFR:
            self.lsr &= ~(LSR_DR | LSR_BI)
            self._cancel_timeout()
            self.timeout_ipending = 0
            self.recv_fifo = bytearray()
        if value & FCR_XFR:
            self.lsr |= LSR_THRE
            self.thr_ipending = 1
            self.xmit_fifo = bytearray()
        self._set_fcr(value & 0xC9)
        self._update_irq()

    def _set_fcr(self, value: int) -> None:
        self.fcr = value
        if value & FCR_FE:
            self.iir |= IIR_FE
            self.recv_fifo_itl = ITL_BYTES[value & 0xC0]
        else:
            self.iir &= ~IIR_FE

    def _write_lcr(self, value: int) -> None:
        self.lcr = value & 0xFF
        self._update_parameters()

    def _write_mcr(self, value: int) -> None:
        self.mcr = value & 0x1F

    def _write_ro(self, value: int) -> None:
        pass

    def _write_scr(self, value: int) -> None:
        self.scr = value & 0xFF

    # -- receive side (called by the chardev) -----------------------------------------
    def can_receive(self) -> int:
        if self.fcr & FCR_FE:
            n = len(self.recv_fifo)
            if n >= FIFO_LENGTH:
                return 0
            # the trigger level, not the whole FIFO, as QEMU advertises
            return self.recv_fifo_itl - n if n <= self.recv_fifo_itl else 1
        return 0 if self.lsr & LSR_DR else 1

    def receive(self, data: bytes) -> None:
        if data:
            self._receive_bytes(bytes(data))

    def _receive_bytes(self, data: bytes) -> None:
        if self.fcr & FCR_FE:
            for b in data:
                if len(self.recv_fifo) < FIFO_LENGTH:
                    self.recv_fifo.append(b)
                else:
                    self.lsr |= LSR_OE     # overruns keep the FIFO contents
            self.lsr |= LSR_DR
            self._arm_timeout()
        else:
            for b in data:
                if self.lsr & LSR_DR:
                    self.lsr |= LSR_OE
                self.rbr = b
                self.lsr |= LSR_DR
        self._update_irq()

    def receive_break(self) -> None:
        self.rbr = 0
        if len(self.recv_fifo) < FIFO_LENGTH:
            self.recv_fifo.append(0)
        else:
            self.lsr |= LSR_OE
        self.lsr |= LSR_BI | LSR_DR
        self._update_irq()

    # -- snapshots ------------------------------------------------------------------
    def save_state(self) -> Dict[str, Any]:
        state = super().save_state()
        t = self._timeout_timer
        state["timeout_deadline"] = t.deadline if t is not None and not t.cancelled else None
        return state

    def load_state(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        deadline = state.pop("timeout_deadline", None)
        super().load_state(state)
        self._cancel_timeout()
        if deadline is not None:
            self._arm_timeout(deadline)
        self._update_irq()

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d.update(ier=self.ier, iir=self.iir, lcr=self.lcr, lsr=self.lsr, mcr=self.mcr,
                 fifo="on" if self.fcr & FCR_FE else "off", rx_pending=len(self.recv_fifo)
                 if self.fcr & FCR_FE else int(bool(self.lsr & LSR_DR)),
                 divider=self.divider, irq=self.irq.level)
        return d


_READS = (Uart16550._read_rbr, Uart16550._read_ier, Uart16550._read_iir, Uart16550._read_lcr,
          Uart16550._read_mcr, Uart16550._read_lsr, Uart16550._read_msr, Uart16550._read_scr)
_WRITES = (Uart16550._write_thr, Uart16550._write_ier, Uart16550._write_fcr, Uart16550._write_lcr,
           Uart16550._write_mcr, Uart16550._write_ro, Uart16550._write_ro, Uart16550._write_scr)
