"""A forward conditional branch (B<c>, CBZ/CBNZ) leaves the TB only when
taken: the TB goes on with the fall-through, up to a backward branch, which
still ends it (a loop is then one TB, run in place by the back end). A
strcmp-like loop (two loads, a CBZ out of the loop, a compare, a backward
BEQ) is one TB and runs as the reference interpreter runs it, for strings
that end, differ, or run into the budget."""
from __future__ import annotations

import pytest

from emud.tcg import interp
from emud.tcg.translator import translate_block

from .machine import CortexMTestMachine
from .test_random_blocks import CODE, DATA, setup, state

# 0x1000: ldrb r2, [r0], #1 / cbz r2, done / ldrb r3, [r1], #1 / cmp r2, r3 / beq 0x1000
#         done: subs r0, r2, r3 / b .
LOOP = [[0xF810, 0x2B01], [0xB11A], [0xF811, 0x3B01], [0x429A], [0xD0F8], [0x1AD0]]


def _strings(m, a: bytes, b: bytes) -> None:
    m.bus.write_bytes(DATA, a + b"\0")
    m.bus.write_bytes(DATA + 0x80, b + b"\0")


def _run(compiled: bool, a: bytes, b: bytes, budget: int):
    m = CortexMTestMachine(accel_options={"tier-up": "0"} if compiled else None)
    cpu = setup(m, 5, LOOP)
    _strings(m, a, b)
    cpu.x[0], cpu.x[1] = DATA, DATA + 0x80
    if compiled:
        m.accel.execute(cpu, budget)
    else:
        interp.run(cpu, m.frontend, m.bus, budget)
    return state(m)


@pytest.mark.parametrize("a, b", [(b"same", b"same"), (b"abc", b"abd"), (b"long string here", b"long string here!")])
@pytest.mark.parametrize("budget", [7, 40, 200])
def test_loop_with_an_early_exit_runs_as_the_reference(a, b, budget):
    assert _run(True, a, b, budget) == _run(False, a, b, budget)


def test_the_forward_cbz_does_not_end_the_tb_and_the_backward_beq_does():
    m = CortexMTestMachine()
    setup(m, 5, LOOP)

    def fetch(pc, n):
        return int.from_bytes(m.bus.read_bytes(pc, n), "little")

    _, insns = translate_block(m.frontend, fetch, CODE, 0)
    assert [pc for pc, _ in insns] == [0x1000, 0x1004, 0x1006, 0x100A, 0x100C]
