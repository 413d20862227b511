"""RV32I/RV64I base integer instructions."""
from __future__ import annotations

from ...tcg.ir import IRBuilder as B
from .gen import (dst, gen_arith, gen_arith_imm, gen_arith_w, gen_branch, gen_goto,
                  gen_load, gen_setcond, gen_shift, gen_shift_imm, gen_shift_imm_w, gen_shift_w,
                  gen_store, mask, src, uimm)

# -- upper immediates and jumps ----------------------------------------------------------


def trans_lui(ctx, a):
    dst(ctx, a.rd, uimm(ctx, a.imm))


def trans_auipc(ctx, a):
    dst(ctx, a.rd, (ctx.pc + a.imm) & mask(ctx))


def trans_jal(ctx, a):
    dst(ctx, a.rd, ctx.next_pc & mask(ctx))
    gen_goto(ctx, ctx.pc + a.imm)


def trans_jalr(ctx, a):
    # The target is computed before rd is written (rd may be rs1). Bit 0 is
    # cleared; with RVC that leaves no misaligned target to trap on.
    b = ctx.b
    target = b.and_(b.add(src(ctx, a.rs1), uimm(ctx, a.imm)), mask(ctx) & ~1)
    dst(ctx, a.rd, ctx.next_pc & mask(ctx))
    b.exit_indirect(target)
    ctx.end_tb()


# -- branches ------------------------------------------------------------------------------

def trans_beq(ctx, a): gen_branch(ctx, a, "eq")
def trans_bne(ctx, a): gen_branch(ctx, a, "ne")
def trans_blt(ctx, a): gen_branch(ctx, a, "lt")
def trans_bge(ctx, a): gen_branch(ctx, a, "ge")
def trans_bltu(ctx, a): gen_branch(ctx, a, "ltu")
def trans_bgeu(ctx, a): gen_branch(ctx, a, "geu")


# -- loads and stores -------------------------------------------------------------------------

def trans_lb(ctx, a): gen_load(ctx, a, 1, True)
def trans_lh(ctx, a): gen_load(ctx, a, 2, True)
def trans_lw(ctx, a): gen_load(ctx, a, 4, True)
def trans_ld(ctx, a): gen_load(ctx, a, 8, True)
def trans_lbu(ctx, a): gen_load(ctx, a, 1, False)
def trans_lhu(ctx, a): gen_load(ctx, a, 2, False)
def trans_lwu(ctx, a): gen_load(ctx, a, 4, False)
def trans_sb(ctx, a): gen_store(ctx, a, 1)
def trans_sh(ctx, a): gen_store(ctx, a, 2)
def trans_sw(ctx, a): gen_store(ctx, a, 4)
def trans_sd(ctx, a): gen_store(ctx, a, 8)


# -- register-immediate ---------------------------------------------------------------------------

def trans_addi(ctx, a):
    if a.rs1 == 0:           # li / nop: a constant, no op needed
        dst(ctx, a.rd, uimm(ctx, a.imm))
    elif a.imm == 0:         # mv
        dst(ctx, a.rd, src(ctx, a.rs1))
    else:
        gen_arith_imm(ctx, a, B.add)


def trans_slti(ctx, a): gen_setcond(ctx, a.rd, "lt", src(ctx, a.rs1), uimm(ctx, a.imm))
def trans_sltiu(ctx, a): gen_setcond(ctx, a.rd, "ltu", src(ctx, a.rs1), uimm(ctx, a.imm))
def trans_xori(ctx, a): gen_arith_imm(ctx, a, B.xor)
def trans_ori(ctx, a): gen_arith_imm(ctx, a, B.or_)
def trans_andi(ctx, a): gen_arith_imm(ctx, a, B.and_)
def trans_slli(ctx, a): gen_shift_imm(ctx, a, B.shl)
def trans_srli(ctx, a): gen_shift_imm(ctx, a, B.shr)
def trans_srai(ctx, a): gen_shift_imm(ctx, a, B.sar)


# -- register-register ---------------------------------------------------------------------------------

def trans_add(ctx, a):
    if a.rs1 == 0:           # c.mv
        dst(ctx, a.rd, src(ctx, a.rs2))
    else:
        gen_arith(ctx, a, B.add)


def trans_sub(ctx, a): gen_arith(ctx, a, B.sub)
def trans_sll(ctx, a): gen_shift(ctx, a, B.shl)
def trans_slt(ctx, a): gen_setcond(ctx, a.rd, "lt", src(ctx, a.rs1), src(ctx, a.rs2))
def trans_sltu(ctx, a): gen_setcond(ctx, a.rd, "ltu", src(ctx, a.rs1), src(ctx, a.rs2))
def trans_xor(ctx, a): gen_arith(ctx, a, B.xor)
def trans_srl(ctx, a): gen_shift(ctx, a, B.shr)
def trans_sra(ctx, a): gen_shift(ctx, a, B.sar)
def trans_or(ctx, a): gen_arith(ctx, a, B.or_)
def trans_and(ctx, a): gen_arith(ctx, a, B.and_)


# -- RV64I word ops -------------------------------------------------------------------------------------

def trans_addiw(ctx, a):
    b = ctx.b
    dst(ctx, a.rd, b.ext32s(b.add(src(ctx, a.rs1), a.imm & 0xFFFFFFFF, 32), 64))


def trans_slliw(ctx, a): gen_shift_imm_w(ctx, a, B.shl, False)
def trans_srliw(ctx, a): gen_shift_imm_w(ctx, a, B.shr, True)
def trans_sraiw(ctx, a): gen_shift_imm_w(ctx, a, B.sar, True)
def trans_addw(ctx, a): gen_arith_w(ctx, a, B.add)
def trans_subw(ctx, a): gen_arith_w(ctx, a, B.sub)
def trans_sllw(ctx, a): gen_shift_w(ctx, a, B.shl, False)
def trans_srlw(ctx, a): gen_shift_w(ctx, a, B.shr, True)
def trans_sraw(ctx, a): gen_shift_w(ctx, a, B.sar, True)


# -- fences ----------------------------------------------------------------------------------------------

def trans_fence(ctx, a):
    # One hart, in-order memory: nothing to order.
    return True

