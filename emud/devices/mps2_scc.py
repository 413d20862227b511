"""MPS2 Serial Communication Controller (SCC), as QEMU's hw/misc/mps2-scc.c
models it for the AN385 (part 0x385: CFG0-CFG4, no CFG5-7).

Registers: 0x00 CFG0 (bit 0 drives the 'remap' line; AN385 QEMU leaves it
unwired), 0x04 CFG1 (LEDs), 0x0C CFG3 (switches: read 0), 0x10 CFG4 (board
revision, read-only), 0xA0 CFGDATA_RTN, 0xA4 CFGDATA_OUT, 0xA8 CFGCTRL,
0xAC CFGSTAT, 0x100 DLL (always locked; the mask bits [31:24] writable),
0xFF8 AID, 0xFFC ID. A CFGCTRL write with START set performs a config
read or write at once: function 1 reaches the OSCCLK values, anything else
sets CFGSTAT's ERROR bit.

-d guest_errors: QEMU 7.2's "MPS2 SCC read/write: bad offset" and "config
read/write: bad function F device D" messages.
"""
from __future__ import annotations

from typing import List, Sequence

from emud.devices.base import Device, IrqLine

CFGCTRL_START, CFGCTRL_WRITE = 1 << 31, 1 << 30
CFGCTRL_RESERVED = (0xFF << 12) | (0xF << 26)
CFGSTAT_DONE, CFGSTAT_ERROR = 1, 2


class Mps2Scc(Device):
    region_name = "mps2-scc"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("cfg0", "cfg1", "cfgdata_rtn", "cfgdata_out", "cfgctrl", "cfgstat", "dll", "oscclk")

    def __init__(self, scc_id: int, aid: int, cfg4: int, oscclk: Sequence[int] = (),
                 name: str = "mps2-scc") -> None:
        self.name = name
        self.scc_id = scc_id
        self.aid = aid
        self.cfg4 = cfg4
        self.oscclk_reset = list(oscclk)
        self.remap = IrqLine(name + ".remap")
        self.leds: List[IrqLine] = [IrqLine("%s.led%d" % (name, i)) for i in range(8)]
        self.reset()

    def reset(self) -> None:
        self.cfg0 = 0
        self.cfg1 = 0
        self.cfgdata_rtn = 0
        self.cfgdata_out = 0
        self.cfgctrl = 0x100000
        self.cfgstat = 0
        self.dll = 0xFFFF0001
        self.oscclk = list(self.oscclk_reset)
        self.remap.lower()
        for led in self.leds:
            led.lower()

    def read(self, offset: int, size: int) -> int:
        value = {
            0x00: self.cfg0, 0x04: self.cfg1, 0x0C: 0, 0x10: self.cfg4,     # CFG3: switches, read 0
            0xA0: self.cfgdata_rtn, 0xA4: self.cfgdata_out, 0xA8: self.cfgctrl, 0xAC: self.cfgstat,
            0x100: self.dll, 0xFF8: self.aid, 0xFFC: self.scc_id,
        }.get(offset)
        if value is None:
            self.guest_error("MPS2 SCC read: bad offset %x\n", offset)
            return 0
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x00:
            self.cfg0 = value
            self.remap.set(value & 1)
        elif offset == 0x04:
            self.cfg1 = value
            for i, led in enumerate(self.leds):
                led.set((value >> i) & 1)
        elif offset == 0xA4:
            self.cfgdata_out = value
        elif offset == 0xA8:
            self._cfgctrl(value)
        elif offset == 0x100:
            self.dll = (self.dll & 0x00FFFFFF) | (value & 0xFF000000)
        else:
            self.guest_error("MPS2 SCC write: bad offset 0x%x\n", offset)

    def _cfgctrl(self, value: int) -> None:
        self.cfgstat = 0
        self.cfgctrl = value & ~(CFGCTRL_RESERVED | CFGCTRL_START)
        if not value & CFGCTRL_START:
            return
        device = self.cfgctrl & 0xFFF
        function = (self.cfgctrl >> 20) & 0x3F
        self.cfgstat = CFGSTAT_DONE
        if function != 1 or device >= len(self.oscclk):
            self.guest_error("MPS2 SCC config %s: bad function %d device %d\n",
                             "write" if self.cfgctrl & CFGCTRL_WRITE else "read", function, device)
            self.cfgstat |= CFGSTAT_ERROR
        elif self.cfgctrl & CFGCTRL_WRITE:
            self.oscclk[device] = self.cfgdata_out
        else:
            self.cfgdata_rtn = self.oscclk[device]

    def load_state(self, state) -> None:
        super().load_state(state)
        self.remap.set(self.cfg0 & 1)
        for i, led in enumerate(self.leds):
            led.set((self.cfg1 >> i) & 1)
