"""Guest virtual time and timers (QEMU's QEMU_CLOCK_VIRTUAL).

Two ways for time to pass:

* realtime (the default): guest nanoseconds follow the host's monotonic
  clock, but only while the machine runs: a machine stopped in the debugger
  sees no time pass, as on QEMU.
* icount (``-icount shift=N``): every retired instruction is 2**N ns, so a run
  is deterministic; when every hart waits for an interrupt the clock jumps to
  the next timer deadline instead of sleeping.

Devices arm timers with :meth:`VirtualClock.add_timer`; the vCPU loop calls
:meth:`run_expired` between quanta and caps a quantum with
:meth:`insns_until_deadline` in icount mode, so a timer fires on the exact
instruction (in realtime mode a quantum ends by the deadline, in host time:
see machines/pacing.py).
"""
from __future__ import annotations

import heapq
import itertools
import time
from typing import Callable, List, Optional, Tuple


class Timer:
    __slots__ = ("deadline", "callback", "cancelled")

    def __init__(self, deadline: int, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class VirtualClock:
    def __init__(self, icount_shift: Optional[int] = None,
                 retired: Optional[Callable[[], int]] = None) -> None:
        self.icount_shift = icount_shift
        # retired(): instructions retired by all harts, for icount mode
        self._retired = retired or (lambda: 0)
        self._offset_ns = 0          # icount: time warped forward while idle
        self._running = False
        self._run_started = 0.0      # realtime: host time when the VM last started
        self._accumulated_ns = 0     # realtime: guest ns before the last start
        self._heap: List[Tuple[int, int, Timer]] = []
        self._seq = itertools.count()
        # told of every new timer (the machine cuts a running quantum short,
        # so that the next one is sized to the new deadline)
        self.on_timer_added: Optional[Callable[[int], None]] = None

    @property
    def icount(self) -> bool:
        return self.icount_shift is not None

    # -- time -------------------------------------------------------------------
    def now_ns(self) -> int:
        if self.icount_shift is not None:
            return (self._retired() << self.icount_shift) + self._offset_ns
        if self._running:
            return self._accumulated_ns + int((time.monotonic() - self._run_started) * 1e9)
        return self._accumulated_ns

    def start(self) -> None:
        if not self._running:
            self._running = True
            self._run_started = time.monotonic()

    def stop(self) -> None:
        if self._running:
            self._accumulated_ns = self.now_ns() if self.icount_shift is None else self._accumulated_ns
            self._running = False

    def warp_to(self, ns: int) -> None:
        """icount only: let idle time pass up to ``ns``."""
        now = self.now_ns()
        if ns > now:
            self._offset_ns += ns - now

    # -- timers -------------------------------------------------------------------
    def add_timer(self, deadline_ns: int, callback: Callable[[], None]) -> Timer:
        t = Timer(deadline_ns, callback)
        heapq.heappush(self._heap, (deadline_ns, next(self._seq), t))
        if self.on_timer_added is not None:
            self.on_timer_added(deadline_ns)
        return t

    def next_deadline(self) -> Optional[int]:
        while self._heap and self._heap[0][2].cancelled:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def run_expired(self) -> int:
        """Fire every timer whose deadline has passed; returns how many fired."""
        fired = 0
        now = self.now_ns()
        while self._heap and self._heap[0][0] <= now:
            _, _, t = heapq.heappop(self._heap)
            if not t.cancelled:
                t.cancelled = True
                t.callback()
                fired += 1
        return fired

    def insns_until_deadline(self) -> Optional[int]:
        """icount: instructions left before the next timer fires (>= 1)."""
        if self.icount_shift is None:
            return None
        d = self.next_deadline()
        if d is None:
            return None
        left = d - self.now_ns()
        if left <= 0:
            return 1
        step = 1 << self.icount_shift
        return max(1, (left + step - 1) // step)

    def seconds_until_deadline(self) -> Optional[float]:
        d = self.next_deadline()
        if d is None:
            return None
        return max(0.0, (d - self.now_ns()) / 1e9)

    # -- snapshots ------------------------------------------------------------------
    def save_state(self) -> dict:
        return {"offset_ns": self._offset_ns, "accumulated_ns": self.now_ns() if self.icount_shift is None else self._accumulated_ns}

    def load_state(self, state: dict) -> None:
        self._offset_ns = state["offset_ns"]
        self._accumulated_ns = state["accumulated_ns"]
        if self._running:
            self._run_started = time.monotonic()
