"""Optimizer rewrites that the pipeline tests do not pin down one by one."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from emud.tcg.interp import bus_access, run_ops
from emud.tcg.ir import IRBuilder
from emud.tcg.optimize import optimize

from .toy import ToyCPU


def zero_extend_ops(k: int, clobber_source: bool = False):
    """r6 = (r5 << k) >> k at 64 bits (RV64's slli/srli zero extension)."""
    b = IRBuilder(64)
    b.insn_start(0x1000, 4)
    t = b.shl(b.reg(5), k)
    if clobber_source:
        b.mov(b.reg(5), 7)          # the shifted source changes before the shr
    b.mov(b.reg(6), b.shr(t, k))
    b.goto_tb(0, 0x1004)
    return b.ops


def run(ops, r5: int):
    cpu = ToyCPU()
    cpu.xlen = 64
    cpu.x = [0] * 8
    cpu.x[5] = r5
    cpu.budget = 10
    run_ops(ops, cpu, *bus_access(None), {})
    return cpu.x[6], cpu.x[5]


def test_shift_left_then_right_becomes_a_mask():
    opt = optimize(zero_extend_ops(32))
    assert [op.opc for op in opt if op.opc in ("shl", "shr", "and")] == ["and"]
    assert [op for op in opt if op.opc == "and"][0].args[2] == 0xFFFFFFFF


def test_no_mask_when_the_source_changed_in_between():
    opt = optimize(zero_extend_ops(32, clobber_source=True))
    assert "shr" in [op.opc for op in opt]


@given(st.integers(1, 63), st.integers(0, (1 << 64) - 1), st.booleans())
def test_rewrite_keeps_the_value(k, value, clobber):
    ops = zero_extend_ops(k, clobber)
    assert run(optimize(ops), value) == run(ops, value)


def skipped_instruction_ops(cond_value: int):
    """An IT block's shape: r6 = 1 unless r5 == cond (a brcond to a join
    label), then r7 = 2 on both paths, then the chained exit. With r5
    first set to a constant the brcond folds."""
    b = IRBuilder(32)
    b.insn_start(0x1000, 2)
    b.mov(b.reg(5), cond_value)
    b.insn_start(0x1002, 2)
    join = b.label()
    b.brcond("eq", b.reg(5), 3, join)
    b.mov(b.reg(6), 1)
    b.set_label(join)
    b.insn_start(0x1004, 2)
    b.mov(b.reg(7), 2)
    b.goto_tb(0, 0x1006)
    return b.ops


def run32(ops):
    cpu = ToyCPU()
    cpu.x = [0] * 8
    cpu.budget = 10
    run_ops(ops, cpu, *bus_access(None), {})
    return cpu.x[5:8]


def test_a_branch_folded_as_never_taken_keeps_the_code_after_its_join_label():
    # (the label had no brcond left, and everything after it was dropped,
    # the chained exit too: "TB falls off its end without an exit")
    ops = skipped_instruction_ops(4)
    opt = optimize(ops)
    assert [op.opc for op in opt if op.opc in ("brcond", "set_label", "goto_tb")] == ["goto_tb"]
    assert run32(opt) == run32(ops) == [4, 1, 2]


def test_a_branch_folded_as_always_taken_skips_to_its_join_label():
    ops = skipped_instruction_ops(3)
    opt = optimize(ops)
    assert [op.opc for op in opt if op.opc in ("brcond", "set_label", "goto_tb")] == ["goto_tb"]
    assert run32(opt) == run32(ops) == [3, 0, 2]
