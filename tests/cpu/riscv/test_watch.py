"""Watchpoints in the execution engine, on RISC-V code: a hit stops the hart
before the access (pc at the accessing instruction, nothing of it done, not
retired), as QEMU's RISC-V gdb stub does; a resume with ``skip_watch_at``
runs that instruction once unwatched. Compiled and interpreted blocks alike;
code that touches no watched chunk keeps the inline RAM path."""
from __future__ import annotations

import pytest

from emud.tcg.backend_py import STRUCT_MEMORY_DEFAULT
from emud.tcg.exec import TBEngine, Watchpoint

from .harness import RAM_BASE, Hart, needs_as

pytestmark = needs_as
DATA = RAM_BASE + 0x8000

# t0 = DATA; 3 times: t1 = [t0]; t1 += 1; [t0] = t1; then an AMO and an LR/SC on DATA + 8
PROGRAM = """
    li      t0, 0x%x
    li      t2, 3
loop:
    lw      t1, 0(t0)
    addi    t2, t2, -1
    addi    t1, t1, 1
    sw      t1, 0(t0)
    bnez    t2, loop
    addi    a0, t0, 8
    li      a1, 5
    amoadd.w a2, a1, (a0)
    lr.w    a3, (a0)
    addi    a3, a3, 1
    sc.w    a4, a3, (a0)
    wfi
""" % DATA


def setup(xlen, tier_up, *watchpoints):
    h = Hart(xlen)
    h.asm(PROGRAM)
    engine = TBEngine(h.fe, h.mem)
    engine.tier_up_calls = tier_up
    engine.set_watchpoints([Watchpoint(*w) for w in watchpoints])
    return h, engine


def pc_of(h, mnemonic, nth=0):
    """The address of the nth instruction with this mnemonic."""
    found = [addr for addr, _, mnem, _ in h.fe.disassemble(bytes(h.ram.data[:0x60]), RAM_BASE) if mnem == mnemonic]
    return found[nth]


def cont(h, engine):
    """Resume as the machine does after a watchpoint stop, and run to the next stop."""
    h.cpu.skip_watch_at = h.cpu.pc
    h.cpu.watch_hit = None
    return engine.execute(h.cpu, 10**5)


@pytest.mark.parametrize("tier_up", [0, 32])
@pytest.mark.parametrize("xlen", [32, 64])
def test_a_write_watchpoint_stops_before_the_store(xlen, tier_up):
    h, engine = setup(xlen, tier_up, (DATA, 4, "write"))
    sw = pc_of(h, "sw")
    for n in range(3):
        assert (engine.execute(h.cpu, 10**5) if n == 0 else cont(h, engine)) == "debug"
        assert (h.cpu.pc, h.cpu.watch_hit) == (sw, ("write", DATA, DATA))
        assert h.read(DATA, 4) == n                    # not written yet
        assert h["t1"] == n + 1                        # the instructions before it ran
        # what precedes the sw on the first pass, then 5 more per iteration
        assert h.cpu.instructions_retired() == len(_before(h, sw)) + 5 * n
    assert cont(h, engine) == "halted"                # the AMO and the SC do not touch DATA
    assert h.read(DATA, 4) == 3


def _before(h, pc):
    """The instructions from the start up to (not including) ``pc``, first pass."""
    return [a for a, _, _, _ in h.fe.disassemble(bytes(h.ram.data[:pc - RAM_BASE]), RAM_BASE)]


@pytest.mark.parametrize("tier_up", [0, 32])
def test_a_read_watchpoint_stops_before_the_load(tier_up):
    h, engine = setup(32, tier_up, (DATA, 4, "read"))
    lw = pc_of(h, "lw")
    h.write(DATA, 4, 41)
    h["t1"] = 7
    assert engine.execute(h.cpu, 10**5) == "debug"
    assert (h.cpu.pc, h.cpu.watch_hit, h["t1"]) == (lw, ("read", DATA, DATA), 7)
    assert h.cpu.instructions_retired() == len(_before(h, lw))
    # the stop did not consume the budget of the load: step exactly one instruction
    h.cpu.skip_watch_at = h.cpu.pc
    assert engine.execute(h.cpu, 1) == "budget"
    assert (h.cpu.pc, h["t1"]) == (lw + 4, 41)


@pytest.mark.parametrize("tier_up", [0, 32])
@pytest.mark.parametrize("kind", ["write", "read", "access"])
def test_amo_and_sc_are_reads_and_writes(kind, tier_up):
    h, engine = setup(32, tier_up, (DATA + 8, 4, kind))
    h.write(DATA + 8, 4, 10)
    stops = []
    reason = engine.execute(h.cpu, 10**5)
    while reason == "debug":
        stops.append((h.cpu.pc, h["a2"], h["a4"], h.read(DATA + 8, 4)))
        reason = cont(h, engine)
    assert reason == "halted"
    amo, lr, sc = pc_of(h, "amoadd.w"), pc_of(h, "lr.w"), pc_of(h, "sc.w")
    expected = {"write": [(amo, 0, 0, 10), (sc, 10, 0, 15)],
                "read": [(amo, 0, 0, 10), (lr, 10, 0, 15), (sc, 10, 0, 15)],
                "access": [(amo, 0, 0, 10), (lr, 10, 0, 15), (sc, 10, 0, 15)]}[kind]
    assert stops == expected
    assert (h["a4"], h.read(DATA + 8, 4)) == (0, 16)   # the SC still succeeded after its stop


def test_only_watched_chunks_leave_the_inline_path():
    h, engine = setup(32, 0)
    engine.set_watchpoints([Watchpoint(DATA, 4, "write")])
    flushes = engine.cache.flushes
    engine.set_watchpoints([Watchpoint(DATA + 4, 4, "write")])
    assert engine.cache.flushes == flushes             # stores check CP at run time: no retranslation
    assert engine.execute(h.cpu, 10**5) == "halted"     # the watched word is never written
    tb = engine.cache.lookup(RAM_BASE, h.cpu.tb_flags())
    inline_store = "ST4(RAM" if STRUCT_MEMORY_DEFAULT else "U4["    # the runtime's RAM fast path
    assert "WL[" not in tb.source and inline_store in tb.source
    engine.set_watchpoints([Watchpoint(DATA + 4, 4, "read")])
    assert engine.cache.flushes == flushes + 1         # loads now check WL too
    engine.set_watchpoints([])
    assert not any(engine.code_pages[i] & 2 for i in range(len(engine.code_pages)))
    assert not any(engine.watched_loads)
