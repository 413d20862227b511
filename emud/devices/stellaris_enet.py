"""Stellaris ethernet controller (QEMU 7.2's hw/net/stellaris_enet.c), with
no network behind it: what QEMU does with `-nic none`.

Registers: 0x00 RIS (read) / IACK (write 1 to clear; clearing TXER also
empties the TX FIFO), 0x04 IM, 0x08 RCTL (RSTFIFO empties the RX FIFO),
0x0C TCTL, 0x10 DATA, 0x14/0x18 IA0/IA1 (the MAC address, 52:54:00:12:34:56
as QEMU gives its first NIC), 0x1C THR, 0x20 MCTL (START clears at once:
no MII registers behind it, MRXD reads what it was), 0x24 MDV, 0x28 MADD
(reads 0), 0x2C MTXD, 0x30 MRXD, 0x34 NP, 0x38 TR (bit 0 sends), 0x3C
(reads 0).

TX: the first DATA word holds the frame's data length (over 2032: TXER);
the frame goes out once the FIFO holds all of it and THR's threshold is
reached, or on TR; then TXEMP. With no peer the frame is dropped, as QEMU
drops it (``transmit``, if set, gets its bytes). RX: ``receive(frame)``
queues a frame as QEMU's NIC receive does (length word, data, CRC-32, up
to 31 frames; too long: FOV); nothing calls it without a network, so NP
stays 0, and reading DATA then says "RX underflow" on stderr as QEMU does.
Reset (as QEMU's): MDV 0x80, RCTL BADCRC, IM all seven sources, THR 0x3F,
the TX FIFO empty; the rest keeps its value, the MAC address too.

-d guest_errors: QEMU's "stellaris_enet_rd32: Illegal register 0x02..."
lines (the literal 02 is QEMU's).
"""
from __future__ import annotations

import sys
import zlib
from typing import Any, Callable, Dict, Optional

from emud.devices.base import Device, IrqLine

INT_RX, INT_TXER, INT_TXEMP, INT_FOV = 0x01, 0x02, 0x04, 0x08
RCTL_RXEN, RCTL_BADCRC, RCTL_RSTFIFO = 0x01, 0x08, 0x10
TCTL_PADEN, TCTL_CRC = 0x02, 0x04
FIFO_SIZE, RX_FRAMES = 2048, 31
DEFAULT_MAC = bytes((0x52, 0x54, 0x00, 0x12, 0x34, 0x56))


