"""The decode tables: names and fields of every instruction, RV32 and RV64,
compressed included, plus the reserved and XLEN-specific encodings."""
from __future__ import annotations

import pytest

from emud.cpu.riscv.decode import ALL_32, RV_C, Decoder, insn_length

from .harness import assemble, needs_as

# (assembly, decoded name, translator, fields). Registers: a0=10 a1=11 a2=12 s0=8 s1=9 sp=2 ra=1
COMMON = [
    ("lui a0, 0xfffff", "lui", "lui", dict(rd=10, imm=-4096)),
    ("auipc a1, 1", "auipc", "auipc", dict(rd=11, imm=4096)),
    ("jalr ra, -8(a1)", "jalr", "jalr", dict(rd=1, rs1=11, imm=-8)),
    ("lb a0, -1(a1)", "lb", "lb", dict(rd=10, rs1=11, imm=-1)),
    ("lh a0, 2(a1)", "lh", "lh", dict(rd=10, rs1=11, imm=2)),
    ("lw a0, 2047(a1)", "lw", "lw", dict(rd=10, rs1=11, imm=2047)),
    ("lbu a0, -2048(a1)", "lbu", "lbu", dict(rd=10, rs1=11, imm=-2048)),
    ("lhu a0, 0(a1)", "lhu", "lhu", dict(rd=10, rs1=11, imm=0)),
    ("sb a2, -1(a1)", "sb", "sb", dict(rs1=11, rs2=12, imm=-1)),
    ("sh a2, 100(a1)", "sh", "sh", dict(rs1=11, rs2=12, imm=100)),
    ("sw a2, -2048(a1)", "sw", "sw", dict(rs1=11, rs2=12, imm=-2048)),
    ("addi a0, a1, -5", "addi", "addi", dict(rd=10, rs1=11, imm=-5)),
    ("slti a0, a1, 5", "slti", "slti", dict(rd=10, rs1=11, imm=5)),
    ("sltiu a0, a1, -1", "sltiu", "sltiu", dict(rd=10, rs1=11, imm=-1)),
    ("xori a0, a1, 0x7ff", "xori", "xori", dict(rd=10, rs1=11, imm=0x7FF)),
    ("ori a0, a1, 1", "ori", "ori", dict(rd=10, rs1=11, imm=1)),
    ("andi a0, a1, 3", "andi", "andi", dict(rd=10, rs1=11, imm=3)),
    ("slli a0, a1, 31", "slli", "slli", dict(rd=10, rs1=11, shamt=31)),
    ("srli a0, a1, 1", "srli", "srli", dict(rd=10, rs1=11, shamt=1)),
    ("srai a0, a1, 7", "srai", "srai", dict(rd=10, rs1=11, shamt=7)),
    ("add a0, a1, a2", "add", "add", dict(rd=10, rs1=11, rs2=12)),
    ("sub a0, a1, a2", "sub", "sub", dict(rd=10, rs1=11, rs2=12)),
    ("sll a0, a1, a2", "sll", "sll", dict(rd=10, rs1=11, rs2=12)),
    ("slt a0, a1, a2", "slt", "slt", dict(rd=10, rs1=11, rs2=12)),
    ("sltu a0, a1, a2", "sltu", "sltu", dict(rd=10, rs1=11, rs2=12)),
    ("xor a0, a1, a2", "xor", "xor", dict(rd=10, rs1=11, rs2=12)),
    ("srl a0, a1, a2", "srl", "srl", dict(rd=10, rs1=11, rs2=12)),
    ("sra a0, a1, a2", "sra", "sra", dict(rd=10, rs1=11, rs2=12)),
    ("or a0, a1, a2", "or", "or", dict(rd=10, rs1=11, rs2=12)),
    ("and a0, a1, a2", "and", "and", dict(rd=10, rs1=11, rs2=12)),
    ("fence rw, w", "fence", "fence", dict(pred=3, succ=1, fm=0)),
    ("fence.i", "fence.i", "fence_i", {}),
    ("ecall", "ecall", "ecall", {}),
    ("ebreak", "ebreak", "ebreak", {}),
    ("mret", "mret", "mret", {}),
    ("wfi", "wfi", "wfi", {}),
    ("csrrw a0, mstatus, a1", "csrrw", "csrrw", dict(rd=10, rs1=11, csr=0x300)),
    ("csrrs a0, mie, a1", "csrrs", "csrrs", dict(rd=10, rs1=11, csr=0x304)),
    ("csrrc a0, 0xfff, a1", "csrrc", "csrrc", dict(rd=10, rs1=11, csr=0xFFF)),
    ("csrrwi a0, mscratch, 31", "csrrwi", "csrrwi", dict(rd=10, uimm=31, csr=0x340)),
    ("csrrsi a0, mip, 1", "csrrsi", "csrrsi", dict(rd=10, uimm=1, csr=0x344)),
    ("csrrci zero, mepc, 2", "csrrci", "csrrci", dict(rd=0, uimm=2, csr=0x341)),
    ("mul a0, a1, a2", "mul", "mul", dict(rd=10, rs1=11, rs2=12)),
    ("mulh a0, a1, a2", "mulh", "mulh", dict(rd=10, rs1=11, rs2=12)),
    ("mulhsu a0, a1, a2", "mulhsu", "mulhsu", dict(rd=10, rs1=11, rs2=12)),
    ("mulhu a0, a1, a2", "mulhu", "mulhu", dict(rd=10, rs1=11, rs2=12)),
    ("div a0, a1, a2", "div", "div", dict(rd=10, rs1=11, rs2=12)),
    ("divu a0, a1, a2", "divu", "divu", dict(rd=10, rs1=11, rs2=12)),
    ("rem a0, a1, a2", "rem", "rem", dict(rd=10, rs1=11, rs2=12)),
    ("remu a0, a1, a2", "remu", "remu", dict(rd=10, rs1=11, rs2=12)),
    ("lr.w.aq a0, (a1)", "lr.w", "lr", dict(rd=10, rs1=11, aq=1, rl=0, size=4)),
    ("sc.w.rl a0, a2, (a1)", "sc.w", "sc", dict(rd=10, rs1=11, rs2=12, aq=0, rl=1, size=4)),
    ("amoswap.w a0, a2, (a1)", "amoswap.w", "amoswap", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amoadd.w a0, a2, (a1)", "amoadd.w", "amoadd", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amoxor.w a0, a2, (a1)", "amoxor.w", "amoxor", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amoand.w a0, a2, (a1)", "amoand.w", "amoand", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amoor.w a0, a2, (a1)", "amoor.w", "amoor", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amomin.w a0, a2, (a1)", "amomin.w", "amomin", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amomax.w a0, a2, (a1)", "amomax.w", "amomax", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amominu.w a0, a2, (a1)", "amominu.w", "amominu", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=4)),
    ("amomaxu.w.aqrl a0, a2, (a1)", "amomaxu.w", "amomaxu", dict(rd=10, rs1=11, rs2=12, aq=1, rl=1, size=4)),
    # compressed
    ("c.addi4spn s0, sp, 1020", "c.addi4spn", "addi", dict(rd=8, rs1=2, imm=1020)),
    ("c.lw s1, 124(s0)", "c.lw", "lw", dict(rd=9, rs1=8, imm=124)),
    ("c.sw s1, 64(s0)", "c.sw", "sw", dict(rs1=8, rs2=9, imm=64)),
    ("c.nop", "c.nop", "addi", dict(rd=0, rs1=0, imm=0)),
    ("c.addi a0, -32", "c.addi", "addi", dict(rd=10, rs1=10, imm=-32)),
    ("c.li a1, 31", "c.li", "addi", dict(rd=11, rs1=0, imm=31)),
    ("c.addi16sp sp, -512", "c.addi16sp", "addi", dict(rd=2, rs1=2, imm=-512)),
    ("c.addi16sp sp, 496", "c.addi16sp", "addi", dict(rd=2, rs1=2, imm=496)),
    ("c.lui a0, 0xfffe0", "c.lui", "lui", dict(rd=10, imm=-0x20000)),
    ("c.lui a0, 0x1f", "c.lui", "lui", dict(rd=10, imm=0x1F000)),
    ("c.srli s0, 31", "c.srli", "srli", dict(rd=8, rs1=8, shamt=31)),
    ("c.srai s1, 1", "c.srai", "srai", dict(rd=9, rs1=9, shamt=1)),
    ("c.andi s0, -1", "c.andi", "andi", dict(rd=8, rs1=8, imm=-1)),
    ("c.sub s0, s1", "c.sub", "sub", dict(rd=8, rs1=8, rs2=9)),
    ("c.xor s0, s1", "c.xor", "xor", dict(rd=8, rs1=8, rs2=9)),
    ("c.or s0, s1", "c.or", "or", dict(rd=8, rs1=8, rs2=9)),
    ("c.and s0, s1", "c.and", "and", dict(rd=8, rs1=8, rs2=9)),
    ("c.beqz s0, .-256", "c.beqz", "beq", dict(rs1=8, rs2=0, imm=-256)),
    ("c.bnez s1, .+254", "c.bnez", "bne", dict(rs1=9, rs2=0, imm=254)),
    ("c.j .-2048", "c.j", "jal", dict(rd=0, imm=-2048)),
    ("c.j .+2046", "c.j", "jal", dict(rd=0, imm=2046)),
    ("c.slli a0, 31", "c.slli", "slli", dict(rd=10, rs1=10, shamt=31)),
    ("c.lwsp a0, 252(sp)", "c.lwsp", "lw", dict(rd=10, rs1=2, imm=252)),
    ("c.swsp a0, 252(sp)", "c.swsp", "sw", dict(rs1=2, rs2=10, imm=252)),
    ("c.jr ra", "c.jr", "jalr", dict(rd=0, rs1=1, imm=0)),
    ("c.jalr a0", "c.jalr", "jalr", dict(rd=1, rs1=10, imm=0)),
    ("c.mv a0, a1", "c.mv", "add", dict(rd=10, rs1=0, rs2=11)),
    ("c.add a0, a1", "c.add", "add", dict(rd=10, rs1=10, rs2=11)),
    ("c.ebreak", "c.ebreak", "ebreak", {}),
]

RV32_ONLY = [
    ("c.jal .+2046", "c.jal", "jal", dict(rd=1, imm=2046)),
]

RV64_ONLY = [
    ("ld a0, -8(a1)", "ld", "ld", dict(rd=10, rs1=11, imm=-8)),
    ("lwu a0, 8(a1)", "lwu", "lwu", dict(rd=10, rs1=11, imm=8)),
    ("sd a2, 16(a1)", "sd", "sd", dict(rs1=11, rs2=12, imm=16)),
    ("slli a0, a1, 63", "slli", "slli", dict(rd=10, rs1=11, shamt=63)),
    ("srai a0, a1, 32", "srai", "srai", dict(rd=10, rs1=11, shamt=32)),
    ("addiw a0, a1, -1", "addiw", "addiw", dict(rd=10, rs1=11, imm=-1)),
    ("slliw a0, a1, 31", "slliw", "slliw", dict(rd=10, rs1=11, shamt=31)),
    ("srliw a0, a1, 3", "srliw", "srliw", dict(rd=10, rs1=11, shamt=3)),
    ("sraiw a0, a1, 4", "sraiw", "sraiw", dict(rd=10, rs1=11, shamt=4)),
    ("addw a0, a1, a2", "addw", "addw", dict(rd=10, rs1=11, rs2=12)),
    ("subw a0, a1, a2", "subw", "subw", dict(rd=10, rs1=11, rs2=12)),
    ("sllw a0, a1, a2", "sllw", "sllw", dict(rd=10, rs1=11, rs2=12)),
    ("srlw a0, a1, a2", "srlw", "srlw", dict(rd=10, rs1=11, rs2=12)),
    ("sraw a0, a1, a2", "sraw", "sraw", dict(rd=10, rs1=11, rs2=12)),
    ("mulw a0, a1, a2", "mulw", "mulw", dict(rd=10, rs1=11, rs2=12)),
    ("divw a0, a1, a2", "divw", "divw", dict(rd=10, rs1=11, rs2=12)),
    ("divuw a0, a1, a2", "divuw", "divuw", dict(rd=10, rs1=11, rs2=12)),
    ("remw a0, a1, a2", "remw", "remw", dict(rd=10, rs1=11, rs2=12)),
    ("remuw a0, a1, a2", "remuw", "remuw", dict(rd=10, rs1=11, rs2=12)),
    ("lr.d a0, (a1)", "lr.d", "lr", dict(rd=10, rs1=11, aq=0, rl=0, size=8)),
    ("sc.d a0, a2, (a1)", "sc.d", "sc", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=8)),
    ("amoadd.d a0, a2, (a1)", "amoadd.d", "amoadd", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=8)),
    ("amomaxu.d a0, a2, (a1)", "amomaxu.d", "amomaxu", dict(rd=10, rs1=11, rs2=12, aq=0, rl=0, size=8)),
    ("c.ld s0, 248(s1)", "c.ld", "ld", dict(rd=8, rs1=9, imm=248)),
    ("c.sd s0, 8(s1)", "c.sd", "sd", dict(rs1=9, rs2=8, imm=8)),
    ("c.addiw a0, -1", "c.addiw", "addiw", dict(rd=10, rs1=10, imm=-1)),
    ("c.subw s0, s1", "c.subw", "subw", dict(rd=8, rs1=8, rs2=9)),
    ("c.addw s0, s1", "c.addw", "addw", dict(rd=8, rs1=8, rs2=9)),
    ("c.ldsp a0, 504(sp)", "c.ldsp", "ld", dict(rd=10, rs1=2, imm=504)),
    ("c.sdsp a0, 504(sp)", "c.sdsp", "sd", dict(rs1=2, rs2=10, imm=504)),
    ("c.slli a0, 63", "c.slli", "slli", dict(rd=10, rs1=10, shamt=63)),
    ("c.srli s0, 32", "c.srli", "srli", dict(rd=8, rs1=8, shamt=32)),
]

