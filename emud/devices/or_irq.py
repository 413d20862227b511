"""An OR gate of interrupt lines (QEMU's TYPE_OR_IRQ): boards use it where
several device outputs share one interrupt controller input."""
from __future__ import annotations

from typing import Callable, List

from emud.devices.base import IrqLine


class OrIrq:
    def __init__(self, num_lines: int, name: str = "or-irq") -> None:
        self.levels: List[int] = [0] * num_lines
        self.out = IrqLine(name)

    def input(self, n: int) -> Callable[[int], None]:
        """The sink for input line ``n`` (give it to IrqLine.connect)."""
        def sink(level: int) -> None:
            self.levels[n] = 1 if level else 0
            self.out.set(any(self.levels))
        return sink
