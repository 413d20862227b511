"""IR-emitting helpers shared by the ARM translators (QEMU translate.c's gen_*).

A translator ``trans_<name>(ctx, a)`` returns nothing when it emitted the
instruction and False when the encoding is UNDEFINED here (the front end
then raises the UsageFault).

Values are unsigned 32-bit ints. Reading r15 gives the instruction's
address + 4 (Thumb); the flags live in their own globals (regs.py): NF and
ZF hold a result, CF and VF are bits. 64-bit ops (w=64) serve carries and
long multiplies; their results are narrowed with ext32u before any 32-bit
op reads them (the back end does not mask operands).

The frontend sets on ``ctx``: ``it`` (the IT state this instruction runs
under), ``it_next`` (the next one's), and ``tbflags`` (see cpu.tb_flags).
"""
from __future__ import annotations

from typing import Callable, Tuple

from ...tcg.ir import Temp, Value
from .decode import S_OUTSIDE_IT, SH_ASR, SH_LSL, SH_LSR, SH_ROR
from .regs import CF, ITSTATE, M32, NF, PC, QF, SP, VF, ZF
from . import excnum as X

# -- operands ---------------------------------------------------------------------------------


def reg(ctx, n: int) -> Value:
    """Rn as an operand: r15 reads as this instruction's address + 4."""
    if n == PC:
        return (ctx.pc + 4) & M32
    return ctx.b.reg(n)


def pc_aligned(ctx) -> int:
    """Align(PC, 4): the base of literal loads and ADR."""
    return (ctx.pc + 4) & ~3 & M32


def setreg(ctx, n: int, v: Value) -> None:
    """Rn = v. M-profile SP has bits [1:0] zero (QEMU's store_reg masks every
    write to r13): a value not known aligned is masked, so SP is always
    aligned and SP-based LDM/STM/PUSH/POP need no alignment check."""
    if n == SP and not sp_aligned(ctx, v):
        v = v & ~3 & M32 if isinstance(v, int) else ctx.b.and_(v, 0xFFFFFFFC)
    ctx.b.mov(ctx.b.reg(n), v)


def sp_aligned(ctx, v: Value) -> bool:
    """v is known to be a multiple of 4: a constant, SP itself, or SP plus or
    minus a multiple of 4 (what PUSH/POP/ADD SP write), as emitted here."""
    if isinstance(v, int):
        return v & 3 == 0
    sp = ctx.b.reg(SP)
    if v is sp:
        return True
    for op in reversed(ctx.b.ops):      # temps are assigned once: find v's op
        if op.dest is v:
            return (op.opc in ("add", "sub") and op.args[1] is sp
                    and isinstance(op.args[2], int) and op.args[2] & 3 == 0)
    return False


def flag(ctx, n: int) -> Temp:
    return ctx.b.reg(n)


def setflags(ctx, s: int) -> bool:
    """The S bit of the encoding, resolving "outside an IT block only"."""
    if s == S_OUTSIDE_IT:
        return ctx.it == 0
    return bool(s)


def ext32(ctx, v: Value) -> Value:
    """The low 32 bits of a w=64 value."""
    if isinstance(v, int):
        return v & M32
    return ctx.b.ext32u(v, w=64)


# -- flags --------------------------------------------------------------------------------------

def set_nz(ctx, v: Value) -> None:
    b = ctx.b
    b.mov(flag(ctx, NF), v)
    b.mov(flag(ctx, ZF), v)


def set_carry(ctx, carry) -> None:
    """``carry``: a value (0/1), or -1 for unchanged."""
    if not (isinstance(carry, int) and carry < 0):
        ctx.b.mov(flag(ctx, CF), carry)


def _small_imm(x: Value, y: Value) -> bool:
    """y an immediate with bit 31 clear (x a register): V then needs no y."""
    return isinstance(y, int) and not isinstance(x, int) and 0 <= y < 0x80000000


def _flags_of_zero_imm(ctx, x: Value, carry: int) -> Value:
    """ADDS/SUBS/CMP/CMN with #0: the result is x, V clear, C fixed."""
    ctx.b.mov(flag(ctx, CF), carry)
    ctx.b.mov(flag(ctx, VF), 0)
    set_nz(ctx, x)
    return x


def gen_add_cc(ctx, x: Value, y: Value) -> Value:
    """ADDS: result, and N Z C V. An immediate y with bit 31 clear makes V
    bit 31 of (x ^ r) & r; #0 leaves C and V clear."""
    b = ctx.b
    small = _small_imm(x, y)
    if small and y == 0:
        return _flags_of_zero_imm(ctx, x, 0)
    r = b.add(x, y)
    b.mov(flag(ctx, CF), b.setcond("ltu", r, x))
    v = b.and_(b.xor(x, r), r if small else b.xor(y, r))
    b.mov(flag(ctx, VF), b.shr(v, 31))
    set_nz(ctx, r)
    return r