CASES = [(32, c) for c in COMMON + RV32_ONLY] + [(64, c) for c in COMMON + RV64_ONLY]


def _encoding(asm_line: str, xlen: int) -> int:
    # norvc keeps gas from compressing the base instructions behind our back
    code = assemble(".option norvc\n" + asm_line if not asm_line.startswith("c.") else asm_line, xlen)
    length = insn_length(code[0] | code[1] << 8)
    assert len(code) == length
    return int.from_bytes(code, "little")


@needs_as
@pytest.mark.parametrize("xlen,case", CASES, ids=lambda v: v if isinstance(v, int) else v[0])
def test_decode_assembled(xlen, case):
    asm_line, name, trans, fields = case
    insn = _encoding(asm_line, xlen)
    length = 2 if asm_line.startswith("c.") else 4
    d = Decoder(xlen).decode(insn, length)
    assert d is not None, "%s (0x%x) did not decode" % (asm_line, insn)
    assert (d.name, d.trans, d.args.fields()) == (name, trans, fields)


@pytest.mark.parametrize("xlen,insn,length", [
    (32, 0x0000, 2),            # all-zero halfword
    (64, 0x0000, 2),
    (32, 0x0010, 2),            # c.addi4spn with nzuimm = 0 (rd != 0): reserved
    (32, 0x6101, 2),            # c.addi16sp with imm = 0: reserved
    (32, 0x6501, 2),            # c.lui a0, 0: reserved
    (32, 0x4002, 2),            # c.lwsp x0: reserved
    (32, 0x8002, 2),            # c.jr x0: reserved
    (32, 0x1502, 2),            # c.slli a0, 32: shamt[5] on RV32 (NSE)
    (32, 0x9001, 2),            # c.srli with shamt[5] on RV32
    (64, 0x2001, 2),            # c.addiw x0: reserved
    (32, 0x2000, 2),            # c.fld: no D extension
    (32, 0x6000, 2),            # c.flw: no F extension on RV32
    (32, 0x9C01, 2),            # c.subw on RV32
    (64, 0x9C41, 2),            # reserved C.A encoding (bit12=1, funct2=10)
    (32, 0x02059513, 4),        # slli a0, a1, 32 on RV32
    (32, 0x0005B503, 4),        # ld on RV32
    (32, 0x0005E503, 4),        # lwu on RV32
    (32, 0x0000051B, 4),        # addiw on RV32
    (32, 0x10200073, 4),        # sret: no S-mode
    (32, 0x12000073, 4),        # sfence.vma
    (32, 0xFFFFFFFF, 4),        # 0xffffffff (QEMU treats it as a 32-bit illegal insn)
    (32, 0x00000007, 4),        # flw
    (32, 0x0005A52F | (0x02 << 27) | (1 << 20), 4),  # lr.w with rs2 != 0
    (32, 0x0005B52F, 4),        # amoadd.d on RV32
    (32, 0x0000006B, 4),        # custom-2
])
def test_illegal_encodings(xlen, insn, length):
    assert Decoder(xlen).decode(insn, length) is None


