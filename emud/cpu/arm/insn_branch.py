"""Branches: B (conditional and not), BL, BX, BLX, CBZ/CBNZ, and IT, whose
effect (the IT state of the instructions after it) the front end applies."""
from __future__ import annotations

from ...tcg.ir import INVERT_COND
from .gen import cond_test, gen_bx, gen_goto, reg, setreg
from .regs import LR, M32


def _target(ctx, a) -> int:
    return (ctx.pc + 4 + a.imm) & M32


def _side_exit(ctx, op: str, x, y, target: int) -> None:
    """A forward conditional branch (B<c>, CBZ/CBNZ) leaves the TB when
    taken; the TB goes on with the fall-through: fewer, longer blocks (a
    loop whose body has an early exit, strcmp's ``cbz``, is one TB up to its
    backward branch, which the back end runs as a loop in place)."""
    b = ctx.b
    stay = b.label()
    b.brcond(INVERT_COND[op], x, y, stay)
    gen_goto(ctx, target)
    b.set_label(stay)


def trans_b(ctx, a):
    b = ctx.b
    if a.cond >= 14:
        gen_goto(ctx, _target(ctx, a))
    elif a.imm >= 0:
        _side_exit(ctx, *cond_test(ctx, a.cond), _target(ctx, a))
        return
    else:
        # backward (a loop's back edge): the TB ends here, so that a loop
        # is one TB, looping in place when its head is the TB's start (going
        # on past it, or past a branch to another head, measured slower:
        # crc32 and matmul, whose code after a loop then joins its TB)
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
    _side_exit(ctx, "ne" if a.nz else "eq", reg(ctx, a.rn), 0, _target(ctx, a))


def trans_it(ctx, a):
    """Nothing to execute: the front end sets ITSTATE = firstcond:mask."""
    return True
