"""A virt machine in this process, on an ELF, with its UART in memory."""
from __future__ import annotations

from emud.chardev import MemoryChardev
from emud.loader import load_elf
from emud.machines.virt import VirtMachine


def virt_machine(path, **kw):
    """(machine, serial) with the ELF at ``path`` loaded; ``kw`` go to VirtMachine."""
    image = load_elf(str(path))
    serial = MemoryChardev()
    m = VirtMachine(xlen=image.xlen, serial=serial, **kw)
    serial.attach(m.uart)
    m.uart.chardev = serial
    m.load_image(image)
    m.set_entry(image.entry)
    return m, serial
