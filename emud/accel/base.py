"""The accelerator interface (QEMU's AccelClass / AccelOpsClass).

The machine, the devices and the debug front ends talk to whatever runs guest
code only through this interface. ``tcg`` (our translator) is one
implementation; a hardware accelerator (KVM: KVM_RUN for `execute`,
KVM_SET_GUEST_DEBUG for breakpoints, KVM_IRQ_LINE for interrupts) would be
another, without touching the machine.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Set


class Accelerator:
    name = "none"

    def __init__(self) -> None:
        # callables() told when translated code is dropped (TB_FLUSH events)
        self.flush_listeners: List[Callable[[], None]] = []
        # callables(cpu, cause, epc or None, is_interrupt) for every trap taken
        self.trap_listeners: List[Callable[..., None]] = []

    def execute(self, cpu, budget: int, single_step: bool = False, allow_irq: bool = True,
                exact: bool = True) -> str:
        """Run ``budget`` instructions on ``cpu`` (not ``exact``: about as
        many, a few more are fine); return why it stopped: "budget",
        "halted", "exit", "debug", "trap", "interrupt"."""
        raise NotImplementedError

    def set_breakpoints(self, pcs: Set[int]) -> None:
        raise NotImplementedError

    def set_watchpoints(self, watchpoints: Sequence[Any]) -> None:
        raise NotImplementedError

    def flush_code_cache(self) -> None:
        """Drop all translated code (a no-op for hardware accelerators)."""

    def invalidate_code(self, addr: int, length: int) -> int:
        return 0

    def set_log_items(self, items: Sequence[str]) -> None:
        pass

    #: dirty logging's granularity: chunk number = guest address >> this (0: none)
    dirty_chunk_shift = 0

    def dirty_log(self, action: str) -> Set[int]:
        """Dirty logging of guest RAM, for time travel's incremental
        checkpoints: ``"start"`` (log every RAM chunk written from now on,
        whoever writes it), ``"take"`` (the chunks written since the start or
        the last take, as ``address >> dirty_chunk_shift``; the log starts
        afresh), ``"stop"``. Returns the chunks for "take", else an empty set.
        An accelerator without it raises NotImplementedError."""
        raise NotImplementedError("this accelerator has no dirty logging")

    def statistics(self) -> Dict[str, Any]:
        return {"accelerator": self.name}


class AccelError(ValueError):
    pass


def parse_accel(spec: str) -> Dict[str, Any]:
    """`-accel tcg,tb-size=64` -> {"name": "tcg", "tb-size": "64"}."""
    parts = [p for p in spec.split(",") if p]
    if not parts:
        raise AccelError("-accel needs a name (tcg)")
    out: Dict[str, Any] = {"name": parts[0]}
    for p in parts[1:]:
        if "=" not in p:
            raise AccelError("bad -accel option %r (expected key=value)" % p)
        k, v = p.split("=", 1)
        out[k] = v
    return out
