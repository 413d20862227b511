"""Arithmetic semantics against Python big-int models (RISC-V spec), run
through translate_block + the reference interpreter on RV32 and RV64."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from .harness import Hart

# (funct7, funct3, opcode) of the R-type ops
R_OPS = {
    "add": (0x00, 0, 0x33), "sub": (0x20, 0, 0x33), "sll": (0x00, 1, 0x33), "slt": (0x00, 2, 0x33),
    "sltu": (0x00, 3, 0x33), "xor": (0x00, 4, 0x33), "srl": (0x00, 5, 0x33), "sra": (0x20, 5, 0x33),
    "or": (0x00, 6, 0x33), "and": (0x00, 7, 0x33),
    "mul": (0x01, 0, 0x33), "mulh": (0x01, 1, 0x33), "mulhsu": (0x01, 2, 0x33), "mulhu": (0x01, 3, 0x33),
    "div": (0x01, 4, 0x33), "divu": (0x01, 5, 0x33), "rem": (0x01, 6, 0x33), "remu": (0x01, 7, 0x33),
    "addw": (0x00, 0, 0x3B), "subw": (0x20, 0, 0x3B), "sllw": (0x00, 1, 0x3B), "srlw": (0x00, 5, 0x3B),
    "sraw": (0x20, 5, 0x3B), "mulw": (0x01, 0, 0x3B), "divw": (0x01, 4, 0x3B), "divuw": (0x01, 5, 0x3B),
    "remw": (0x01, 6, 0x3B), "remuw": (0x01, 7, 0x3B),
}
W_OPS = [n for n, (_, _, opc) in R_OPS.items() if opc == 0x3B]


def r_type(name: str, rd: int, rs1: int, rs2: int) -> int:
    f7, f3, opc = R_OPS[name]
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opc


def s(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if v >> (w - 1) else v


def _div(a, b):  # truncating
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def _rem(a, b):
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def model(name: str, a: int, b: int, xlen: int) -> int:
    """The spec's result, as an unsigned XLEN-bit value."""
    m = (1 << xlen) - 1
    if name.endswith("w") and name in W_OPS:
        base = name[:-1]
        a32, b32 = a & 0xFFFFFFFF, b & 0xFFFFFFFF
        r = model(base, a32, b32, 32) if base not in ("sll", "srl", "sra") else model(base, a32, b32 & 31, 32)
        return s(r, 32) & m
    sa, sb = s(a, xlen), s(b, xlen)
    sh = b & (xlen - 1)
    r = {
        "add": lambda: a + b, "sub": lambda: a - b, "sll": lambda: a << sh, "slt": lambda: int(sa < sb),
        "sltu": lambda: int(a < b), "xor": lambda: a ^ b, "srl": lambda: a >> sh, "sra": lambda: sa >> sh,
        "or": lambda: a | b, "and": lambda: a & b, "mul": lambda: a * b,
        "mulh": lambda: (sa * sb) >> xlen, "mulhsu": lambda: (sa * b) >> xlen, "mulhu": lambda: (a * b) >> xlen,
        "div": lambda: -1 if b == 0 else (sa if (sa == -(1 << (xlen - 1)) and sb == -1) else _div(sa, sb)),
        "divu": lambda: -1 if b == 0 else a // b,
        "rem": lambda: sa if b == 0 else (0 if (sa == -(1 << (xlen - 1)) and sb == -1) else _rem(sa, sb)),
        "remu": lambda: a if b == 0 else a % b,
    }[name]()
    return r & m


def run_r(xlen: int, name: str, a: int, b: int, rd: int = 10, rs1: int = 11, rs2: int = 12) -> int:
    h = Hart(xlen)
    h.words([r_type(name, rd, rs1, rs2)])
    h.cpu.set_reg(rs1, a)
    h.cpu.set_reg(rs2, b if rs2 != rs1 else a)
    h.run(1)
    assert h.cpu.pc == 0x80000004
    return h.cpu.reg(rd)


def edge_values(xlen):
    m = (1 << xlen) - 1
    return st.one_of(
        st.sampled_from([0, 1, 2, 31, 32, 63, 64, m, m - 1, 1 << (xlen - 1), (1 << (xlen - 1)) - 1,
                         0xFFFFFFFF, 0x80000000, 0x7FFFFFFF] + ([0xFFFFFFFF80000000, 1 << 32] if xlen == 64 else [])),
        st.integers(0, m))


