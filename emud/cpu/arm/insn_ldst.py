"""Loads and stores: single (immediate, register, literal), dual, multiple
(LDM, STM, PUSH, POP), exclusive (LDREX/STREX with the local monitor) and the
table branches TBB/TBH, which are loads too.

Alignment (ARMv7-M A3.2): LDR/STR of halfwords and words may be unaligned
unless CCR.UNALIGN_TRP is set (a TB flag); LDRD/STRD, LDM/STM and the
exclusives always need it (MemA), else UsageFault UNALIGNED. A literal
load's address is a constant, which the back end turns into a direct read
of RAM: the fast path of every Thumb function's constant pool. SP is always
word-aligned (gen.setreg), so an access at SP plus a multiple of 4 (PUSH,
POP, LDM/STM/LDRD/STRD on SP) needs no alignment check.
"""
from __future__ import annotations

from typing import List

from ...tcg.ir import Value
from .cpu import FLAG_UNALIGN_TRP
from .gen import gen_branch_write, gen_bx, gen_check_align, pc_aligned, reg, setreg, sp_aligned
from .regs import M32, PC, SP


def _check(ctx, addr: Value, size: int) -> None:
    if ctx.flags & FLAG_UNALIGN_TRP:
        _check_align(ctx, addr, size)


def _check_align(ctx, addr: Value, size: int) -> None:
    """MemA, unless addr is SP plus a multiple of 4 (always aligned)."""
    if size > 4 or not sp_aligned(ctx, addr):
        gen_check_align(ctx, addr, size)


def _address(ctx, a):
    """(address accessed, address written back) of the immediate forms."""
    b = ctx.b
    base = reg(ctx, a.rn)
    off = a.imm if a.u else -a.imm
    offset_addr = b.add(base, off & M32) if off else base
    return (offset_addr if a.p else base), offset_addr


def _finish_load(ctx, rt: int, v: Value) -> None:
    if rt == PC:
        gen_bx(ctx, v)      # LoadWritePC: interworking, EXC_RETURN
    else:
        setreg(ctx, rt, v)


def _load_imm(size: int, signed: bool):
    def trans(ctx, a):
        if a.rt == PC and size != 4:
            return False
        addr, wb = _address(ctx, a)
        _check(ctx, addr, size)
        v = ctx.b.ld(addr, size, signed, "load")
        if a.w:
            setreg(ctx, a.rn, wb)
        _finish_load(ctx, a.rt, v)
    return trans


def _store_imm(size: int):
    def trans(ctx, a):
        addr, wb = _address(ctx, a)
        _check(ctx, addr, size)
        ctx.b.st(addr, reg(ctx, a.rt), size, "store")
        if a.w:
            setreg(ctx, a.rn, wb)
    return trans


def _reg_address(ctx, a) -> Value:
    b = ctx.b
    off = reg(ctx, a.rm)
    if a.shimm:
        off = b.shl(off, a.shimm)
    return b.add(reg(ctx, a.rn), off)


def _load_reg(size: int, signed: bool):
    def trans(ctx, a):
        if a.rt == PC and size != 4:
            return False
        addr = _reg_address(ctx, a)
        _check(ctx, addr, size)
        _finish_load(ctx, a.rt, ctx.b.ld(addr, size, signed, "load"))
    return trans


def _store_reg(size: int):
    def trans(ctx, a):
        addr = _reg_address(ctx, a)
        _check(ctx, addr, size)
        ctx.b.st(addr, reg(ctx, a.rt), size, "store")
    return trans


def _load_lit(size: int, signed: bool):
    def trans(ctx, a):
        if a.rt == PC and size != 4:
            return False
        addr = (pc_aligned(ctx) + a.imm) & M32
        if addr & (size - 1) and ctx.flags & FLAG_UNALIGN_TRP:
            gen_check_align(ctx, addr, size)
        _finish_load(ctx, a.rt, ctx.b.ld(addr, size, signed, "load"))
    return trans


for _name, _size, _signed in (("ldr", 4, False), ("ldrh", 2, False), ("ldrb", 1, False),
                              ("ldrsh", 2, True), ("ldrsb", 1, True)):
    globals()["trans_%s_imm" % _name] = _load_imm(_size, _signed)
    globals()["trans_%s_reg" % _name] = _load_reg(_size, _signed)
    globals()["trans_%s_lit" % _name] = _load_lit(_size, _signed)
for _name, _size in (("str", 4), ("strh", 2), ("strb", 1)):
    globals()["trans_%s_imm" % _name] = _store_imm(_size)
    globals()["trans_%s_reg" % _name] = _store_reg(_size)


# -- dual -----------------------------------------------------------------------------------------

