"""Thumb and Thumb-2 decoding for ARMv7-M and ARMv6-M: declarative rows, as
QEMU's t16.decode / t32.decode (and the ARMv7-M ARM's encoding tables).

Theory of operation
-------------------
A row is ``(mnemonic, bit pattern, format, translator, profiles)`` compiled
by :mod:`emud.cpu.decodetable`. 16-bit patterns are 16 characters; 32-bit
ones are 32 with the first halfword on the left, as the manual draws them
(the front end hands us ``hw1 << 16 | hw2``). A format turns the letter
fields into :class:`Args` (``ThumbExpandImm``, ``DecodeImmShift``, branch
offsets...) or returns None for an encoding the manual calls UNDEFINED or
UNPREDICTABLE (we take the UsageFault, as QEMU does for most of them).

Data-processing rows name one translator per operation and operand shape,
as QEMU does (``and_rri``: register, register, immediate; ``and_rrri``:
register, register, register shifted by an immediate; ``and_rrrr``: shifted
by a register). ``s`` is 1 (sets flags), 0 (does not), or :data:`S_OUTSIDE_IT`
for the 16-bit encodings that set flags only outside an IT block.

ARMv6-M (Cortex-M0) is the subset of rows marked ``V6M``.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional

from ..decodetable import Args, Decoded, PatternTable, Row, pattern, sext

S_OUTSIDE_IT = 2

V7M = "v7m"
V6M = "v6m"
BOTH = (V6M, V7M)
ONLY7 = (V7M,)

#: shift types (DecodeImmShift's SRType)
SH_LSL, SH_LSR, SH_ASR, SH_ROR, SH_RRX = 0, 1, 2, 3, 4

Fields = Dict[str, int]
Format = Callable[[Fields], Optional[Args]]


def decode_imm_shift(ty: int, imm5: int):
    """(shift type, amount) of an immediate shift: 0 means 32 for LSR/ASR,
    and ROR #0 is RRX."""
    if ty == 0:
        return SH_LSL, imm5
    if ty in (1, 2):
        return ty, imm5 or 32
    return (SH_RRX, 1) if imm5 == 0 else (SH_ROR, imm5)


def thumb_expand_imm(imm12: int):
    """(imm32, carry out or -1 when the carry is unchanged), or None when
    UNPREDICTABLE (a zero byte in a replicated pattern)."""
    if imm12 >> 10 == 0:
        b = imm12 & 0xFF
        kind = (imm12 >> 8) & 3
        if kind and b == 0:
            return None
        return ((b, (b << 16) | b, (b << 24) | (b << 8), b * 0x01010101)[kind], -1)
    unrot = 0x80 | (imm12 & 0x7F)
    rot = imm12 >> 7
    v = ((unrot >> rot) | (unrot << (32 - rot))) & 0xFFFFFFFF
    return v, v >> 31


def _bad(*regs: int) -> bool:
    """UNPREDICTABLE operands of most 32-bit encodings: SP or PC."""
    return any(r in (13, 15) for r in regs)


# -- formats ---------------------------------------------------------------------------------

def f_plain(**rename: str) -> Format:
    """The letter fields under their names (``d`` -> ``rd``...)."""
    names = {"d": "rd", "n": "rn", "m": "rm", "t": "rt", "T": "rt2", "a": "ra", "i": "imm",
             "l": "regs", "c": "cond"}
    names.update(rename)

    def fmt(f: Fields) -> Args:
        return Args(**{names.get(k, k): v for k, v in f.items()})
    return fmt


plain = f_plain()


def t16_shift_imm(ty: int) -> Format:
    def fmt(f):
        shty, amount = decode_imm_shift(ty, f["i"])
        return Args(rd=f["d"], rn=0, rm=f["m"], shty=shty, shimm=amount, s=S_OUTSIDE_IT)
    return fmt


def t16_rrr(f):
    return Args(rd=f["d"], rn=f["n"], rm=f["m"], shty=SH_LSL, shimm=0, s=S_OUTSIDE_IT)


def t16_rri3(f):
    return Args(rd=f["d"], rn=f["n"], imm=f["i"], carry=-1, s=S_OUTSIDE_IT)


def t16_rri8(f):
    """MOV/CMP/ADD/SUB Rdn, #imm8 (for CMP, d is Rn)."""
    return Args(rd=f["d"], rn=f["d"], imm=f["i"], carry=-1, s=S_OUTSIDE_IT)


def t16_dp(f):
    """The 010000 group: Rdn op= Rm (register shifted by nothing)."""
    return Args(rd=f["d"], rn=f["d"], rm=f["m"], shty=SH_LSL, shimm=0, s=S_OUTSIDE_IT)


