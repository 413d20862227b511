"""Cortex-M3/M4 bit-band alias (QEMU's ARM-bitband-memory in hw/arm/armv7m.c).

Each word of the 32 MiB alias stands for one bit of the 1 MiB region at
``target``: alias offset ``o`` is bit ``(o >> 2) & (8*size - 1)`` of the
``size``-byte unit at ``target + (o >> 5)`` (aligned down to the access size,
as QEMU does). Reads give 0 or 1; writes are a read-modify-write of that unit
through the bus, so the alias reaches RAM and peripherals alike and an
access with nothing behind it faults as the direct one would.
"""
from __future__ import annotations

from emud.devices.base import Device

BITBAND_SIZE = 0x2000000


class BitBand(Device):
    size = BITBAND_SIZE
    access_sizes = (1, 2, 4)

    def __init__(self, bus, target: int, name: str = "bitband") -> None:
        self.bus = bus
        self.target = target
        self.name = name

    def _unit(self, offset: int, size: int):
        addr = (self.target | ((offset & (BITBAND_SIZE - 1)) >> 5)) & -size
        bit = (offset >> 2) & (size * 8 - 1)
        return addr, bit

    def read(self, offset: int, size: int) -> int:
        addr, bit = self._unit(offset, size)
        return (self.bus.read(addr, size) >> bit) & 1

    def write(self, offset: int, size: int, value: int) -> None:
        addr, bit = self._unit(offset, size)
        word = self.bus.read(addr, size)
        word = word | (1 << bit) if value & 1 else word & ~(1 << bit)
        self.bus.write(addr, size, word)
