"""Loop regions (TBEngine.loop_regions): a loop spanning several blocks is
retranslated as one looping region once its back edge has been taken
``loop_region_threshold`` times. Checked against a one-instruction-per-TB
reference (registers, pc, memory, traps, retired count), and for the
exactness rules: budgets, traps, self-modifying code, breakpoints."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_engine import BASE
from .test_engine import make as make_engine
from .test_region import assemble, insn, loop_with_if, run_in_chunks, run_reference
from .toy import enc


def make(program, threshold=1):
    engine, cpu, ram = make_engine(program)
    engine.regions = False
    engine.loop_regions = True
    engine.loop_region_threshold = threshold
    return engine, cpu, ram


def run_loop_regions(prog, chunks, threshold=1):
    return run_in_chunks(*make(prog, threshold), chunks)


def loop_insn():
    reg = st.integers(2, 7)     # r1 counts the loop down, r0 stays 0
    return st.one_of(
        st.tuples(st.just(1), reg, reg, st.integers(-3, 3)),                                  # ADDI
        st.tuples(st.just(2), reg, reg, st.integers(1, 6)),                                   # BNE forward
        st.tuples(st.just(8), reg, reg, st.integers(1, 6)),                                   # BNEX forward
        st.tuples(st.just(3), reg, st.sampled_from([5, 6]), st.sampled_from([0, 4, 8, 2])),   # LW
        st.tuples(st.just(4), reg, st.sampled_from([5, 6]), st.sampled_from([0, 4, 12, 1])),  # SW
        st.tuples(st.just(6), st.just(0), st.just(0), st.just(40)),                          # TRAP
    )


def assemble_loop(count, body):
    """r1 = count; loop: body (forward branches land in it or on the latch);
    r1 -= 1; bne r1, r0 -> loop; halt"""
    n = len(body)
    out = [enc(1, 1, 0, count)]
    for i, (op, rd, rs, imm) in enumerate(body):
        if op in (2, 8):
            imm = min(imm, n - i)
        out.append(enc(op, rd, rs, imm))
    out += [enc(1, 1, 1, -1), enc(2, 1, 0, -(n + 1)), enc(7)]
    return b"".join(out)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.lists(st.integers(1, 200), min_size=1, max_size=6),
       st.integers(1, 3))
def test_loop_regions_match_single_instruction_reference(body, chunks, threshold):
    prog = assemble(body)
    _, got = run_loop_regions(prog, chunks, threshold)
    assert got == run_reference(prog, sum(chunks))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40), st.lists(loop_insn(), min_size=1, max_size=16),
       st.lists(st.integers(1, 300), min_size=1, max_size=6), st.integers(1, 3))
def test_loops_of_several_blocks_match_single_instruction_reference(count, body, chunks, threshold):
    prog = assemble_loop(count, body)
    _, got = run_loop_regions(prog, chunks, threshold)
    assert got == run_reference(prog, sum(chunks))


def test_a_hot_loop_with_an_if_becomes_a_loop_region():
    engine, cpu, _ = make(loop_with_if(120), threshold=16)   # (counts fit the toy's imm8)
    cpu.x[3] = 7
    engine.execute(cpu, 10**5)
    assert cpu.halted and cpu.x[2] == 120 and cpu.x[4] == 1 and cpu.x[1] == 0
    assert cpu.instructions_retired() == 1 + 120 * 4 + 1 + 1
    tb = engine.cache.lookup(BASE + 4, 0)
    assert tb.blocks >= 2 and "continue" in tb.source
    assert engine.stats.loop_regions == 1
    # the region holds the loop's body only, not what follows the latch
    assert tb.end == BASE + 24


def test_a_loop_run_fewer_times_than_the_threshold_stays_plain():
    engine, cpu, _ = make(loop_with_if(10), threshold=64)
    cpu.x[3] = 7
    engine.execute(cpu, 10**5)
    assert cpu.halted and cpu.x[2] == 10
    assert engine.stats.loop_regions == 0 and engine.cache.lookup(BASE + 4, 0).blocks == 1


def test_off_means_plain_tbs_only():
    engine, cpu, _ = make(loop_with_if(120))
    engine.loop_regions = False
    cpu.x[3] = 7
    engine.execute(cpu, 10**5)
    assert cpu.halted and cpu.x[2] == 120
    assert all(tb.blocks == 1 for tb in engine.cache.all())


def test_a_region_that_cannot_close_the_loop_is_not_retried():
    # the head block loops on itself; the outer latch at 12 branches back to it
    prog = b"".join([
        enc(1, 1, 0, 3),        # 0: r1 = 3 (outer count)
        enc(1, 2, 2, 1),        # 4: inner: r2 += 1
        enc(2, 2, 3, -1),       # 8: r2 != r3 -> 4
        enc(1, 2, 0, 0),        # 12: r2 = 0
        enc(1, 1, 1, -1),       # 16: r1 -= 1
        enc(2, 1, 0, -4),       # 20: r1 != 0 -> 4
        enc(7),                 # 24
    ])
    engine, cpu, _ = make(prog)
    cpu.x[3] = 5
    engine.execute(cpu, 10**5)
    assert cpu.halted and cpu.x[1] == 0
    assert cpu.instructions_retired() == 1 + 3 * (5 * 2 + 3) + 1
    assert engine.stats.loop_regions == 0 and engine.stats.loop_region_misses == 1


def test_budget_slices_through_a_loop_region_are_exact():
    prog = loop_with_if(120)
    full = None
    for chunks in ([10**5], [7] * 400, [1, 2, 3, 5, 8, 13, 21, 34, 55, 89] * 30):
        engine, cpu, ram = make(prog)
        cpu.x[3] = 9
        for n in chunks:
            if cpu.halted:
                break
            engine.execute(cpu, n)
        got = (cpu.pc, tuple(cpu.x), cpu.instructions_retired(), cpu.halted)
        full = full or got
        assert got == full
    assert full[3] and full[1][2] == 120 and full[1][4] == 1


def test_store_into_a_loop_region_invalidates_it():
    # the loop rewrites its own `r4 += 1` (at 16) into `r4 += 5` when r2 == 100
    prog = b"".join([
        enc(1, 1, 0, 120),      # 0: r1 = 120
        enc(1, 2, 2, 1),        # 4: loop: r2 += 1
        enc(2, 2, 3, 2),        # 8: r2 != r3 -> 16
        enc(4, 6, 5, 0),        # 12: [r5] = r6 (r5 = BASE + 16)
        enc(1, 4, 4, 1),        # 16: r4 += 1, then r4 += 5
        enc(1, 1, 1, -1),       # 20: r1 -= 1
        enc(2, 1, 0, -5),       # 24: r1 != 0 -> 4
        enc(7),                 # 28
    ])
    engine, cpu, ram = make(prog)
    cpu.x[3] = 100
    cpu.x[5] = BASE + 16
    cpu.x[6] = int.from_bytes(enc(1, 4, 4, 5), "little")
    engine.execute(cpu, 10**5)
    assert cpu.halted
    # 99 iterations before the store add 1, the store's own iteration and
    # the 20 after it add 5 (the rewritten instruction ran)
    assert cpu.x[4] == 99 + 5 * 21
    assert engine.stats.loop_regions >= 1 and engine.cache.invalidations >= 1


def test_breakpoint_inside_a_loop_region_stops_there():
    engine, cpu, _ = make(loop_with_if(120))
    cpu.x[3] = 100
    assert engine.execute(cpu, 200) == "budget"
    assert engine.cache.lookup(BASE + 4, 0).blocks >= 2
    engine.set_breakpoints({BASE + 12})     # inside the region: the r2 == r3 path
    assert engine.execute(cpu, 10**5) == "debug"
    assert cpu.pc == BASE + 12 and cpu.x[2] == 100 and cpu.x[4] == 0
    assert cpu.instructions_retired() == 1 + 99 * 4 + 2