def t16_shift_reg(f):
    return Args(rd=f["d"], rm=f["d"], rs=f["m"], s=S_OUTSIDE_IT)


def t16_rsb0(f):
    return Args(rd=f["d"], rn=f["m"], imm=0, carry=-1, s=S_OUTSIDE_IT)


def t16_mul(f):
    return Args(rd=f["d"], rn=f["m"], rm=f["d"], s=S_OUTSIDE_IT)


def t16_add_hi(f):
    rd = (f["D"] << 3) | f["d"]
    if rd == 15 and f["m"] == 15:
        return None
    return Args(rd=rd, rn=rd, rm=f["m"], shty=SH_LSL, shimm=0, s=0)


def t16_cmp_hi(f):
    rn = (f["N"] << 3) | f["n"]
    if rn < 8 and f["m"] < 8 or rn == 15 or f["m"] == 15:
        return None
    return Args(rd=0, rn=rn, rm=f["m"], shty=SH_LSL, shimm=0, s=1)


def t16_mov_hi(f):
    return Args(rd=(f["D"] << 3) | f["d"], rn=0, rm=f["m"], shty=SH_LSL, shimm=0, s=0)


def t16_ldst_imm(scale: int) -> Format:
    def fmt(f):
        return Args(rt=f["t"], rn=f["n"], imm=f["i"] * scale, p=1, u=1, w=0)
    return fmt


def t16_ldst_sp(f):
    return Args(rt=f["t"], rn=13, imm=f["i"] * 4, p=1, u=1, w=0)


def t16_ldst_reg(f):
    return Args(rt=f["t"], rn=f["n"], rm=f["m"], shimm=0)


def t16_adr(f):
    return Args(rd=f["d"], imm=f["i"] * 4)


def t16_add_sp(f):
    return Args(rd=f["d"], rn=13, imm=f["i"] * 4, carry=-1, s=0)


def t16_sp_imm7(f):
    return Args(rd=13, rn=13, imm=f["i"] * 4, carry=-1, s=0)


def t16_cbz(f):
    return Args(rn=f["n"], imm=f["i"] << 1, nz=f["o"])


def t16_push(f):
    regs = f["l"] | (f["M"] << 14)
    return Args(rn=13, regs=regs, w=1) if regs else None


def t16_pop(f):
    regs = f["l"] | (f["P"] << 15)
    return Args(rn=13, regs=regs, w=1) if regs else None


def t16_ldm(f):
    if not f["l"]:
        return None
    return Args(rn=f["n"], regs=f["l"], w=0 if f["l"] >> f["n"] & 1 else 1)


def t16_stm(f):
    return Args(rn=f["n"], regs=f["l"], w=1) if f["l"] else None


def t16_it(f):
    return Args(cond=f["c"], mask=f["k"]) if f["c"] != 15 and (f["c"] != 14 or bin(f["k"]).count("1") == 1) else None


def t16_bcond(f):
    return Args(cond=f["c"], imm=sext(f["i"] << 1, 9))


def t16_b(f):
    return Args(cond=14, imm=sext(f["i"] << 1, 12))


def t16_cps(f):
    return Args(disable=f["m"], i=f["I"], f=f["F"])


def t16_ext(f):
    return Args(rd=f["d"], rm=f["m"], rot=0)


# -- 32-bit formats ----------------------------------------------------------------------------

def t32_dp_imm(f):
    """Data processing (modified immediate): ThumbExpandImm."""
    e = thumb_expand_imm(f["i"])
    if e is None or f["d"] == 15:
        return None
    return Args(rd=f["d"], rn=f.get("n", 15), imm=e[0], carry=e[1], s=f["S"])


def t32_dp_imm_test(f):
    """TST/TEQ/CMP/CMN (modified immediate): Rd is 1111."""
    e = thumb_expand_imm(f["i"])
    if e is None or f["n"] == 15:
        return None
    return Args(rd=0, rn=f["n"], imm=e[0], carry=e[1], s=1)


def t32_dp_reg(f):
    """Data processing (shifted register)."""
    shty, amount = decode_imm_shift(f["y"], f["i"])
    if f["d"] == 15 or _bad(f["m"]):
        return None
    return Args(rd=f["d"], rn=f.get("n", 15), rm=f["m"], shty=shty, shimm=amount, s=f["S"])


def t32_dp_reg_test(f):
    shty, amount = decode_imm_shift(f["y"], f["i"])
    if f["n"] == 15 or _bad(f["m"]):
        return None
    return Args(rd=0, rn=f["n"], rm=f["m"], shty=shty, shimm=amount, s=1)


def t32_addw(f):
    return Args(rd=f["d"], rn=f["n"], imm=f["i"], carry=-1, s=0)


def t32_adr(f):
    return Args(rd=f["d"], imm=f["i"]) if not _bad(f["d"]) else None


