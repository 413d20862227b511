"""Privileged and system instructions: ECALL, EBREAK (and semihosting),
MRET, WFI, FENCE.I."""
from __future__ import annotations

from .gen import gen_exception, gen_exit_next, priv

PRV_U, PRV_M = 0, 3
CAUSE_BREAKPOINT = 3
CAUSE_ECALL_U = 8       # + privilege level: 8 from U, 11 from M

# The semihosting call sequence: slli x0,x0,0x1f; ebreak; srai x0,x0,7
SEMI_PRE = 0x01F01013
SEMI_POST = 0x40705013


def trans_ecall(ctx, a):
    gen_exception(ctx, CAUSE_ECALL_U + priv(ctx))


def _is_semihosting_call(ctx) -> bool:
    if ctx.length != 4:
        return False  # the sequence is all uncompressed
    try:
        return ctx.fetch(ctx.pc - 4, 4) == SEMI_PRE and ctx.fetch(ctx.pc + 4, 4) == SEMI_POST
    except Exception:  # a neighbour outside memory: not the sequence
        return False


def trans_ebreak(ctx, a):
    if _is_semihosting_call(ctx):
        # Decided at run time: with cpu.semihosting unset the helper raises
        # the breakpoint trap itself.
        ctx.b.call("semihost", ctx.pc, flags="rw exit")
        gen_exit_next(ctx)
        return
    # mtval = 0, as QEMU 7.2 reports for ebreak and c.ebreak
    gen_exception(ctx, CAUSE_BREAKPOINT, 0)


def trans_mret(ctx, a):
    if priv(ctx) != PRV_M:
        return False
    target = ctx.b.call("mret", result=True)
    ctx.b.exit_tb(target)
    ctx.end_tb()


def trans_wfi(ctx, a):
    # QEMU 7.2 (no S-mode) treats WFI from U-mode as illegal.
    if priv(ctx) != PRV_M:
        return False
    ctx.b.call("wfi", ctx.pc)
    gen_exit_next(ctx)


def trans_fence_i(ctx, a):
    ctx.b.call("fence_i", ctx.pc, flags="exit")
    gen_exit_next(ctx)


