"""How long a vCPU runs before it yields to the rest of the server.

A vCPU is a trio task: between two quanta the gdb stub, the monitor, UART
input and (in realtime mode) the timers get their turn. A quantum is sized in
host time, not in instructions: about ``SLICE_SECONDS`` of guest execution at
the rate the guest has been running, so the server stays as responsive on
CPython (~20 MIPS) as on PyPy (~200 MIPS), and no longer than the time left
until the next timer is due, so that a realtime timer interrupt is not held
back behind a long quantum. Each quantum end costs the execution loop a few
dozen microseconds (leaving and re-entering the TB loop, a scheduler round),
so with nothing due, longer quanta run the guest faster: on PyPy 20,000
instructions per quantum cost dhry a third of its speed (docs/PERFORMANCE.md).
A quantum that runs past a deadline anyway (the host stalled) does not make
the timer late as the guest sees it: guest time waits for it (clock.py).
"""
from __future__ import annotations

from typing import Optional

#: host time a quantum aims at (the server's worst-case reaction time)
SLICE_SECONDS = 0.004
#: bounds of a quantum, in instructions
MIN_QUANTUM = 1000
MAX_QUANTUM = 4_000_000
#: the first quantum, before any rate is known
FIRST_QUANTUM = 20000
#: several harts take turns this many times per slice (closer to QEMU's threads)
SMP_TURNS = 10


class QuantumPacer:
    """Instruction budgets for quanta from the measured execution rate."""

    def __init__(self) -> None:
        self.rate: Optional[float] = None     # instructions per host second, smoothed

    def budget(self, harts: int = 1, seconds_to_deadline: Optional[float] = None,
               min_insns_to_deadline: Optional[int] = None) -> int:
        """``seconds_to_deadline``: host time until the next realtime timer;
        ``min_insns_to_deadline``: the fewest instructions before guest time
        can reach it (clock.MAX_NS_PER_INSN), so that a quantum run while guest
        time lags the host clock is not cut to MIN_QUANTUM for nothing."""
        if self.rate is None:
            n = FIRST_QUANTUM
        else:
            n = int(self.rate * SLICE_SECONDS)
        if harts > 1:
            n //= SMP_TURNS
        if seconds_to_deadline is not None and self.rate is not None:
            to_deadline = int(self.rate * seconds_to_deadline) + 1
            if min_insns_to_deadline is not None:
                to_deadline = max(to_deadline, min_insns_to_deadline)
            n = min(n, to_deadline)
        return max(MIN_QUANTUM, min(MAX_QUANTUM, n))

    def ran(self, instructions: int, seconds: float) -> None:
        """A full quantum ran ``instructions`` in ``seconds`` of host time."""
        if instructions < MIN_QUANTUM or seconds <= 0.0:
            return   # too short to say anything about the rate
        rate = instructions / seconds
        # smoothed, so one slow quantum (a translation burst, a GC) does not
        # halve the next one
        self.rate = rate if self.rate is None else 0.7 * self.rate + 0.3 * rate
