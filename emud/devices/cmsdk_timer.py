"""ARM CMSDK APB timer, as QEMU's hw/timer/cmsdk-apb-timer.c models it.

Registers: 0x00 CTRL (EN, SELEXTEN, SELEXTCLK, IRQEN), 0x04 VALUE, 0x08
RELOAD, 0x0C INTSTATUS (W1C), 0xFD0-0xFFC PID/CID. A 32-bit down-counter at
PCLK; the interrupt latches (with IRQEN) when VALUE goes from 1 to 0, and the
counter reloads from RELOAD one tick later (emud/devices/ptimer.py). Writing
RELOAD also loads VALUE. EXTIN (external enable/clock) is not modelled, as in
QEMU. -d guest_errors: QEMU 7.2's bad offset and PID/CID write messages.
"""
from __future__ import annotations

from typing import Any, Dict

from emud.devices.base import Device, IrqLine
from emud.devices.cmsdk_uart import id_register
from emud.devices.ptimer import DownCounter

CTRL_EN, CTRL_IRQEN = 1, 8
CMSDK_TIMER_ID = (0x04, 0x00, 0x00, 0x00, 0x22, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1)


class CmsdkTimer(Device):
    region_name = "cmsdk-apb-timer"
    size = 0x1000
    access_sizes = (1, 2, 4)

    def __init__(self, clock, pclk_hz: int = 25_000_000, name: str = "cmsdk-apb-timer") -> None:
        self.name = name
        self.irq = IrqLine(name + ".irq")
        self.counter = DownCounter(clock, pclk_hz, self._tick)
        self.reset()

    def reset(self) -> None:
        self.ctrl = 0
        self.intstatus = 0
        self.counter.stop()
        self.counter.set_limit(0, reload=True)
        self.irq.lower()

    def _tick(self) -> None:
        if self.ctrl & CTRL_IRQEN:
            self.intstatus = 1
            self.irq.set(1)

    def read(self, offset: int, size: int) -> int:
        if offset == 0x00:
            return self.ctrl
        if offset == 0x04:
            return self.counter.get_count()
        if offset == 0x08:
            return self.counter.limit
        if offset == 0x0C:
            return self.intstatus
        if 0xFD0 <= offset <= 0xFFC:
            return id_register(CMSDK_TIMER_ID, offset)
        self.guest_error("CMSDK APB timer read: bad offset %x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        c = self.counter
        if offset == 0x00:
            self.ctrl = value & 0xF
            if self.ctrl & CTRL_EN:
                c.run(oneshot=c.limit == 0)
            else:
                c.stop()
        elif offset == 0x08:
            if not value:
                c.stop()
            c.set_limit(value, reload=True)
            if value and self.ctrl & CTRL_EN:
                c.run(oneshot=False)    # restarts an expired one-shot
        elif offset == 0x04:
            if not value and not c.limit:
                c.stop()
            c.set_count(value)
            if value and self.ctrl & CTRL_EN:
                c.run(oneshot=c.limit == 0)
        elif offset == 0x0C:
            self.intstatus &= ~(value & 1)
            self.irq.set(self.intstatus)
        elif 0xFD0 <= offset <= 0xFFC:
            self.guest_error("CMSDK APB timer write: write to RO offset 0x%x\n", offset)
        else:
            self.guest_error("CMSDK APB timer write: bad offset 0x%x\n", offset)

    def save_state(self) -> Dict[str, Any]:
        return {"ctrl": self.ctrl, "intstatus": self.intstatus, "counter": self.counter.save_state()}

    def load_state(self, state: Dict[str, Any]) -> None:
        self.ctrl = state["ctrl"]
        self.intstatus = state["intstatus"]
        self.counter.load_state(state["counter"])
        self.irq.set(self.intstatus)
