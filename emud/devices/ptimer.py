"""A periodic down-counter on guest virtual time: QEMU's ptimer (hw/core/ptimer.c)
with the policy the CMSDK timers, the dual timer and the watchdog use.

Theory of operation: the counter is not stepped. While it runs we keep the
guest instant it was last (re)loaded (``_start_ns``) and the value it held
then (``_start_count``); a read computes the current value from the clock,
and a clock timer is armed for the instant the counter reaches zero.

The policy (QEMU's WRAP_AFTER_ONE_PERIOD | TRIGGER_ONLY_ON_DECREMENT |
NO_IMMEDIATE_RELOAD | NO_COUNTER_ROUND_DOWN) in words:
  * the callback fires when the count decrements from 1 to 0; writing 0 to
    the count never fires it;
  * the count then holds 0 for one period before reloading the limit (a
    period of limit + 1 ticks in all), so a reload of 0 stops there;
  * starting a counter that holds 0 does not reload it at once: it wraps to
    the limit one period later;
  * a read between ticks gives the higher value (the tick has not happened).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

NS_PER_SEC = 1_000_000_000


class DownCounter:
    def __init__(self, clock, freq_hz: int, on_zero: Callable[[], None]) -> None:
        self.clock = clock
        self.on_zero = on_zero
        self.limit = 0
        self.count = 0            # valid while stopped
        self.enabled = 0          # 0 stopped, 1 periodic, 2 one-shot
        self.period_ns = 0.0
        self.set_freq(freq_hz)
        self._start_ns = 0
        self._start_count = 0
        self._timer = None
        self._armed_ticks = 0

    # -- configuration ---------------------------------------------------------------
    def set_freq(self, freq_hz: int) -> None:
        running = self.enabled
        if running:
            self.count = self.get_count()
        self.period_ns = NS_PER_SEC / freq_hz if freq_hz else 0.0
        if running:
            self._restart()

    def set_limit(self, limit: int, reload: bool) -> None:
        self.limit = limit
        if reload:
            self.set_count(limit)

    def set_count(self, count: int) -> None:
        self.count = count
        if self.enabled:
            self._restart()

    def run(self, oneshot: bool) -> None:
        was = self.enabled
        if was:
            self.count = self.get_count()
        self.enabled = 2 if oneshot else 1
        if self.period_ns == 0:
            return
        if not was or self._timer is None:
            self._restart()

    def stop(self) -> None:
        if not self.enabled:
            return
        self.count = self.get_count()
        self.enabled = 0
        self._cancel()

    # -- time ---------------------------------------------------------------------------
    def get_count(self) -> int:
        if not self.enabled or self.period_ns == 0:
            return self.count
        elapsed = int((self.clock.now_ns() - self._start_ns) / self.period_ns)
        start = self._start_count
        if elapsed < start:
            return start - elapsed
        if self.enabled == 2 or self.limit == 0:
            return 0
        # past zero: hold 0 for a period, then limit, limit-1, ...
        into = (elapsed - start) % (self.limit + 1)
        return 0 if into == 0 else self.limit + 1 - into

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _restart(self) -> None:
        """Count from ``self.count`` starting now; arm the next 1 -> 0 event."""
        self._start_ns = self.clock.now_ns()
        self._start_count = self.count
        self._arm()

    def _arm(self) -> None:
        self._cancel()
        if self._start_count > 0:
            ticks = self._start_count
        elif self.enabled == 1 and self.limit > 0:
            ticks = self.limit + 1          # hold 0 one period, then count down
        else:
            return                          # nothing more will decrement to 0
        self._armed_ticks = ticks
        deadline = self._start_ns + int(ticks * self.period_ns)
        self._timer = self.clock.add_timer(deadline, self._expired)

    def _expired(self) -> None:
        self._timer = None
        # the counter is at 0 now, at the deadline
        self._start_ns += int(self._armed_ticks * self.period_ns)
        self._start_count = 0
        if self.enabled == 2:
            self.count = 0
            self.enabled = 0
        else:
            self._arm()
        self.on_zero()

    # -- snapshots ----------------------------------------------------------------------------
    def save_state(self) -> Dict[str, Any]:
        return {"limit": self.limit, "count": self.get_count(), "enabled": self.enabled,
                "period_ns": self.period_ns}

    def load_state(self, state: Dict[str, Any]) -> None:
        self._cancel()
        self.limit = state["limit"]
        self.count = state["count"]
        self.enabled = state["enabled"]
        self.period_ns = state["period_ns"]
        if self.enabled and self.period_ns:
            self._restart()

    def deadline(self) -> Optional[int]:
        return self._timer.deadline if self._timer is not None else None