def test_shamt_bit5_is_legal_only_on_rv64():
    srai_a0_a1_32 = 0x4205D513
    d = Decoder(64).decode(srai_a0_a1_32, 4)
    assert d is not None and d.name == "srai" and d.args.shamt == 32
    assert Decoder(32).decode(srai_a0_a1_32, 4) is None


def test_insn_length():
    assert insn_length(0x0001) == 2
    assert insn_length(0x0013) == 4
    assert insn_length(0xFFFF) == 4   # longer encodings are not supported, as QEMU


def test_tables_are_consistent():
    for name, mask, match, fmt, trans, xl in ALL_32 + RV_C:
        assert match & ~mask == 0, name
        assert xl in (None, 32, 64)
    # no two rows with the same mask and match for one XLEN
    for xlen in (32, 64):
        seen = set()
        for name, mask, match, _, _, xl in ALL_32 + RV_C:
            if xl in (None, xlen):
                assert (mask, match) not in seen, name
                seen.add((mask, match))


def _capstone(xlen):
    capstone = pytest.importorskip("capstone")
    mode = capstone.CS_MODE_RISCV32 if xlen == 32 else capstone.CS_MODE_RISCV64
    return capstone.Cs(capstone.CS_ARCH_RISCV, mode | capstone.CS_MODE_RISCVC)


