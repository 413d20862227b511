"""RISC-V instruction decoding: declarative pattern tables, decodetree style.

Theory of operation
-------------------
Every instruction is one row ``(name, mask, match, format, trans, xlen)``:
``insn & mask == match`` selects the row, the *format* extracts the operand
fields into an :class:`Args`, and ``trans`` names the translator that emits
its IR (``trans_<trans>`` in the ``insn_*`` modules). Compressed rows reuse the
translators of the 32-bit instruction they expand to (``c.addi`` -> ``addi``),
as QEMU's insn16.decode does. ``xlen`` restricts a row to RV32 or RV64.

Rows are bucketed by the bits every row of a group fixes (the major opcode
for 32-bit encodings, quadrant + funct3 for 16-bit ones); inside a bucket
the most specific pattern (most mask bits) wins, which is how overlapping
patterns (``c.jr``/``c.mv``, ``c.addi16sp``/``c.lui``) resolve. The first
matching row decides: if its format rejects the fields (a reserved encoding,
shamt[5] on RV32) the instruction is illegal and :func:`decode` returns None.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

from ..decodetable import Args, Decoded, bits, sext  # noqa: F401 (re-exported)


# A format is fn(insn, xlen) -> Args or None (reserved encoding).
Format = Callable[[int, int], Optional[Args]]

# -- 32-bit formats ------------------------------------------------------------------

def _rd(i): return bits(i, 11, 7)
def _rs1(i): return bits(i, 19, 15)
def _rs2(i): return bits(i, 24, 20)


def f_r(i, xlen): return Args(rd=_rd(i), rs1=_rs1(i), rs2=_rs2(i))
def f_i(i, xlen): return Args(rd=_rd(i), rs1=_rs1(i), imm=sext(bits(i, 31, 20), 12))
def f_s(i, xlen): return Args(rs1=_rs1(i), rs2=_rs2(i), imm=sext((bits(i, 31, 25) << 5) | bits(i, 11, 7), 12))
def f_u(i, xlen): return Args(rd=_rd(i), imm=sext(i & 0xFFFFF000, 32))


def f_b(i, xlen):
    imm = (bits(i, 31, 31) << 12) | (bits(i, 7, 7) << 11) | (bits(i, 30, 25) << 5) | (bits(i, 11, 8) << 1)
    return Args(rs1=_rs1(i), rs2=_rs2(i), imm=sext(imm, 13))


def f_j(i, xlen):
    imm = (bits(i, 31, 31) << 20) | (bits(i, 19, 12) << 12) | (bits(i, 20, 20) << 11) | (bits(i, 30, 21) << 1)
    return Args(rd=_rd(i), imm=sext(imm, 21))


def f_shift(i, xlen):
    """slli/srli/srai: 6-bit shamt; shamt[5] is reserved on RV32."""
    shamt = bits(i, 25, 20)
    if shamt >= xlen:
        return None
    return Args(rd=_rd(i), rs1=_rs1(i), shamt=shamt)


def f_shiftw(i, xlen): return Args(rd=_rd(i), rs1=_rs1(i), shamt=bits(i, 24, 20))
def f_csr(i, xlen): return Args(rd=_rd(i), rs1=_rs1(i), csr=bits(i, 31, 20))
def f_csri(i, xlen): return Args(rd=_rd(i), uimm=_rs1(i), csr=bits(i, 31, 20))
def f_atom(i, xlen):
    return Args(rd=_rd(i), rs1=_rs1(i), rs2=_rs2(i), aq=bits(i, 26, 26), rl=bits(i, 25, 25), size=1 << bits(i, 14, 12))


def f_lr(i, xlen):
    return Args(rd=_rd(i), rs1=_rs1(i), aq=bits(i, 26, 26), rl=bits(i, 25, 25), size=1 << bits(i, 14, 12))
def f_fence(i, xlen): return Args(pred=bits(i, 27, 24), succ=bits(i, 23, 20), fm=bits(i, 31, 28))
def f_none(i, xlen): return Args()


# -- 16-bit formats (each expands to the operands of its 32-bit twin) ---------------

def _r3(i, hi):  # the 3-bit register fields address x8..x15
    return 8 + bits(i, hi, hi - 2)


def _ci_imm(i): return sext((bits(i, 12, 12) << 5) | bits(i, 6, 2), 6)
def _c_shamt(i): return (bits(i, 12, 12) << 5) | bits(i, 6, 2)


def c_addi4spn(i, xlen):
    imm = (bits(i, 12, 11) << 4) | (bits(i, 10, 7) << 6) | (bits(i, 6, 6) << 2) | (bits(i, 5, 5) << 3)
    if imm == 0:
        return None  # nzuimm == 0 is reserved
    return Args(rd=_r3(i, 4), rs1=2, imm=imm)


def c_lw(i, xlen):
    return Args(rd=_r3(i, 4), rs1=_r3(i, 9), imm=(bits(i, 12, 10) << 3) | (bits(i, 6, 6) << 2) | (bits(i, 5, 5) << 6))


def c_ld(i, xlen):
    return Args(rd=_r3(i, 4), rs1=_r3(i, 9), imm=(bits(i, 12, 10) << 3) | (bits(i, 6, 5) << 6))


def c_sw(i, xlen):
    return Args(rs1=_r3(i, 9), rs2=_r3(i, 4), imm=(bits(i, 12, 10) << 3) | (bits(i, 6, 6) << 2) | (bits(i, 5, 5) << 6))


def c_sd(i, xlen):
    return Args(rs1=_r3(i, 9), rs2=_r3(i, 4), imm=(bits(i, 12, 10) << 3) | (bits(i, 6, 5) << 6))


def c_nop(i, xlen): return Args(rd=0, rs1=0, imm=0)
def c_addi(i, xlen): return Args(rd=_rd(i), rs1=_rd(i), imm=_ci_imm(i))


def c_addiw(i, xlen):
    if _rd(i) == 0:
        return None
    return Args(rd=_rd(i), rs1=_rd(i), imm=_ci_imm(i))


def c_li(i, xlen): return Args(rd=_rd(i), rs1=0, imm=_ci_imm(i))


def c_addi16sp(i, xlen):
    imm = (bits(i, 12, 12) << 9) | (bits(i, 6, 6) << 4) | (bits(i, 5, 5) << 6) | (bits(i, 4, 3) << 7) | (bits(i, 2, 2) << 5)
    if imm == 0:
        return None
    return Args(rd=2, rs1=2, imm=sext(imm, 10))


def c_lui(i, xlen):
    imm = sext((bits(i, 12, 12) << 17) | (bits(i, 6, 2) << 12), 18)
    if imm == 0:
        return None
    return Args(rd=_rd(i), imm=imm)


def _c_shift(rd_hi):
    def fmt(i, xlen):
        shamt = _c_shamt(i)
        if shamt >= xlen:
            return None  # shamt[5] set on RV32: reserved (NSE)
        rd = _rd(i) if rd_hi == 11 else _r3(i, 9)
        return Args(rd=rd, rs1=rd, shamt=shamt)
    return fmt


c_slli = _c_shift(11)
c_srli = _c_shift(9)


def c_andi(i, xlen): return Args(rd=_r3(i, 9), rs1=_r3(i, 9), imm=_ci_imm(i))
def c_arith(i, xlen): return Args(rd=_r3(i, 9), rs1=_r3(i, 9), rs2=_r3(i, 4))


def _cj_imm(i):
    imm = ((bits(i, 12, 12) << 11) | (bits(i, 11, 11) << 4) | (bits(i, 10, 9) << 8) | (bits(i, 8, 8) << 10)
           | (bits(i, 7, 7) << 6) | (bits(i, 6, 6) << 7) | (bits(i, 5, 3) << 1) | (bits(i, 2, 2) << 5))
    return sext(imm, 12)


def c_j(i, xlen): return Args(rd=0, imm=_cj_imm(i))
def c_jal(i, xlen): return Args(rd=1, imm=_cj_imm(i))


def c_branch(i, xlen):
    imm = ((bits(i, 12, 12) << 8) | (bits(i, 11, 10) << 3) | (bits(i, 6, 5) << 6)
           | (bits(i, 4, 3) << 1) | (bits(i, 2, 2) << 5))
    return Args(rs1=_r3(i, 9), rs2=0, imm=sext(imm, 9))


def c_lwsp(i, xlen):
    if _rd(i) == 0:
        return None
    return Args(rd=_rd(i), rs1=2, imm=(bits(i, 12, 12) << 5) | (bits(i, 6, 4) << 2) | (bits(i, 3, 2) << 6))


def c_ldsp(i, xlen):
    if _rd(i) == 0:
        return None
    return Args(rd=_rd(i), rs1=2, imm=(bits(i, 12, 12) << 5) | (bits(i, 6, 5) << 3) | (bits(i, 4, 2) << 6))


def c_swsp(i, xlen): return Args(rs1=2, rs2=bits(i, 6, 2), imm=(bits(i, 12, 9) << 2) | (bits(i, 8, 7) << 6))
def c_sdsp(i, xlen): return Args(rs1=2, rs2=bits(i, 6, 2), imm=(bits(i, 12, 10) << 3) | (bits(i, 9, 7) << 6))


def c_jr(i, xlen):
    if _rd(i) == 0:
        return None
    return Args(rd=0, rs1=_rd(i), imm=0)


def c_jalr(i, xlen): return Args(rd=1, rs1=_rd(i), imm=0)
def c_mv(i, xlen): return Args(rd=_rd(i), rs1=0, rs2=bits(i, 6, 2))
def c_add(i, xlen): return Args(rd=_rd(i), rs1=_rd(i), rs2=bits(i, 6, 2))


# -- the tables ------------------------------------------------------------------------
# (name, mask, match, format, translator or None = same as name, xlen or None = both)

Row = Tuple[str, int, int, Format, Optional[str], Optional[int]]

_R = 0xFE00707F     # funct7 + funct3 + opcode
_I = 0x0000707F     # funct3 + opcode
_SH = 0xFC00707F    # funct6 + funct3 + opcode
_AMO = 0xF800707F   # funct5 + funct3 + opcode
_LR = 0xF9F0707F    # funct5 + rs2=0 + funct3 + opcode

RV_BASE: List[Row] = [
    ("lui", 0x7F, 0x37, f_u, None, None),
    ("auipc", 0x7F, 0x17, f_u, None, None),
    ("jal", 0x7F, 0x6F, f_j, None, None),
    ("jalr", _I, 0x67, f_i, None, None),
    ("beq", _I, 0x0063, f_b, None, None),
    ("bne", _I, 0x1063, f_b, None, None),
    ("blt", _I, 0x4063, f_b, None, None),
    ("bge", _I, 0x5063, f_b, None, None),
    ("bltu", _I, 0x6063, f_b, None, None),
    ("bgeu", _I, 0x7063, f_b, None, None),
    ("lb", _I, 0x0003, f_i, None, None),
    ("lh", _I, 0x1003, f_i, None, None),
    ("lw", _I, 0x2003, f_i, None, None),
    ("ld", _I, 0x3003, f_i, None, 64),
    ("lbu", _I, 0x4003, f_i, None, None),
    ("lhu", _I, 0x5003, f_i, None, None),
    ("lwu", _I, 0x6003, f_i, None, 64),
    ("sb", _I, 0x0023, f_s, None, None),
    ("sh", _I, 0x1023, f_s, None, None),
    ("sw", _I, 0x2023, f_s, None, None),
    ("sd", _I, 0x3023, f_s, None, 64),
    ("addi", _I, 0x0013, f_i, None, None),
    ("slti", _I, 0x2013, f_i, None, None),
    ("sltiu", _I, 0x3013, f_i, None, None),
    ("xori", _I, 0x4013, f_i, None, None),
    ("ori", _I, 0x6013, f_i, None, None),
    ("andi", _I, 0x7013, f_i, None, None),
    ("slli", _SH, 0x00001013, f_shift, None, None),
    ("srli", _SH, 0x00005013, f_shift, None, None),
    ("srai", _SH, 0x40005013, f_shift, None, None),
    ("add", _R, 0x00000033, f_r, None, None),
    ("sub", _R, 0x40000033, f_r, None, None),
    ("sll", _R, 0x00001033, f_r, None, None),
    ("slt", _R, 0x00002033, f_r, None, None),
    ("sltu", _R, 0x00003033, f_r, None, None),
    ("xor", _R, 0x00004033, f_r, None, None),
    ("srl", _R, 0x00005033, f_r, None, None),
    ("sra", _R, 0x40005033, f_r, None, None),
    ("or", _R, 0x00006033, f_r, None, None),
    ("and", _R, 0x00007033, f_r, None, None),
    # RV64I
    ("addiw", _I, 0x001B, f_i, None, 64),
    ("slliw", _R, 0x0000101B, f_shiftw, None, 64),
    ("srliw", _R, 0x0000501B, f_shiftw, None, 64),
    ("sraiw", _R, 0x4000501B, f_shiftw, None, 64),
    ("addw", _R, 0x0000003B, f_r, None, 64),
    ("subw", _R, 0x4000003B, f_r, None, 64),
    ("sllw", _R, 0x0000103B, f_r, None, 64),
    ("srlw", _R, 0x0000503B, f_r, None, 64),
    ("sraw", _R, 0x4000503B, f_r, None, 64),
    # Zifencei and FENCE (QEMU ignores the unused fields, so do we)
    ("fence", _I, 0x000F, f_fence, None, None),
    ("fence.i", _I, 0x100F, f_none, "fence_i", None),
    # privileged
    ("ecall", 0xFFFFFFFF, 0x00000073, f_none, None, None),
    ("ebreak", 0xFFFFFFFF, 0x00100073, f_none, None, None),
    ("mret", 0xFFFFFFFF, 0x30200073, f_none, None, None),
    ("wfi", 0xFFFFFFFF, 0x10500073, f_none, None, None),
]

RV_ZICSR: List[Row] = [
    ("csrrw", _I, 0x1073, f_csr, None, None),
    ("csrrs", _I, 0x2073, f_csr, None, None),
    ("csrrc", _I, 0x3073, f_csr, None, None),
    ("csrrwi", _I, 0x5073, f_csri, None, None),
    ("csrrsi", _I, 0x6073, f_csri, None, None),
    ("csrrci", _I, 0x7073, f_csri, None, None),
]

RV_M: List[Row] = [
    ("mul", _R, 0x02000033, f_r, None, None),
    ("mulh", _R, 0x02001033, f_r, None, None),
    ("mulhsu", _R, 0x02002033, f_r, None, None),
    ("mulhu", _R, 0x02003033, f_r, None, None),
    ("div", _R, 0x02004033, f_r, None, None),
    ("divu", _R, 0x02005033, f_r, None, None),
    ("rem", _R, 0x02006033, f_r, None, None),
    ("remu", _R, 0x02007033, f_r, None, None),
    ("mulw", _R, 0x0200003B, f_r, None, 64),
    ("divw", _R, 0x0200403B, f_r, None, 64),
    ("divuw", _R, 0x0200503B, f_r, None, 64),
    ("remw", _R, 0x0200603B, f_r, None, 64),
    ("remuw", _R, 0x0200703B, f_r, None, 64),
]

_AMO_FUNCT5 = [("swap", 0x01), ("add", 0x00), ("xor", 0x04), ("and", 0x0C), ("or", 0x08),
               ("min", 0x10), ("max", 0x14), ("minu", 0x18), ("maxu", 0x1C)]

RV_A: List[Row] = []
for _sfx, _f3, _xl in ((".w", 2, None), (".d", 3, 64)):
    RV_A.append(("lr" + _sfx, _LR, (0x02 << 27) | (_f3 << 12) | 0x2F, f_lr, "lr", _xl))
    RV_A.append(("sc" + _sfx, _AMO, (0x03 << 27) | (_f3 << 12) | 0x2F, f_atom, "sc", _xl))
    for _op, _f5 in _AMO_FUNCT5:
        RV_A.append(("amo" + _op + _sfx, _AMO, (_f5 << 27) | (_f3 << 12) | 0x2F, f_atom, "amo" + _op, _xl))

_CQ = 0xE003        # funct3 + quadrant
_CB2 = 0xEC03       # + funct2 at [11:10]
_CA = 0xFC63        # + bit 12, funct2 [11:10], funct2 [6:5]
_CR = 0xF003        # funct4 + quadrant

RV_C: List[Row] = [
    # quadrant 0
    ("c.illegal", 0xFFFF, 0x0000, lambda i, x: None, None, None),
    ("c.addi4spn", _CQ, 0x0000, c_addi4spn, "addi", None),
    ("c.lw", _CQ, 0x4000, c_lw, "lw", None),
    ("c.ld", _CQ, 0x6000, c_ld, "ld", 64),
    ("c.sw", _CQ, 0xC000, c_sw, "sw", None),
    ("c.sd", _CQ, 0xE000, c_sd, "sd", 64),
    # quadrant 1
    ("c.nop", 0xFFFF, 0x0001, c_nop, "addi", None),
    ("c.addi", _CQ, 0x0001, c_addi, "addi", None),
    ("c.jal", _CQ, 0x2001, c_jal, "jal", 32),
    ("c.addiw", _CQ, 0x2001, c_addiw, "addiw", 64),
    ("c.li", _CQ, 0x4001, c_li, "addi", None),
    ("c.addi16sp", 0xEF83, 0x6101, c_addi16sp, "addi", None),
    ("c.lui", _CQ, 0x6001, c_lui, "lui", None),
    ("c.srli", _CB2, 0x8001, c_srli, "srli", None),
    ("c.srai", _CB2, 0x8401, c_srli, "srai", None),
    ("c.andi", _CB2, 0x8801, c_andi, "andi", None),
    ("c.sub", _CA, 0x8C01, c_arith, "sub", None),
    ("c.xor", _CA, 0x8C21, c_arith, "xor", None),
    ("c.or", _CA, 0x8C41, c_arith, "or", None),
    ("c.and", _CA, 0x8C61, c_arith, "and", None),
    ("c.subw", _CA, 0x9C01, c_arith, "subw", 64),
    ("c.addw", _CA, 0x9C21, c_arith, "addw", 64),
    ("c.j", _CQ, 0xA001, c_j, "jal", None),
    ("c.beqz", _CQ, 0xC001, c_branch, "beq", None),
    ("c.bnez", _CQ, 0xE001, c_branch, "bne", None),
    # quadrant 2
    ("c.slli", _CQ, 0x0002, c_slli, "slli", None),
    ("c.lwsp", _CQ, 0x4002, c_lwsp, "lw", None),
    ("c.ldsp", _CQ, 0x6002, c_ldsp, "ld", 64),
    ("c.jr", 0xF07F, 0x8002, c_jr, "jalr", None),
    ("c.mv", _CR, 0x8002, c_mv, "add", None),
    ("c.ebreak", 0xFFFF, 0x9002, f_none, "ebreak", None),
    ("c.jalr", 0xF07F, 0x9002, c_jalr, "jalr", None),
    ("c.add", _CR, 0x9002, c_add, "add", None),
    ("c.swsp", _CQ, 0xC002, c_swsp, "sw", None),
    ("c.sdsp", _CQ, 0xE002, c_sdsp, "sd", 64),
]

ALL_32 = RV_BASE + RV_ZICSR + RV_M + RV_A


class Decoder:
    """A dispatcher for one XLEN, bucketed by opcode bits."""

    BUCKET32 = 0x7F     # the major opcode
    BUCKET16 = 0xE003   # quadrant + funct3

    def __init__(self, xlen: int) -> None:
        self.xlen = xlen
        self._b32 = self._bucket(ALL_32, self.BUCKET32)
        self._b16 = self._bucket(RV_C, self.BUCKET16)

    def _bucket(self, rows: List[Row], key_mask: int) -> Dict[int, List[Row]]:
        buckets: Dict[int, List[Row]] = {}
        for row in rows:
            name, mask, match, fmt, trans, xl = row
            assert match & ~mask == 0, name
            assert mask & key_mask == key_mask, name
            if xl is not None and xl != self.xlen:
                continue
            buckets.setdefault(match & key_mask, []).append(row)
        for lst in buckets.values():
            # most specific first; stable, so table order breaks ties
            lst.sort(key=lambda r: -bin(r[1]).count("1"))
        return buckets

    def decode(self, insn: int, length: int) -> Optional[Decoded]:
        if length == 2:
            rows = self._b16.get(insn & self.BUCKET16, ())
        else:
            rows = self._b32.get(insn & self.BUCKET32, ())
        for name, mask, match, fmt, trans, _ in rows:
            if insn & mask == match:
                args = fmt(insn, self.xlen)
                if args is None:
                    return None
                return Decoded(name, trans or name, args)
        return None


def insn_length(first_halfword: int) -> int:
    """16-bit if the low two bits are not 11; else 32-bit (as QEMU: longer
    encodings are not supported and decode as 32-bit illegal ones)."""
    return 4 if first_halfword & 3 == 3 else 2
