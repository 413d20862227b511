"""ARM CMSDK APB dual timer (two SP804-like modules), as QEMU's
hw/timer/cmsdk-apb-dualtimer.c models it.

Per module at 0x00 / 0x20: LOAD, VALUE, CONTROL (ONESHOT, SIZE 32-bit,
PRESCALE /1 /16 /256, INTEN, MODE periodic, ENABLE), INTCLR, RIS, MIS,
BGLOAD. Then 0xF00 ITCR / 0xF04 ITOP (integration test: drive the outputs
directly) and PID/CID. Reset: CONTROL = INTEN (0x20), free-running 16-bit,
VALUE 0xFFFFFFFF.

In free-running mode the counter wraps at its full width and LOAD only sets
the count; in periodic mode LOAD is the reload value. In 16-bit mode the
top half of VALUE/LOAD is kept aside, as QEMU does, and comes back when the
module is switched to 32 bits.

Outputs: TIMINTC (the OR of both, what mps2 wires to the NVIC), TIMINT1/2.

-d guest_errors: QEMU 7.2's bad offset messages (ITOP reads, PID/CID writes
and the space past the two modules included).
"""
from __future__ import annotations

from typing import Any, Dict

from emud.devices.base import Device, IrqLine
from emud.devices.cmsdk_uart import id_register
from emud.devices.ptimer import DownCounter

C_ONESHOT, C_SIZE32, C_INTEN, C_MODE, C_ENABLE = 0x01, 0x02, 0x20, 0x40, 0x80
C_PRESCALE_SHIFT = 2
C_VALID = 0xEF
DUALTIMER_ID = (0x04, 0x00, 0x00, 0x00, 0x23, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1)
PRESCALE_DIV = (1, 16, 256, 256)
#: a module's registers (offsets in its 0x20 bytes) that read, and that take writes
MODULE_READS = (0x00, 0x04, 0x08, 0x10, 0x14, 0x18)
MODULE_WRITES = (0x00, 0x08, 0x0C, 0x18)    # 0b11 is UNDEFINED; QEMU treats it as /256


def _low16(high_from: int, low: int) -> int:
    return (high_from & 0xFFFF0000) | (low & 0xFFFF)


class _Module:
    def __init__(self, parent: "CmsdkDualTimer", index: int) -> None:
        self.parent = parent
        self.irq = IrqLine("%s.timint%d" % (parent.name, index + 1))
        self.timer = DownCounter(parent.clock, parent.timclk_hz, self._tick)
        self.reset()

    def reset(self) -> None:
        self.control = C_INTEN
        self.intstatus = 0
        self.load = 0
        self.value = 0xFFFFFFFF
        self.timer.stop()
        self.timer.set_limit(0xFFFF, reload=True)
        self.timer.set_freq(self._freq(self.control))

    def _freq(self, control: int) -> float:
        return self.parent.timclk_hz / PRESCALE_DIV[(control >> C_PRESCALE_SHIFT) & 3]

    def masked(self) -> int:
        return 1 if self.intstatus and self.control & C_INTEN else 0

    def _tick(self) -> None:
        self.intstatus = 1
        self.parent.update()

    def write_control(self, new: int) -> None:
        t = self.timer
        new &= C_VALID
        changed = self.control ^ new
        if changed & ~new & C_ENABLE:
            t.stop()
        if changed & (3 << C_PRESCALE_SHIFT):
            t.set_freq(self._freq(new))
        if changed & C_MODE:
            if new & C_MODE:
                load = self.load
            else:
                load = t.limit
                if not self.control & C_SIZE32:
                    load = _low16(self.load, load)
                self.load = load
                load = 0xFFFFFFFF
            if not self.control & C_SIZE32:
                load &= 0xFFFF
            t.set_limit(load, reload=False)
        if changed & C_SIZE32:
            value, load = t.get_count(), t.limit
            if new & C_SIZE32:
                value = _low16(self.value, value)
            else:
                self.value = value
                value &= 0xFFFF
            if new & C_MODE:
                if new & C_SIZE32:
                    load = _low16(self.load, load)
                else:
                    self.load = load
                    load &= 0xFFFF
            else:
                load = 0xFFFFFFFF if new & C_SIZE32 else 0xFFFF
            t.set_count(value)
            t.set_limit(load, reload=False)
        if new & C_ENABLE:
            # also restarts an expired one-shot that was made periodic
            t.run(oneshot=bool(new & C_ONESHOT))
        self.control = new

    def read(self, reg: int) -> int:
        t = self.timer
        if reg in (0x00, 0x18):       # LOAD, BGLOAD
            if self.control & C_MODE:
                r = t.limit
                return r if self.control & C_SIZE32 else _low16(self.load, r)
            return self.load
        if reg == 0x04:
            r = t.get_count()
            return r if self.control & C_SIZE32 else _low16(self.value, r)
        if reg == 0x08:
            return self.control
        if reg == 0x10:
            return self.intstatus
        if reg == 0x14:
            return self.masked()
        return 0

    def write(self, reg: int, value: int) -> None:
        t = self.timer
        if reg == 0x00:
            self.load = self.value = value
            if not self.control & C_SIZE32:
                value &= 0xFFFF
            if not self.control & C_MODE:
                t.set_count(value)     # free-running: no limit, only the count
            else:
                if not value:
                    t.stop()
                t.set_limit(value, reload=True)
                if value and self.control & C_ENABLE:
                    t.run(oneshot=True)    # QEMU restarts it as a one-shot here
        elif reg == 0x18:
            self.load = value
            if self.control & C_MODE:
                t.set_limit(value if self.control & C_SIZE32 else value & 0xFFFF, reload=False)
        elif reg == 0x08:
            self.write_control(value)
            self.parent.update()
        elif reg == 0x0C:
            self.intstatus = 0
            self.parent.update()

    def save_state(self) -> Dict[str, Any]:
        return {"control": self.control, "intstatus": self.intstatus, "load": self.load,
                "value": self.value, "timer": self.timer.save_state()}

    def load_state(self, state: Dict[str, Any]) -> None:
        for key in ("control", "intstatus", "load", "value"):
            setattr(self, key, state[key])
        self.timer.load_state(state["timer"])


