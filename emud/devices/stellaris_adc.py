"""Stellaris ADC (QEMU 7.2's stellaris-adc in hw/arm/stellaris.c): only as
far as QEMU goes, enough for firmware that samples on a timer trigger.

Registers: 0x00 ACTSS, 0x04 RIS, 0x08 IM, 0x0C ISC (reads RIS & IM, write
1 to clear), 0x10 OSTAT, 0x14 EMUX, 0x18 USTAT, 0x20 SSPRI, 0x28 PSSI
(ignored, QEMU: LOG_UNIMP), 0x30 SAC; per sample sequencer n at
0x40 + 0x20 n: SSMUX, SSCTL, SSFIFO, SSFSTAT.

A trigger is the GPTMs' ADC output (``trigger``; every edge counts, as
QEMU's handler runs on each level it is given: a timer's pulse gives two
samples). Each active sequencer whose EMUX field (QEMU reads 8 bits of
it) selects the timer gets a sample 0x200 + 3 bits of a pseudo-random
noise, RIS bit n and its IRQ. There are no analogue inputs. Each FIFO has
16 entries (QEMU's simplification); FSTAT bits 8 (empty) and 12 (full),
the read/write indices in its low bytes; overflow sets OSTAT, reading an
empty FIFO sets USTAT. Reset only when built, as QEMU (no reset handler).

-d guest_errors: QEMU's "stellaris_adc: read/write at bad offset" messages.
"""
from __future__ import annotations

from typing import Any, Dict, List

from emud.devices.base import Device, IrqLine

FIFO_EMPTY, FIFO_FULL = 0x0100, 0x1000
EM_TIMER = 5


class StellarisAdc(Device):
    region_name = "adc"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("actss", "ris", "im", "emux", "ostat", "ustat", "sspri", "sac",
                    "fifo_state", "fifo_data", "ssmux", "ssctl", "noise")

    def __init__(self, name: str = "adc") -> None:
        self.name = name
        self.irqs: List[IrqLine] = [IrqLine("%s.irq%d" % (name, n)) for n in range(4)]
        self.actss = self.ris = self.im = self.emux = self.ostat = self.ustat = 0
        self.sspri = self.sac = self.noise = 0
        self.fifo_data = [[0] * 16 for _ in range(4)]
        self.ssmux = [0] * 4
        self.ssctl = [0] * 4
        self.fifo_state = [FIFO_EMPTY] * 4

    def _update(self) -> None:
        for n, line in enumerate(self.irqs):
            line.set(self.ris & self.im & (1 << n))

    def _fifo_read(self, n: int) -> int:
        state = self.fifo_state[n]
        tail = state & 0xF
        if state & FIFO_EMPTY:
            self.ustat |= 1 << n
        else:
            state = ((state & ~0xF) | ((tail + 1) & 0xF)) & ~FIFO_FULL
            if tail + 1 == (state >> 4) & 0xF:      # sic: QEMU compares without the wrap
                state |= FIFO_EMPTY
            self.fifo_state[n] = state
        return self.fifo_data[n][tail]

    def _fifo_write(self, n: int, value: int) -> None:
        state = self.fifo_state[n]
        if state & FIFO_FULL:
            self.ostat |= 1 << n
            return
        head = (state >> 4) & 0xF
        self.fifo_data[n][head] = value
        head = (head + 1) & 0xF
        state = (state & ~FIFO_EMPTY & ~0xF0) | (head << 4)
        if state & 0xF == head:
            state |= FIFO_FULL
        self.fifo_state[n] = state

    def trigger(self, level: int) -> None:
        """The timers' trigger input: each call samples, whatever the level."""
        for n in range(4):
            if not self.actss & (1 << n) or (self.emux >> (n * 4)) & 0xFF != EM_TIMER:
                continue
            # some firmware uses the ADC as a random source: QEMU adds noise
            self.noise = (self.noise * 314159 + 1) & 0xFFFFFFFF
            self._fifo_write(n, 0x200 + ((self.noise >> 16) & 7))
            self.ris |= 1 << n
            self._update()

    def read(self, offset: int, size: int) -> int:
        if 0x40 <= offset < 0xC0:
            n, reg = (offset - 0x40) >> 5, offset & 0x1F
            if reg == 0x00:
                return self.ssmux[n]
            if reg == 0x04:
                return self.ssctl[n]
            if reg == 0x08:
                return self._fifo_read(n)
            if reg == 0x0C:
                return self.fifo_state[n]
        regs = {0x00: self.actss, 0x04: self.ris, 0x08: self.im, 0x0C: self.ris & self.im,
                0x10: self.ostat, 0x14: self.emux, 0x18: self.ustat, 0x20: self.sspri, 0x30: self.sac}
        if offset in regs:
            return regs[offset]
        self.guest_error("stellaris_adc: read at bad offset 0x%x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if 0x40 <= offset < 0xC0:
            n, reg = (offset - 0x40) >> 5, offset & 0x1F
            if reg == 0x00:
                self.ssmux[n] = value & 0x33333333
                return
            if reg == 0x04:
                self.ssctl[n] = value               # only 6 is meant (QEMU: LOG_UNIMP otherwise)
                return
        if offset == 0x00:
            self.actss = value & 0xF
        elif offset == 0x08:
            self.im = value
        elif offset == 0x0C:
            self.ris &= ~value
        elif offset == 0x10:
            self.ostat &= ~value
        elif offset == 0x14:
            self.emux = value
        elif offset == 0x18:
            self.ustat &= ~value
        elif offset == 0x20:
            self.sspri = value
        elif offset == 0x28:
            pass                                    # PSSI: processor trigger not modelled (as QEMU)
        elif offset == 0x30:
            self.sac = value
        else:
            self.guest_error("stellaris_adc: write at bad offset 0x%x\n", offset)
        self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._update()
