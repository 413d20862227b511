"""The A extension: LR/SC and AMOs.

Emulation is single-threaded, so an AMO is simply load, op, store. Every
access must be naturally aligned (a helper check traps otherwise); access
faults of AMOs and SC are store/AMO faults (the ``"amo"`` access kind).

LR/SC follow QEMU: LR records the address and the loaded value; SC succeeds
when the address matches and memory still holds that value, and always
clears the reservation. A failing SC stores the unchanged value back (the IR
has no conditional store); that write is invisible except to MMIO and write
watchpoints.
"""
from __future__ import annotations

from ...tcg.ir import IRBuilder as B
from .gen import dst, src

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
    b = ctx.b
    addr = src(ctx, a.rs1)
    _check_aligned(ctx, addr, a.size, STORE_MISALIGNED)
    old = b.ld(addr, a.size, True, "amo")
    ok = b.call("sc_check", addr, old, result=True)
    b.st(addr, b.movcond("ne", ok, 0, src(ctx, a.rs2), old), a.size, "amo")
    dst(ctx, a.rd, b.xor(ok, 1))


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
