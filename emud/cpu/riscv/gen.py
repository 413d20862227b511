"""Shared IR-emitting helpers for the RISC-V translators (QEMU's gen_* family).

A translator ``trans_<name>(ctx, a)`` returns nothing (or True) when it
emitted the instruction and False when the encoding is illegal in the
current state (e.g. MRET from U-mode); the front end then emits the trap.

Register conventions: ``src(ctx, n)`` is the value of xn (the constant 0 for
x0); ``dst(ctx, n, v)`` writes xn and drops writes to x0. Values are unsigned
XLEN-bit ints, so immediates are masked with :func:`uimm` before use.
"""
from __future__ import annotations

from typing import Callable

from ...tcg.ir import Temp, Value

# -- operands --------------------------------------------------------------------------


def xlen(ctx) -> int:
    return ctx.b.w


def mask(ctx) -> int:
    return (1 << ctx.b.w) - 1


def uimm(ctx, imm: int) -> int:
    """A sign-extended immediate as the unsigned XLEN-bit constant."""
    return imm & mask(ctx)


def src(ctx, n: int) -> Value:
    return 0 if n == 0 else ctx.b.reg(n)


def dst(ctx, n: int, value: Value) -> None:
    if n != 0:
        ctx.b.mov(ctx.b.reg(n), value)


def addr_of(ctx, rs1: int, imm: int) -> Value:
    """rs1 + imm (the effective address of a load or store)."""
    if imm == 0:
        return src(ctx, rs1)
    if rs1 == 0:
        return uimm(ctx, imm)
    return ctx.b.add(src(ctx, rs1), uimm(ctx, imm))


# -- arithmetic -------------------------------------------------------------------------
# op(b, x, y, w) -> Temp: a builder method taking a width, e.g. IRBuilder.add

BinOp = Callable[..., Temp]


def gen_arith(ctx, a, op: BinOp) -> None:
    dst(ctx, a.rd, op(ctx.b, src(ctx, a.rs1), src(ctx, a.rs2)))


def gen_arith_imm(ctx, a, op: BinOp) -> None:
    dst(ctx, a.rd, op(ctx.b, src(ctx, a.rs1), uimm(ctx, a.imm)))


def gen_arith_w(ctx, a, op: BinOp, zero_extend: bool = False) -> None:
    """An RV64 *W op: compute at 32 bits, sign-extend the result to 64.
    Ops whose result depends on the upper input bits (right shifts, division)
    get their inputs zero-extended first so every 32-bit op sees 32-bit values."""
    b = ctx.b
    x, y = src(ctx, a.rs1), src(ctx, a.rs2)
    if zero_extend:
        x, y = ext32u(ctx, x), ext32u(ctx, y)
    dst(ctx, a.rd, b.ext32s(op(b, x, y, 32), 64))


def ext32u(ctx, v: Value) -> Value:
    if isinstance(v, int):
        return v & 0xFFFFFFFF
    return ctx.b.ext32u(v, 64)


def gen_setcond(ctx, rd: int, cond: str, x: Value, y: Value) -> None:
    dst(ctx, rd, ctx.b.setcond(cond, x, y))


# -- shifts -----------------------------------------------------------------------------

def gen_shift(ctx, a, op: BinOp) -> None:
    """Register shift: the count is rs2 masked to XLEN-1, as the ISA says."""
    b = ctx.b
    sh = b.and_(src(ctx, a.rs2), xlen(ctx) - 1)
    dst(ctx, a.rd, op(b, src(ctx, a.rs1), sh))


def gen_shift_imm(ctx, a, op: BinOp) -> None:
    dst(ctx, a.rd, op(ctx.b, src(ctx, a.rs1), a.shamt))


def gen_shift_w(ctx, a, op: BinOp, zero_extend: bool) -> None:
    b = ctx.b
    x = src(ctx, a.rs1)
    if zero_extend:
        x = ext32u(ctx, x)
    sh = b.and_(src(ctx, a.rs2), 31)
    dst(ctx, a.rd, b.ext32s(op(b, x, sh, 32), 64))


def gen_shift_imm_w(ctx, a, op: BinOp, zero_extend: bool) -> None:
    b = ctx.b
    x = src(ctx, a.rs1)
    if zero_extend:
        x = ext32u(ctx, x)
    dst(ctx, a.rd, b.ext32s(op(b, x, a.shamt, 32), 64))


# -- division (the ISA defines every case; IR div/rem leave b == 0 undefined) ---------

def gen_divrem(ctx, a, op: str, w: int = 0) -> None:
    """div/divu/rem/remu at width w (0 = XLEN). Division by zero gives all
    ones (div) or the dividend (rem); MIN/-1 is defined by the IR op itself."""
    b = ctx.b
    width = w or xlen(ctx)
    x, y = src(ctx, a.rs1), src(ctx, a.rs2)
    if width == 32 and xlen(ctx) == 64:
        x, y = ext32u(ctx, x), ext32u(ctx, y)
    safe = b.movcond("eq", y, 0, 1, y, w=width)
    result = getattr(b, op)(x, safe, w=width)
    if op in ("div", "divu"):
        on_zero: Value = (1 << width) - 1
    else:
        on_zero = x
    result = b.movcond("eq", y, 0, on_zero, result, w=width)
    if width != xlen(ctx):
        result = b.ext32s(result, 64)
    dst(ctx, a.rd, result)


# -- memory -----------------------------------------------------------------------------

def gen_load(ctx, a, size: int, signed: bool) -> None:
    # The load is emitted even for rd = x0: it may fault.
    v = ctx.b.ld(addr_of(ctx, a.rs1, a.imm), size, signed, "load")
    dst(ctx, a.rd, v)


def gen_store(ctx, a, size: int) -> None:
    ctx.b.st(addr_of(ctx, a.rs1, a.imm), src(ctx, a.rs2), size, "store")


# -- control flow ------------------------------------------------------------------------

def gen_goto(ctx, target: int) -> None:
    ctx.b.goto_tb(0, target & mask(ctx))
    ctx.end_tb()


def gen_branch(ctx, a, cond: str) -> None:
    """Two chained exits: fall-through in slot 0, taken in slot 1.
    With the C extension every target is 2-aligned, so a branch can never
    raise an instruction-address-misaligned trap."""
    b = ctx.b
    taken = b.label()
    b.brcond(cond, src(ctx, a.rs1), src(ctx, a.rs2), taken)
    b.goto_tb(0, ctx.next_pc & mask(ctx))
    b.set_label(taken)
    b.goto_tb(1, (ctx.pc + a.imm) & mask(ctx))
    ctx.end_tb()


# -- helpers and traps --------------------------------------------------------------------

def gen_exception(ctx, cause: int, tval: int = 0) -> None:
    ctx.b.call("raise_exception", ctx.pc, cause, tval, flags="noreturn")
    ctx.end_tb()


def gen_illegal(ctx) -> None:
    """Illegal instruction: cause 2, mtval = the instruction bits (QEMU 7.2)."""
    gen_exception(ctx, 2, ctx.insn)


def gen_exit_next(ctx) -> None:
    """Back to the dispatcher after this instruction (it rechecks interrupts)."""
    ctx.b.exit_tb(ctx.next_pc & mask(ctx))
    ctx.end_tb()


def priv(ctx) -> int:
    """The privilege level the TB was translated for (tb_flags bits 0-1)."""
    return ctx.flags & 3