def t32_movw(f):
    """MOVW/MOVT: imm16 = imm4:i:imm3:imm8."""
    return Args(rd=f["d"], imm=(f["j"] << 12) | f["i"]) if not _bad(f["d"]) else None


def t32_shift_reg(f):
    if _bad(f["d"], f["n"], f["m"]):
        return None
    return Args(rd=f["d"], rm=f["n"], rs=f["m"], s=f["S"])


def t32_ext(f):
    return Args(rd=f["d"], rm=f["m"], rot=f["r"] * 8) if not _bad(f["d"], f["m"]) else None


def t32_rd_rm(f):
    """REV/REV16/REVSH/RBIT/CLZ: Rm appears twice and must agree."""
    if f["m"] != f["M"] or _bad(f["d"], f["m"]):
        return None
    return Args(rd=f["d"], rm=f["m"])


def t32_mul(f):
    if _bad(f["d"], f["n"], f["m"]):
        return None
    return Args(rd=f["d"], rn=f["n"], rm=f["m"], ra=f["a"], s=0)


def t32_mul_long(f):
    lo, hi = f["l"], f["h"]
    if _bad(lo, hi, f["n"], f["m"]) or lo == hi:
        return None
    return Args(rdlo=lo, rdhi=hi, rn=f["n"], rm=f["m"])


def t32_div(f):
    return Args(rd=f["d"], rn=f["n"], rm=f["m"]) if not _bad(f["d"], f["n"], f["m"]) else None


def t32_sat(f):
    shimm = (f["i"] << 2) | f["j"]
    if _bad(f["d"], f["n"]) or (f["h"] and shimm == 0):
        return None     # (sh=1, shift 0 is the DSP extension's SSAT16/USAT16)
    return Args(rd=f["d"], rn=f["n"], sat=f["k"], sh=f["h"], shimm=shimm)


def t32_bitfield(f):
    lsb = (f["i"] << 2) | f["j"]
    if _bad(f["d"]) or f["n"] == 13:
        return None
    return Args(rd=f["d"], rn=f["n"], lsb=lsb, w=f["k"])


def t32_bcond(f):
    if f["c"] >> 1 == 7:
        return None
    imm = (f["S"] << 20) | (f["J"] << 19) | (f["K"] << 18) | (f["i"] << 12) | (f["j"] << 1)
    return Args(cond=f["c"], imm=sext(imm, 21))


def t32_branch24(f):
    s = f["S"]
    i1 = 1 ^ f["J"] ^ s
    i2 = 1 ^ f["K"] ^ s
    imm = (s << 24) | (i1 << 23) | (i2 << 22) | (f["i"] << 12) | (f["j"] << 1)
    return Args(cond=14, imm=sext(imm, 25))


def t32_msr(f):
    if f["k"] == 0 or _bad(f["n"]):
        return None
    return Args(rn=f["n"], mask=f["k"], sysm=f["s"])


def t32_mrs(f):
    return Args(rd=f["d"], sysm=f["s"]) if not _bad(f["d"]) else None


def t32_ldm(f):
    regs = f["l"]
    if bin(regs).count("1") < 2 or f["n"] == 15 or regs >> 13 & 1 or (regs >> 14 & 3) == 3:
        return None
    if f["W"] and regs >> f["n"] & 1:
        return None
    return Args(rn=f["n"], regs=regs, w=f["W"])


def t32_stm(f):
    regs = f["l"]
    if bin(regs).count("1") < 2 or f["n"] == 15 or regs & 0xA000:
        return None
    if f["W"] and regs >> f["n"] & 1:
        return None
    return Args(rn=f["n"], regs=regs, w=f["W"])


def t32_ldst_imm12(f):
    if f["n"] == 15:
        return None
    return Args(rt=f["t"], rn=f["n"], imm=f["i"], p=1, u=1, w=0)


def t32_ldst_imm8(f):
    p, u, w = f["P"], f["U"], f["W"]
    if f["n"] == 15 or (not p and not w):
        return None
    if w and f["n"] == f["t"]:
        return None
    return Args(rt=f["t"], rn=f["n"], imm=f["i"], p=p, u=u, w=w)


def t32_ldst_reg(f):
    if f["n"] == 15 or _bad(f["m"]):
        return None
    return Args(rt=f["t"], rn=f["n"], rm=f["m"], shimm=f["i"])


def t32_ld_lit(f):
    return Args(rt=f["t"], imm=f["i"] if f["U"] else -f["i"])


