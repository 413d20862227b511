"""VirtualClock under -icount (emud/clock.py), with a fake host clock:
``shift=auto`` moves the shift as QEMU's icount_adjust does (down when guest
time runs ahead of real time, up when it lags, within 0..MAX_ICOUNT_SHIFT,
guest time continuous across a change); ``sleep=on`` lets idle time pass in
real time, exactly up to the next timer; ``sleep=off`` does not."""
from __future__ import annotations

import pytest

from emud import clock as clock_mod
from emud.clock import ADJUST_EVERY_GUEST_NS, ICOUNT_AUTO_START, MAX_ICOUNT_SHIFT, VirtualClock

from .test_clock_realtime import Host


@pytest.fixture
def host(monkeypatch):
    h = Host()
    monkeypatch.setattr(clock_mod.time, "monotonic", h)
    return h


def make(shift=ICOUNT_AUTO_START, **kw):
    insns = [0]
    c = VirtualClock(shift, retired=lambda: insns[0], **kw)
    c.start()
    return c, insns


def run(c, host, insns, n, seconds):
    """A quantum: ``n`` instructions in ``seconds`` of host time."""
    c.run_quantum()
    insns[0] += n
    host.t += seconds
    before = c.now_ns()
    c.run_expired()
    assert c.now_ns() == before      # an adjustment never moves guest time


def test_shift_goes_down_while_guest_time_runs_ahead_of_real_time(host):
    c, insns = make(adaptive=True)
    shifts = []
    for _ in range(400):
        run(c, host, insns, 1_000_000, 0.001)   # 1000 MIPS: 8 ns/insn is far too slow a clock
        shifts.append(c.icount_shift)
    assert shifts[0] == ICOUNT_AUTO_START
    assert shifts == sorted(shifts, reverse=True) and shifts[-1] == 0


def test_shift_goes_up_while_guest_time_lags_real_time(host):
    c, insns = make(adaptive=True)
    shifts = []
    for _ in range(100):
        run(c, host, insns, 10_000, 0.1)        # 0.1 MIPS: even 1024 ns/insn lags
        shifts.append(c.icount_shift)
    assert shifts == sorted(shifts) and shifts[-1] == MAX_ICOUNT_SHIFT


def test_shift_settles_where_guest_time_keeps_pace(host):
    c, insns = make(adaptive=True)
    for _ in range(3000):
        run(c, host, insns, 20_000, 0.001)      # 20 MIPS: 50 ns an instruction
    assert c.icount_shift in (5, 6)             # 32 or 64 ns
    assert 0.5 < c.now_ns() / c.host_ns() < 2


def test_time_is_monotonic_and_exact_between_adjustments(host):
    c, insns = make(adaptive=True)
    last = c.now_ns()
    for i in range(2000):
        c.run_quantum()
        shift = c.icount_shift
        start = c.now_ns()
        insns[0] += 1000 + i
        assert c.now_ns() == start + ((1000 + i) << shift)   # 2**shift ns each
        host.t += 0.0001 if i < 1000 else 0.01
        c.run_expired()
        assert c.now_ns() >= last
        last = c.now_ns()


def test_a_fixed_shift_never_moves(host):
    c, insns = make(4)
    for _ in range(100):
        run(c, host, insns, 10_000, 0.1)
    assert c.icount_shift == 4 and c.now_ns() == 100 * 10_000 * 16


def test_sleep_on_idles_in_real_time_up_to_the_timer_exactly(host):
    c, insns = make(4)
    insns[0] = 1000
    fired = []
    c.add_timer(c.now_ns() + 500_000_000, lambda: fired.append(c.now_ns()))
    assert c.seconds_until_deadline() == pytest.approx(0.5)   # how long the harts wait
    c.idle()
    host.t += 0.2
    c.run_expired()
    assert c.now_ns() == 16_000 + 200_000_000 and not fired   # the host's pace
    host.t += 0.3 + 0.0004                  # the host wakes the harts a little late
    c.run_expired()
    assert fired == [16_000 + 500_000_000]  # guest time as with sleep=off: the run repeats
    host.t += 0.001                         # the hart wakes: the idle period ended at the timer
    c.run_quantum()
    host.t += 1.0
    insns[0] += 1
    assert c.now_ns() == fired[0] + 16


def test_sleep_off_lets_no_time_pass_while_idle(host):
    c, insns = make(4, sleep=False)
    c.add_timer(500_000_000, lambda: None)
    c.idle()
    host.t += 0.3
    c.run_expired()
    assert c.now_ns() == 0       # the machine warps to the deadline itself (machines/base.py)


def test_idle_under_auto_never_runs_ahead_of_real_time(host):
    c, insns = make(adaptive=True)
    c.add_timer(10 * ADJUST_EVERY_GUEST_NS, lambda: None)
    c.run_quantum()
    insns[0] += 100_000_000 >> ICOUNT_AUTO_START   # 0.1 s of guest time in 0.05 s
    host.t += 0.05
    c.idle()
    assert c.now_ns() - c.host_ns() == pytest.approx(50_000_000, abs=10)
    # the wait covers the time to the timer and the real time to catch up first
    assert c.seconds_until_deadline() == pytest.approx((10 * ADJUST_EVERY_GUEST_NS - c.host_ns()) / 1e9)
    host.t += 0.04
    c.run_expired()
    assert c.now_ns() == 100_000_000          # real time has not caught up yet
    host.t += 0.03
    c.run_expired()
    assert c.now_ns() == c.host_ns()          # then they go on together


def test_a_stopped_machine_warps_no_time(host):
    c, insns = make(4)
    c.add_timer(500_000_000, lambda: None)
    c.idle()
    host.t += 0.1
    c.stop()
    host.t += 10
    c.start()
    c.run_expired()
    assert c.now_ns() == pytest.approx(100_000_000, abs=10)
    assert c.host_ns() == pytest.approx(100_000_000, abs=10)   # real time: while it runs


def test_a_snapshot_keeps_guest_time_whatever_the_shift(host):
    c, insns = make(adaptive=True)
    for _ in range(50):
        run(c, host, insns, 10_000, 0.1)
    state, now, shift = c.save_state(), c.now_ns(), c.icount_shift
    for _ in range(50):
        run(c, host, insns, 10_000, 0.1)
    assert c.icount_shift != shift
    insns[0] -= 50 * 10_000
    c.load_state(state)
    assert c.now_ns() == now
