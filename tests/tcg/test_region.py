"""Region translation (several guest blocks per TB function, emud/tcg/region.py)
against a reference run of the same toy program with chaining off and one
instruction per TB: same registers, pc, memory, traps and retired count after
the same budget, for hypothesis-generated programs and a few directed cases."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emud.tcg.region import translate_region
from emud.tcg.translator import MAX_TB_INSNS

from .test_engine import BASE
from .test_engine import make as make_engine
from .toy import enc

DATA = BASE + 0x1000


def make(program, **kw):
    engine, cpu, ram = make_engine(program, **kw)
    engine.regions = True
    return engine, cpu, ram


def state(engine, cpu, ram):
    return (cpu.pc, tuple(cpu.x), cpu.instructions_retired(), tuple(cpu.traps), bytes(ram.data[0x1000:0x1100]))


def setup(cpu):
    cpu.x[5] = DATA
    cpu.x[6] = DATA + 0x40


def run_in_chunks(engine, cpu, ram, chunks):
    """setup(), then execute() one budget after the other until the halt;
    returns the engine and the final state."""
    setup(cpu)
    for n in chunks:
        if cpu.halted:
            break
        engine.execute(cpu, n)
    return engine, state(engine, cpu, ram)


def run_regions(prog, budget, chunks=None):
    return run_in_chunks(*make(prog), chunks or [budget])


def run_reference(prog, budget):
    """Chaining off, one instruction per TB: stepping one by one."""
    engine, cpu, ram = make(prog)
    engine.set_chaining(False)
    setup(cpu)
    for _ in range(budget):
        if cpu.halted:
            break
        engine.execute(cpu, 1)
    return state(engine, cpu, ram)


# one toy instruction: (op, rd, rs, imm); branches stay inside the program
def insn(n_insns):
    reg = st.integers(0, 7)
    return st.one_of(
        st.tuples(st.just(1), reg, reg, st.integers(-3, 3)),                        # ADDI
        st.tuples(st.just(2), reg, reg, st.integers(-6, 6)),                        # BNE
        st.tuples(st.just(8), reg, reg, st.integers(1, 6)),                         # BNEX (forward)
        st.tuples(st.just(3), reg, st.sampled_from([5, 6]), st.sampled_from([0, 4, 8, 2])),   # LW
        st.tuples(st.just(4), reg, st.sampled_from([5, 6]), st.sampled_from([0, 4, 12, 1])),  # SW
        st.tuples(st.just(6), st.just(0), st.just(0), st.just(40)),                # TRAP
    )


def assemble(body):
    out = []
    n = len(body)
    for i, (op, rd, rs, imm) in enumerate(body):
        if op in (2, 8):
            imm = max(-i, min(imm, n - i))   # stay within [0, n]: n is the HALT
            if imm == 0:
                imm = 1
        out.append(enc(op, rd, rs, imm))
    out.append(enc(7))
    return b"".join(out)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.integers(1, 400))
def test_regions_match_single_instruction_reference(body, budget):
    prog = assemble(body)
    _, got = run_regions(prog, budget)
    assert got == run_reference(prog, budget)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.lists(st.integers(1, 90), min_size=1, max_size=8))
def test_regions_with_budget_slices_match_reference(body, chunks):
    prog = assemble(body)
    _, got = run_regions(prog, sum(chunks), chunks)
    assert got == run_reference(prog, sum(chunks))


def loop_with_if(n):
    # r1 = n; loop: r2 += 1; bne r2,r3 -> skip; r4 += 1 (every time r2 == r3); skip: r1 -= 1;
    # bne r1, r0, loop; halt
    return b"".join([
        enc(1, 1, 0, n),        # 0
        enc(1, 2, 2, 1),        # 4  loop
        enc(2, 2, 3, 2),        # 8  r2 != r3 -> 16
        enc(1, 4, 4, 1),        # 12
        enc(1, 1, 1, -1),       # 16
        enc(2, 1, 0, -4),       # 20 -> 4
        enc(7),                 # 24
    ])


def test_a_loop_with_an_if_becomes_one_looping_region():
    prog = loop_with_if(50)
    engine, cpu, ram = make(prog)
    cpu.x[3] = 7
    engine.execute(cpu, 10**5)
    assert cpu.halted and cpu.x[2] == 50 and cpu.x[4] == 1 and cpu.x[1] == 0
    assert cpu.instructions_retired() == 1 + 50 * 4 + 1 + 1   # one r4 += 1
    tb = engine.cache.lookup(BASE + 4, 0)
    assert tb.blocks >= 3 and "continue" in tb.source
    # r4 was written in one iteration only and must still reach cpu.x at the exit
    assert cpu.x[4] == 1


def test_region_paths_never_exceed_the_tb_limit_and_depths_are_unique():
    # a long straight run of tiny blocks joined by always-forward branches
    body = []
    for _ in range(60):
        body += [enc(1, 1, 1, 1), enc(2, 1, 0, 1)]
    prog = b"".join(body) + enc(7)
    engine, cpu, ram = make(prog)

    def fetch(addr, size):
        off = addr - BASE
        return int.from_bytes(ram.data[off:off + size], "little")

    region = translate_region(engine.frontend, fetch, BASE, 0)
    assert 1 < region.blocks and region.max_path <= MAX_TB_INSNS
    assert sorted(region.depth.values()) == list(range(len(region.depth)))
    engine.execute(cpu, 10**4)
    assert cpu.halted and cpu.x[1] == 60 and cpu.instructions_retired() == 121


def test_store_into_an_inlined_block_invalidates_the_region():
    # block A: store r4 over the ADDI at 12 (inside the region's inlined
    # block), then branch forward to it; the new instruction must run
    prog = b"".join([
        enc(4, 4, 5, 0),        # 0: [r5] = r4   (r5 = BASE + 12)
        enc(2, 5, 0, 2),        # 4: r5 != 0 -> 12
        enc(7),                 # 8
        enc(1, 2, 2, 1),        # 12: r2 += 1 (rewritten to r2 += 5)
        enc(7),                 # 16
    ])
    engine, cpu, ram = make(prog)
    cpu.x[5] = BASE + 12
    cpu.x[4] = int.from_bytes(enc(1, 2, 2, 5), "little")
    # translate first with the old code so that the region holds it
    engine.translate(BASE, 0)
    engine.execute(cpu, 1000)
    assert cpu.halted and cpu.x[2] == 5
    assert engine.cache.invalidations >= 1


def test_trap_in_an_inlined_block_reports_its_pc_and_count():
    prog = b"".join([
        enc(1, 1, 0, 3),        # 0
        enc(2, 1, 0, 2),        # 4 -> 12
        enc(7),                 # 8
        enc(1, 2, 0, 9),        # 12
        enc(3, 3, 7, 0),        # 16: load from r7 = unmapped -> fault 101
        enc(7),                 # 20
    ])
    engine, cpu, ram = make(prog)
    cpu.x[7] = 0x4000
    engine.execute(cpu, 1000)
    assert cpu.traps == [(BASE + 16, 101)]
    assert cpu.x[1] == 3 and cpu.x[2] == 9
    assert cpu.instructions_retired() == 3 + 1   # the faulting load does not retire; HALT does


def diamond_loop(n, join):
    # r1 = n; loop: r2 += 1; bne r2, r3 -> join; r4 += 1; join: <join>; r1 -= 1;
    # bne r1, r0, loop; halt. The join sits one instruction deeper after the arm.
    return b"".join([
        enc(1, 1, 0, n),        # 0
        enc(1, 2, 2, 1),        # 4  loop
        enc(2, 2, 3, 2),        # 8  r2 != r3 -> 16
        enc(1, 4, 4, 1),        # 12 the arm
        join,                   # 16 the join
        enc(1, 1, 1, -1),       # 20
        enc(2, 1, 0, -5),       # 24 -> 4
        enc(7),                 # 28
    ])


def run_diamond(prog, regs, one_by_one=False):
    """The final state, and how many TB function calls the dispatcher made."""
    engine, cpu, ram = make(prog)
    calls = [0]

    def counted(fn, cpu):
        calls[0] += 1
        return fn(cpu)
    engine.opaque_call, engine.megamorphic_tbs = counted, 0    # every call through counted
    cpu.x[3], cpu.x[7] = regs
    if one_by_one:
        engine.set_chaining(False)
        while not cpu.halted:
            engine.execute(cpu, 1)
    else:
        engine.execute(cpu, 10**5)
    return calls[0], state(engine, cpu, ram)


def test_a_join_without_memory_access_is_copied_so_that_both_arms_loop_in_place():
    prog = diamond_loop(50, enc(1, 5, 5, 1))
    calls, got = run_diamond(prog, (7, 0))
    assert got == run_diamond(prog, (7, 0), one_by_one=True)[1]
    pc, x, retired, traps, _ = got
    assert x[2] == 50 and x[4] == 1 and x[5] == 50 and retired == 1 + 50 * 5 + 1 + 1
    # the entry region, the loop region (both ways round), the halt: not a call per iteration
    assert calls < 10


def test_a_join_that_may_trap_keeps_one_depth_and_traps_exactly():
    # the join's load faults every time (address 0 is unmapped): a trap's pc
    # must tell how many instructions retired before it, so the join is not
    # copied at a second depth and the arm's path leaves the region for it
    prog = diamond_loop(20, enc(3, 6, 7, 0))
    calls, got = run_diamond(prog, (7, 0))
    assert got == run_diamond(prog, (7, 0), one_by_one=True)[1]
    # every load faults (not retired), and every trap ends the TB
    assert len(got[3]) == 20 and got[2] == 1 + 20 * 4 + 1 + 1
    assert calls > 20


def latch_before_head(n):
    # a loop laid out with part of its body before its head, and two back
    # edges (as gcc lays out rtos-mix's CRC loops): body: r4 += 1; a branch
    # never taken (the body is a block of its own, falling into the head);
    # head: r2 -= 1; bne r2, r0 -> body; r2 = 3; r1 -= 1; bne r1, r0 -> head;
    # halt. No one entry closes both back edges going forward only.
    return b"".join([
        enc(1, 1, 0, n),        # 0
        enc(1, 2, 0, 3),        # 4
        enc(2, 1, 0, 3),        # 8  -> 20 (r1 = n: always)
        enc(1, 4, 4, 1),        # 12 body
        enc(2, 0, 0, 6),        # 16 never
        enc(1, 2, 2, -1),       # 20 head
        enc(2, 2, 0, -3),       # 24 r2 != 0 -> 12
        enc(1, 2, 0, 3),        # 28
        enc(1, 1, 1, -1),       # 32
        enc(2, 1, 0, -4),       # 36 r1 != 0 -> 20
        enc(7),                 # 40
    ])


def test_a_block_before_the_entry_is_inlined_so_that_the_loop_runs_in_one_region():
    prog = latch_before_head(40)
    calls, got = run_diamond(prog, (0, 0))
    assert got == run_diamond(prog, (0, 0), one_by_one=True)[1]
    pc, x, retired, traps, _ = got
    assert x[1] == 0 and x[2] == 3 and x[4] == 40 * 2 and pc == BASE + 44    # after the halt
    assert calls < 10


def test_code_inlined_from_before_the_entry_is_invalidated_by_a_write_to_it():
    prog = latch_before_head(40)
    engine, cpu, ram = make(prog)
    engine.execute(cpu, 60)            # the head's region, with the body before it, is made and runs
    head = engine.cache.lookup(BASE + 20, 0)
    assert head is not None and head.start == BASE + 12 and head.blocks > 1
    # the body now adds 5: the region that inlined it must go
    ram.data[12:16] = enc(1, 4, 4, 5)
    engine.invalidate(BASE + 12, 4)
    assert not head.valid
    before = cpu.x[4]
    engine.execute(cpu, 10**4)
    assert cpu.halted and cpu.x[1] == 0 and (cpu.x[4] - before) % 5 == 0 and cpu.x[4] > before


def branch_into_block_b():
    # A: r2 += 1; branch (always taken: r5 != 0) to B; B: r3 += 1; halt.
    # A's region inlines B, so B's IR is remembered for the next region.
    return b"".join([
        enc(1, 2, 2, 1),        # 0  A
        enc(2, 5, 0, 2),        # 4  -> 12
        enc(7),                 # 8
        enc(1, 3, 3, 1),        # 12 B
        enc(7),                 # 16
    ])


def test_a_remembered_block_whose_bytes_changed_is_translated_anew():
    engine, cpu, ram = make(branch_into_block_b())
    a = engine.translate(BASE, 0)
    assert a.blocks > 1 and engine.block_irs
    # B's bytes change behind the engine's back (no invalidation reaches it):
    # a region made at B now must not reuse what A's region read there
    ram.data[12:16] = enc(1, 3, 3, 5)
    cpu.pc = BASE + 12
    engine.execute(cpu, 100)
    assert cpu.halted and cpu.x[3] == 5


def test_remembered_blocks_are_forgotten_when_a_breakpoint_is_set():
    engine, cpu, ram = make(branch_into_block_b())
    engine.translate(BASE, 0)
    assert engine.block_irs
    # a breakpoint on B's halt ends B there; a region made at B afterwards
    # must stop at it
    engine.set_breakpoints({BASE + 16})
    assert not engine.block_irs
    cpu.pc = BASE + 12
    assert engine.execute(cpu, 100) == "debug"
    assert cpu.pc == BASE + 16 and cpu.x[3] == 1 and not cpu.halted


def test_regions_read_each_block_once_across_regions():
    prog = branch_into_block_b()
    engine, cpu, ram = make(prog)
    engine.translate(BASE, 0)
    remembered = dict(engine.block_irs)
    engine.translate(BASE + 12, 0)
    # B's region got the very IR A's region read (not a second translation)
    assert engine.block_irs[(BASE + 12, 0)] is remembered[(BASE + 12, 0)]
