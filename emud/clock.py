"""Guest virtual time and timers (QEMU's QEMU_CLOCK_VIRTUAL).

Two ways for time to pass:

* realtime (the default): guest nanoseconds follow the host's monotonic
  clock, but only while the machine runs: a machine stopped in the debugger
  sees no time pass, as on QEMU. Unlike QEMU, guest time never outruns the
  guest's own execution: while a hart runs, time advances by at most
  ``MAX_NS_PER_INSN`` per instruction, and never past a timer that has not
  fired yet. A translation burst, a GC pause or a busy host therefore leaves
  guest time behind the host clock (a *lag*) instead of letting several timer
  ticks fall due at once with no instructions between them: firmware that
  checks tick against work done (FreeRTOS's TimerDemo) holds, as it does on
  a fast QEMU. The lag is made up as soon as the guest allows it: while harts
  run, time catches up at the per-instruction bound; when every hart waits
  for an interrupt, time jumps forward up to the next timer (or to the host
  clock).
* icount (``-icount shift=N``): every retired instruction is 2**N ns, so a run
  is deterministic; when every hart waits for an interrupt the clock jumps to
  the next timer deadline instead of sleeping.

Devices arm timers with :meth:`VirtualClock.add_timer`; the vCPU loop calls
:meth:`run_quantum` before and :meth:`run_expired` after each quantum, caps a
quantum with :meth:`insns_until_deadline` (icount) or
:meth:`host_seconds_until_deadline` and :meth:`min_insns_until_deadline`
(realtime, see machines/pacing.py), and calls :meth:`idle` when every hart
waits for an interrupt.
"""
from __future__ import annotations

import heapq
import itertools
import time
from typing import Callable, List, Optional, Tuple

#: realtime: the most guest time one instruction may take while a hart runs
#: (as -icount shift=8: 3906 instructions per 1 ms tick at least, which
#: FreeRTOS's full demo needs; emud on CPython runs 20-50 ns an instruction,
#: so the bound only holds time back while emud is stalled)
MAX_NS_PER_INSN = 256


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
        # retired(): instructions retired by all harts (icount time; the
        # realtime bound on how fast time may pass while harts run)
        self._retired = retired or (lambda: 0)
        self._offset_ns = 0          # icount: time warped forward while idle
        self._running = False
        self._run_started = 0.0      # realtime: host time when the VM last started
        self._host_ns = 0            # realtime: host ns the VM ran before the last start
        # realtime guest time = _anchor_ns plus what passed since the anchor:
        # busy (a hart runs): min(host time, instructions * MAX_NS_PER_INSN);
        # idle (every hart waits): host time
        self._anchor_ns = 0
        self._anchor_insns = 0
        self._anchor_host_ns = 0
        self._busy = True
        self._heap: List[Tuple[int, int, Timer]] = []
        self._seq = itertools.count()
        # told of every new timer (the machine cuts a running quantum short,
        # so that the next one is sized to the new deadline)
        self.on_timer_added: Optional[Callable[[int], None]] = None

    @property
    def icount(self) -> bool:
        return self.icount_shift is not None

    # -- time -------------------------------------------------------------------
    def host_ns(self) -> int:
        """realtime: host nanoseconds the machine has been running."""
        if self._running:
            return self._host_ns + int((time.monotonic() - self._run_started) * 1e9)
        return self._host_ns

    def now_ns(self) -> int:
        if self.icount_shift is not None:
            return (self._retired() << self.icount_shift) + self._offset_ns
        if not self._running:
            return self._anchor_ns
        host = self.host_ns()
        if self._busy:
            now = min(host, self._anchor_ns + (self._retired() - self._anchor_insns) * MAX_NS_PER_INSN)
        else:
            now = self._anchor_ns + host - self._anchor_host_ns
        # a timer not fired yet holds time at its deadline: the guest never
        # sees a tick late (it fires at the end of the quantum)
        heap = self._heap
        if heap and heap[0][0] < now:
            deadline = self.next_deadline()
            if deadline is not None and deadline < now:
                now = max(deadline, self._anchor_ns)
        return now

    def lag_ns(self) -> int:
        """realtime: how far guest time is behind the host clock."""
        if self.icount_shift is not None:
            return 0
        return max(0, self.host_ns() - self.now_ns())

    def _anchor(self, busy: bool) -> None:
        self._anchor_ns = self.now_ns()
        self._anchor_insns = self._retired()
        self._anchor_host_ns = self.host_ns()
        self._busy = busy

    def start(self) -> None:
        if not self._running:
            self._running = True
            self._run_started = time.monotonic()
            self._anchor(self._busy)

    def stop(self) -> None:
        if self._running:
            if self.icount_shift is None:
                self._anchor_ns = self.now_ns()
                self._host_ns = self.host_ns()
            self._running = False

    def run_quantum(self) -> None:
        """A hart is about to run: from here time passes with its instructions."""
        self.start()
        if self.icount_shift is None:
            self._anchor(busy=True)

    def idle(self) -> None:
        """realtime: every hart waits for an interrupt. Time flows with the
        host clock again, and the lag is made up at once, as far as the next
        timer (which then fires with the hart awake to take it)."""
        if self.icount_shift is not None or not self._running:
            return
        self._anchor(busy=False)
        target = self.host_ns()
        deadline = self.next_deadline()
        if deadline is not None:
            target = min(target, deadline)
        if target > self._anchor_ns:
            self._anchor_ns = target

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
        if self.icount_shift is None and self._running and self._heap and self._heap[0][0] <= now:
            # realtime: time stays where the timers held it (now_ns), it does
            # not jump to where it would have been once they are gone
            self._anchor_ns, self._anchor_insns, self._anchor_host_ns = now, self._retired(), self.host_ns()
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
        """Guest seconds to the next timer (how long an idle wait lasts)."""
        d = self.next_deadline()
        if d is None:
            return None
        return max(0.0, (d - self.now_ns()) / 1e9)

    def host_seconds_until_deadline(self) -> Optional[float]:
        """realtime: host seconds until the host clock reaches the next timer
        (0 while guest time lags behind it)."""
        d = self.next_deadline()
        if d is None:
            return None
        return max(0.0, (d - self.host_ns()) / 1e9)

    def min_insns_until_deadline(self) -> Optional[int]:
        """realtime: the fewest instructions the running harts retire before
        guest time can reach the next timer (the per-instruction bound)."""
        d = self.next_deadline()
        if d is None:
            return None
        left = d - self.now_ns()
        return max(1, (left + MAX_NS_PER_INSN - 1) // MAX_NS_PER_INSN)

    # -- snapshots ------------------------------------------------------------------
    def save_state(self) -> dict:
        return {"offset_ns": self._offset_ns, "accumulated_ns": self.now_ns() if self.icount_shift is None else 0}

    def load_state(self, state: dict) -> None:
        self._offset_ns = state["offset_ns"]
        if self.icount_shift is None:
            # a restored machine starts with no lag
            self._anchor_ns = self._host_ns = state["accumulated_ns"]
            if self._running:
                self._run_started = time.monotonic()
            self._anchor(self._busy)
