"""Goldfish RTC (QEMU hw/rtc/goldfish_rtc.c), virt: 0x101000, PLIC source 11.

  0x00 TIME_LOW   read: ns since the epoch, low word; latches the high word
  0x04 TIME_HIGH  read: the latched high word. Writes to either set the time.
  0x08 ALARM_LOW  write arms the alarm at ALARM_HIGH:ALARM_LOW (ns)
  0x0c ALARM_HIGH
  0x10 IRQ_ENABLED (bit 0)
  0x14 CLEAR_ALARM
  0x18 ALARM_STATUS (1 while an alarm is armed)
  0x1c CLEAR_INTERRUPT

As QEMU by default (``-rtc clock=host``) the count is the host's wall clock in
ns plus an offset the guest can move; with ``clock_source="vm"`` it is the
guest's virtual time plus the wall-clock time at creation (deterministic
under icount). Alarms are armed on the VirtualClock ``alarm - now`` ns
ahead, so in host mode they fire after that much guest time.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional

from emud.devices.base import Device, IrqLine

TIME_LOW = 0x00
TIME_HIGH = 0x04
ALARM_LOW = 0x08
ALARM_HIGH = 0x0C
IRQ_ENABLED = 0x10
CLEAR_ALARM = 0x14
ALARM_STATUS = 0x18
CLEAR_INTERRUPT = 0x1C

MASK64 = (1 << 64) - 1
SIGNED_LIMIT = 1 << 63


class GoldfishRtc(Device):
    name = "goldfish_rtc"
    size = 0x24
    access_sizes = (4,)
    state_fields = ("tick_offset", "alarm_next", "alarm_running", "irq_pending", "irq_enabled", "time_high")

    def __init__(self, clock, clock_source: str = "host",
                 host_ns: Optional[Callable[[], int]] = None, name: str = "goldfish_rtc") -> None:
        if clock_source not in ("host", "vm"):
            raise ValueError("goldfish_rtc: clock_source must be 'host' or 'vm'")
        self.name = name
        self.clock = clock
        self.clock_source = clock_source
        self.host_ns = host_ns or time.time_ns
        self.irq = IrqLine(name + ".irq")
        self._timer = None
        # like QEMU's realize: the count starts at the host's wall-clock time
        self.tick_offset = (self.host_ns() - self._base_ns()) & MASK64
        self.time_high = 0
        self.reset()

    def _base_ns(self) -> int:
        return self.host_ns() if self.clock_source == "host" else self.clock.now_ns()

    def count(self) -> int:
        return (self.tick_offset + self._base_ns()) & MASK64

    # -- alarm ----------------------------------------------------------------------
    def _update(self) -> None:
        self.irq.set(self.irq_pending & self.irq_enabled)

    def _interrupt(self) -> None:
        self._timer = None
        self.alarm_running = 0
        self.irq_pending = 1
        self._update()

    def _clear_alarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.alarm_running = 0

    def _set_alarm(self) -> None:
        ticks = self.count()
        if self.alarm_next <= ticks:
            self._clear_alarm()
            self._interrupt()
            return
        if self._timer is not None:
            self._timer.cancel()
        # QEMU arms its timer at the alarm in the clock's own ns, a signed 64-bit
        # value clamped at 0: an alarm that far out fires at once, not never
        event = (self.alarm_next - self.tick_offset) & MASK64
        delta = 0 if event >= SIGNED_LIMIT else self.alarm_next - ticks
        self._timer = self.clock.add_timer(self.clock.now_ns() + delta, self._interrupt)
        self.alarm_running = 1

    # -- registers ------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset == TIME_LOW:
            r = self.count()
            self.time_high = r >> 32
            return r & 0xFFFFFFFF
        if offset == TIME_HIGH:
            return self.time_high
        if offset == ALARM_LOW:
            return self.alarm_next & 0xFFFFFFFF
        if offset == ALARM_HIGH:
            return self.alarm_next >> 32
        if offset == IRQ_ENABLED:
            return self.irq_enabled
        if offset == ALARM_STATUS:
            return self.alarm_running
        self.guest_error("goldfish_rtc_read: offset 0x%x is UNIMP.\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        value &= 0xFFFFFFFF
        if offset == TIME_LOW or offset == TIME_HIGH:
            cur = self.count()
            new = (cur & ~0xFFFFFFFF) | value if offset == TIME_LOW else (value << 32) | (cur & 0xFFFFFFFF)
            self.tick_offset = (self.tick_offset + new - cur) & MASK64
        elif offset == ALARM_LOW:
            self.alarm_next = (self.alarm_next & ~0xFFFFFFFF) | value
            self._set_alarm()
        elif offset == ALARM_HIGH:
            self.alarm_next = (value << 32) | (self.alarm_next & 0xFFFFFFFF)
        elif offset == IRQ_ENABLED:
            self.irq_enabled = value & 1
            self._update()
        elif offset == CLEAR_ALARM:
            self._clear_alarm()
        elif offset == CLEAR_INTERRUPT:
            self.irq_pending = 0
            self._update()
        else:
            self.guest_error("goldfish_rtc_write: offset 0x%x is UNIMP.\n", offset)

    def reset(self) -> None:
        # tick_offset (the time of day) survives a reset, as on QEMU
        self._clear_alarm()
        self.alarm_next = 0
        self.irq_pending = 0
        self.irq_enabled = 0
        self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._clear_alarm()
        if state.get("alarm_running"):
            self._set_alarm()
        self._update()

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d.update(time_ns=self.count(), alarm=self.alarm_next, alarm_running=self.alarm_running,
                 irq_enabled=self.irq_enabled, irq_pending=self.irq_pending)
        return d
