"""Branches: B (conditional and not), BL, BX, BLX, CBZ/CBNZ, and IT, whose
effect (the IT state of the instructions after it) the front end applies."""
from __future__ import annotations

from .gen import cond_test, gen_bx, gen_goto, reg, setreg
from .regs import LR, M32


def _target(ctx, a) -> int:
    return (ctx.pc + 4 + a.imm) & M32


def trans_b(ctx, a):
    b = ctx.b
    if a.cond >= 14:
        gen_goto(ctx, _target(ctx, a))
    else:
        op, x, y = cond_test(ctx, a.cond)
        taken = b.label()
        b.brcond(op, x, y, taken)
        gen_goto(ctx, ctx.next_pc)
        b.set_label(taken)
        gen_goto(ctx, _target(ctx, a))
    ctx.end_tb()


def trans_bl(ctx, a):
    setreg(ctx, LR, (ctx.next_pc | 1) & M32)
    gen_goto(ctx, _target(ctx, a))
    ctx.end_tb()


def trans_bx(ctx, a):
    gen_bx(ctx, reg(ctx, a.rm))


def trans_blx(ctx, a):
    target = reg(ctx, a.rm)
    if a.rm == LR:
        target = ctx.b.add(target, 0)    # (a copy: LR is written next)
    setreg(ctx, LR, (ctx.next_pc | 1) & M32)
    gen_bx(ctx, target)


def trans_cbz(ctx, a):
    b = ctx.b
    taken = b.label()
    b.brcond("ne" if a.nz else "eq", reg(ctx, a.rn), 0, taken)
    gen_goto(ctx, ctx.next_pc)
    b.set_label(taken)
    gen_goto(ctx, _target(ctx, a))
    ctx.end_tb()


def trans_it(ctx, a):
    """Nothing to execute: the front end sets ITSTATE = firstcond:mask."""
    return True
