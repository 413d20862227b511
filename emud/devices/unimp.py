"""QEMU's "unimplemented device" (hw/misc/unimp.c): a placeholder window that
reads as zero and ignores writes, so firmware probing a block QEMU does not
model runs on (QEMU maps these at priority -1000, under any real device).
Each access is logged under ``-d unimp`` in QEMU's words."""
from __future__ import annotations

from emud.devices.base import Device


class Unimplemented(Device):
    access_sizes = (1, 2, 4, 8)

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        # QEMU's offset_fmt_width: hex digits of the largest offset
        self._width = max(1, ((size - 1).bit_length() + 3) // 4)

    def read(self, offset: int, size: int) -> int:
        self.unimplemented("%s: unimplemented device read  (size %d, offset 0x%0*x)\n",
                           self.name, size, self._width, offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        self.unimplemented("%s: unimplemented device write (size %d, offset 0x%0*x, value 0x%0*x)\n",
                           self.name, size, self._width, offset, size * 2, value)
