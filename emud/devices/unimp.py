"""QEMU's "unimplemented device" (hw/misc/unimp.c): a placeholder window that
reads as zero and ignores writes, so firmware probing a block QEMU does not
model runs on (QEMU maps these at priority -1000, under any real device)."""
from __future__ import annotations

from emud.devices.base import Device


class Unimplemented(Device):
    access_sizes = (1, 2, 4, 8)

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        pass