def gen_sub_cc(ctx, x: Value, y: Value) -> Value:
    """SUBS/CMP: C is NOT borrow. An immediate y with bit 31 clear makes V
    bit 31 of x & (x ^ r); #0 sets C and clears V (CMP Rn, #0 is common)."""
    b = ctx.b
    small = _small_imm(x, y)
    if small and y == 0:
        return _flags_of_zero_imm(ctx, x, 1)
    r = b.sub(x, y)
    b.mov(flag(ctx, CF), b.setcond("geu", x, y))
    b.mov(flag(ctx, VF), b.shr(b.and_(x if small else b.xor(x, y), b.xor(x, r)), 31))
    set_nz(ctx, r)
    return r


def gen_adc(ctx, x: Value, y: Value, s: bool) -> Value:
    """x + y + C (SBC passes NOT y), with a 33-bit sum for the carry."""
    b = ctx.b
    wide = b.add(b.add(x, y, w=64), flag(ctx, CF), w=64)
    r = ext32(ctx, wide)
    if s:
        b.mov(flag(ctx, VF), b.shr(b.and_(b.xor(x, r), b.xor(y, r)), 31))
        b.mov(flag(ctx, CF), b.shr(wide, 32, w=64))
        set_nz(ctx, r)
    return r


# -- conditions -----------------------------------------------------------------------------------

def cond_test(ctx, cond: int) -> Tuple[str, Value, Value]:
    """``(comparison, a, b)`` true when condition ``cond`` (0-13) passes."""
    b = ctx.b
    base, invert = cond >> 1, cond & 1
    if base == 0:       # EQ / NE
        t = ("eq", flag(ctx, ZF), 0)
    elif base == 1:     # CS / CC
        t = ("ne", flag(ctx, CF), 0)
    elif base == 2:     # MI / PL
        t = ("lt", flag(ctx, NF), 0)
    elif base == 3:     # VS / VC
        t = ("ne", flag(ctx, VF), 0)
    elif base == 4:     # HI: C and not Z
        t = ("ne", b.and_(b.neg(flag(ctx, CF)), flag(ctx, ZF)), 0)
    elif base == 5:     # GE: N == V
        t = ("eq", b.xor(b.shr(flag(ctx, NF), 31), flag(ctx, VF)), 0)
    elif base == 6:     # GT: not Z and N == V
        nv = b.xor(b.shr(flag(ctx, NF), 31), flag(ctx, VF))
        t = ("eq", b.or_(nv, b.setcond("eq", flag(ctx, ZF), 0)), 0)
    else:
        raise ValueError("condition %d has no test" % cond)
    if invert:
        from ...tcg.ir import INVERT_COND
        t = (INVERT_COND[t[0]], t[1], t[2])
    return t


def gen_skip_unless(ctx, cond: int) -> int:
    """Branch forward to a new label unless ``cond`` holds; returns the label."""
    from ...tcg.ir import INVERT_COND
    op, x, y = cond_test(ctx, cond)
    label = ctx.b.label()
    ctx.b.brcond(INVERT_COND[op], x, y, label)
    return label


# -- shifts ---------------------------------------------------------------------------------------

def shift_imm(ctx, v: Value, shty: int, n: int, want_carry: bool) -> Tuple[Value, object]:
    """(result, carry out or -1 unchanged) of an immediate shift."""
    b = ctx.b
    carry: object = -1
    if shty == SH_LSL:
        if n == 0:
            return v, -1
        if want_carry:
            carry = b.and_(b.shr(v, 32 - n), 1)
        return b.shl(v, n), carry
    if shty == SH_LSR:
        if n == 32:
            return 0, (b.shr(v, 31) if want_carry else -1)
        if want_carry:
            carry = b.and_(b.shr(v, n - 1), 1)
        return b.shr(v, n), carry
    if shty == SH_ASR:
        if want_carry:
            carry = b.shr(v, 31) if n == 32 else b.and_(b.shr(v, n - 1), 1)
        return b.sar(v, min(n, 31)), carry
    if shty == SH_ROR:
        r = b.or_(b.shr(v, n), b.shl(v, 32 - n))
        return r, (b.shr(r, 31) if want_carry else -1)
    # RRX
    r = b.or_(b.shr(v, 1), b.shl(flag(ctx, CF), 31))
    return r, (b.and_(v, 1) if want_carry else -1)


