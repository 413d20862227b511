"""The M extension: multiply and divide."""
from __future__ import annotations

from ...tcg.ir import IRBuilder as B
from .gen import gen_arith, gen_arith_w, gen_divrem


def trans_mul(ctx, a): gen_arith(ctx, a, B.mul)
def trans_mulh(ctx, a): gen_arith(ctx, a, B.mulh)
def trans_mulhsu(ctx, a): gen_arith(ctx, a, B.mulhsu)
def trans_mulhu(ctx, a): gen_arith(ctx, a, B.mulhu)
def trans_div(ctx, a): gen_divrem(ctx, a, "div")
def trans_divu(ctx, a): gen_divrem(ctx, a, "divu")
def trans_rem(ctx, a): gen_divrem(ctx, a, "rem")
def trans_remu(ctx, a): gen_divrem(ctx, a, "remu")
def trans_mulw(ctx, a): gen_arith_w(ctx, a, B.mul)
def trans_divw(ctx, a): gen_divrem(ctx, a, "div", 32)
def trans_divuw(ctx, a): gen_divrem(ctx, a, "divu", 32)
def trans_remw(ctx, a): gen_divrem(ctx, a, "rem", 32)
def trans_remuw(ctx, a): gen_divrem(ctx, a, "remu", 32)
