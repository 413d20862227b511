"""Bit and field operations: extends, byte reversal, CLZ, RBIT, MOVW/MOVT,
ADR, bitfields (UBFX, SBFX, BFI, BFC) and saturation (SSAT, USAT)."""
from __future__ import annotations

from .decode import SH_ASR, SH_LSL
from .gen import pc_aligned, reg, saturate, setreg, shift_imm
from .regs import M32


def _rotated(ctx, a):
    v = reg(ctx, a.rm)
    if a.rot:
        b = ctx.b
        v = b.or_(b.shr(v, a.rot), b.shl(v, 32 - a.rot))
    return v


def trans_sxtb(ctx, a): setreg(ctx, a.rd, ctx.b.ext8s(_rotated(ctx, a)))
def trans_sxth(ctx, a): setreg(ctx, a.rd, ctx.b.ext16s(_rotated(ctx, a)))
def trans_uxtb(ctx, a): setreg(ctx, a.rd, ctx.b.ext8u(_rotated(ctx, a)))
def trans_uxth(ctx, a): setreg(ctx, a.rd, ctx.b.ext16u(_rotated(ctx, a)))


def _bswap16_pairs(b, v):
    return b.or_(b.shl(b.and_(v, 0x00FF00FF), 8), b.and_(b.shr(v, 8), 0x00FF00FF))


def trans_rev(ctx, a):
    b = ctx.b
    v = _bswap16_pairs(b, reg(ctx, a.rm))
    setreg(ctx, a.rd, b.or_(b.shl(v, 16), b.shr(v, 16)))


def trans_rev16(ctx, a):
    setreg(ctx, a.rd, _bswap16_pairs(ctx.b, reg(ctx, a.rm)))


def trans_revsh(ctx, a):
    b = ctx.b
    v = reg(ctx, a.rm)
    setreg(ctx, a.rd, b.ext16s(b.or_(b.shl(b.and_(v, 0xFF), 8), b.and_(b.shr(v, 8), 0xFF))))


def trans_clz(ctx, a):
    setreg(ctx, a.rd, ctx.b.call("clz", reg(ctx, a.rm), flags="pure", result=True))


def trans_rbit(ctx, a):
    setreg(ctx, a.rd, ctx.b.call("rbit", reg(ctx, a.rm), flags="pure", result=True))


def trans_movw(ctx, a):
    setreg(ctx, a.rd, a.imm)


def trans_movt(ctx, a):
    b = ctx.b
    setreg(ctx, a.rd, b.or_(b.and_(reg(ctx, a.rd), 0xFFFF), a.imm << 16))


def trans_adr(ctx, a):
    setreg(ctx, a.rd, (pc_aligned(ctx) + a.imm) & M32)


def trans_ubfx(ctx, a):
    if a.lsb + a.w > 31:
        return False
    b = ctx.b
    setreg(ctx, a.rd, b.and_(b.shr(reg(ctx, a.rn), a.lsb), (1 << (a.w + 1)) - 1))


def trans_sbfx(ctx, a):
    if a.lsb + a.w > 31:
        return False
    b = ctx.b
    top = 31 - (a.lsb + a.w)
    setreg(ctx, a.rd, b.sar(b.shl(reg(ctx, a.rn), top), top + a.lsb))


def trans_bfi(ctx, a):
    """BFI, and BFC when Rn is 1111 (``w`` holds msb here)."""
    if a.w < a.lsb:
        return False
    b = ctx.b
    mask = ((1 << (a.w - a.lsb + 1)) - 1) << a.lsb
    kept = b.and_(reg(ctx, a.rd), ~mask & M32)
    if a.rn == 15:
        setreg(ctx, a.rd, kept)
    else:
        setreg(ctx, a.rd, b.or_(kept, b.and_(b.shl(reg(ctx, a.rn), a.lsb), mask)))


def _sat_operand(ctx, a):
    v, _ = shift_imm(ctx, reg(ctx, a.rn), SH_ASR if a.sh else SH_LSL, a.shimm, False)
    return v


def trans_ssat(ctx, a):
    n = a.sat + 1          # saturate to n signed bits
    setreg(ctx, a.rd, saturate(ctx, _sat_operand(ctx, a), -(1 << (n - 1)), (1 << (n - 1)) - 1, True))


def trans_usat(ctx, a):
    n = a.sat              # saturate to n unsigned bits (of a signed input)
    setreg(ctx, a.rd, saturate(ctx, _sat_operand(ctx, a), 0, (1 << n) - 1, True))
