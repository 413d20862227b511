"""ARM CMSDK APB watchdog, and its TI Stellaris ("luminary") variant, as QEMU's
hw/watchdog/cmsdk-apb-watchdog.c models them.

Registers: 0x00 LOAD, 0x04 VALUE, 0x08 CONTROL (INTEN, RESEN), 0x0C INTCLR,
0x10 RIS, 0x14 MIS, 0xC00 LOCK (0x1ACCE551 unlocks; any other value locks
every other register), 0xF00 ITCR / 0xF04 ITOP (integration test; not on the
Stellaris part), 0x418 TEST (Stellaris only; stall not modelled), PID/CID.

The counter runs from reset at WDOGCLK. Reaching zero the first time raises
the interrupt (with INTEN); reaching it again with the interrupt still
pending raises a reset request (with RESEN) and stops the counter: the
machine resets, as QEMU's default watchdog action does. INTCLR clears the
interrupt and reloads the counter. On the Stellaris part CONTROL is
write-once: after INTEN is set, writes are ignored until reset.

-d guest_errors: QEMU 7.2's messages: bad offsets (on the Stellaris part
ITCR, ITOP and a read of INTCLR too), reads of the write-only INTCLR/ITOP,
writes to read-only registers and to a locked watchdog.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from emud.devices.base import Device, IrqLine
from emud.devices.cmsdk_uart import id_register
from emud.devices.ptimer import DownCounter

CTRL_INTEN, CTRL_RESEN = 1, 2
UNLOCK = 0x1ACCE551
CMSDK_WATCHDOG_ID = (0x04, 0x00, 0x00, 0x00, 0x24, 0xB8, 0x1B, 0x00, 0x0D, 0xF0, 0x05, 0xB1)
LUMINARY_WATCHDOG_ID = (0x00, 0x00, 0x00, 0x00, 0x05, 0x18, 0x18, 0x01, 0x0D, 0xF0, 0x05, 0xB1)


class CmsdkWatchdog(Device):
    region_name = "cmsdk-apb-watchdog"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("control", "intstatus", "lock", "itcr", "itop", "resetstatus")

    def __init__(self, clock, wdogclk_hz: int, luminary: bool = False,
                 on_reset: Optional[Callable[[], None]] = None, name: str = "cmsdk-apb-watchdog") -> None:
        self.name = name
        self.luminary = luminary
        self.ident = LUMINARY_WATCHDOG_ID if luminary else CMSDK_WATCHDOG_ID
        self.on_reset = on_reset
        self.irq = IrqLine(name + ".irq")
        self.counter = DownCounter(clock, wdogclk_hz, self._tick)
        self.reset()

    def set_clock_hz(self, hz: int) -> None:
        self.counter.set_freq(hz)

    def reset(self) -> None:
        self.control = 0
        self.intstatus = 0
        self.lock = 0
        self.itcr = 0
        self.itop = 0
        self.resetstatus = 0
        self.counter.set_limit(0xFFFFFFFF, reload=True)
        self.counter.run(oneshot=False)
        self.irq.lower()

    def _update(self) -> None:
        if self.itcr:
            wdogint, wdogres = self.itop & 2, self.itop & 1
        else:
            wdogint = self.intstatus and self.control & CTRL_INTEN
            wdogres = self.resetstatus and self.control & CTRL_RESEN
        self.irq.set(wdogint)
        if wdogres and self.on_reset is not None:
            self.on_reset()

    def _tick(self) -> None:
        if not self.intstatus:
            self.intstatus = 1
        else:
            self.resetstatus = 1
            self.counter.stop()
        self._update()

    def read(self, offset: int, size: int) -> int:
        if offset == 0x00:
            return self.counter.limit
        if offset == 0x04:
            return self.counter.get_count()
        if offset == 0x08:
            return self.control
        if offset == 0x10:
            return self.intstatus
        if offset == 0x14:
            return 1 if self.intstatus and self.control & CTRL_INTEN else 0
        if offset == 0xC00:
            return self.lock
        if offset == 0xF00 and not self.luminary:
            return self.itcr
        if 0xFD0 <= offset <= 0xFFC:
            return id_register(self.ident, offset)
        if offset in (0x0C, 0xF04) and not self.luminary:
            self.guest_error("CMSDK APB watchdog read: read of WO offset %x\n", offset)
        elif offset != 0x418 or not self.luminary:      # TEST: QEMU's LOG_UNIMP (stall)
            self.guest_error("CMSDK APB watchdog read: bad offset %x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if self.lock and offset != 0xC00:
            self.guest_error("CMSDK APB watchdog write: write to locked watchdog\n")
            return
        if offset == 0x00:
            self.counter.set_limit(value, reload=True)
            self.counter.run(oneshot=False)
        elif offset == 0x08:
            if self.luminary and self.control & CTRL_INTEN:
                return
            self.control = value & 3
            self._update()
        elif offset == 0x0C:
            self.intstatus = 0
            self.counter.set_count(self.counter.limit)
            self._update()
        elif offset == 0xC00:
            self.lock = 0 if value == UNLOCK else 1
        elif offset == 0xF00 and not self.luminary:
            self.itcr = value & 1
            self._update()
        elif offset == 0xF04 and not self.luminary:
            self.itop = value & 3
            self._update()
        elif offset in (0x04, 0x10, 0x14) or 0xFD0 <= offset <= 0xFFC:
            self.guest_error("CMSDK APB watchdog write: write to RO offset 0x%x\n", offset)
        elif offset != 0x418 or not self.luminary:      # TEST: QEMU's LOG_UNIMP (stall)
            self.guest_error("CMSDK APB watchdog write: bad offset 0x%x\n", offset)

    def save_state(self) -> Dict[str, Any]:
        state = super().save_state()
        state["counter"] = self.counter.save_state()
        return state

    def load_state(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        self.counter.load_state(state.pop("counter"))
        super().load_state(state)
        self.irq.set(self.itop & 2 if self.itcr else self.intstatus and self.control & CTRL_INTEN)
