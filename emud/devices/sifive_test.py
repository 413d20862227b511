"""SiFive test finisher (QEMU hw/misc/sifive_test.c): the guest's way to end
the emulation. A write to offset 0 of

  0x5555                 -> pass: ``on_exit(0)``
  (code << 16) | 0x3333  -> fail: ``on_exit(code)``
  0x7777                 -> ``on_reset()`` (system reset request)

Anything else is ignored, and logged under -d guest_errors as QEMU 7.2 logs
it ("sifive_test_write: write: addr=0x4 val=0x0000000000001234"). Reads
return 0. 2- and 4-byte accesses only.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from emud.devices.base import Device

FINISHER_FAIL = 0x3333
FINISHER_PASS = 0x5555
FINISHER_RESET = 0x7777


class SifiveTest(Device):
    name = "sifive_test"
    region_name = "riscv.sifive.test"
    size = 0x1000
    access_sizes = (2, 4)

    def __init__(self, on_exit: Optional[Callable[[int], None]] = None,
                 on_reset: Optional[Callable[[], None]] = None, name: str = "sifive_test") -> None:
        self.name = name
        self.on_exit = on_exit
        self.on_reset = on_reset
        self.last_status: Optional[int] = None   # for `info devices` and tests

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0:
            status = value & 0xFFFF
            code = (value >> 16) & 0xFFFF
            if status == FINISHER_FAIL:
                self._exit(code)
                return
            if status == FINISHER_PASS:
                self._exit(0)
                return
            if status == FINISHER_RESET:
                self.last_status = status
                if self.on_reset is not None:
                    self.on_reset()
                return
        self.guest_error("sifive_test_write: write: addr=0x%x val=0x%016x\n", offset, value)

    def _exit(self, code: int) -> None:
        self.last_status = code
        if self.on_exit is not None:
            self.on_exit(code)

    def info(self) -> Dict[str, Any]:
        d = super().info()
        d["last_status"] = self.last_status
        return d