def t32_ldrd(f):
    """(also the literal form, Rn = 1111, without writeback)"""
    p, u, w = f["P"], f["U"], f["W"]
    if not (p or w) or (w and f["n"] == 15):
        return None     # P = W = 0: the exclusive / table branch group
    if (w and (f["n"] == f["t"] or f["n"] == f["T"])) or _bad(f["t"], f["T"]) or f["t"] == f["T"]:
        return None
    return Args(rt=f["t"], rt2=f["T"], rn=f["n"], imm=f["i"] * 4, p=p, u=u, w=w)


def t32_strd(f):
    p, u, w = f["P"], f["U"], f["W"]
    if not (p or w):
        return None
    if (w and (f["n"] == f["t"] or f["n"] == f["T"])) or f["n"] == 15 or _bad(f["t"], f["T"]):
        return None
    return Args(rt=f["t"], rt2=f["T"], rn=f["n"], imm=f["i"] * 4, p=p, u=u, w=w)


def t32_ldrex(f):
    if _bad(f["t"]) or f["n"] == 15:
        return None
    return Args(rt=f["t"], rn=f["n"], imm=f.get("i", 0) * 4)


def t32_strex(f):
    d, t, n = f["d"], f["t"], f["n"]
    if _bad(d, t) or n == 15 or d in (n, t):
        return None
    return Args(rd=d, rt=t, rn=n, imm=f.get("i", 0) * 4)


def t32_tb(f):
    if f["n"] == 13 or _bad(f["m"]):
        return None
    return Args(rn=f["n"], rm=f["m"])


# -- the rows ------------------------------------------------------------------------------------------

Spec = tuple   # (mnemonic, pattern, format, translator, profiles)


def _compile(specs: List[Spec]) -> Dict[str, List[Row]]:
    """Rows per profile."""
    out: Dict[str, List[Row]] = {V6M: [], V7M: []}
    for name, pat, fmt, trans, profiles in specs:
        p = pattern(pat)

        def decode(insn, p=p, fmt=fmt):
            return fmt(p.extract(insn))
        for prof in profiles:
            out[prof].append((name, p.mask, p.match, decode, trans))
    return out


# data-processing opcodes of the 16-bit 010000 group and the 32-bit groups
_T16_DP = [("and", "0000"), ("eor", "0001"), ("adc", "0101"), ("sbc", "0110"), ("tst", "1000"),
           ("cmp", "1010"), ("cmn", "1011"), ("orr", "1100"), ("bic", "1110"), ("mvn", "1111")]
_T16_SHIFT_REG = [("lsl", "0010"), ("lsr", "0011"), ("asr", "0100"), ("ror", "0111")]
#: (op, opcode, the test form when Rd is 1111 and S set, the move form when Rn is 1111)
_T32_DP = [("and", "0000", "tst", None), ("bic", "0001", None, None), ("orr", "0010", None, "mov"),
           ("orn", "0011", None, "mvn"), ("eor", "0100", "teq", None), ("add", "1000", "cmn", None),
           ("adc", "1010", None, None), ("sbc", "1011", None, None), ("sub", "1101", "cmp", None),
           ("rsb", "1110", None, None)]

