"""A debugger's memory access to a device (Bus.read_bytes/write_bytes, what
gdb's m/M packets and the monitor's x use) is made as QEMU's
memory_access_size makes it: the widest access the device takes (4 bytes at
most), no wider than what is left, aligned to its size. Before, emud read and
wrote devices a byte at a time, so gdb's `x/xw 0xE000ED34` read MMFAR (a
word-only register of the SCB that answers byte reads with 0, as QEMU's NVIC
does) as zero where QEMU showed the faulting address, and a word written by
gdb reached the device as four byte writes."""
from __future__ import annotations

import pytest

from emud.devices.base import Device
from emud.machines import registry
from emud.memory import AddressSpace, MmioRegion


class Recorder(Device):
    size = 0x100
    access_sizes = (1, 2, 4)

    def __init__(self):
        self.accesses = []

    def read(self, offset, size):
        self.accesses.append(("r", offset, size))
        return int.from_bytes(bytes(range(offset, offset + size)), "little")

    def write(self, offset, size, value):
        self.accesses.append(("w", offset, size, value))


@pytest.fixture
def bus_and_device():
    bus = AddressSpace()
    dev = Recorder()
    bus.map(0x1000, MmioRegion("rec", dev.size, dev))
    return bus, dev


@pytest.mark.parametrize("addr, length, sizes", [
    (0x1000, 4, [4]),
    (0x1000, 8, [4, 4]),
    (0x1002, 4, [2, 2]),
    (0x1001, 6, [1, 2, 2, 1]),
    (0x1004, 3, [2, 1]),
])
def test_reads_and_writes_take_qemus_widths(bus_and_device, addr, length, sizes):
    bus, dev = bus_and_device
    assert bus.read_bytes(addr, length) == bytes(range(addr - 0x1000, addr - 0x1000 + length))
    assert [a[2] for a in dev.accesses] == sizes
    dev.accesses.clear()
    data = bytes(range(0xA0, 0xA0 + length))
    bus.write_bytes(addr, data)
    assert [a[2] for a in dev.accesses] == sizes
    written = b"".join(a[3].to_bytes(a[2], "little") for a in dev.accesses)
    assert written == data


def test_a_word_only_register_reads_whole():
    """gdb's x/xw of the SCB's MMFAR after a MemManage fault shows the address."""
    m = registry.machine_class("mps2-an385")()
    m.nvic.mmfar = 0x2000B420
    m.nvic.cfsr = 0x82
    assert m.read_memory(0xE000ED34, 4) == (0x2000B420).to_bytes(4, "little")
    assert m.read_memory(0xE000ED28, 4) == (0x82).to_bytes(4, "little")
    m.write_memory(0xE000ED34, (0x12345678).to_bytes(4, "little"))
    assert m.nvic.mmfar == 0x12345678
