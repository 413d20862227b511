"""The machines `-M` can name, QEMU's spelling, each imported only when chosen.

``MACHINES[name]`` is (module, class, description). :func:`machine_class`
gives the class; :func:`help_text` is the `-M help` listing.
"""
from __future__ import annotations

import importlib
from typing import Dict, Tuple

MACHINES: Dict[str, Tuple[str, str, str]] = {
    "virt": ("emud.machines.virt", "VirtMachine", "RISC-V VirtIO board (QEMU-compatible memory map)"),
    "mps2-an385": ("emud.machines.mps2", "Mps2An385Machine", "ARM MPS2 with AN385 FPGA image for Cortex-M3"),
    "lm3s6965evb": ("emud.machines.stellaris", "Lm3s6965Machine", "Stellaris LM3S6965EVB (Cortex-M3)"),
}


class UnknownMachine(ValueError):
    pass


def machine_class(name: str):
    try:
        module, cls, _ = MACHINES[name]
    except KeyError:
        raise UnknownMachine("-M %s: unsupported machine type (available: %s)"
                             % (name, ", ".join(sorted(MACHINES)))) from None
    return getattr(importlib.import_module(module), cls)


def help_text() -> str:
    lines = ["Supported machines are:"]
    lines += ["%-20s %s" % (name, desc) for name, (_, _, desc) in sorted(MACHINES.items())]
    return "\n".join(lines) + "\n"