@pytest.mark.parametrize("xlen", [32, 64])
def test_every_16bit_encoding_against_capstone(xlen):
    """Exhaustive over all halfwords: what we accept capstone also decodes as
    the same compressed instruction (up to capstone's aliases), and what
    capstone decodes as an integer compressed instruction we accept too."""
    cs = _capstone(xlen)
    dec = Decoder(xlen)
    aliases = {"c.nop": ("c.nop", "c.addi"), "c.addi": ("c.addi", "c.nop")}
    mismatches = []
    for hw in range(1 << 16):
        if hw & 3 == 3:
            continue
        d = dec.decode(hw, 2)
        insn = next(cs.disasm(hw.to_bytes(2, "little"), 0, 1), None)
        cs_name = insn.mnemonic if insn is not None else None
        if d is not None:
            if cs_name is None:  # capstone rejects the HINT forms (rd = x0), which execute as no-ops
                ok = d.args.fields().get("rd") == 0
            else:
                ok = cs_name in aliases.get(d.name, (d.name,))
        else:
            # capstone may accept F/D compressed ops (not ours) and HINT forms
            ok = cs_name is None or cs_name.startswith(("c.f", "c.unimp")) or cs_name in _RESERVED_OK
        if not ok:
            mismatches.append((hex(hw), d and d.name, cs_name))
    assert mismatches == []


# Encodings the spec reserves that capstone still prints as an instruction:
# c.lui with imm 0, and the shifts with shamt[5] on RV32.
_RESERVED_OK = ("c.lui", "c.slli", "c.srli", "c.srai")
