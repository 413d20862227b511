"""The A extension: LR/SC and AMOs.

Emulation is single-threaded, so an AMO is simply load, op, store. Every
access must be naturally aligned (a helper check traps otherwise: cause 4
for LR, 6 for SC and AMOs); access faults of AMOs and SC are store/AMO
faults (the ``"amo"`` access kind, cause 7), as the spec says. (QEMU 7.2
reports AMO faults as load faults: docs/COMPATIBILITY.md.)

LR/SC follow QEMU: LR records the address and the loaded value; SC succeeds
when the address matches and memory still holds that value, and always
clears the reservation. An SC whose address is not reserved fails without
touching memory (rd = 1, no access fault); a failing SC never writes. A
misaligned SC traps whether or not it would succeed (the A spec: an
address-misaligned exception "will be generated").
"""
from __future__ import annotations

from ...tcg.ir import IRBuilder as B
from .gen import dst, mask, src

LOAD_MISALIGNED = 4
STORE_MISALIGNED = 6


def _check_aligned(ctx, addr, size: int, cause: int) -> None:
    ctx.b.call("check_aligned", addr, size - 1, ctx.pc, cause, flags="exit")


def _narrow(ctx, a):
    """Width for the op of a .w AMO on RV64: compute at 32 bits."""
    return 32 if a.size == 4 and ctx.b.w == 64 else ctx.b.w


def trans_lr(ctx, a):
    b = ctx.b
    addr = src(ctx, a.rs1)
    _check_aligned(ctx, addr, a.size, LOAD_MISALIGNED)
    v = b.ld(addr, a.size, True, "load")
    b.call("lr_reserve", addr, v)
    dst(ctx, a.rd, v)


def trans_sc(ctx, a):
    """Two exits to the next instruction: the store path (rd = 0) and the
    failure path (rd = 1), so that a failing SC neither reads nor writes."""
    b = ctx.b
    addr = src(ctx, a.rs1)
    _check_aligned(ctx, addr, a.size, STORE_MISALIGNED)
    fail = b.label()
    reserved = b.call("sc_reserved", addr, result=True)
    b.brcond("eq", reserved, 0, fail)
    current = b.ld(addr, a.size, True, "amo")
    ok = b.call("sc_check", addr, current, result=True)
    b.brcond("eq", ok, 0, fail)
    b.st(addr, src(ctx, a.rs2), a.size, "amo")
    dst(ctx, a.rd, 0)
    b.goto_tb(0, ctx.next_pc & mask(ctx))
    b.set_label(fail)
    dst(ctx, a.rd, 1)
    b.goto_tb(1, ctx.next_pc & mask(ctx))
    ctx.end_tb()


def gen_amo(ctx, a, combine) -> None:
    """rd = mem[rs1]; mem[rs1] = combine(b, mem value, rs2, width)."""
    b = ctx.b
    addr = src(ctx, a.rs1)
    _check_aligned(ctx, addr, a.size, STORE_MISALIGNED)
    old = b.ld(addr, a.size, True, "amo")
    w = _narrow(ctx, a)
    x, y = old, src(ctx, a.rs2)
    if w != b.w:  # .w on RV64: the op sees 32-bit values
        x = b.ext32u(x, 64)
        y = b.ext32u(y, 64) if not isinstance(y, int) else y
    b.st(addr, combine(b, x, y, w), a.size, "amo")
    dst(ctx, a.rd, old)


def _swap(b, x, y, w): return y
def _minmax(cond):
    return lambda b, x, y, w: b.movcond(cond, x, y, x, y, w=w)


def trans_amoswap(ctx, a): gen_amo(ctx, a, _swap)
def trans_amoadd(ctx, a): gen_amo(ctx, a, B.add)
def trans_amoxor(ctx, a): gen_amo(ctx, a, B.xor)
def trans_amoand(ctx, a): gen_amo(ctx, a, B.and_)
def trans_amoor(ctx, a): gen_amo(ctx, a, B.or_)
def trans_amomin(ctx, a): gen_amo(ctx, a, _minmax("lt"))
def trans_amomax(ctx, a): gen_amo(ctx, a, _minmax("gt"))
def trans_amominu(ctx, a): gen_amo(ctx, a, _minmax("ltu"))
def trans_amomaxu(ctx, a): gen_amo(ctx, a, _minmax("gtu"))
