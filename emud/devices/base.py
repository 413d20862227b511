"""What every device is: registers addressed by offset, IRQ lines, a reset.

A device never knows its base address; the machine maps it (``emud.memory``)
and wires its interrupt outputs to an interrupt controller's inputs.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Dict, Optional, Tuple


class IrqLine:
    """One interrupt wire. The source calls :meth:`set`; the sink's callback
    sees level changes only (so raising twice is one edge)."""

    __slots__ = ("name", "level", "_sink")

    def __init__(self, name: str = "irq", sink: Optional[Callable[[int], None]] = None) -> None:
        self.name = name
        self.level = 0
        self._sink = sink

    def connect(self, sink: Callable[[int], None]) -> None:
        self._sink = sink
        if self.level:
            sink(1)

    def set(self, level: int) -> None:
        level = 1 if level else 0
        if level != self.level:
            self.level = level
            if self._sink is not None:
                self._sink(level)

    def raise_(self) -> None:
        self.set(1)

    def lower(self) -> None:
        self.set(0)


class Device:
    """Base class. Subclasses set ``size`` (bytes of register space),
    ``access_sizes`` (widths the bus accepts; others fault) and implement
    :meth:`read`, :meth:`write` and :meth:`reset`.

    ``state_fields`` names the attributes that make up the device's state for
    snapshots; the default :meth:`save_state`/:meth:`load_state` copy them.

    A bad register access is reported with :meth:`guest_error`, in QEMU's
    words; ``region_name`` is the name QEMU gives the device's MemoryRegion,
    which the bus's messages about refused accesses quote.
    """

    name = "device"
    size = 0x1000
    access_sizes: Tuple[int, ...] = (1, 2, 4, 8)
    state_fields: Tuple[str, ...] = ()
    region_name: Optional[str] = None     # None: the name the machine maps it under
    # the -d/-D log (emud.log.Log), wired in by the machine; None: not logging
    guest_log: Any = None

    def guest_error(self, fmt: str, *args: Any) -> None:
        """QEMU's ``qemu_log_mask(LOG_GUEST_ERROR, fmt, args)``: ``fmt % args``
        goes to the log while its guest_errors item is on (``-d``, or the
        monitor's ``log`` later), with QEMU's text, newline and all (some of
        QEMU's messages have none). Only error paths call this, and nothing
        is formatted while the item is off."""
        log = self.guest_log
        if log is not None and log.enabled("guest_errors"):
            log.write(fmt % args)

    def unimplemented(self, fmt: str, *args: Any) -> None:
        """QEMU's ``qemu_log_mask(LOG_UNIMP, ...)``: what the guest did that
        the model does not implement, under the ``unimp`` item."""
        log = self.guest_log
        if log is not None and log.enabled("unimp"):
            log.write(fmt % args)

    def read(self, offset: int, size: int) -> int:
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        pass

    def reset(self) -> None:
        pass

    def save_state(self) -> Dict[str, Any]:
        return {f: copy.deepcopy(getattr(self, f)) for f in self.state_fields}

    def load_state(self, state: Dict[str, Any]) -> None:
        for f, v in state.items():
            setattr(self, f, copy.deepcopy(v))

    def info(self) -> Dict[str, Any]:
        """A short description for `info devices`."""
        return {"name": self.name, "type": type(self).__name__}
