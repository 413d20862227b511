"""emud.gdbstub: the gdb remote serial protocol stub.

Layers: ``packets`` (framing, sans-I/O), ``dispatch`` (commands, sans-I/O),
``xmldesc`` (target description, memory map), ``server`` (the trio transport:
``serve_gdb(target, "tcp::1234")``).
"""
from __future__ import annotations

from emud.gdbstub.server import GdbServer, GdbServerError, parse_spec, serve_gdb

__all__ = ["serve_gdb", "GdbServer", "GdbServerError", "parse_spec"]
