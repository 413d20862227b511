"""What every UART shares with the chardev layer (emud/chardev.py): the
backend it is attached to, the listeners that see its output (the monitor's
`run until uart`, the machine's UART events), and telling the backend that
receive room opened up. The chardev calls the UART's ``can_receive()`` and
``receive(data)``; those stay in the UART."""
from __future__ import annotations

from typing import Callable, List


class SerialFrontend:
    chardev = None

    def init_serial(self, chardev) -> None:
        self.output_listeners: List[Callable[[bytes], None]] = []
        self.chardev = None
        if chardev is not None:
            self.set_chardev(chardev)

    def set_chardev(self, chardev) -> None:
        self.chardev = chardev
        chardev.attach(self)

    def send(self, data: bytes) -> None:
        """The guest transmitted ``data``."""
        if self.chardev is not None:
            self.chardev.write(data)
        for listener in self.output_listeners:
            listener(data)

    def accept_input(self) -> None:
        """The guest took a byte: the backend may offer more."""
        accept = getattr(self.chardev, "accept_input", None)
        if accept is not None:
            accept()
