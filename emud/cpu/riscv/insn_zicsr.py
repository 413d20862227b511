"""Zicsr: CSR access instructions.

Each one calls a helper that checks existence, privilege and read-only rules
(illegal instruction, mtval = the instruction bits) and returns the old
value. A CSR instruction is always alone in its TB (the front end's
``starts_tb``) and ends it with ``exit_tb`` so that counters read exactly and
the dispatcher re-checks interrupts after mstatus/mie writes, as QEMU does.
"""
from __future__ import annotations

from .gen import dst, gen_exit_next, src


def gen_csr(ctx, a, helper: str, value, write: bool) -> None:
    old = ctx.b.call(helper, a.csr, value, int(write), ctx.pc, ctx.insn, flags="exit", result=True)
    dst(ctx, a.rd, old)
    gen_exit_next(ctx)


# csrrw always writes; csrrs/csrrc write only when rs1/uimm is not zero.
def trans_csrrw(ctx, a): gen_csr(ctx, a, "csrrw", src(ctx, a.rs1), True)
def trans_csrrs(ctx, a): gen_csr(ctx, a, "csrrs", src(ctx, a.rs1), a.rs1 != 0)
def trans_csrrc(ctx, a): gen_csr(ctx, a, "csrrc", src(ctx, a.rs1), a.rs1 != 0)
def trans_csrrwi(ctx, a): gen_csr(ctx, a, "csrrw", a.uimm, True)
def trans_csrrsi(ctx, a): gen_csr(ctx, a, "csrrs", a.uimm, a.uimm != 0)
def trans_csrrci(ctx, a): gen_csr(ctx, a, "csrrc", a.uimm, a.uimm != 0)
