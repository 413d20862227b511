"""Solomon SSD0323 OLED controller driving the OSRAM Pictiva 128x64 4-bit
grey display of the lm3s6965evb, as QEMU 7.2's hw/display/ssd0323.c models
it: an SSI peripheral (emud/devices/ssi.py) selected while its chip select
is high, with a data/command input (``set_dc``: high = data).

Commands (a byte, then its argument bytes): 0x15 column range, 0x75 row
range, 0xA0 remap (only the vertical-increment bit is used), and the ones
QEMU accepts and ignores (contrast, current, start line, offset, display
modes, multiplex, DC-DC, on/off, phase, row period, clock, grey table,
precharge, VCOMH, segment low, NOP). 0xFF is swallowed (the stray byte a
driver sends while deselecting the SD card on the same bus); anything else
is reported on stderr as QEMU does. Data bytes are two pixels each, stored
at (column, row) of a 64x80-byte framebuffer, the address advancing across
the column range then down the rows (or down then across with vertical
increment) and wrapping inside the window. Every frame replies 0.

There is no display here (-nographic); ``screendump_ppm`` renders the
framebuffer as QEMU's console would show it (rows 0-63, each pixel 4x4,
grey level n as (n << 4) | n), i.e. what QEMU's `screendump` writes.
The controller has no reset in QEMU: the picture survives a system reset.
"""
from __future__ import annotations

import sys

from emud.devices.ssi import SsiPeripheral

MAGNIFY = 4
WIDTH, HEIGHT = 128, 64            # pixels shown
FB_COLS, FB_ROWS = 64, 80          # framebuffer bytes: two pixels a byte
REMAP_VERTICAL = 0x04
CMD, DATA = 0, 1

# argument bytes each command takes; absent: unknown
_ARGS = {0x15: 2, 0x75: 2, 0x81: 1, 0x84: 0, 0x85: 0, 0x86: 0, 0xA0: 1, 0xA1: 1, 0xA2: 1,
         0xA4: 0, 0xA5: 0, 0xA6: 0, 0xA7: 0, 0xA8: 1, 0xAD: 1, 0xAE: 0, 0xAF: 0, 0xB1: 1,
         0xB2: 1, 0xB3: 1, 0xBC: 1, 0xBE: 1, 0xBF: 1, 0xB8: 8, 0xE3: 0}


class Ssd0323(SsiPeripheral):
    cs_polarity = True
    state_fields = ("cs", "cmd_len", "cmd", "cmd_data", "row", "row_start", "row_end", "col",
                    "col_start", "col_end", "redraw", "remap", "mode", "framebuffer")

    def __init__(self) -> None:
        super().__init__()
        self.cmd_len = 0
        self.cmd = 0
        self.cmd_data = [0] * 8
        self.row = self.row_start = 0
        self.row_end = FB_ROWS - 1
        self.col = self.col_start = 0
        self.col_end = FB_COLS - 1
        self.redraw = 0
        self.remap = 0
        self.mode = CMD
        self.framebuffer = bytearray(FB_COLS * FB_ROWS)

    def set_dc(self, level: int) -> None:
        self.mode = DATA if level else CMD

    def transfer(self, value: int) -> int:
        if self.mode == DATA:
            self._data(value)
        else:
            self._command(value)
        return 0

    def _data(self, value: int) -> None:
        self.framebuffer[self.col + self.row * FB_COLS] = value & 0xFF
        if self.remap & REMAP_VERTICAL:
            self.row += 1
            if self.row > self.row_end:
                self.row = self.row_start
                self.col += 1
            if self.col > self.col_end:
                self.col = self.col_start
        else:
            self.col += 1
            if self.col > self.col_end:
                self.row += 1
                self.col = self.col_start
            if self.row > self.row_end:
                self.row = self.row_start
        self.redraw = 1

    def _command(self, value: int) -> None:
        if self.cmd_len == 0:
            self.cmd = value
        else:
            self.cmd_data[self.cmd_len - 1] = value
        self.cmd_len += 1
        cmd = self.cmd
        nargs = _ARGS.get(cmd)
        if nargs is not None and self.cmd_len <= nargs:
            return                      # waiting for the rest of the arguments
        if cmd == 0x15:
            self.col = self.col_start = self.cmd_data[0] % FB_COLS
            self.col_end = self.cmd_data[1] % FB_COLS
        elif cmd == 0x75:
            self.row = self.row_start = self.cmd_data[0] % FB_ROWS
            self.row_end = self.cmd_data[1] % FB_ROWS
        elif cmd == 0xA0:
            self.remap = self.cmd_data[0]
        elif nargs is None and cmd != 0xFF:
            # QEMU's BADF: on stderr whatever -d asks, and the byte is dropped
            sys.stderr.write("ssd0323: error: Unknown command: 0x%x\n" % value)
        self.cmd_len = 0

    # -- what a screendump shows ---------------------------------------------------------------
    def screendump_ppm(self) -> bytes:
        """The display as QEMU's `screendump` writes it: a 512x256 binary PPM."""
        out = bytearray(b"P6\n%d %d\n255\n" % (WIDTH * MAGNIFY, HEIGHT * MAGNIFY))
        grey = [bytes([(n << 4) | n] * 3 * MAGNIFY) for n in range(16)]
        for y in range(HEIGHT):
            line = b"".join(grey[b >> 4] + grey[b & 15]
                            for b in self.framebuffer[y * FB_COLS:(y + 1) * FB_COLS])
            out += line * MAGNIFY
        return bytes(out)
