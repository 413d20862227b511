"""Guest debug triggers in the engine, next to the debugger's own stops:
a gdb breakpoint at a triggered pc wins (a debugger stop, no guest trap);
without it the trigger traps (cause 3) before the instruction; a trigger for
another privilege lets the instruction run; the state survives save/load."""
from __future__ import annotations

from emud.tcg.exec import TBEngine

from .harness import RAM_BASE, Hart, needs_as

pytestmark = needs_as
PROGRAM = """
    li      a1, 1
    addi    a1, a1, 1
    addi    a1, a1, 1
    wfi
"""
TARGET = RAM_BASE + 4          # the first addi


def setup(mode_bit):
    h = Hart(32)
    h.asm(PROGRAM)
    engine = TBEngine(h.fe, h.mem)
    engine.tier_up_calls = 0
    h.cpu.set_register("tdata2", TARGET)
    h.cpu.set_register("tdata1", (2 << 28) | mode_bit | 4)
    return h, engine


def test_gdb_breakpoint_wins_then_the_trigger_traps():
    h, engine = setup(1 << 6)
    engine.set_breakpoints({TARGET})
    assert engine.execute(h.cpu, 100) == "debug" and h.cpu.pc == TARGET
    engine.set_breakpoints(set())
    h.cpu.skip_breakpoint_at = TARGET     # as the machine resumes from a breakpoint
    engine.execute(h.cpu, 1)
    assert (h.cpu.mcause, h.cpu.mepc, h.cpu.mtval, h["a1"]) == (3, TARGET, 0, 1)


def test_a_trigger_for_another_privilege_lets_the_instruction_run():
    h, engine = setup(1 << 3)            # U mode only; the hart runs in M
    assert engine.execute(h.cpu, 100) == "halted"
    assert (h["a1"], h.cpu.mcause) == (3, 0)


def test_trigger_state_is_saved_and_loaded():
    h, _ = setup(1 << 6)
    state = h.cpu.save_state()
    other = Hart(32)
    other.cpu.load_state(state)
    assert other.cpu.get_register("tdata1") == (2 << 28) | (1 << 6) | 4
    assert other.cpu.get_register("tdata2") == TARGET and other.cpu.triggers_changed
