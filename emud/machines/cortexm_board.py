"""What a Cortex-M board file builds before the CPU exists: its memory map
and devices, their interrupt outputs wired to NVIC inputs.

A board is built on a *host*: anything with ``bus`` (emud.memory.AddressSpace),
``clock`` (emud.clock.VirtualClock) and ``map_device(name, base, device, size)``
- the Machine (emud/machines/base.py) in a run, a bare host in unit tests.
Interrupts go to ``irq(n)``: a callable taking a level, for external input
``n`` of the NVIC (``nvic.irq(n).set`` once the NVIC exists); ``nmi`` is the
NMI input. That keeps the boards testable, device by device and register by
register against QEMU, with no CPU at all.
"""
from __future__ import annotations

from typing import Callable, Optional

from ..clock import VirtualClock
from ..devices.bitband import BitBand
from ..devices.unimp import Unimplemented
from ..memory import AddressSpace, MmioRegion

#: QEMU maps its unimplemented-device placeholders at this priority, under everything
UNIMP_PRIORITY = -1000
SRAM_BITBAND_BASE, SRAM_BITBAND_TARGET = 0x22000000, 0x20000000
PERIPH_BITBAND_BASE, PERIPH_BITBAND_TARGET = 0x42000000, 0x40000000

IrqSink = Callable[[int], None]


class BareHost:
    """A bus, a clock and a device table: enough to build a board on."""

    def __init__(self, clock: Optional[VirtualClock] = None) -> None:
        self.bus = AddressSpace()
        self.clock = clock or VirtualClock(icount_shift=0)
        self.devices_by_name = {}

    def map_device(self, name: str, base: int, device, size: Optional[int] = None) -> None:
        size = size or device.size
        self.bus.map(base, MmioRegion(name, size, device))
        self.devices_by_name[name] = (device, base, size)


def map_unimplemented(host, name: str, base: int, size: int, priority: int = UNIMP_PRIORITY) -> None:
    """A RAZ/WI placeholder, as QEMU's create_unimplemented_device() maps one
    (not in the device table: it has no state and nothing to reset). QEMU
    logs its accesses under -d unimp, which emud does not have: no log."""
    host.bus.map(base, MmioRegion(name, size, Unimplemented(name, size)), priority=priority)


def map_bitband(host) -> None:
    """The two bit-band aliases armv7m maps with enable-bitband: SRAM and peripherals."""
    for base, target in ((SRAM_BITBAND_BASE, SRAM_BITBAND_TARGET), (PERIPH_BITBAND_BASE, PERIPH_BITBAND_TARGET)):
        alias = BitBand(host.bus, target)
        host.bus.map(base, MmioRegion("bitband", alias.size, alias))
