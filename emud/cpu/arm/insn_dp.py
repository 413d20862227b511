"""Data processing: AND..RSB with an immediate, a shifted register or a
register-shifted register, in their 16- and 32-bit encodings.

One table, :data:`OPS`, says what each operation computes and how it sets
the flags; the translators ``trans_<op>_rri`` / ``_rrri`` / ``mov_rrrr_<shift>``
are made from it (QEMU's DO_ANY3 in translate.c does the same).
"""
from __future__ import annotations

from typing import Callable, Dict

from ...tcg.ir import Value
from .decode import SH_ASR, SH_LSL, SH_LSR, SH_ROR
from .gen import (gen_add_cc, gen_adc, gen_branch_write, gen_sub_cc, reg, set_carry, set_nz, setflags,
                  setreg, shift_imm, shift_reg)
from .regs import M32, PC


def _not(b, y: Value) -> Value:
    return (~y) & M32 if isinstance(y, int) else b.not_(y)


#: logical ops: result = fn(builder, Rn, operand2); S sets N, Z and the shifter's carry
LOGICAL: Dict[str, Callable] = {
    "and": lambda b, x, y: b.and_(x, y),
    "bic": lambda b, x, y: b.and_(x, _not(b, y)),
    "orr": lambda b, x, y: b.or_(x, y),
    "orn": lambda b, x, y: b.or_(x, _not(b, y)),
    "eor": lambda b, x, y: b.xor(x, y),
    "mov": lambda b, x, y: y,
    "mvn": lambda b, x, y: _not(b, y),
    "tst": lambda b, x, y: b.and_(x, y),
    "teq": lambda b, x, y: b.xor(x, y),
}


def _arith(ctx, op: str, x: Value, y: Value, s: bool) -> Value:
    b = ctx.b
    if op in ("add", "cmn"):
        return gen_add_cc(ctx, x, y) if s else b.add(x, y)
    if op in ("sub", "cmp"):
        return gen_sub_cc(ctx, x, y) if s else b.sub(x, y)
    if op == "rsb":
        return gen_sub_cc(ctx, y, x) if s else b.sub(y, x)
    if op == "adc":
        return gen_adc(ctx, x, y, s)
    return gen_adc(ctx, x, _not(b, y), s)     # sbc: x + NOT y + C


ARITH = ("add", "adc", "sub", "sbc", "rsb", "cmp", "cmn")
TESTS = ("tst", "teq", "cmp", "cmn")


def gen_dp(ctx, op: str, rd: int, x: Value, y: Value, carry, s: bool) -> None:
    """Compute ``op`` on Rn value x and operand2 y; write Rd unless a test."""
    if op in TESTS:
        s = True
    if op in LOGICAL:
        r = LOGICAL[op](ctx.b, x, y)
        if s:
            set_nz(ctx, r)
            set_carry(ctx, carry)
    else:
        r = _arith(ctx, op, x, y, s)
    if op in TESTS:
        return
    if rd == PC:        # 16-bit ADD/MOV to PC: a branch (ALUWritePC)
        gen_branch_write(ctx, r)
    else:
        setreg(ctx, rd, r)


def _rri(op: str) -> Callable:
    def trans(ctx, a):
        s = setflags(ctx, a.s)
        x = reg(ctx, a.rn) if op not in ("mov", "mvn") else 0
        gen_dp(ctx, op, a.rd, x, a.imm, a.carry if op in LOGICAL else -1, s)
    return trans


def _rrri(op: str) -> Callable:
    def trans(ctx, a):
        s = setflags(ctx, a.s)
        want = s or op in ("tst", "teq")
        y, carry = shift_imm(ctx, reg(ctx, a.rm), a.shty, a.shimm, want and op in LOGICAL)
        x = reg(ctx, a.rn) if op not in ("mov", "mvn") else 0
        gen_dp(ctx, op, a.rd, x, y, carry, s)
    return trans


def _rrrr(shty: int) -> Callable:
    """MOV Rd, Rm, <shift> Rs (LSL/LSR/ASR/ROR by register)."""
    def trans(ctx, a):
        s = setflags(ctx, a.s)
        y, carry = shift_reg(ctx, reg(ctx, a.rm), shty, reg(ctx, a.rs), s)
        gen_dp(ctx, "mov", a.rd, 0, y, carry, s)
    return trans


for _op in list(LOGICAL) + list(ARITH):
    globals()["trans_%s_rri" % _op] = _rri(_op)
    globals()["trans_%s_rrri" % _op] = _rrri(_op)
for _name, _shty in (("lsl", SH_LSL), ("lsr", SH_LSR), ("asr", SH_ASR), ("ror", SH_ROR)):
    globals()["trans_mov_rrrr_" + _name] = _rrrr(_shty)


def trans_mul(ctx, a):
    """MUL/MULS (the 16-bit form sets N and Z outside an IT block)."""
    r = ctx.b.mul(reg(ctx, a.rn), reg(ctx, a.rm))
    if setflags(ctx, a.s):
        set_nz(ctx, r)
    setreg(ctx, a.rd, r)