T16: List[Spec] = [
    ("lsl", "00000 iiiii mmm ddd", t16_shift_imm(0), "mov_rrri", BOTH),
    ("lsr", "00001 iiiii mmm ddd", t16_shift_imm(1), "mov_rrri", BOTH),
    ("asr", "00010 iiiii mmm ddd", t16_shift_imm(2), "mov_rrri", BOTH),
    ("add", "0001100 mmm nnn ddd", t16_rrr, "add_rrri", BOTH),
    ("sub", "0001101 mmm nnn ddd", t16_rrr, "sub_rrri", BOTH),
    ("add", "0001110 iii nnn ddd", t16_rri3, "add_rri", BOTH),
    ("sub", "0001111 iii nnn ddd", t16_rri3, "sub_rri", BOTH),
    ("mov", "00100 ddd iiiiiiii", t16_rri8, "mov_rri", BOTH),
    ("cmp", "00101 ddd iiiiiiii", t16_rri8, "cmp_rri", BOTH),
    ("add", "00110 ddd iiiiiiii", t16_rri8, "add_rri", BOTH),
    ("sub", "00111 ddd iiiiiiii", t16_rri8, "sub_rri", BOTH),
]
T16 += [(op, "010000 %s mmm ddd" % code, t16_dp, op + "_rrri", BOTH) for op, code in _T16_DP]
T16 += [(op, "010000 %s mmm ddd" % code, t16_shift_reg, "mov_rrrr_" + op, BOTH) for op, code in _T16_SHIFT_REG]
T16 += [
    ("rsb", "0100001001 mmm ddd", t16_rsb0, "rsb_rri", BOTH),
    ("mul", "0100001101 mmm ddd", t16_mul, "mul", BOTH),
    ("add", "01000100 D mmmm ddd", t16_add_hi, "add_rrri", BOTH),
    ("cmp", "01000101 N mmmm nnn", t16_cmp_hi, "cmp_rrri", BOTH),
    ("mov", "01000110 D mmmm ddd", t16_mov_hi, "mov_rrri", BOTH),
    ("bx", "010001110 mmmm 000", f_plain(), "bx", BOTH),
    ("blx", "010001111 mmmm 000", f_plain(), "blx", BOTH),
    ("ldr", "01001 ttt iiiiiiii", lambda f: Args(rt=f["t"], imm=f["i"] * 4), "ldr_lit", BOTH),
    ("str", "0101000 mmm nnn ttt", t16_ldst_reg, "str_reg", BOTH),
    ("strh", "0101001 mmm nnn ttt", t16_ldst_reg, "strh_reg", BOTH),
    ("strb", "0101010 mmm nnn ttt", t16_ldst_reg, "strb_reg", BOTH),
    ("ldrsb", "0101011 mmm nnn ttt", t16_ldst_reg, "ldrsb_reg", BOTH),
    ("ldr", "0101100 mmm nnn ttt", t16_ldst_reg, "ldr_reg", BOTH),
    ("ldrh", "0101101 mmm nnn ttt", t16_ldst_reg, "ldrh_reg", BOTH),
    ("ldrb", "0101110 mmm nnn ttt", t16_ldst_reg, "ldrb_reg", BOTH),
    ("ldrsh", "0101111 mmm nnn ttt", t16_ldst_reg, "ldrsh_reg", BOTH),
    ("str", "01100 iiiii nnn ttt", t16_ldst_imm(4), "str_imm", BOTH),
    ("ldr", "01101 iiiii nnn ttt", t16_ldst_imm(4), "ldr_imm", BOTH),
    ("strb", "01110 iiiii nnn ttt", t16_ldst_imm(1), "strb_imm", BOTH),
    ("ldrb", "01111 iiiii nnn ttt", t16_ldst_imm(1), "ldrb_imm", BOTH),
    ("strh", "10000 iiiii nnn ttt", t16_ldst_imm(2), "strh_imm", BOTH),
    ("ldrh", "10001 iiiii nnn ttt", t16_ldst_imm(2), "ldrh_imm", BOTH),
    ("str", "10010 ttt iiiiiiii", t16_ldst_sp, "str_imm", BOTH),
    ("ldr", "10011 ttt iiiiiiii", t16_ldst_sp, "ldr_imm", BOTH),
    ("adr", "10100 ddd iiiiiiii", t16_adr, "adr", BOTH),
    ("add", "10101 ddd iiiiiiii", t16_add_sp, "add_rri", BOTH),
    ("add", "101100000 iiiiiii", t16_sp_imm7, "add_rri", BOTH),
    ("sub", "101100001 iiiiiii", t16_sp_imm7, "sub_rri", BOTH),
    ("cbz", "1011 o 0 i 1 iiiii nnn", t16_cbz, "cbz", ONLY7),
    ("sxth", "1011001000 mmm ddd", t16_ext, "sxth", BOTH),
    ("sxtb", "1011001001 mmm ddd", t16_ext, "sxtb", BOTH),
    ("uxth", "1011001010 mmm ddd", t16_ext, "uxth", BOTH),
    ("uxtb", "1011001011 mmm ddd", t16_ext, "uxtb", BOTH),
    ("push", "1011010 M llllllll", t16_push, "stmdb", BOTH),
    ("cps", "10110110011 m 0 0 I F", t16_cps, "cps", BOTH),
    ("rev", "1011101000 mmm ddd", f_plain(), "rev", BOTH),
    ("rev16", "1011101001 mmm ddd", f_plain(), "rev16", BOTH),
    ("revsh", "1011101011 mmm ddd", f_plain(), "revsh", BOTH),
    ("pop", "1011110 P llllllll", t16_pop, "ldm", BOTH),
    ("bkpt", "10111110 iiiiiiii", plain, "bkpt", BOTH),
    ("it", "10111111 cccc kkkk", t16_it, "it", ONLY7),
    ("nop", "1011111100000000", plain, "nop", BOTH),
    ("yield", "1011111100010000", plain, "yield_", BOTH),
    ("wfe", "1011111100100000", plain, "wfe", BOTH),
    ("wfi", "1011111100110000", plain, "wfi", BOTH),
    ("sev", "1011111101000000", plain, "nop", BOTH),
    ("nop", "10111111 ---- 0000", plain, "nop", ONLY7),   # other hints: NOP-compatible
    ("stm", "11000 nnn llllllll", t16_stm, "stm", BOTH),
    ("ldm", "11001 nnn llllllll", t16_ldm, "ldm", BOTH),
    ("b", "1101 cccc iiiiiiii", t16_bcond, "b", BOTH),
    ("udf", "11011110 iiiiiiii", plain, "udf", BOTH),
    ("svc", "11011111 iiiiiiii", plain, "svc", BOTH),
    ("b", "11100 iiiiiiiiiii", t16_b, "b", BOTH),
]

