"""VirtualClock in realtime mode (emud/clock.py): guest time follows the host
clock, never faster than MAX_NS_PER_INSN per instruction while harts run,
never past an unfired timer, and catches up when every hart idles."""
from __future__ import annotations

import pytest

from emud import clock as clock_mod
from emud.clock import MAX_NS_PER_INSN, VirtualClock
from emud.machines.pacing import QuantumPacer


class Host:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


@pytest.fixture
def rig(monkeypatch):
    host = Host()
    monkeypatch.setattr(clock_mod.time, "monotonic", host)
    insns = [0]
    c = VirtualClock(retired=lambda: insns[0])
    c.start()
    return c, host, insns


def test_a_host_stall_without_instructions_moves_no_time(rig):
    c, host, insns = rig
    c.run_quantum()
    host.t += 0.5                       # translation burst, GC, preempted host
    insns[0] += 10
    assert c.now_ns() == 10 * MAX_NS_PER_INSN
    assert c.lag_ns() == 500_000_000 - 10 * MAX_NS_PER_INSN


def test_fast_execution_follows_the_host_clock_and_makes_up_the_lag(rig):
    c, host, insns = rig
    c.run_quantum()
    host.t += 0.001
    insns[0] += 1_000_000               # far more than 1 ms at the bound
    assert c.now_ns() == 1_000_000
    c.run_quantum()
    host.t += 0.01
    insns[0] += 100                     # stalled: lag
    lagged = c.now_ns()
    c.run_quantum()
    insns[0] += 10**9                   # runs again: back on the host clock
    assert lagged < c.now_ns() == c.host_ns()


def test_time_waits_at_an_unfired_timer_and_stays_there_once_it_fires(rig):
    c, host, insns = rig
    fired = []
    c.add_timer(1000, lambda: fired.append(c.now_ns()))
    c.run_quantum()
    host.t += 1.0
    insns[0] += 10**9
    assert c.now_ns() == 1000           # the quantum ran past it: time waits
    c.run_expired()
    assert fired == [1000] and c.now_ns() == 1000
    insns[0] += 1
    assert c.now_ns() == 1000 + MAX_NS_PER_INSN


def test_idle_harts_catch_up_to_the_next_timer_at_once(rig):
    c, host, insns = rig
    c.run_quantum()
    host.t += 1.0                        # a lag of almost 1 s
    c.add_timer(300_000_000, lambda: None)
    c.idle()
    assert c.now_ns() == 300_000_000     # as far as the timer, not past it
    c.run_expired()
    c.idle()
    assert c.now_ns() == c.host_ns()     # nothing due: the lag is gone
    host.t += 0.25
    assert c.now_ns() == c.host_ns()     # idle: the host's pace


def test_stopped_clock_stands_still(rig):
    c, host, insns = rig
    c.run_quantum()
    insns[0] += 10**9
    host.t += 0.1
    c.stop()
    t = c.now_ns()
    host.t += 5.0
    assert c.now_ns() == t
    c.start()
    host.t += 0.001
    insns[0] += 10**9
    assert c.now_ns() == t + 1_000_000


def test_quantum_while_lagging_is_sized_to_reach_the_timer():
    p = QuantumPacer()
    p.ran(200_000, 0.01)                 # 20 MIPS
    # the host clock is past the deadline (0 s), guest time needs 3906 instructions
    assert p.budget(seconds_to_deadline=0.0, min_insns_to_deadline=3906) == 3906
    assert p.budget(seconds_to_deadline=0.001, min_insns_to_deadline=3906) == 20_001


def test_a_processor_clock_bounds_time_to_a_cycle_per_instruction(rig):
    """set_cpu_hz (a Cortex-M board's core clock): busy time passes by at
    most one cycle an instruction; a change applies from the moment it is
    made, with no jump in guest time."""
    c, host, insns = rig
    c.set_cpu_hz(25_000_000)
    c.run_quantum()
    host.t += 0.5
    insns[0] += 1000
    assert c.now_ns() == 1000 * 40
    c.set_cpu_hz(12_500_000)            # the guest slows its PLL mid-quantum
    assert c.now_ns() == 1000 * 40
    insns[0] += 1000
    assert c.now_ns() == 1000 * 40 + 1000 * 80
    assert c.min_insns_until_deadline() is None
    c.add_timer(c.now_ns() + 800, lambda: None)
    assert c.min_insns_until_deadline() == 10
