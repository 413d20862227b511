"""A store whose slow path asks the TB to exit (here: it overwrote translated
code, so the engine sets cpu.exit_request and st_slow raises ExitRequest)
still completes its instruction: SC writes rd (0) and an AMO writes rd (the
old value) after their store. Before, the exit was taken right after the
store and counted the instruction as retired, so rd kept its old value.
Compiled blocks (tier_up=0), tier 0 (interpreted blocks) and loop regions
alike, against the reference interpreter (interp.run_ops) on the same code."""
from __future__ import annotations

import pytest

from emud.tcg.exec import TBEngine

from .harness import RAM_BASE, Hart, needs_as

pytestmark = needs_as

# a0 = the address of an instruction of this very block; SC and AMOs write
# its own word back onto it (the same bytes: only the engine notices)
PROGRAM = """
    li      a4, 7
    li      a2, 9
    la      a0, here
here:
    lr.w    a1, (a0)
    sc.w    a4, a1, (a0)
    mv      a5, a4
    la      a0, again
again:
    amoor.w a2, zero, (a0)
    mv      a6, a2
    lw      a7, 0(a0)
    wfi
"""


def _run(xlen, tier_up=None):
    h = Hart(xlen)
    h.asm(PROGRAM)
    if tier_up is None:
        h.run(100)
    else:
        engine = TBEngine(h.fe, h.mem)
        engine.tier_up_calls = tier_up
        engine.loop_regions = False
        assert engine.execute(h.cpu, 10**4) == "halted"
    return h


@pytest.mark.parametrize("tier_up", [0, 32, None])
@pytest.mark.parametrize("xlen", [32, 64])
def test_sc_and_amo_onto_translated_code_still_write_rd(xlen, tier_up):
    h = _run(xlen, tier_up)
    assert h["a4"] == 0 and h["a5"] == 0          # SC succeeded, and said so
    assert h["a2"] == h["a6"] == h["a7"] != 9      # the AMO's old value: the instruction word
    ref = _run(xlen)
    assert [h.cpu.reg(n) for n in range(32)] == [ref.cpu.reg(n) for n in range(32)]
    assert h.cpu.pc == ref.cpu.pc
    assert h.cpu.instructions_retired() == ref.cpu.instructions_retired()
