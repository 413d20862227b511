"""Guest virtual time and timers (QEMU's QEMU_CLOCK_VIRTUAL).

Two ways for time to pass:

* realtime (the default): guest nanoseconds follow the host's monotonic
  clock, but only while the machine runs: a machine stopped in the debugger
  sees no time pass, as on QEMU. Unlike QEMU, guest time never outruns the
  guest's own execution: while a hart runs, time advances by at most one
  cycle of the board's processor clock per instruction (:meth:`set_cpu_hz`;
  ``MAX_NS_PER_INSN`` on a board that names no processor clock, as virt),
  and never past a timer that has not fired yet. The guest thus never gets
  less processor per second of its time than the real board's core (at
  most one instruction a cycle) would give it. A translation burst, a GC pause or a busy host therefore leaves
  guest time behind the host clock (a *lag*) instead of letting several timer
  ticks fall due at once with no instructions between them: firmware that
  checks tick against work done (FreeRTOS's TimerDemo) holds, as it does on
  a fast QEMU. The lag is made up as soon as the guest allows it: while harts
  run, time catches up at the per-instruction bound; when every hart waits
  for an interrupt, time jumps forward up to the next timer (or to the host
  clock).
* icount (``-icount shift=N``): every retired instruction is 2**N ns, so a run
  is deterministic. When every hart waits for an interrupt, ``sleep=on``
  (QEMU's default) lets the idle period pass in real time: the harts wait on
  the host clock and guest time moves by what the host clock moved, up to the
  next timer's deadline exactly (so the run stays reproducible); ``sleep=off``
  jumps to the next deadline at once. ``shift=auto`` (QEMU's adaptive mode,
  softmmu/icount.c) starts at shift 3 and, every second of real time and every
  0.1 s of guest time, moves the shift by one (0..MAX_ICOUNT_SHIFT) towards
  the pace at which guest time keeps up with real time; the bias is re-based
  at each change, so guest time never jumps. There, idle time is also held
  back so that guest time does not run ahead of real time.

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
from typing import Callable, Dict, List, Optional, Tuple

#: -icount shift=auto: the first shift (125 MIPS, QEMU's guess), the largest
#: (1 MIPS), the differences between guest and real time taken for noise, and
#: the cadence of the adjustment in real and in guest time (QEMU's icount.c)
ICOUNT_AUTO_START = 3
MAX_ICOUNT_SHIFT = 10
ICOUNT_WOBBLE_NS = 100_000_000
ADJUST_EVERY_HOST_NS = 1_000_000_000
ADJUST_EVERY_GUEST_NS = 100_000_000

#: realtime: the most guest time one instruction may take while a hart runs,
#: on a board with no processor clock (virt: as -icount shift=8, 3906
#: instructions per 1 ms tick at least, which FreeRTOS's full demo needs)
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
                 retired: Optional[Callable[[], int]] = None,
                 adaptive: bool = False, sleep: bool = True) -> None:
        self.icount_shift = icount_shift
        # -icount shift=auto: the shift moves (from icount_shift) with real time
        self.icount_adaptive = adaptive and icount_shift is not None
        # -icount sleep=on: idle time passes in real time (off: skipped)
        self.icount_sleep = sleep
        # retired(): instructions retired by all harts (icount time; the
        # realtime bound on how fast time may pass while harts run)
        self._retired = retired or (lambda: 0)
        # icount: guest time = (instructions << shift) + _offset_ns (the
        # idle time warped over, and the re-basing at each shift change)
        self._offset_ns = 0
        self._warp_from: Optional[int] = None   # icount sleep=on: host ns idle from
        self._last_delta = 0                    # shift=auto: guest - real, last time
        self._adjust_at_host = ADJUST_EVERY_HOST_NS
        self._adjust_at_guest = ADJUST_EVERY_GUEST_NS
        self._running = False
        self._run_started = 0.0      # realtime: host time when the VM last started
        self._host_ns = 0            # realtime: host ns the VM ran before the last start
        # realtime guest time = _anchor_ns plus what passed since the anchor:
        # busy (a hart runs): min(host time, instructions * max_ns_per_insn);
        # idle (every hart waits): host time
        self._anchor_ns = 0
        self._anchor_insns = 0
        self._anchor_host_ns = 0
        self._busy = True
        # realtime: the most guest ns one instruction may take (set_cpu_hz)
        self.max_ns_per_insn = MAX_NS_PER_INSN
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
        """Host nanoseconds the machine has been running: real time, which
        guest time follows (realtime) or shift=auto compares it with."""
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
            now = min(host, self._anchor_ns + (self._retired() - self._anchor_insns) * self.max_ns_per_insn)
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

    def set_cpu_hz(self, hz: float) -> None:
        """realtime: the board's processor runs at ``hz``, so one instruction
        takes at least a cycle (1/hz) and guest time passes by at most that
        much per instruction while a hart runs. An RTOS demo written for the
        board (FreeRTOS's for mps2-an385: a 1 kHz tick and two 2 kHz timers
        whose handlers do real work) then gets the processor time it counts
        on per tick, however slowly emud runs; the price is guest time lagging
        the host clock while emud is slower than the board."""
        step = max(1, int(round(1e9 / hz))) if hz > 0 else MAX_NS_PER_INSN
        if step == self.max_ns_per_insn:
            return
        if self._running and self.icount_shift is None and self._busy:
            self._anchor(busy=True)        # the old bound up to now, the new one from here
        self.max_ns_per_insn = step

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
            self._account_warp(end=True)
            if self.icount_shift is None:
                self._anchor_ns = self.now_ns()
            self._host_ns = self.host_ns()   # (shift=auto compares guest time with it)
            self._running = False

    def run_quantum(self) -> None:
        """A hart is about to run: from here time passes with its instructions."""
        self.start()
        if self.icount_shift is None:
            self._anchor(busy=True)
        else:
            self._account_warp(end=True)

    def idle(self) -> None:
        """Every hart waits for an interrupt. realtime: time flows with the
        host clock again, and the lag is made up at once, as far as the next
        timer (which then fires with the hart awake to take it). icount with
        sleep=on: from here idle time passes with the host clock (accounted
        by :meth:`run_expired`, up to the next timer; QEMU's warp timer)."""
        if not self._running:
            return
        if self.icount_shift is not None:
            if self.icount_sleep and self._warp_from is None:
                self._warp_from = self.host_ns()
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

    def _account_warp(self, end: bool = False) -> None:
        """icount sleep=on: add the host time idle since the last account to
        guest time: under shift=auto no further than real time (guest time
        never runs ahead of it while idle), with a fixed shift no further
        than the next timer's deadline, so that the guest sees exactly the
        time it sees with sleep=off and the run repeats."""
        start = self._warp_from
        if start is None:
            return
        host = self.host_ns()
        self._warp_from = None if end else host
        now = self.now_ns()
        target = now + host - start
        if self.icount_adaptive:
            target = min(target, host)
        else:
            deadline = self.next_deadline()
            if deadline is not None:
                target = min(target, deadline)
        self.warp_to(target)

    # -- shift=auto ---------------------------------------------------------------
    def _maybe_adjust(self) -> None:
        """shift=auto: adjust every ADJUST_EVERY_HOST_NS of real time and
        every ADJUST_EVERY_GUEST_NS of guest time (QEMU's two timers: the
        first catches guest time passing too slowly, the second too fast)."""
        host, now = self.host_ns(), self.now_ns()
        due = False
        if host >= self._adjust_at_host:
            self._adjust_at_host = host + ADJUST_EVERY_HOST_NS
            due = True
        if now >= self._adjust_at_guest:
            self._adjust_at_guest = now + ADJUST_EVERY_GUEST_NS
            due = True
        if due:
            self.adjust_shift()

    def adjust_shift(self) -> None:
        """shift=auto: one step of QEMU's icount_adjust. Compare guest time
        with real time (the host time the machine has run); when the gap grew
        beyond the noise since the last look, make an instruction one step
        shorter (guest ahead) or longer (guest behind), keeping the shift in
        0..MAX_ICOUNT_SHIFT. Guest time stays where it is: the offset is
        re-based for the new shift."""
        shift = self.icount_shift
        assert shift is not None
        now = self.now_ns()
        delta = now - self.host_ns()
        if delta > 0 and self._last_delta + ICOUNT_WOBBLE_NS < 2 * delta and shift > 0:
            shift -= 1
        elif delta < 0 and self._last_delta - ICOUNT_WOBBLE_NS > 2 * delta and shift < MAX_ICOUNT_SHIFT:
            shift += 1
        self._last_delta = delta
        self.icount_shift = shift
        self._offset_ns = now - (self._retired() << shift)

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
        if self.icount_shift is not None and self._running:
            self._account_warp()
            if self.icount_adaptive:
                self._maybe_adjust()
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
        if fired:
            self._warp_from = None   # icount sleep=on: the idle period ends with its timer
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
        """How long an idle wait for the next timer lasts: the guest seconds
        to it; under shift=auto, plus however far guest time is ahead of real
        time (real time catches up first: the idle warp never passes it)."""
        d = self.next_deadline()
        if d is None:
            return None
        now = self.now_ns()
        if self.icount_adaptive:
            now = min(now, self.host_ns())
        return max(0.0, (d - now) / 1e9)

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
        step = self.max_ns_per_insn
        return max(1, (left + step - 1) // step)

    # -- time travel ----------------------------------------------------------------
    def pin_icount(self, shift: int) -> dict:
        """From now on guest time is the instruction count at a fixed
        ``shift`` (time travel's determinism: not adaptive, idle time left to
        the caller), continuing from the guest time of now. Returns what
        :meth:`unpin_icount` needs to put the previous mode back."""
        saved = {"shift": self.icount_shift, "adaptive": self.icount_adaptive}
        now = self.now_ns()
        self._account_warp(end=True)
        self._warp_from = None
        self.icount_shift = shift
        self.icount_adaptive = False
        self._offset_ns = now - (self._retired() << shift)
        return saved

    def unpin_icount(self, saved: dict) -> None:
        """Back to the mode :meth:`pin_icount` left, from the guest time of now."""
        now = self.now_ns()
        shift = saved["shift"]
        self.icount_shift = shift
        self.icount_adaptive = saved["adaptive"] and shift is not None
        if shift is not None:
            self._offset_ns = now - (self._retired() << shift)
        else:
            behind = now - self.host_ns()
            if behind > 0:         # (realtime never lets guest time pass the host's: no going back)
                self._host_ns += behind
            self._anchor_ns = now
            self._anchor_insns = self._retired()
            self._anchor_host_ns = self.host_ns()

    def timers(self) -> List[Tuple[int, Callable[[], None]]]:
        """The armed timers in the order they fire: (deadline ns, callback)."""
        return [(d, t.callback) for d, _, t in sorted(self._heap, key=lambda e: (e[0], e[1]))
                if not t.cancelled]

    def retime(self, order: List[Tuple[int, str]], key: Callable[[Callable[[], None]], str]) -> None:
        """Time travel: give the armed timers the deadlines and the firing
        order of ``order`` ([(deadline, key)...], as :meth:`timers` and
        ``key(callback)`` described them when the state was saved), matched
        by key. Devices re-arm their timers in ``load_state`` from the time of
        the load, and a timer armed between two ticks (the ACLINT's, as
        QEMU's) then falls due a little earlier or later than it did."""
        live = [t for _, _, t in sorted(self._heap, key=lambda e: (e[0], e[1])) if not t.cancelled]
        by_key: Dict[str, List[Timer]] = {}
        for t in live:
            by_key.setdefault(key(t.callback), []).append(t)
        heap: List[Tuple[int, int, Timer]] = []
        placed = set()
        for deadline, k in order:
            matches = by_key.get(k)
            if matches:
                t = matches.pop(0)
                t.deadline = deadline
                heap.append((deadline, next(self._seq), t))
                placed.add(id(t))
        for t in live:
            if id(t) not in placed:
                heap.append((t.deadline, next(self._seq), t))
        heapq.heapify(heap)
        self._heap = heap

    # -- snapshots ------------------------------------------------------------------
    def save_state(self) -> dict:
        return {"offset_ns": self._offset_ns, "accumulated_ns": self.now_ns()}

    def load_state(self, state: dict) -> None:
        self._offset_ns = state["offset_ns"]
        self._warp_from = None
        if self.icount_shift is not None:
            # guest time as saved, whatever the shift now (shift=auto moves it;
            # snapshots from before this key was filled in for icount hold 0)
            if state["accumulated_ns"]:
                self._offset_ns = state["accumulated_ns"] - (self._retired() << self.icount_shift)
        else:
            # a restored machine starts with no lag
            self._anchor_ns = self._host_ns = state["accumulated_ns"]
            if self._running:
                self._run_started = time.monotonic()
            self._anchor(self._busy)
