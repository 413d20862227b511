"""-d unimp: an access to an unimplemented-device placeholder is logged in
the words of QEMU 7.2's hw/misc/unimp.c, read from a -qtest run of
qemu-system-arm -M mps2-an385 -d unimp (offset padded to the window's
size, the value to the access size)."""
from __future__ import annotations

from emud.devices.unimp import Unimplemented
from emud.log import Log, parse_items


class _Lines(Log):
    def __init__(self, items):
        super().__init__(items)
        self.lines = []

    def write(self, text):
        self.lines.append(text)


def test_placeholder_accesses_are_logged_as_qemu_words_them():
    dev = Unimplemented("RESERVED 1", 0x800000)
    dev.guest_log = log = _Lines(parse_items("guest_errors,unimp"))
    assert dev.read(0x10, 4) == 0
    dev.write(0x7ffffc, 2, 0xbeef)
    assert log.lines == ["RESERVED 1: unimplemented device read  (size 4, offset 0x000010)\n",
                         "RESERVED 1: unimplemented device write (size 2, offset 0x7ffffc, value 0xbeef)\n"]


def test_nothing_is_logged_without_the_item():
    dev = Unimplemented("i2c0", 0x1000)
    dev.guest_log = log = _Lines(parse_items("guest_errors"))
    dev.read(0, 4)
    dev.write(4, 4, 1)
    assert log.lines == []
