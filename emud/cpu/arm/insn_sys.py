"""System instructions: MRS/MSR, CPS, SVC, BKPT (and semihosting through
BKPT 0xAB), UDF, the hints (NOP, YIELD, WFE, WFI, SEV) and barriers."""
from __future__ import annotations

from . import excnum as X
from .gen import gen_exit_next, gen_trap, gen_undef, reg, setreg
from .regs import M32

#: SYSm values whose writes change only the APSR flags (no need to leave the TB)
APSR_ONLY = (0, 1, 2, 3)
SEMIHOSTING_BKPT = 0xAB


def trans_mrs(ctx, a):
    setreg(ctx, a.rd, ctx.b.call("mrs", a.sysm, flags="rw", result=True))


def trans_msr(ctx, a):
    ctx.b.call("msr", a.sysm, a.mask, reg(ctx, a.rn), flags="rw")
    if a.sysm not in APSR_ONLY:
        gen_exit_next(ctx)       # masks, stack or privilege changed: interrupts may be due


def trans_cps(ctx, a):
    ctx.b.call("cps", a.disable, a.i, a.f)
    gen_exit_next(ctx)


def trans_svc(ctx, a):
    gen_trap(ctx, X.SVCALL, ret_next=True)


def trans_bkpt(ctx, a):
    if a.imm == SEMIHOSTING_BKPT:
        # decided at run time: without semihosting the helper takes the breakpoint
        ctx.b.call("semihost", ctx.pc, flags="rw exit")
        gen_exit_next(ctx)
        return
    ctx.b.call("bkpt", ctx.pc, flags="noreturn")
    ctx.end_tb()


def trans_udf(ctx, a):
    gen_undef(ctx)


def trans_nop(ctx, a):
    return True


def trans_barrier(ctx, a):
    # one vCPU, memory in program order: DSB and DMB order nothing here
    return True


def trans_isb(ctx, a):
    gen_exit_next(ctx)


def trans_yield_(ctx, a):
    return True


def trans_wfe(ctx, a):
    # as QEMU: a hint that yields to the loop, never a sleep
    gen_exit_next(ctx)


def trans_wfi(ctx, a):
    ctx.b.call("wfi", ctx.pc & M32)
    gen_exit_next(ctx)