T32: List[Spec] = []
for _op, _code, _test, _move in _T32_DP:
    T32.append((_op, "11110 i 0 %s S nnnn 0 iii dddd iiiiiiii" % _code, t32_dp_imm, _op + "_rri", ONLY7))
    T32.append((_op, "1110101 %s S nnnn 0 iii dddd ii yy mmmm" % _code, t32_dp_reg, _op + "_rrri", ONLY7))
    if _test:
        T32.append((_test, "11110 i 0 %s 1 nnnn 0 iii 1111 iiiiiiii" % _code, t32_dp_imm_test, _test + "_rri", ONLY7))
        T32.append((_test, "1110101 %s 1 nnnn 0 iii 1111 ii yy mmmm" % _code, t32_dp_reg_test, _test + "_rrri", ONLY7))
    if _move:
        T32.append((_move, "11110 i 0 %s S 1111 0 iii dddd iiiiiiii" % _code, t32_dp_imm, _move + "_rri", ONLY7))
        T32.append((_move, "1110101 %s S 1111 0 iii dddd ii yy mmmm" % _code, t32_dp_reg, _move + "_rrri", ONLY7))
T32 += [
    # plain binary immediate
    ("addw", "11110 i 1 0 0 0 0 0 nnnn 0 iii dddd iiiiiiii", t32_addw, "add_rri", ONLY7),
    ("adr", "11110 i 1 0 0 0 0 0 1111 0 iii dddd iiiiiiii", t32_adr, "adr", ONLY7),
    ("subw", "11110 i 1 0 1 0 1 0 nnnn 0 iii dddd iiiiiiii", t32_addw, "sub_rri", ONLY7),
    ("adr", "11110 i 1 0 1 0 1 0 1111 0 iii dddd iiiiiiii", lambda f: t32_adr(dict(f, i=-f["i"])), "adr", ONLY7),
    ("movw", "11110 i 1 0 0 1 0 0 jjjj 0 iii dddd iiiiiiii", t32_movw, "movw", ONLY7),
    ("movt", "11110 i 1 0 1 1 0 0 jjjj 0 iii dddd iiiiiiii", t32_movw, "movt", ONLY7),
    ("ssat", "11110 0 1 1 0 0 h 0 nnnn 0 iii dddd jj 0 kkkkk", t32_sat, "ssat", ONLY7),
    ("usat", "11110 0 1 1 1 0 h 0 nnnn 0 iii dddd jj 0 kkkkk", t32_sat, "usat", ONLY7),
    ("sbfx", "11110 0 1 1 0 1 0 0 nnnn 0 iii dddd jj 0 kkkkk", t32_bitfield, "sbfx", ONLY7),
    ("ubfx", "11110 0 1 1 1 1 0 0 nnnn 0 iii dddd jj 0 kkkkk", t32_bitfield, "ubfx", ONLY7),
    ("bfi", "11110 0 1 1 0 1 1 0 nnnn 0 iii dddd jj 0 kkkkk", t32_bitfield, "bfi", ONLY7),
    # branches and miscellaneous control
    ("b", "11110 S cccc iiiiii 10 J 0 K jjjjjjjjjjj", t32_bcond, "b", ONLY7),
    ("b", "11110 S iiiiiiiiii 10 J 1 K jjjjjjjjjjj", t32_branch24, "b", ONLY7),
    ("bl", "11110 S iiiiiiiiii 11 J 1 K jjjjjjjjjjj", t32_branch24, "bl", BOTH),
    ("msr", "11110 0 1110 0 0 nnnn 10 0 0 kk 00 ssssssss", t32_msr, "msr", BOTH),
    ("mrs", "11110 0 1111 1 0 1111 10 0 0 dddd ssssssss", t32_mrs, "mrs", BOTH),
    ("nop", "11110 0 1110 1 0 1111 10 0 0 0 000 00000000", plain, "nop", ONLY7),
    ("yield", "11110 0 1110 1 0 1111 10 0 0 0 000 00000001", plain, "yield_", ONLY7),
    ("wfe", "11110 0 1110 1 0 1111 10 0 0 0 000 00000010", plain, "wfe", ONLY7),
    ("wfi", "11110 0 1110 1 0 1111 10 0 0 0 000 00000011", plain, "wfi", ONLY7),
    ("sev", "11110 0 1110 1 0 1111 10 0 0 0 000 00000100", plain, "nop", ONLY7),
    ("nop", "11110 0 1110 1 0 1111 10 0 0 0 000 --------", plain, "nop", ONLY7),
    ("clrex", "11110 0 1110 1 1 1111 10 0 0 1111 0010 1111", plain, "clrex", ONLY7),
    ("dsb", "11110 0 1110 1 1 1111 10 0 0 1111 0100 oooo", plain, "barrier", BOTH),
    ("dmb", "11110 0 1110 1 1 1111 10 0 0 1111 0101 oooo", plain, "barrier", BOTH),
    ("isb", "11110 0 1110 1 1 1111 10 0 0 1111 0110 oooo", plain, "isb", BOTH),
    ("udf", "111101111111 iiii 1010 iiiiiiiiiiii", plain, "udf", BOTH),
    # load/store multiple, dual, exclusive, table branch
    ("stm", "1110100 01 0 W 0 nnnn llllllllllllllll", t32_stm, "stm", ONLY7),
    ("ldm", "1110100 01 0 W 1 nnnn llllllllllllllll", t32_ldm, "ldm", ONLY7),
    ("stmdb", "1110100 10 0 W 0 nnnn llllllllllllllll", t32_stm, "stmdb", ONLY7),
    ("ldmdb", "1110100 10 0 W 1 nnnn llllllllllllllll", t32_ldm, "ldmdb", ONLY7),
    ("strex", "1110100 00 1 0 0 nnnn tttt dddd iiiiiiii", t32_strex, "strex", ONLY7),
    ("ldrex", "1110100 00 1 0 1 nnnn tttt 1111 iiiiiiii", t32_ldrex, "ldrex", ONLY7),
    ("strexb", "1110100 01 1 0 0 nnnn tttt 1111 0100 dddd", t32_strex, "strexb", ONLY7),
    ("strexh", "1110100 01 1 0 0 nnnn tttt 1111 0101 dddd", t32_strex, "strexh", ONLY7),
    ("ldrexb", "1110100 01 1 0 1 nnnn tttt 1111 0100 1111", t32_ldrex, "ldrexb", ONLY7),
    ("ldrexh", "1110100 01 1 0 1 nnnn tttt 1111 0101 1111", t32_ldrex, "ldrexh", ONLY7),
    ("tbb", "1110100 01 1 0 1 nnnn 1111 0000 0000 mmmm", t32_tb, "tbb", ONLY7),
    ("tbh", "1110100 01 1 0 1 nnnn 1111 0000 0001 mmmm", t32_tb, "tbh", ONLY7),
    ("strd", "1110100 P U 1 W 0 nnnn tttt TTTT iiiiiiii", t32_strd, "strd", ONLY7),
    ("ldrd", "1110100 P U 1 W 1 nnnn tttt TTTT iiiiiiii", t32_ldrd, "ldrd", ONLY7),
    # data processing (register)
    ("lsl", "11111010 0 00 S nnnn 1111 dddd 0000 mmmm", t32_shift_reg, "mov_rrrr_lsl", ONLY7),
    ("lsr", "11111010 0 01 S nnnn 1111 dddd 0000 mmmm", t32_shift_reg, "mov_rrrr_lsr", ONLY7),
    ("asr", "11111010 0 10 S nnnn 1111 dddd 0000 mmmm", t32_shift_reg, "mov_rrrr_asr", ONLY7),
    ("ror", "11111010 0 11 S nnnn 1111 dddd 0000 mmmm", t32_shift_reg, "mov_rrrr_ror", ONLY7),
    ("sxth", "11111010 0 000 1111 1111 dddd 10 rr mmmm", t32_ext, "sxth", ONLY7),
    ("uxth", "11111010 0 001 1111 1111 dddd 10 rr mmmm", t32_ext, "uxth", ONLY7),
    ("sxtb", "11111010 0 100 1111 1111 dddd 10 rr mmmm", t32_ext, "sxtb", ONLY7),
    ("uxtb", "11111010 0 101 1111 1111 dddd 10 rr mmmm", t32_ext, "uxtb", ONLY7),
    ("rev", "11111010 1001 MMMM 1111 dddd 1000 mmmm", t32_rd_rm, "rev", ONLY7),
    ("rev16", "11111010 1001 MMMM 1111 dddd 1001 mmmm", t32_rd_rm, "rev16", ONLY7),
    ("rbit", "11111010 1001 MMMM 1111 dddd 1010 mmmm", t32_rd_rm, "rbit", ONLY7),
    ("revsh", "11111010 1001 MMMM 1111 dddd 1011 mmmm", t32_rd_rm, "revsh", ONLY7),
    ("clz", "11111010 1011 MMMM 1111 dddd 1000 mmmm", t32_rd_rm, "clz", ONLY7),
    # multiply, multiply-accumulate, long multiply, divide
    ("mul", "111110110 000 nnnn 1111 dddd 0000 mmmm", lambda f: t32_mul(dict(f, a=15)), "mul", ONLY7),
    ("mla", "111110110 000 nnnn aaaa dddd 0000 mmmm", t32_mul, "mla", ONLY7),
    ("mls", "111110110 000 nnnn aaaa dddd 0001 mmmm", t32_mul, "mls", ONLY7),
    ("smull", "111110111 000 nnnn llll hhhh 0000 mmmm", t32_mul_long, "smull", ONLY7),
    ("sdiv", "111110111 001 nnnn 1111 dddd 1111 mmmm", t32_div, "sdiv", ONLY7),
    ("umull", "111110111 010 nnnn llll hhhh 0000 mmmm", t32_mul_long, "umull", ONLY7),
    ("udiv", "111110111 011 nnnn 1111 dddd 1111 mmmm", t32_div, "udiv", ONLY7),
    ("smlal", "111110111 100 nnnn llll hhhh 0000 mmmm", t32_mul_long, "smlal", ONLY7),
    ("umlal", "111110111 110 nnnn llll hhhh 0000 mmmm", t32_mul_long, "umlal", ONLY7),
]