RV32_NAMES = [n for n in R_OPS if n not in W_OPS]


@pytest.mark.parametrize("name", RV32_NAMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_rtype_rv32(name, data):
    a = data.draw(edge_values(32))
    b = data.draw(edge_values(32))
    assert run_r(32, name, a, b) == model(name, a, b, 32)


@pytest.mark.parametrize("name", list(R_OPS))
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_rtype_rv64(name, data):
    a = data.draw(edge_values(64))
    b = data.draw(edge_values(64))
    assert run_r(64, name, a, b) == model(name, a, b, 64)


@pytest.mark.parametrize("xlen", [32, 64])
def test_division_edge_cases(xlen):
    m = (1 << xlen) - 1
    mn = 1 << (xlen - 1)
    assert run_r(xlen, "div", 7, 0) == m
    assert run_r(xlen, "divu", 7, 0) == m
    assert run_r(xlen, "rem", 7, 0) == 7
    assert run_r(xlen, "remu", 7, 0) == 7
    assert run_r(xlen, "div", mn, m) == mn          # MIN / -1 = MIN
    assert run_r(xlen, "rem", mn, m) == 0           # MIN % -1 = 0
    assert run_r(xlen, "div", (-7) & m, 2) == (-3) & m
    assert run_r(xlen, "rem", (-7) & m, 2) == (-1) & m


def test_word_ops_rv64():
    m = (1 << 64) - 1
    assert run_r(64, "divw", 0x80000000, m) == 0xFFFFFFFF80000000
    assert run_r(64, "remw", 0x80000000, m) == 0
    assert run_r(64, "divuw", 5, 0xFFFFFFFF00000000) == m   # divisor's low word is 0
    assert run_r(64, "remw", 0x1_8000_0005, 0) == 0xFFFFFFFF80000005
    assert run_r(64, "addw", 0x7FFFFFFF, 1) == 0xFFFFFFFF80000000
    assert run_r(64, "srlw", 0xFFFFFFFF_80000000, 31) == 1
    assert run_r(64, "sraw", 0x00000000_80000000, 31) == m
    assert run_r(64, "sllw", 1, 63) == 0xFFFFFFFF80000000  # count is masked to 5 bits


@pytest.mark.parametrize("xlen", [32, 64])
def test_shift_by_xlen_minus_one_and_masking(xlen):
    m = (1 << xlen) - 1
    assert run_r(xlen, "sll", 1, xlen - 1) == 1 << (xlen - 1)
    assert run_r(xlen, "sra", 1 << (xlen - 1), xlen - 1) == m
    assert run_r(xlen, "srl", 1 << (xlen - 1), xlen - 1) == 1
    assert run_r(xlen, "sll", 1, xlen) == 1          # count masked to XLEN-1
    assert run_r(xlen, "srl", 4, xlen + 1) == 2


@pytest.mark.parametrize("xlen", [32, 64])
def test_x0_destination_and_same_source(xlen):
    assert run_r(xlen, "add", 5, 6, rd=0) == 0
    assert run_r(xlen, "add", 5, 6, rs1=11, rs2=11) == 10
    assert run_r(xlen, "sub", 5, 6, rs1=0) == (-6) & ((1 << xlen) - 1)


I_OPS = {"addi": 0, "slti": 2, "sltiu": 3, "xori": 4, "ori": 6, "andi": 7}


@pytest.mark.parametrize("xlen", [32, 64])
@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(sorted(I_OPS)), imm=st.integers(-2048, 2047), a=st.integers(0, (1 << 64) - 1))
def test_itype(xlen, name, imm, a):
    a &= (1 << xlen) - 1
    h = Hart(xlen)
    h.words([((imm & 0xFFF) << 20) | (11 << 15) | (I_OPS[name] << 12) | (10 << 7) | 0x13])
    h.cpu.set_reg(11, a)
    h.run(1)
    b = imm & ((1 << xlen) - 1)
    expect = model({"addi": "add", "slti": "slt", "sltiu": "sltu", "xori": "xor", "ori": "or", "andi": "and"}[name],
                   a, b, xlen)
    assert h.cpu.reg(10) == expect