class CmsdkDualTimer(Device):
    region_name = "cmsdk-apb-dualtimer"
    size = 0x1000
    access_sizes = (1, 2, 4)

    def __init__(self, clock, timclk_hz: int = 25_000_000, name: str = "cmsdk-apb-dualtimer") -> None:
        self.name = name
        self.clock = clock
        self.timclk_hz = timclk_hz
        self.timintc = IrqLine(name + ".timintc")
        self.modules = [_Module(self, 0), _Module(self, 1)]
        self.itcr = 0
        self.itop = 0

    def reset(self) -> None:
        for m in self.modules:
            m.reset()
        self.itcr = 0
        self.itop = 0
        self.update()

    def update(self) -> None:
        if self.itcr:
            levels = (self.itop & 1, (self.itop >> 1) & 1)
        else:
            levels = (self.modules[0].masked(), self.modules[1].masked())
        self.modules[0].irq.set(levels[0])
        self.modules[1].irq.set(levels[1])
        self.timintc.set(levels[0] or levels[1])

    def read(self, offset: int, size: int) -> int:
        if offset == 0xF00:
            return self.itcr
        if 0xFD0 <= offset <= 0xFFC:
            return id_register(DUALTIMER_ID, offset)
        if offset < 0x40 and offset & 0x1F in MODULE_READS:
            return self.modules[offset >> 5].read(offset & 0x1F)
        # ITOP is write-only: QEMU 7.2 calls its read a bad offset too
        self.guest_error("CMSDK APB dual-timer read: bad offset %x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0xF00:
            self.itcr = value & 1
            self.update()
        elif offset == 0xF04:
            self.itop = value & 3
            self.update()
        elif offset < 0x40 and offset & 0x1F in MODULE_WRITES:
            self.modules[offset >> 5].write(offset & 0x1F, value)
        else:
            self.guest_error("CMSDK APB dual-timer write: bad offset %x\n", offset)

    def save_state(self) -> Dict[str, Any]:
        return {"itcr": self.itcr, "itop": self.itop, "modules": [m.save_state() for m in self.modules]}

    def load_state(self, state: Dict[str, Any]) -> None:
        self.itcr, self.itop = state["itcr"], state["itop"]
        for m, s in zip(self.modules, state["modules"]):
            m.load_state(s)
        self.update()
