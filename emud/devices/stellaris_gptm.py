"""Stellaris general-purpose timer module (GPTM), as QEMU 7.2 models it
(hw/arm/stellaris.c, stellaris-gptm).

Registers: 0x00 CFG, 0x04 TAMR, 0x08 TBMR, 0x0C CTL, 0x18 IMR, 0x1C RIS,
0x20 MIS, 0x24 ICR, 0x28 TAILR, 0x2C TBILR, 0x30 TAMATCHR, 0x34 TBMATCHR,
0x38 TAPR, 0x3C TBPR, 0x40 TAPMR, 0x44 TBPMR, 0x48 TAR, 0x4C TBR.

What QEMU implements, and so what we do: the 32-bit timer (CFG 0) counting
TAILR ticks of the system clock, one-shot or periodic (TAMR bit 0), raising
TATORIS (RIS bit 0) at time-out, and the 32-bit RTC (CFG 1) counting
seconds up to TAMATCHR and raising RTCRIS (bit 3). Setting CTL.TAEN starts
a count from now; the time-out is computed when it starts (a change of the
system clock while it runs takes effect at the next reload, as in QEMU).
The 16-bit modes (CFG 4) are not modelled by QEMU: starting one does
nothing. TAR reads the RTC count in RTC mode, 0 otherwise (QEMU does not
model reading a running count). With CTL.TAOTE a time-out pulses the ADC
trigger output. The block has no reset in QEMU: its registers survive a
system reset.

-d guest_errors: QEMU 7.2's "GPTM: read/write at bad offset 0x02..." (the
literal 02 is QEMU's); reads of TAR outside RTC mode and of TBR are
LOG_UNIMP there, no guest error.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from emud.devices.base import Device, IrqLine

NS = 1_000_000_000


class StellarisGptm(Device):
    region_name = "gptm"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("config", "mode", "control", "state", "mask", "load", "match", "prescale",
                    "match_prescale", "rtc", "tick")

    def __init__(self, clock, clk_hz: float, name: str = "gptm") -> None:
        self.name = name
        self.clock = clock
        self.clk_hz = clk_hz
        self.irq = IrqLine(name + ".irq")
        self.trigger = IrqLine(name + ".adc-trigger")
        self.config = 0
        self.mode = [0, 0]
        self.control = 0
        self.state = 0
        self.mask = 0
        self.load = [0, 0]
        self.match = [0, 0]
        self.prescale = [0, 0]
        self.match_prescale = [0, 0]
        self.rtc = 0
        self.tick = [0, 0]
        self._timers: List[Optional[Any]] = [None, None]

    def set_clock_hz(self, hz: float) -> None:
        self.clk_hz = hz

    def _update_irq(self) -> None:
        self.irq.set(self.state & self.mask)

    def _stop(self, n: int) -> None:
        if self._timers[n] is not None:
            self._timers[n].cancel()
            self._timers[n] = None

    def _reload(self, n: int, from_now: bool) -> None:
        tick = self.clock.now_ns() if from_now else self.tick[n]
        if self.config == 0:
            count = self.load[0] | (self.load[1] << 16)
            tick += int(count * NS / self.clk_hz) if self.clk_hz else 0
        elif self.config == 1:
            tick += NS
        else:
            return      # PWM and 16-bit modes: not modelled (QEMU logs them)
        self.tick[n] = tick
        self._stop(n)
        self._timers[n] = self.clock.add_timer(tick, lambda: self._fired(n))

    def _fired(self, n: int) -> None:
        self._timers[n] = None
        if self.config == 0:
            self.state |= 1
            if self.control & 0x20:
                self.trigger.set(1)
                self.trigger.set(0)
            if self.mode[0] & 1:
                self.control &= ~1      # one-shot
            else:
                self._reload(0, from_now=False)
        elif self.config == 1:
            self.rtc = (self.rtc + 1) & 0xFFFFFFFF
            if self.rtc > (self.match[0] | (self.match[1] << 16)):
                self.rtc = 0
            if self.rtc == 0:
                self.state |= 8
            self._reload(0, from_now=False)
        self._update_irq()

    def read(self, offset: int, size: int) -> int:
        wide = self.config < 4
        regs = {
            0x00: self.config, 0x04: self.mode[0], 0x08: self.mode[1], 0x0C: self.control,
            0x18: self.mask, 0x1C: self.state, 0x20: self.state & self.mask, 0x24: 0,
            0x28: self.load[0] | ((self.load[1] << 16) if wide else 0), 0x2C: self.load[1],
            0x30: self.match[0] | ((self.match[1] << 16) if wide else 0), 0x34: self.match[1],
            0x38: self.prescale[0], 0x3C: self.prescale[1],
            0x40: self.match_prescale[0], 0x44: self.match_prescale[1],
            0x48: self.rtc if self.config == 1 else 0,
            0x4C: 0,       # TAR outside RTC mode and TBR: QEMU's LOG_UNIMP, read 0
        }
        value = regs.get(offset)
        if value is None:
            # QEMU's format has a literal "02" where a width was meant
            self.guest_error("GPTM: read at bad offset 0x02%x\n", offset)
            return 0
        return value & 0xFFFFFFFF

    def write(self, offset: int, size: int, value: int) -> None:
        wide = self.config < 4
        if offset == 0x00:
            self.config = value
        elif offset == 0x04:
            self.mode[0] = value
        elif offset == 0x08:
            self.mode[1] = value
        elif offset == 0x0C:
            old, self.control = self.control, value
            if (old ^ value) & 1:
                self._reload(0, True) if value & 1 else self._stop(0)
            if (old ^ value) & 0x100 and self.config >= 4:
                self._reload(1, True) if value & 0x100 else self._stop(1)
        elif offset == 0x18:
            self.mask = value & 0x77
        elif offset == 0x24:
            self.state &= ~value
        elif offset == 0x28:
            self.load[0] = value & 0xFFFF
            if wide:
                self.load[1] = value >> 16
        elif offset == 0x2C:
            self.load[1] = value & 0xFFFF
        elif offset == 0x30:
            self.match[0] = value & 0xFFFF
            if wide:
                self.match[1] = value >> 16
        elif offset == 0x34:
            self.match[1] = value >> 16     # sic: QEMU keeps the high half here
        elif offset in (0x38, 0x3C):
            self.prescale[(offset - 0x38) >> 2] = value
        elif offset in (0x40, 0x44):
            self.match_prescale[0] = value  # sic: QEMU writes TBPMR into TAPMR
        else:
            self.guest_error("GPTM: write at bad offset 0x02%x\n", offset)
        self._update_irq()

    def save_state(self) -> Dict[str, Any]:
        state = super().save_state()
        state["running"] = [t is not None for t in self._timers]
        return state

    def load_state(self, state: Dict[str, Any]) -> None:
        state = dict(state)
        running = state.pop("running", [False, False])
        super().load_state(state)
        for n in (0, 1):
            self._stop(n)
            if running[n]:
                self._timers[n] = self.clock.add_timer(self.tick[n], lambda n=n: self._fired(n))
        self._update_irq()
