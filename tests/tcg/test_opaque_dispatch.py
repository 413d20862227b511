"""Opaque dispatch (exec.MEGAMORPHIC_TBS): on PyPy, once many compiled TBs
exist, the dispatcher calls TB functions through ``pypyjit.residual_call``
instead of a plain call. Only how the call is made changes, never what runs:
checked against the one-instruction-per-TB reference with the switch
happening mid-run, and the switch itself (on at the bound, off after a
flush). A counting stand-in takes residual_call's place (CPython has none),
so that the opaque loop is the one that runs, on either runtime."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_engine import counting_loop, make, restart, run_to_halt
from .test_loop_region import assemble_loop, loop_insn
from .test_region import assemble, insn, run_in_chunks, run_reference


class CountingCall:
    """residual_call's contract: call fn(cpu), return its result."""

    def __init__(self):
        self.calls = 0

    def __call__(self, fn, cpu):
        self.calls += 1
        return fn(cpu)


def opaque_engine(prog, bound, tier_up=0):
    engine, cpu, ram = make(prog, tier_up=tier_up)
    call = engine.opaque_call = CountingCall()
    engine.megamorphic_tbs = bound
    return engine, cpu, ram, call


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.lists(st.integers(1, 200), min_size=1, max_size=6),
       st.integers(1, 3), st.integers(0, 3))
def test_opaque_dispatch_matches_single_instruction_reference(body, chunks, bound, tier_up):
    prog = assemble(body)
    engine, cpu, ram, _ = opaque_engine(prog, bound, tier_up)
    _, got = run_in_chunks(engine, cpu, ram, chunks)
    assert got == run_reference(prog, sum(chunks))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40), st.lists(loop_insn(), min_size=1, max_size=16),
       st.lists(st.integers(1, 300), min_size=1, max_size=6), st.integers(1, 3))
def test_opaque_dispatch_of_loops_matches_reference(count, body, chunks, bound):
    prog = assemble_loop(count, body)
    engine, cpu, ram, _ = opaque_engine(prog, bound)
    _, got = run_in_chunks(engine, cpu, ram, chunks)
    assert got == run_reference(prog, sum(chunks))


def test_dispatch_turns_opaque_at_the_bound_and_plain_again_after_a_flush():
    engine, cpu, _, call = opaque_engine(counting_loop(100), bound=3)
    assert engine.compiled_tbs == 0 and engine.opaque_dispatch is None
    run_to_halt(engine, cpu)          # the entry block, the loop, the halt: 3 compiled TBs
    assert cpu.x[2] == 100 and cpu.instructions_retired() == 1 + 3 * 100 + 1
    assert engine.compiled_tbs == 3 and engine.opaque_dispatch is call
    assert engine.statistics()["opaque_dispatch"] is True
    engine.flush()
    assert engine.compiled_tbs == 0 and engine.opaque_dispatch is None
    assert engine.statistics()["opaque_dispatch"] is False


def test_interpreted_blocks_do_not_count_towards_the_bound():
    engine, cpu, _, call = opaque_engine(counting_loop(100), bound=2, tier_up=5)
    run_to_halt(engine, cpu)
    # three blocks made for the interpreter, one (the loop) compiled once hot
    assert engine.statistics()["interpreted"] == 3 and engine.compiled_tbs == 1
    assert engine.opaque_dispatch is None and call.calls == 0


def test_the_opaque_loop_runs_the_tbs_once_on():
    engine, cpu, _, call = opaque_engine(counting_loop(50), bound=1)
    run_to_halt(engine, cpu)
    first = call.calls
    assert first > 0          # the halt block and anything after the switch went through it
    restart(cpu)
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 50 and call.calls > first


def test_without_residual_call_dispatch_stays_plain():
    engine, cpu, _ = make(counting_loop(10))
    engine.opaque_call = None        # CPython: no pypyjit
    engine.megamorphic_tbs = 1
    run_to_halt(engine, cpu)
    assert engine.compiled_tbs >= 1 and engine.opaque_dispatch is None