def shift_reg(ctx, v: Value, shty: int, rs: Value, want_carry: bool) -> Tuple[Value, object]:
    """(result, carry out) of a shift by Rs[7:0] (any amount, 0 keeps C)."""
    b = ctx.b
    n = b.and_(rs, 0xFF)
    carry: object = -1
    if shty == SH_ROR:
        m = b.and_(n, 31)
        r = b.or_(b.shr(v, m), b.shl(v, b.and_(b.sub(32, m), 31)))
        if want_carry:
            carry = b.movcond("eq", n, 0, flag(ctx, CF), b.shr(r, 31))
        return r, carry
    n = b.movcond("gtu", n, 33, 33, n)          # past 32 they all agree with 33
    if shty == SH_LSL:
        wide = b.shl(v, n, w=64)
        r = ext32(ctx, wide)
        bit = b.and_(b.shr(wide, 32, w=64), 1, w=64)
    else:
        src = b.ext32s(v, w=64) if shty == SH_ASR else v
        wide = b.shr(b.shl(src, 1, w=64), n, w=64) if shty == SH_LSR else \
            b.sar(b.shl(src, 1, w=64), n, w=64)
        r = ext32(ctx, b.shr(wide, 1, w=64))
        bit = b.and_(wide, 1, w=64)
    if want_carry:
        carry = b.movcond("eq", n, 0, flag(ctx, CF), bit)
    return r, carry


# -- control flow and traps -------------------------------------------------------------------------

def it_exit(ctx) -> None:
    """Before leaving the TB from this instruction: the next instruction's IT state."""
    if ctx.it_next != ctx.it:
        ctx.b.mov(ctx.b.reg(ITSTATE), ctx.it_next)


def gen_goto(ctx, target: int) -> None:
    it_exit(ctx)
    ctx.b.goto_tb(0, target & M32)


def gen_exit_next(ctx) -> None:
    """Back to the dispatcher after this instruction (it rechecks interrupts)."""
    it_exit(ctx)
    ctx.b.exit_tb((ctx.pc + ctx.length) & M32)
    ctx.end_tb()


def _indirect(ctx, target: Value) -> None:
    """Exit to a computed pc: through the jump cache when the next TB runs
    under the same flags as this one, else via the dispatcher."""
    if ctx.it_next == ctx.flags & 0xFF:
        ctx.b.exit_indirect(target)
    else:
        ctx.b.exit_tb(target)


def gen_branch_write(ctx, target: Value) -> None:
    """BranchWritePC / ALUWritePC: bit 0 dropped, no interworking."""
    it_exit(ctx)
    _indirect(ctx, ctx.b.and_(target, 0xFFFFFFFE))
    ctx.end_tb()


def gen_bx(ctx, target: Value) -> None:
    """BXWritePC (BX, BLX, POP/LDM/LDR to PC): in Handler mode a value
    0xFxxxxxxx is an EXC_RETURN; bit 0 clear leaves Thumb state, which
    faults (INVSTATE) at the target, as on every M-profile core."""
    b = ctx.b
    it_exit(ctx)
    if ctx.tbflags_handler:
        excret = b.label()
        b.brcond("geu", target, 0xF0000000, excret)
    arm = b.label()
    b.brcond("eq", b.and_(target, 1), 0, arm)
    _indirect(ctx, b.and_(target, 0xFFFFFFFE))
    b.set_label(arm)
    b.call("invstate", ctx.pc, target, flags="noreturn")
    if ctx.tbflags_handler:
        b.set_label(excret)
        new_pc = b.call("exception_return", target, flags="rw", result=True)
        b.exit_tb(new_pc)
    ctx.end_tb()


def gen_trap(ctx, exc: int, cfsr: int = 0, ret_next: bool = False) -> None:
    """Raise exception ``exc`` at this instruction (the UsageFault bits in
    ``cfsr``); ``ret_next``: the return address is the next instruction (SVC).
    Charged to icount time as QEMU charges it (helpers.raise_insn_exc)."""
    if ret_next:
        it_exit(ctx)
    ret = (ctx.pc + ctx.length) if ret_next else ctx.pc
    ctx.b.call("raise_insn_exc", ctx.pc, exc, cfsr, ret & M32, flags="noreturn")
    ctx.end_tb()


def gen_undef(ctx) -> None:
    gen_trap(ctx, X.USAGE_FAULT, X.CFSR_UNDEFINSTR)


def gen_check_align(ctx, addr: Value, size: int) -> None:
    """MemA: an unaligned address takes the UsageFault (UNALIGNED) here;
    the rest of the instruction runs only when aligned."""
    if size == 1:
        return
    b = ctx.b
    ok = b.label()
    b.brcond("eq", b.and_(addr, size - 1), 0, ok)
    b.call("raise_exc", ctx.pc, X.USAGE_FAULT, X.CFSR_UNALIGNED, ctx.pc, flags="noreturn")
    b.set_label(ok)


def saturate(ctx, v: Value, lo: int, hi: int, signed: bool) -> Value:
    """Clamp v to [lo, hi] (32-bit patterns), setting Q when it clamps."""
    b = ctx.b
    lt, gt = ("lt", "gt") if signed else ("ltu", "gtu")
    r = b.movcond(lt, v, lo & M32, lo & M32, b.movcond(gt, v, hi & M32, hi & M32, v))
    sat = b.setcond("ne", r, v)
    b.mov(flag(ctx, QF), b.or_(flag(ctx, QF), sat))
    return r


BinGen = Callable[..., Value]
