"""The full command set: every commands_* module registers its commands."""
from __future__ import annotations

from emud.monitor import (commands_breakpoints, commands_info, commands_machine, commands_memory, commands_run,
                          commands_snapshot, commands_timetravel)
from emud.monitor.registry import Registry

MODULES = (commands_info, commands_run, commands_breakpoints, commands_memory, commands_machine, commands_snapshot,
           commands_timetravel)


def default_registry() -> Registry:
    reg = Registry()
    for module in MODULES:
        module.register(reg)
    return reg
