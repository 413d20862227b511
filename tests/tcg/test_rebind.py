"""A translation made again from the translation cache once its TB is gone
(a flush, a system reset) gets the same function object and namespace back
(``CachedTranslation.bound``: on PyPy a new function for the same code is
traced again from scratch), with every chain slot reset to a fresh link stub.
Checked against the one-instruction-per-TB reference with flushes between
the budgets, and for what must not be shared: a TB still valid, or code that
changed."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_engine import BASE, counting_loop, make, restart, run_to_halt
from .test_loop_region import assemble_loop, loop_insn
from .test_region import assemble, insn, run_reference, setup, state
from .toy import enc


def run_flushing(prog, chunks, tier_up=0):
    """execute() one budget after the other, flushing the code cache between them."""
    engine, cpu, ram = make(prog, tier_up=tier_up)
    setup(cpu)
    for n in chunks:
        if cpu.halted:
            break
        engine.execute(cpu, n)
        engine.flush()
    return engine, state(engine, cpu, ram)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.lists(st.integers(1, 200), min_size=1, max_size=8),
       st.integers(0, 3))
def test_runs_with_flushes_between_budgets_match_reference(body, chunks, tier_up):
    prog = assemble(body)
    _, got = run_flushing(prog, chunks, tier_up)
    assert got == run_reference(prog, sum(chunks))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40), st.lists(loop_insn(), min_size=1, max_size=16),
       st.lists(st.integers(1, 300), min_size=1, max_size=8))
def test_loops_with_flushes_between_budgets_match_reference(count, body, chunks):
    prog = assemble_loop(count, body)
    _, got = run_flushing(prog, chunks)
    assert got == run_reference(prog, sum(chunks))


def test_a_flushed_tb_comes_back_as_the_same_function_with_fresh_link_stubs():
    engine, cpu, _ = make(counting_loop(50))
    engine.loop_regions = False
    run_to_halt(engine, cpu)
    entry = engine.cache.lookup(BASE, 0)
    fn, ns, chained = entry.fn, entry.namespace, entry.namespace["C0"]
    assert chained is engine.cache.lookup(BASE + 4, 0).fn      # the entry block chained to the loop
    engine.flush()
    restart(cpu)
    run_to_halt(engine, cpu)
    again = engine.cache.lookup(BASE, 0)
    assert again is not entry and again.fn is fn and again.namespace is ns
    assert cpu.x[2] == 50 and cpu.instructions_retired() == 2 * (1 + 3 * 50 + 1)
    # its slots were reset to link stubs and linked again (two links a run), to the loop's same function
    assert engine.stats.chain_links == 4 and ns["C0"] is engine.cache.lookup(BASE + 4, 0).fn


def test_a_valid_tb_never_shares_its_function():
    # a capped copy (not in the TB cache) is never invalidated: each is bound anew
    engine, cpu, _ = make(counting_loop(50))
    a = engine.translate(BASE, 0, 2, cache=False)
    b = engine.translate(BASE, 0, 2, cache=False)
    assert a.valid and a.fn is not b.fn and a.namespace is not b.namespace


def test_code_that_changed_is_translated_anew():
    prog = counting_loop(5)
    engine, cpu, ram = make(prog)
    run_to_halt(engine, cpu)
    fn = engine.cache.lookup(BASE, 0).fn
    engine.flush()
    ram.data[0:4] = enc(1, 1, 0, 7)          # r1 = 7 now
    restart(cpu)
    run_to_halt(engine, cpu)
    assert engine.cache.lookup(BASE, 0).fn is not fn and cpu.x[2] == 7