def trans_ldrd(ctx, a):
    b = ctx.b
    if a.rn == PC:
        addr = wb = (pc_aligned(ctx) + (a.imm if a.u else -a.imm)) & M32
    else:
        addr, wb = _address(ctx, a)
    _check_align(ctx, addr, 4)
    lo = b.ld(addr, 4, False, "load")
    hi = b.ld(b.add(addr, 4), 4, False, "load")
    if a.w:
        setreg(ctx, a.rn, wb)
    setreg(ctx, a.rt, lo)
    setreg(ctx, a.rt2, hi)


def trans_strd(ctx, a):
    b = ctx.b
    addr, wb = _address(ctx, a)
    _check_align(ctx, addr, 4)
    b.st(addr, reg(ctx, a.rt), 4, "store")
    b.st(b.add(addr, 4), reg(ctx, a.rt2), 4, "store")
    if a.w:
        setreg(ctx, a.rn, wb)


# -- multiple -------------------------------------------------------------------------------------

def _reglist(regs: int) -> List[int]:
    return [r for r in range(16) if regs >> r & 1]


def _ldm(ctx, a, before: bool) -> None:
    """Every value is loaded before any register is written, so a fault
    part-way leaves the registers (and the base) as they were."""
    b = ctx.b
    regs = _reglist(a.regs)
    base = reg(ctx, a.rn)
    start = b.sub(base, 4 * len(regs)) if before else base
    _check_align(ctx, start, 4)
    values = [b.ld(b.add(start, 4 * i) if i else start, 4, False, "load") for i in range(len(regs))]
    if a.w:
        setreg(ctx, a.rn, start if before else b.add(base, 4 * len(regs)))
    for r, v in zip(regs, values):
        if r != PC:
            setreg(ctx, r, v)
    if regs[-1] == PC:
        gen_bx(ctx, values[-1])


def _stm(ctx, a, before: bool) -> None:
    b = ctx.b
    regs = _reglist(a.regs)
    base = reg(ctx, a.rn)
    start = b.sub(base, 4 * len(regs)) if before else base
    _check_align(ctx, start, 4)
    for i, r in enumerate(regs):
        b.st(b.add(start, 4 * i) if i else start, reg(ctx, r), 4, "store")
    if a.w:
        setreg(ctx, a.rn, start if before else b.add(base, 4 * len(regs)))


def trans_ldm(ctx, a): _ldm(ctx, a, False)
def trans_ldmdb(ctx, a): _ldm(ctx, a, True)
def trans_stm(ctx, a): _stm(ctx, a, False)
def trans_stmdb(ctx, a): _stm(ctx, a, True)


# -- exclusive ------------------------------------------------------------------------------------

def _ldrex(size: int):
    def trans(ctx, a):
        b = ctx.b
        addr = b.add(reg(ctx, a.rn), a.imm) if getattr(a, "imm", 0) else reg(ctx, a.rn)
        gen_check_align(ctx, addr, size)
        v = b.ld(addr, size, False, "load")
        b.call("excl_set", addr, v, size)
        setreg(ctx, a.rt, v)
    return trans


def _strex(size: int):
    """As QEMU: the store happens if the monitor holds this address and the
    memory still has the value LDREX read; Rd = 0 on success, 1 otherwise."""
    def trans(ctx, a):
        b = ctx.b
        addr = b.add(reg(ctx, a.rn), a.imm) if getattr(a, "imm", 0) else reg(ctx, a.rn)
        gen_check_align(ctx, addr, size)
        cur = b.ld(addr, size, False, "load")
        ok = b.call("excl_check", addr, cur, size, result=True)
        skip = b.label()
        b.brcond("eq", ok, 0, skip)
        b.st(addr, reg(ctx, a.rt), size, "store")
        b.set_label(skip)
        setreg(ctx, a.rd, b.xor(ok, 1))
    return trans


trans_ldrex, trans_ldrexb, trans_ldrexh = _ldrex(4), _ldrex(1), _ldrex(2)
trans_strex, trans_strexb, trans_strexh = _strex(4), _strex(1), _strex(2)


def trans_clrex(ctx, a):
    ctx.b.call("excl_clear")


# -- table branches -------------------------------------------------------------------------------

def _table_branch(ctx, a, size: int) -> None:
    b = ctx.b
    index = reg(ctx, a.rm)
    if size == 2:
        index = b.shl(index, 1)
    off = b.ld(b.add(reg(ctx, a.rn), index), size, False, "load")
    gen_branch_write(ctx, b.add(b.shl(off, 1), (ctx.pc + 4) & M32))


def trans_tbb(ctx, a): _table_branch(ctx, a, 1)
def trans_tbh(ctx, a): _table_branch(ctx, a, 2)


