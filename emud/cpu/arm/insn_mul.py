"""Multiplies and divides: MLA, MLS, SMULL, UMULL, SMLAL, UMLAL, SDIV, UDIV
(MUL itself is with the data-processing ops, where its 16-bit form is)."""
from __future__ import annotations

from .gen import ext32, reg, setreg
from . import excnum as X
from .cpu import FLAG_DIV0_TRP


def trans_mla(ctx, a):
    b = ctx.b
    setreg(ctx, a.rd, b.add(b.mul(reg(ctx, a.rn), reg(ctx, a.rm)), reg(ctx, a.ra)))


def trans_mls(ctx, a):
    b = ctx.b
    setreg(ctx, a.rd, b.sub(reg(ctx, a.ra), b.mul(reg(ctx, a.rn), reg(ctx, a.rm))))


def _long(ctx, a, signed: bool, accumulate: bool) -> None:
    b = ctx.b
    x, y = reg(ctx, a.rn), reg(ctx, a.rm)
    if signed:
        x, y = b.ext32s(x, w=64), b.ext32s(y, w=64)
    prod = b.mul(x, y, w=64)
    if accumulate:
        acc = b.or_(b.shl(reg(ctx, a.rdhi), 32, w=64), reg(ctx, a.rdlo), w=64)
        prod = b.add(prod, acc, w=64)
    setreg(ctx, a.rdlo, ext32(ctx, prod))
    setreg(ctx, a.rdhi, ext32(ctx, b.shr(prod, 32, w=64)))


def trans_smull(ctx, a): _long(ctx, a, True, False)
def trans_umull(ctx, a): _long(ctx, a, False, False)
def trans_smlal(ctx, a): _long(ctx, a, True, True)
def trans_umlal(ctx, a): _long(ctx, a, False, True)


def _div(ctx, a, op: str) -> None:
    """Division by zero gives 0, or the DIVBYZERO UsageFault when CCR.DIV_0_TRP
    is set; INT_MIN / -1 is INT_MIN (the IR op's own rule)."""
    b = ctx.b
    d = reg(ctx, a.rm)
    if ctx.flags & FLAG_DIV0_TRP:
        ok = b.label()
        b.brcond("ne", d, 0, ok)
        b.call("raise_exc", ctx.pc, X.USAGE_FAULT, X.CFSR_DIVBYZERO, ctx.pc, flags="noreturn")
        b.set_label(ok)
    safe = b.movcond("eq", d, 0, 1, d)
    q = getattr(b, op)(reg(ctx, a.rn), safe)
    setreg(ctx, a.rd, b.movcond("eq", d, 0, 0, q))


def trans_sdiv(ctx, a): _div(ctx, a, "div")
def trans_udiv(ctx, a): _div(ctx, a, "divu")

