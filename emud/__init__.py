"""emud: a GDB-remote-debuggable emulator server (RISC-V `virt`) in Python."""
from __future__ import annotations

__version__ = "0.1.0"