# single loads and stores: (name, S (sign), size bits, L)
_LDST = [("strb", 0, "00", 0), ("strh", 0, "01", 0), ("str", 0, "10", 0),
         ("ldrb", 0, "00", 1), ("ldrh", 0, "01", 1), ("ldr", 0, "10", 1),
         ("ldrsb", 1, "00", 1), ("ldrsh", 1, "01", 1)]
for _name, _sign, _sz, _load in _LDST:
    _head = "1111100 %d %%s %s %d" % (_sign, _sz, _load)
    T32.append((_name, _head % "1" + " nnnn tttt iiiiiiiiiiii", t32_ldst_imm12, _name + "_imm", ONLY7))
    T32.append((_name, _head % "0" + " nnnn tttt 1 P U W iiiiiiii", t32_ldst_imm8, _name + "_imm", ONLY7))
    T32.append((_name, _head % "0" + " nnnn tttt 000000 ii mmmm", t32_ldst_reg, _name + "_reg", ONLY7))
    # (LDRT and friends: unprivileged access; M-profile code with no MPU
    # regions sees them as plain loads, as P=1 U=1 W=0 with imm8)
    T32.append((_name + "t", _head % "0" + " nnnn tttt 1110 iiiiiiii", t32_ldst_imm12, _name + "_imm", ONLY7))
    if _load:
        T32.append((_name, "1111100 %d U %s 1 1111 tttt iiiiiiiiiiii" % (_sign, _sz), t32_ld_lit,
                    _name + "_lit", ONLY7))
