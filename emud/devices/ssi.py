"""A synchronous serial (SPI) bus and the peripherals on it, as QEMU 7.2's
hw/ssi/ssi.c has them.

The controller (the bus master, e.g. the PL022) calls ``SsiBus.transfer``
with one frame; every peripheral on the bus sees it and the replies are
ORed together, as QEMU's ssi_transfer does. A peripheral with a chip
select only answers while selected (its ``cs_polarity``: active high or
low; None: no chip select, always listening); an unselected one gives 0.
The chip select is an input line: wire a GPIO output to ``set_cs``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional


class SsiPeripheral:
    """Base of a device on an SSI bus: ``transfer(value)`` -> reply."""

    #: True: selected while CS is high; False: while low; None: always selected
    cs_polarity: Optional[bool] = None
    state_fields = ("cs",)

    def __init__(self) -> None:
        self.cs = 0

    def set_cs(self, level: int) -> None:
        self.cs = 1 if level else 0

    def selected(self) -> bool:
        return self.cs_polarity is None or bool(self.cs) == self.cs_polarity

    def transfer_raw(self, value: int) -> int:
        return self.transfer(value) if self.selected() else 0

    def transfer(self, value: int) -> int:
        raise NotImplementedError

    def reset(self) -> None:
        """QEMU's device reset of the peripheral (the chip select keeps its level)."""

    def save_state(self) -> Dict[str, Any]:
        return {f: _copy(getattr(self, f)) for f in self.state_fields}

    def load_state(self, state: Dict[str, Any]) -> None:
        for f, v in state.items():
            setattr(self, f, _copy(v))


def _copy(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return bytearray(v)
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


class SsiBus:
    def __init__(self, name: str = "ssi") -> None:
        self.name = name
        self.peripherals: List[SsiPeripheral] = []

    def attach(self, peripheral: SsiPeripheral) -> SsiPeripheral:
        self.peripherals.append(peripheral)
        return peripheral

    def transfer(self, value: int) -> int:
        reply = 0
        for p in self.peripherals:
            reply |= p.transfer_raw(value)
        return reply