class StellarisEnet(Device):
    region_name = "stellaris_enet"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("ris", "im", "rctl", "tctl", "thr", "mctl", "mdv", "mtxd", "mrxd", "np",
                    "tx_fifo_len", "tx_fifo", "rx_frames", "rx_fifo_offset", "next_packet", "mac")

    def __init__(self, mac: bytes = DEFAULT_MAC, name: str = "enet") -> None:
        self.name = name
        self.irq = IrqLine(name + ".irq")
        self.mac = bytearray(mac)
        self.transmit: Optional[Callable[[bytes], None]] = None
        self.ris = self.tctl = self.mctl = self.mtxd = self.mrxd = self.np = 0
        self.rx_fifo_offset = self.next_packet = 0
        self.tx_fifo = bytearray(FIFO_SIZE)
        # each RX slot: the frame as the FIFO holds it (length word, data, CRC, the
        # last word's padding); b"" until a frame comes: snapshots stay small
        self.rx_frames = [b""] * RX_FRAMES
        self.reset()

    def reset(self) -> None:
        self.mdv = 0x80
        self.rctl = RCTL_BADCRC
        self.im = 0x7F
        self.thr = 0x3F
        self.tx_fifo_len = 0

    def _update(self) -> None:
        self.irq.set(self.ris & self.im)

    # -- transmit ----------------------------------------------------------------------------
    def _datalen(self) -> int:
        return self.tx_fifo[0] | (self.tx_fifo[1] << 8)

    def _complete(self) -> bool:
        framelen = self._datalen() + 16 + (0 if self.tctl & TCTL_CRC else 4)
        return self.tx_fifo_len >= min(framelen, FIFO_SIZE)

    def _threshold_reached(self) -> bool:
        return self.thr < 0x3F and self.tx_fifo_len >= 4 * (self.thr * 8 + 1)

    def _send(self) -> None:
        framelen = self._datalen() + 14          # the header is not in the count; no CRC sent
        if self.tctl & TCTL_PADEN and framelen < 60:
            self.tx_fifo[framelen + 2:62] = bytes(60 - framelen)
            framelen = 60
        framelen = min(framelen, FIFO_SIZE - 2)
        if self.transmit is not None:
            self.transmit(bytes(self.tx_fifo[2:2 + framelen]))
        self.tx_fifo_len = 0
        self.ris |= INT_TXEMP
        self._update()

    # -- receive -----------------------------------------------------------------------------
    def receive(self, frame: bytes) -> int:
        """A frame from the network: its size taken, 0 (FIFO full, try later) or -1 (dropped)."""
        if not self.rctl & RCTL_RXEN:
            return -1
        if self.np >= RX_FRAMES:
            return 0
        n = (self.next_packet + self.np) % RX_FRAMES
        size = len(frame)
        if size >= FIFO_SIZE - 6:
            self.ris |= INT_FOV
            self._update()
            return -1
        self.np += 1
        crc = zlib.crc32(frame) & 0xFFFFFFFF
        data = (size + 6).to_bytes(2, "little") + frame + crc.to_bytes(4, "little")
        self.rx_frames[n] = data + bytes(-len(data) & 3)     # the last word's spare bytes read 0
        self.ris |= INT_RX
        self._update()
        return size

    def _read_data(self) -> int:
        if self.np == 0:
            sys.stderr.write("stellaris_enet: error: RX underflow\n")   # QEMU's BADF
            return 0
        frame, off = self.rx_frames[self.next_packet], self.rx_fifo_offset
        val = int.from_bytes(frame[off:off + 4], "little")
        self.rx_fifo_offset += 4
        if self.rx_fifo_offset >= int.from_bytes(frame[0:2], "little"):     # its length word
            self.rx_fifo_offset = 0
            self.next_packet = (self.next_packet + 1) % RX_FRAMES
            self.np -= 1
        return val

    # -- registers ---------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset == 0x10:
            return self._read_data()
        if offset == 0x14:
            return int.from_bytes(self.mac[0:4], "little")
        if offset == 0x18:
            return int.from_bytes(self.mac[4:6], "little")
        regs = {0x00: self.ris, 0x04: self.im, 0x08: self.rctl, 0x0C: self.tctl, 0x1C: self.thr,
                0x20: self.mctl, 0x24: self.mdv, 0x28: 0, 0x2C: self.mtxd, 0x30: self.mrxd,
                0x34: self.np, 0x38: 0, 0x3C: 0}
        if offset in regs:
            return regs[offset]
        self.guest_error("stellaris_enet_rd%d: Illegal register 0x02%x\n", size * 8, offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x00:
            self.ris &= ~value
            self._update()
            if value & INT_TXER:
                self.tx_fifo_len = 0
        elif offset == 0x04:
            self.im = value
            self._update()
        elif offset == 0x08:
            self.rctl = value
            if value & RCTL_RSTFIFO:
                self.np = 0
                self.rx_fifo_offset = 0
                self._update()
        elif offset == 0x0C:
            self.tctl = value
        elif offset == 0x10:
            self._write_data(value)
        elif offset == 0x14:
            self.mac[0:4] = (value & 0xFFFFFFFF).to_bytes(4, "little")
        elif offset == 0x18:
            self.mac[4:6] = (value & 0xFFFF).to_bytes(2, "little")
        elif offset == 0x1C:
            self.thr = value
        elif offset == 0x20:
            self.mctl = value & ~1                # START: done at once (no MII registers)
        elif offset == 0x24:
            self.mdv = value
        elif offset == 0x2C:
            self.mtxd = value & 0xFF
        elif offset == 0x38:
            if value & 1:
                self._send()
        elif offset not in (0x28, 0x30, 0x34, 0x3C):
            self.guest_error("stellaris_enet_wr%d: Illegal register 0x02%x = 0x%x\n", size * 8, offset, value)

    def _write_data(self, value: int) -> None:
        if self.tx_fifo_len == 0 and value & 0xFFFF > 2032:
            self.ris |= INT_TXER                  # frame too long
            self._update()
            return
        if self.tx_fifo_len + 4 <= FIFO_SIZE:
            self.tx_fifo[self.tx_fifo_len:self.tx_fifo_len + 4] = (value & 0xFFFFFFFF).to_bytes(4, "little")
            self.tx_fifo_len += 4
        if self._threshold_reached() and self._complete():
            self._send()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        # a snapshot file gives bytes back: the FIFOs are written in place
        self.tx_fifo = bytearray(self.tx_fifo)
        self.rx_frames = [bytes(f) for f in self.rx_frames]
        self.mac = bytearray(self.mac)
        self._update()
