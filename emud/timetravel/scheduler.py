"""Which hart runs next while history is recorded or replayed: a pure
function of the machine's state, never of trio's task order.

The harts take turns in hart order, ``TURN`` instructions each (a hart
waiting for an interrupt gives up its turn; one whose interrupt is pending
wakes, as the vCPU loop wakes it). Where the current turn stands (whose it is
and how much is left) is part of every checkpoint, so a run stopped in the
middle of a turn resumes the rest of it, and a replay from a checkpoint
interleaves the harts exactly as the recording did. With one hart there are
no turns: quanta are sized for responsiveness only, which changes nothing
the guest can see (every quantum ends at an exact instruction count).
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

#: instructions per turn when several harts run (about QEMU's round-robin
#: TCG slice; a vCPU quantum was ~10,000 on CPython with -smp 2)
TURN = 10_000


class TurnState:
    __slots__ = ("hart", "left")

    def __init__(self, hart: int = 0, left: int = TURN) -> None:
        self.hart = hart      # index into machine.cpus
        self.left = left      # instructions left in this turn

    def save(self) -> List[int]:
        return [self.hart, self.left]

    def load(self, state: List[int]) -> None:
        self.hart, self.left = int(state[0]), int(state[1])

    def choose(self, cpus: List[Any]) -> Tuple[Optional[int], int]:
        """Which hart runs next (its index, or None when every hart waits
        for an interrupt) and how much of a turn it has; changes nothing."""
        n = len(cpus)
        if n == 1:
            cpu = cpus[0]
            if cpu.halted and not cpu.interrupt_pending():
                return None, 0
            return 0, 1 << 62
        for k in range(n + 1):
            i = (self.hart + k) % n
            cpu = cpus[i]
            if k == 0 and self.left <= 0:
                continue            # its turn is over: the others first, then a new turn
            if cpu.halted and not cpu.interrupt_pending():
                continue
            return i, self.left if k == 0 else TURN
        return None, 0

    def commit(self, cpus: List[Any], index: int, room: int) -> Any:
        """Make ``choose``'s choice: the hart's turn, the hart woken."""
        if len(cpus) > 1:
            self.hart, self.left = index, room
        cpu = cpus[index]
        cpu.halted = False          # (a pending interrupt wakes it, as the vCPU loop does)
        return cpu

    def pick(self, cpus: List[Any]) -> Tuple[Optional[Any], int]:
        """(hart to run, most it may retire in this turn), or (None, 0) when
        every hart waits for an interrupt. Nothing changes while every hart
        waits: an idle machine may be asked any number of times, in recording
        and in replay alike."""
        index, room = self.choose(cpus)
        if index is None:
            return None, 0
        return self.commit(cpus, index, room), room

    def ran(self, cpus: List[Any], cpu: Any, retired: int) -> None:
        if len(cpus) > 1:
            self.left -= retired
            if cpu.halted:
                self.left = 0
