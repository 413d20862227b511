"""The generic pipeline (translate -> optimize -> Python -> TB cache -> execute)
on a toy guest: chaining, looping in place, exact budgets, traps, code
invalidation, cache bounds."""
from __future__ import annotations

import pytest

from emud.memory import AddressSpace, RamRegion
from emud.tcg.exec import TBEngine
from emud.tcg.translator import MAX_TB_INSNS

from .toy import ToyCPU, ToyFrontend, enc

BASE = 0x80000000


def make(program: bytes, tier_up: int = 0, **kw):
    """An engine running ``program`` at BASE. Blocks are compiled at once
    (``tier_up=0``): these tests are about the compiled pipeline;
    test_tiering.py runs the interpreter tier and the move between them."""
    bus = AddressSpace()
    ram = bus.map(BASE, RamRegion("ram", 0x10000))
    ram.data[:len(program)] = program
    engine = TBEngine(ToyFrontend(), bus, **kw)
    engine.tier_up_calls = tier_up
    cpu = ToyCPU()
    cpu.pc = BASE
    return engine, cpu, ram


def counting_loop(n):
    # r1 = n; loop: r2 += 1; r1 -= 1; bne r1, r0, loop; halt
    return b"".join([enc(1, 1, 0, n), enc(1, 2, 2, 1), enc(1, 1, 1, -1), enc(2, 1, 0, -2), enc(7)])


def restart(cpu):
    """The toy program again from its start with registers cleared (memory kept)."""
    cpu.pc, cpu.halted, cpu.x = BASE, False, [0] * 8


def run_to_halt(engine, cpu, budget=10**6):
    reason = engine.execute(cpu, budget)
    assert reason == "halted", reason
    return reason


def test_loop_runs_and_counts_instructions_exactly():
    engine, cpu, _ = make(counting_loop(100))
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 100 and cpu.x[1] == 0
    assert cpu.instructions_retired() == 1 + 3 * 100 + 1
    assert cpu.pc == BASE + 5 * 4


@pytest.mark.parametrize("budget", [1, 2, 3, 7, MAX_TB_INSNS - 1, MAX_TB_INSNS, MAX_TB_INSNS + 1, 250])
def test_budget_is_never_overshot(budget):
    engine, cpu, _ = make(counting_loop(120))
    reason = engine.execute(cpu, budget)
    assert reason == "budget"
    assert cpu.instructions_retired() == budget
    # the state is exactly that after `budget` instructions
    done_iters = (budget - 1) // 3
    assert cpu.x[2] in (done_iters, done_iters + 1)


def test_stepping_one_by_one_matches_a_full_run():
    engine, cpu, _ = make(counting_loop(20))
    trace = []
    while not cpu.halted:
        engine.execute(cpu, 1)
        trace.append((cpu.pc, tuple(cpu.x)))
    e2, c2, _ = make(counting_loop(20))
    run_to_halt(e2, c2)
    assert trace[-1] == (c2.pc, tuple(c2.x))
    assert len(trace) == c2.instructions_retired()


def test_chaining_links_blocks_and_nochain_gives_same_result():
    prog = b"".join([enc(1, 1, 0, 50), enc(1, 2, 2, 3), enc(2, 2, 0, 1), enc(1, 3, 3, 1),
                     enc(1, 1, 1, -1), enc(2, 1, 0, -4), enc(7)])
    engine, cpu, _ = make(prog)
    run_to_halt(engine, cpu)
    assert engine.stats.chain_links > 0
    e2, c2, _ = make(prog)
    e2.set_chaining(False)
    run_to_halt(e2, c2)
    assert e2.stats.chain_links == 0
    assert c2.x == cpu.x and c2.instructions_retired() == cpu.instructions_retired()


