"""emud: a GDB-remote-debuggable emulator server (RISC-V `virt`) in Python."""
from __future__ import annotations

__version__ = "0.1.0"


def connect(address: str, timeout: float = 60.0):
    """Connect to a running emud's QMP server (``"localhost:4444"`` or
    ``"unix:PATH"``) and return a synchronous :class:`emud.client.Machine`."""
    from .client import connect as _connect
    return _connect(address, timeout)
