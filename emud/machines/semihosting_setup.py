"""Hand a machine's harts the semihosting service -semihosting asks for, wired
as QEMU 7.2 wires it: the console on stderr (without a -semihosting-config
chardev), SYS_EXIT ending the run with the guest's code, guest time as the
clock. virt.py builds the same service inline today; it can call this."""
from __future__ import annotations

import sys
from typing import Any, Dict


def attach_semihosting(machine, config: Dict[str, Any]) -> None:
    from ..semihosting import Semihosting

    def console_out(data: bytes) -> None:
        sys.stderr.buffer.write(data)
        sys.stderr.buffer.flush()

    service = Semihosting(
        read_memory=machine.bus.read_bytes, write_memory=machine.bus.write_bytes,
        console_out=console_out, on_exit=machine.request_shutdown, guest_ns=machine.clock.now_ns,
        cmdline=config.get("cmdline", ""), allow_host_files=bool(config.get("allow_host_files", False)))
    for cpu in machine.cpus:
        cpu.semihosting = service