def test_load_store_fast_and_slow_paths_and_faults():
    prog = b"".join([
        enc(1, 1, 0, 0x40),        # r1 = 0x40 (offset)
        enc(3, 2, 5, 0),           # r2 = [r5]    r5 = RAM base (set below)
        enc(1, 2, 2, 1),           # r2 += 1
        enc(4, 2, 5, 4),           # [r5+4] = r2
        enc(4, 2, 5, 9),           # misaligned store -> slow path, still works
        enc(3, 3, 6, 0),           # load from unmapped r6 -> fault 101
        enc(7),
    ])
    engine, cpu, ram = make(prog)
    cpu.x[5] = BASE + 0x1000
    cpu.x[6] = 0x1000
    ram.data[0x1000:0x1004] = (41).to_bytes(4, "little")
    run_to_halt(engine, cpu)
    assert int.from_bytes(ram.data[0x1004:0x1008], "little") == 42
    assert int.from_bytes(ram.data[0x1009:0x100d], "little") == 42
    assert cpu.traps == [(BASE + 20, 101)]


def test_trap_writes_back_registers_and_counts():
    prog = b"".join([enc(1, 1, 0, 7), enc(1, 2, 0, 9), enc(6, imm=33), enc(1, 3, 0, 1), enc(7)])
    engine, cpu, _ = make(prog)
    run_to_halt(engine, cpu)
    assert cpu.traps == [(BASE + 8, 33)]
    assert cpu.x[1:4] == [7, 9, 1]
    assert cpu.instructions_retired() == 4  # the trapping insn does not retire


def test_self_modifying_code_is_retranslated():
    # the loop body's ADDI immediate is rewritten by a store into the code
    prog = b"".join([enc(1, 2, 2, 1), enc(4, 4, 5, 0), enc(7)])
    engine, cpu, ram = make(prog)
    cpu.x[5] = BASE          # store target: the first instruction
    cpu.x[4] = int.from_bytes(enc(1, 2, 2, 5), "little")
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 1
    cpu.pc, cpu.halted = BASE, False
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 6      # the new instruction ran
    assert engine.cache.invalidations >= 1


def test_code_cache_bound_flushes_and_results_stay_right():
    prog = counting_loop(100)
    engine, cpu, _ = make(prog, tb_size_bytes=1)
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 100
    assert engine.cache.flushes >= 1


def test_indirect_jump_and_fetch_fault():
    prog = b"".join([enc(1, 1, 0, 16), enc(1, 1, 1, 0), enc(5, 0, 3, 0), enc(7), enc(7)])
    engine, cpu, _ = make(prog)
    cpu.x[3] = BASE + 12
    run_to_halt(engine, cpu)
    assert cpu.pc == BASE + 16
    e2, c2, _ = make(prog)
    c2.x[3] = 0x4000          # jump into the void
    c2.pc = BASE + 8
    assert e2.execute(c2, 2, single_step=True) == "trap"
    assert c2.traps == [(0x4000, 100)]


@pytest.mark.parametrize("tier_up", [0, 32], ids=["compiled", "interpreted"])
def test_breakpoint_stops_before_the_instruction_and_skips_once(tier_up):
    engine, cpu, _ = make(counting_loop(3), tier_up=tier_up)
    engine.set_breakpoints({BASE + 8})
    assert engine.execute(cpu, 1000) == "debug"
    assert cpu.pc == BASE + 8 and cpu.x[2] == 1
    cpu.skip_breakpoint_at = cpu.pc
    assert engine.execute(cpu, 1000) == "debug"
    assert cpu.x[2] == 2
    engine.set_breakpoints(set())
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 3


@pytest.mark.parametrize("tier_up", [0, 32], ids=["compiled", "interpreted"])
def test_resuming_from_a_breakpoint_on_a_branch_to_itself_runs_it_once(tier_up):
    # `b .` (a fault handler's spin): the one-off TB that runs the instruction
    # under the breakpoint must not loop in place past it
    engine, cpu, _ = make(enc(1, 2, 2, 1) + enc(2, 1, 0, 0), tier_up=tier_up)   # r2 += 1; spin while r1 != 0
    cpu.x[1] = 1
    engine.set_breakpoints({BASE + 4})
    assert engine.execute(cpu, 1000) == "debug" and cpu.instructions_retired() == 1
    for n in range(2, 6):
        cpu.skip_breakpoint_at = cpu.pc
        assert engine.execute(cpu, 1000) == "debug"
        assert (cpu.pc, cpu.instructions_retired()) == (BASE + 4, n)
