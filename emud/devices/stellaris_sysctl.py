"""Stellaris system control block (``ssys``), as QEMU 7.2's stellaris.c models it.

Registers: 0x000 DID0, 0x004 DID1, 0x008 DC0, 0x010-0x01C DC1-DC4 (device
identification, board constants), 0x030 PBORCTL, 0x034 LDOPCTL, 0x040-0x048
SRCR0-2 (read 0; peripheral reset is not modelled), 0x050 RIS, 0x054 IMC,
0x058 MISC (W1C), 0x05C RESC, 0x060 RCC, 0x064 PLLCFG (from RCC's XTAL
field, by device class), 0x070 RCC2 (Fury class only), 0x100-0x128 the
RCGC/SCGC/DCGC clock gates (read as written; gating is not modelled),
0x150 CLKVCLR, 0x160 LDOARST. USER0/USER1 (0x1E0/0x1E4: the MAC address on
a real part) read ``user0``/``user1``, which the board sets from its network
card's MAC as QEMU 7.2's stellaris.c does (:func:`user_regs_for_mac`).

-d guest_errors: any other offset logs QEMU 7.2's "SSYS: read at bad offset
0x..." / "SSYS: write at bad offset 0x..." (SRCR0-2 writes are LOG_UNIMP).

The system clock follows QEMU: 200 MHz / (SYSDIV + 1), SYSDIV from RCC (or
RCC2 when its USERCC2 bit is set), whatever BYPASS and the oscillator say:
12.5 MHz at reset. Consumers (SysTick, the GPTMs, the watchdog) subscribe
with :meth:`add_clock_listener`. Clearing RCC's or RCC2's PWRDN bit latches
PLLLRIS (the PLL locks at once).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

from emud.devices.base import Device, IrqLine

PLLCFG_SANDSTORM = (0x31C0, 0x1AE0, 0x18C0, 0xD573, 0x37A6, 0x1AE2, 0x0C40, 0x98BC,
                    0x935B, 0x09C0, 0x4DEE, 0x0C41, 0x75DB, 0x1AE6, 0x0600, 0x585B)
PLLCFG_FURY = (0x3200, 0x1B20, 0x1900, 0xF42B, 0x37E3, 0x1B21, 0x0C80, 0x98EE,
               0xD5B4, 0x0A00, 0x4E27, 0x1902, 0xEC1C, 0x1B23, 0x0640, 0xB11C)
PWRDN = 1 << 13
PLLLRIS = 1 << 6


def user_regs_for_mac(mac: bytes):
    """USER0, USER1 for a MAC address: three bytes each, the first in the low byte."""
    return int.from_bytes(mac[:3], "little"), int.from_bytes(mac[3:6], "little")


class StellarisSysCtl(Device):
    region_name = "ssys"
    size = 0x1000
    access_sizes = (1, 2, 4)
    state_fields = ("pborctl", "ldopctl", "int_status", "int_mask", "resc", "rcc", "rcc2",
                    "rcgc", "scgc", "dcgc", "clkvclr", "ldoarst")

    def __init__(self, did0: int, did1: int, dc: List[int], name: str = "ssys", user0: int = 0,
                 user1: int = 0) -> None:
        self.name = name
        self.did0, self.did1 = did0, did1
        self.user0, self.user1 = user0, user1
        self.dc = list(dc)           # DC0..DC4
        self.irq = IrqLine(name + ".irq")
        self._clock_listeners: List[Callable[[float], None]] = []
        self.int_status = 0
        self.int_mask = 0
        self.ldopctl = 0
        self.resc = 0
        self.rcgc = [0, 0, 0]
        self.scgc = [0, 0, 0]
        self.dcgc = [0, 0, 0]
        self.clkvclr = 0
        self.ldoarst = 0
        self.reset()

    @property
    def fury(self) -> bool:
        """DID0 class: Fury (1) or Sandstorm (0; also every version-0 part)."""
        return (self.did0 & 0x70000000) == 0x10000000 and (self.did0 & 0x00FF0000) == 0x00010000

    # -- the system clock ---------------------------------------------------------------
    def sysclk_hz(self) -> float:
        if self.rcc2 >> 31:
            div = ((self.rcc2 >> 23) & 0x3F) + 1
        else:
            div = ((self.rcc >> 23) & 0xF) + 1
        return 1e9 / (5 * div)

    def add_clock_listener(self, listener: Callable[[float], None]) -> None:
        self._clock_listeners.append(listener)
        listener(self.sysclk_hz())

    def _clock_changed(self) -> None:
        hz = self.sysclk_hz()
        for listener in self._clock_listeners:
            listener(hz)

    def reset(self) -> None:
        # as QEMU's reset: only these; the rest keeps its value
        self.pborctl = 0x7FFD
        self.rcc = 0x078E3AC0
        self.rcc2 = 0x07802810 if self.fury else 0
        self.rcgc[0] = self.scgc[0] = self.dcgc[0] = 1
        self._clock_changed()
        self._update()

    def _update(self) -> None:
        self.irq.set(self.int_status & self.int_mask)

    # -- registers ----------------------------------------------------------------------
    def read(self, offset: int, size: int) -> int:
        if offset == 0x064:
            table = PLLCFG_FURY if self.fury else PLLCFG_SANDSTORM
            return table[(self.rcc >> 6) & 0xF]
        if 0x100 <= offset <= 0x128 and offset & 0xC != 0xC:
            bank = (self.rcgc, self.scgc, self.dcgc)[(offset - 0x100) >> 4]
            return bank[(offset >> 2) & 3]
        value = {
            0x000: self.did0, 0x004: self.did1, 0x008: self.dc[0], 0x010: self.dc[1],
            0x014: self.dc[2], 0x018: self.dc[3], 0x01C: self.dc[4], 0x030: self.pborctl,
            0x034: self.ldopctl, 0x040: 0, 0x044: 0, 0x048: 0,      # SRCR0-2 read 0
            0x050: self.int_status, 0x054: self.int_mask,
            0x058: self.int_status & self.int_mask, 0x05C: self.resc, 0x060: self.rcc,
            0x070: self.rcc2, 0x150: self.clkvclr, 0x160: self.ldoarst,
            0x1E0: self.user0, 0x1E4: self.user1,
        }.get(offset)
        if value is None:
            self.guest_error("SSYS: read at bad offset 0x%x\n", offset)
            return 0
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x030:
            self.pborctl = value & 0xFFFF
        elif offset == 0x034:
            self.ldopctl = value & 0x1F
        elif offset == 0x054:
            self.int_mask = value & 0x7F
        elif offset == 0x058:
            self.int_status &= ~value
        elif offset == 0x05C:
            self.resc = value & 0x3F
        elif offset == 0x060:
            if self.rcc & PWRDN and not value & PWRDN:
                self.int_status |= PLLLRIS
            self.rcc = value
            self._clock_changed()
        elif offset == 0x070:
            if not self.fury:
                return
            if self.rcc2 & PWRDN and not value & PWRDN:
                self.int_status |= PLLLRIS
            self.rcc2 = value
            self._clock_changed()
        elif 0x100 <= offset <= 0x128 and offset & 0xC != 0xC:
            bank = (self.rcgc, self.scgc, self.dcgc)[(offset - 0x100) >> 4]
            bank[(offset >> 2) & 3] = value
        elif offset == 0x150:
            self.clkvclr = value
        elif offset == 0x160:
            self.ldoarst = value
        elif offset not in (0x040, 0x044, 0x048):      # SRCR0-2: QEMU's LOG_UNIMP (no reset)
            self.guest_error("SSYS: write at bad offset 0x%x\n", offset)
        self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._clock_changed()
        self._update()
