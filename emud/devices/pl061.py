"""Arm PrimeCell PL061 GPIO (and the Luminary variant of the Stellaris
parts), as QEMU 7.2's hw/gpio/pl061.c models it.

Registers: 0x000-0x3FC DATA (address bits [9:2] mask the access), 0x400 DIR,
0x404 IS, 0x408 IBE, 0x40C IEV, 0x410 IE, 0x414 RIS, 0x418 MIS, 0x41C ICR,
0x420 AFSEL (writable where CR allows); Luminary only: 0x500 DR2R, 0x504
DR4R, 0x508 DR8R, 0x50C ODR, 0x510 PUR, 0x514 PDR, 0x518 SLR, 0x51C DEN,
0x520 LOCK (0x0ACCE551 unlocks CR), 0x524 CR, 0x528 AMSEL; 0xFD0-0xFFC ID.

Pins: ``set_input(pin, level)`` drives an input (a pin configured as output
ignores it); ``outputs[pin]`` follow what the port drives: DATA where DIR is
output, else 1 where pulled up; a floating input keeps its last level. The
ARM part's pull-ups/-downs are board properties; the Luminary part's come
from PUR/PDR (DEN plays no part, as in QEMU 7.2), so at reset its pins float
and reset drives none of them. Edge interrupts latch in RIS on input changes,
level interrupts (IS) every update.

-d guest_errors: QEMU 7.2's "pl061_read/pl061_write: Bad offset" messages.
"""
from __future__ import annotations

from typing import Any, Dict, List

from emud.devices.base import Device, IrqLine

PL061_ID_ARM = (0x00, 0x00, 0x00, 0x00, 0x61, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1)
PL061_ID_LUMINARY = (0x00, 0x00, 0x00, 0x00, 0x61, 0x00, 0x18, 0x01, 0x0D, 0xF0, 0x05, 0xB1)
UNLOCK = 0x0ACCE551

# Luminary-only registers, by offset, with the attribute each one holds
_LUMINARY_REGS = {0x500: "dr2r", 0x504: "dr4r", 0x508: "dr8r", 0x50C: "odr", 0x510: "pur",
                  0x514: "pdr", 0x518: "slr", 0x51C: "den", 0x528: "amsel"}
_COMMON_REGS = {0x400: "dir", 0x404: "isense", 0x408: "ibe", 0x40C: "iev", 0x410: "im"}


class Pl061(Device):
    region_name = "pl061"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("locked", "data", "old_out_data", "old_in_data", "dir", "isense", "ibe", "iev",
                    "im", "istate", "afsel", "dr2r", "dr4r", "dr8r", "odr", "pur", "pdr", "slr",
                    "den", "cr", "amsel")

    def __init__(self, luminary: bool = False, pullups: int = 0xFF, pulldowns: int = 0,
                 name: str = "pl061") -> None:
        self.name = name
        self.luminary = luminary
        self.ident = PL061_ID_LUMINARY if luminary else PL061_ID_ARM
        self.pullups = pullups
        self.pulldowns = pulldowns
        self.irq = IrqLine(name + ".irq")
        self.outputs: List[IrqLine] = [IrqLine("%s.out%d" % (name, i)) for i in range(8)]
        self.reset()

    # -- pins ------------------------------------------------------------------------------
    def _floating(self) -> int:
        if self.luminary:
            # QEMU 7.2 looks at PUR/PDR only, not DEN (checked through the SSI chip select)
            floating = ~(self.pur | self.pdr)
        else:
            floating = ~(self.pullups | self.pulldowns)
        return floating & ~self.dir & 0xFF

    def _pulled_up(self) -> int:
        up = self.pur if self.luminary else self.pullups
        return up & ~self.dir & 0xFF

    def set_input(self, pin: int, level: int) -> None:
        mask = 1 << pin
        if not self.dir & mask:
            self.data = (self.data & ~mask) | (mask if level else 0)
            self._update()

    def reset(self) -> None:
        self.data = 0
        self.old_in_data = 0
        self.dir = 0
        self.isense = 0
        self.ibe = 0
        self.iev = 0
        self.im = 0
        self.istate = 0
        self.afsel = 0
        self.dr2r = 0xFF
        self.dr4r = 0
        self.dr8r = 0
        self.odr = 0
        self.pur = 0
        self.pdr = 0
        self.slr = 0
        self.den = 0
        self.locked = 1
        self.cr = 0xFF
        self.amsel = 0
        # pins not floating are driven to their pull at reset
        floating, up = self._floating(), self._pulled_up()
        for i, line in enumerate(self.outputs):
            if not (floating >> i) & 1:
                line.set((up >> i) & 1)
        self.old_out_data = up
        self.irq.lower()

    def _update(self) -> None:
        out = (self.data & self.dir) | self._pulled_up() | (self.old_out_data & self._floating())
        changed = self.old_out_data ^ out
        if changed:
            self.old_out_data = out
            for i, line in enumerate(self.outputs):
                if (changed >> i) & 1:
                    line.set((out >> i) & 1)
        changed = (self.old_in_data ^ self.data) & ~self.dir & 0xFF
        if changed:
            self.old_in_data = self.data
            edges = changed & ~self.isense
            self.istate |= edges & (self.ibe | ~(self.data ^ self.iev))
        self.istate |= ~(self.data ^ self.iev) & self.isense & 0xFF
        self.irq.set(self.istate & self.im)

    # -- registers ------------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset < 0x400:
            return self.data & (offset >> 2)
        if offset in _COMMON_REGS:
            return getattr(self, _COMMON_REGS[offset])
        if offset == 0x414:
            return self.istate
        if offset == 0x418:
            return self.istate & self.im
        if offset == 0x420:
            return self.afsel
        if self.luminary:
            if offset in _LUMINARY_REGS:
                return getattr(self, _LUMINARY_REGS[offset])
            if offset == 0x520:
                return self.locked
            if offset == 0x524:
                return self.cr
        if 0xFD0 <= offset < 0x1000:
            return self.ident[(offset - 0xFD0) >> 2]
        self.guest_error("pl061_read: Bad offset %x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset < 0x400:
            mask = (offset >> 2) & self.dir
            self.data = (self.data & ~mask) | (value & mask)
        elif offset in _COMMON_REGS:
            setattr(self, _COMMON_REGS[offset], value & 0xFF)
        elif offset == 0x41C:
            self.istate &= ~value
        elif offset == 0x420:
            self.afsel = (self.afsel & ~self.cr) | (value & self.cr)
        elif self.luminary and offset in _LUMINARY_REGS:
            setattr(self, _LUMINARY_REGS[offset], value & 0xFF)
        elif self.luminary and offset == 0x520:
            self.locked = 0 if value == UNLOCK else 1
        elif self.luminary and offset == 0x524:
            if not self.locked:
                self.cr = value & 0xFF
        else:
            self.guest_error("pl061_write: Bad offset %x\n", offset)
            return
        self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self.irq.set(self.istate & self.im)
        for i, line in enumerate(self.outputs):
            line.set((self.old_out_data >> i) & 1)
