"""Quantum sizing (emud/machines/pacing.py): quanta last about SLICE_SECONDS
of host time at the measured rate, end by the next realtime timer, and
several harts take finer turns."""
from __future__ import annotations

from emud.machines.pacing import (FIRST_QUANTUM, MAX_QUANTUM, MIN_QUANTUM, SLICE_SECONDS, SMP_TURNS,
                                  QuantumPacer)


def test_first_quantum_before_any_rate_is_known():
    assert QuantumPacer().budget() == FIRST_QUANTUM


def test_a_quantum_lasts_about_a_slice_at_the_measured_rate():
    p = QuantumPacer()
    p.ran(200_000, 0.01)                     # 20 MIPS
    assert p.budget() == int(20e6 * SLICE_SECONDS)
    fast = QuantumPacer()
    fast.ran(2_000_000, 0.01)                # 200 MIPS: ten times the instructions
    assert fast.budget() == 10 * p.budget()


def test_one_slow_quantum_does_not_halve_the_next():
    p = QuantumPacer()
    p.ran(200_000, 0.01)
    p.ran(200_000, 0.02)                     # a translation burst
    assert int(20e6 * SLICE_SECONDS) * 0.8 < p.budget() < int(20e6 * SLICE_SECONDS)


def test_quanta_too_short_to_measure_are_ignored():
    p = QuantumPacer()
    p.ran(10, 0.5)                           # a WFI right away, a breakpoint...
    p.ran(50_000, 0.0)
    assert p.rate is None and p.budget() == FIRST_QUANTUM


def test_a_realtime_deadline_ends_the_quantum():
    p = QuantumPacer()
    p.ran(200_000, 0.01)
    assert p.budget(seconds_to_deadline=0.001) == 20_000 + 1
    assert p.budget(seconds_to_deadline=0.0) == MIN_QUANTUM
    assert p.budget(seconds_to_deadline=10.0) == p.budget()


def test_several_harts_take_finer_turns():
    p = QuantumPacer()
    p.ran(2_000_000, 0.01)
    assert p.budget(harts=2) == p.budget() // SMP_TURNS


def test_bounds():
    p = QuantumPacer()
    p.ran(10**9, 0.001)
    assert p.budget() == MAX_QUANTUM
    slow = QuantumPacer()
    slow.ran(MIN_QUANTUM, 10.0)
    assert slow.budget() == MIN_QUANTUM