# preload hints (loads of bytes or halfwords to PC): no architectural effect
for _sign in (0, 1):
    for _sz in ("00", "01"):
        T32.append(("pld", "1111100 %d 1 %s 1 nnnn 1111 ------------" % (_sign, _sz), plain, "nop", ONLY7))
        T32.append(("pld", "1111100 %d 0 %s 1 nnnn 1111 1100 --------" % (_sign, _sz), plain, "nop", ONLY7))
        T32.append(("pld", "1111100 %d 0 %s 1 nnnn 1111 000000 -- ----" % (_sign, _sz), plain, "nop", ONLY7))
        T32.append(("pld", "1111100 %d - %s 1 1111 1111 ------------" % (_sign, _sz), plain, "nop", ONLY7))

_T16_ROWS = _compile(T16)
_T32_ROWS = _compile(T32)


class ThumbDecoder:
    """The dispatcher for one profile (``"v7m"``: Cortex-M3, ``"v6m"``: Cortex-M0)."""

    KEY16 = 0xFC00          # the top six bits: the 16-bit opcode groups
    KEY32 = 0xFFF00000      # hw1[15:4]

    def __init__(self, profile: str = V7M) -> None:
        if profile not in (V6M, V7M):
            raise ValueError("unknown Thumb profile %r" % profile)
        self.profile = profile
        self._t16 = PatternTable(_T16_ROWS[profile], self.KEY16)
        self._t32 = PatternTable(_T32_ROWS[profile], self.KEY32)

    def decode(self, insn: int, length: int) -> Optional[Decoded]:
        """``insn``: a halfword, or ``hw1 << 16 | hw2``."""
        return (self._t16 if length == 2 else self._t32).decode(insn)


def insn_length(first_halfword: int) -> int:
    """32-bit when hw1[15:11] is 0b11101, 0b11110 or 0b11111."""
    return 4 if first_halfword >> 11 in (0x1D, 0x1E, 0x1F) else 2
