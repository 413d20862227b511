"""Tiering (TBEngine.tier_up_calls): a block runs through the IR interpreter
until it has run ``tier_up_calls`` times, then it is compiled and replaces
the interpreted TB. Both tiers and the move between them must give exactly
what the compiled pipeline gives: checked against the one-instruction-per-TB
reference for hypothesis-generated programs, and for the cases that matter
around a tier change (chaining, self-modifying code, capped TBs at the end of
an exact budget, the translation cache, logging; breakpoints in both tiers:
test_engine.py)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emud.tcg.translator import MAX_TB_INSNS

from .test_engine import BASE, counting_loop, make, restart, run_to_halt
from .test_loop_region import assemble_loop, loop_insn
from .test_region import assemble, insn, run_in_chunks, run_reference
from .toy import enc


def run_tiered(prog, chunks, tier_up, loop_regions=False):
    engine, cpu, ram = make(prog, tier_up=tier_up)
    engine.loop_regions = loop_regions
    engine.loop_region_threshold = 2
    return run_in_chunks(engine, cpu, ram, chunks)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.lists(st.integers(1, 200), min_size=1, max_size=6),
       st.integers(1, 4))
def test_tiered_runs_match_single_instruction_reference(body, chunks, tier_up):
    prog = assemble(body)
    _, got = run_tiered(prog, chunks, tier_up)
    assert got == run_reference(prog, sum(chunks))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40), st.lists(loop_insn(), min_size=1, max_size=16),
       st.lists(st.integers(1, 300), min_size=1, max_size=6), st.integers(1, 4), st.booleans())
def test_tiered_loops_match_single_instruction_reference(count, body, chunks, tier_up, loop_regions):
    prog = assemble_loop(count, body)
    _, got = run_tiered(prog, chunks, tier_up, loop_regions)
    assert got == run_reference(prog, sum(chunks))


def test_a_block_is_interpreted_until_hot_then_compiled_and_chained():
    engine, cpu, _ = make(counting_loop(100), tier_up=5)
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 100 and cpu.instructions_retired() == 1 + 3 * 100 + 1
    s = engine.statistics()
    # the entry block, the loop body and the halt were made interpreted; only the
    # loop body ran 5 times and was compiled (looping in place from then on)
    assert s["interpreted"] == 3 and s["tier_ups"] == 1
    loop = engine.cache.lookup(BASE + 4, 0)
    assert not loop.interpreted and "continue" in loop.source
    assert engine.cache.lookup(BASE, 0).interpreted
    # an interpreted TB is never a chain target
    assert s["chain_links"] == 0


def test_chains_to_a_block_form_once_it_is_compiled():
    # r1 = 30; loop: r2 += 1; bne r2, r3 -> +2 (skips nothing when taken); r1 -= 1; bne r1 -> loop
    prog = b"".join([enc(1, 1, 0, 30), enc(1, 2, 2, 1), enc(2, 2, 3, 1), enc(1, 1, 1, -1),
                     enc(2, 1, 0, -3), enc(7)])
    engine, cpu, _ = make(prog, tier_up=3)
    engine.loop_regions = False      # (a loop region would delay the back edge's link)
    cpu.x[3] = 99
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 30 and cpu.x[1] == 0
    assert engine.stats.tier_ups == 2 and engine.stats.chain_links >= 2


def test_self_modifying_store_into_an_interpreted_block():
    # the block rewrites its own first instruction: the rest of it must not
    # run stale code, and the next run sees the new instruction
    prog = b"".join([enc(1, 2, 2, 1), enc(4, 4, 5, 0), enc(1, 3, 3, 1), enc(7)])
    engine, cpu, _ = make(prog, tier_up=10)
    cpu.x[5] = BASE
    cpu.x[4] = int.from_bytes(enc(1, 2, 2, 5), "little")
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 1 and cpu.x[3] == 1
    assert engine.cache.invalidations >= 1
    cpu.pc, cpu.halted = BASE, False
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 6 and cpu.x[3] == 2
    assert cpu.instructions_retired() == 8


def test_capped_blocks_at_the_end_of_exact_budgets_tier_up_too():
    engine, cpu, _ = make(counting_loop(120), tier_up=3)
    engine.loop_regions = False
    for _ in range(40):          # a budget of 2 ends inside the 3-instruction loop body
        engine.execute(cpu, 2)
    assert cpu.instructions_retired() == 80
    compiled = [tb for tb in engine.capped.values() if not tb.interpreted]
    assert compiled, "a capped TB used again and again was never compiled"
    e2, c2, _ = make(counting_loop(120))
    e2.execute(c2, 80)
    assert (cpu.pc, cpu.x) == (c2.pc, c2.x)


def test_an_inexact_budget_lets_the_last_block_finish():
    prog = b"".join([enc(1, 2, 2, 1)] * 40 + [enc(7)])
    for tier_up in (0, 32):
        engine, cpu, _ = make(prog, tier_up=tier_up)
        engine.execute(cpu, 10, exact=False)
        # one TB (40 additions and the halt), run whole
        assert cpu.instructions_retired() == 41 and cpu.x[2] == 40 and cpu.halted
        e2, c2, _ = make(prog, tier_up=tier_up)
        e2.execute(c2, 10)
        assert c2.instructions_retired() == 10 and c2.x[2] == 10     # exact: stops inside it
    engine, cpu, _ = make(counting_loop(200))
    engine.execute(cpu, 1000, exact=False)
    assert 1000 <= cpu.instructions_retired() < 1000 + MAX_TB_INSNS


def test_compiled_code_in_the_translation_cache_is_used_at_once():
    engine, cpu, _ = make(counting_loop(50), tier_up=4)
    run_to_halt(engine, cpu)
    tier_ups = engine.stats.tier_ups
    engine.flush()
    restart(cpu)
    run_to_halt(engine, cpu)
    # the loop body came back compiled from the cache without a second warm-up
    assert engine.stats.tier_ups == tier_ups
    assert not engine.cache.lookup(BASE + 4, 0).interpreted
    assert engine.translation_cache.hits >= 1


def test_tier_up_zero_compiles_every_block():
    engine, cpu, _ = make(counting_loop(10), tier_up=0)
    run_to_halt(engine, cpu)
    assert engine.stats.interpreted == 0
    assert all(not tb.interpreted for tb in engine.cache.tbs.values())


def test_translation_logs_compile_every_block_so_each_is_logged():
    class Log:
        enabled_items = {"in_asm"}
        lines = []

        def enabled(self, item):
            return item in self.enabled_items

        def write(self, text):
            self.lines.append(text)

    engine, cpu, _ = make(counting_loop(3), tier_up=32)
    engine.log = Log()
    run_to_halt(engine, cpu)
    assert engine.stats.interpreted == 0
    assert sum("IN:" in line for line in engine.log.lines) == len(engine.cache)
