"""Tier 0 (emud/tcg/tier0.py) is the reference interpreter (interp.run_ops)
decoded ahead of time: run both on the same blocks of random RISC-V code,
RV32 and RV64, from the same state, and compare everything they leave
behind (registers, pc, budget, memory, the trap raised)."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emud.cpu.riscv import RiscvCPU, RiscvFrontend
from emud.memory import AddressSpace, RamRegion
from emud.tcg.interp import bus_access, make_fetch, run_ops
from emud.tcg.tier0 import decode_ops
from emud.tcg.translator import TBExit, TranslationFault, translate_block

RAM_BASE = 0x80000000
DATA = RAM_BASE + 0x800

def _i(op, f3, rd, rs1, imm):
    return ((imm & 0xFFF) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op


def _r(op, f3, f7, rd, rs1, rs2):
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op


def _s(f3, rs1, rs2, imm):
    return ((imm >> 5 & 0x7F) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1F) << 7) | 0x23


def _b(f3, rs1, rs2, off):
    return ((off >> 12 & 1) << 31) | ((off >> 5 & 0x3F) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) \
        | ((off >> 1 & 0xF) << 8) | ((off >> 11 & 1) << 7) | 0x63


reg = st.integers(1, 15)
base = st.sampled_from([5, 6, 7])          # registers that point into RAM (until overwritten)


def insn(xlen):
    """Well-formed RV32/RV64 IM instructions: ALU (register and immediate,
    shifts, M), word ops on RV64, loads and stores near RAM, LUI/AUIPC and
    short forward branches, so that blocks run several instructions."""
    shamt = st.integers(0, xlen - 1)
    choices = [
        st.builds(lambda f3, rd, rs1, imm: _i(0x13, f3, rd, rs1, imm),
                  st.sampled_from([0, 2, 3, 4, 6, 7]), reg, reg, st.integers(-2048, 2047)),
        st.builds(lambda f3, hi, rd, rs1, sh: _i(0x13, f3, rd, rs1, (hi << 5) | sh if f3 == 5 else sh),
                  st.sampled_from([1, 5]), st.sampled_from([0, 0x20]), reg, reg, shamt),
        st.builds(lambda f3, f7, rd, rs1, rs2: _r(0x33, f3, f7, rd, rs1, rs2),
                  st.integers(0, 7), st.sampled_from([0x00, 0x01]), reg, reg, reg),
        st.builds(lambda f3, rd, rs1, rs2: _r(0x33, f3, 0x20, rd, rs1, rs2), st.sampled_from([0, 5]), reg, reg, reg),
        st.builds(lambda f3, rd, rs1, off: _i(0x03, f3, rd, rs1, off),
                  st.sampled_from([0, 1, 2, 4, 5] + ([3, 6] if xlen == 64 else [])), reg, base, st.integers(-8, 24)),
        st.builds(lambda f3, rs1, rs2, off: _s(f3, rs1, rs2, off),
                  st.sampled_from([0, 1, 2] + ([3] if xlen == 64 else [])), base, reg, st.integers(-8, 24)),
        st.builds(lambda rd, imm, op: (imm << 12) | (rd << 7) | op, reg, st.integers(0, (1 << 20) - 1),
                  st.sampled_from([0x37, 0x17])),
        st.builds(lambda f3, rs1, rs2, k: _b(f3, rs1, rs2, 4 * k),
                  st.sampled_from([0, 1, 4, 5, 6, 7]), reg, reg, st.integers(1, 3)),
    ]
    if xlen == 64:
        choices += [
            st.builds(lambda rd, rs1, imm: _i(0x1B, 0, rd, rs1, imm), reg, reg, st.integers(-2048, 2047)),
            st.builds(lambda f3, f7, rd, rs1, rs2: _r(0x3B, f3, f7, rd, rs1, rs2),
                      st.sampled_from([0, 1, 5]), st.sampled_from([0x00, 0x20]), reg, reg, reg),
            st.builds(lambda f3, rd, rs1, rs2: _r(0x3B, f3, 0x01, rd, rs1, rs2),
                      st.sampled_from([0, 4, 5, 6, 7]), reg, reg, reg),
        ]
    return st.one_of(choices)


def machine(xlen, words, regs):
    mem = AddressSpace()
    ram = mem.map(RAM_BASE, RamRegion("ram", 0x2000))
    for i, w in enumerate(words):
        ram.data[4 * i:4 * i + 4] = w.to_bytes(4, "little")
    ram.data[0x800:0x900] = bytes(range(256))
    cpu = RiscvCPU(0, xlen)
    cpu.pc = RAM_BASE
    for n, v in enumerate(regs, start=1):
        cpu.set_reg(n, v)
    for n in (5, 6, 7):
        cpu.set_reg(n, DATA + 8 * n)
    cpu.budget = 100
    return cpu, mem, ram


def run(kind, xlen, words, regs):
    cpu, mem, ram = machine(xlen, words, regs)
    fe = RiscvFrontend(xlen)
    try:
        builder, _ = translate_block(fe, make_fetch(mem), cpu.pc, cpu.tb_flags(), 16)
    except TranslationFault:
        return None
    load, store = bus_access(mem)
    outcome = None
    try:
        if kind == "reference":
            run_ops(builder.ops, cpu, load, store, fe.helpers)
        else:
            decode_ops(builder.ops, load, store, fe.helpers, cpu.signed_regs)(cpu)
    except TBExit as e:
        outcome = (type(e).__name__, e.pc, getattr(e, "cause", None), getattr(e, "tval", None))
    return outcome, cpu.pc, cpu.budget, [cpu.reg(n) for n in range(32)], bytes(ram.data), cpu.mcause


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from([32, 64]), st.lists(st.integers(0, (1 << 64) - 1), min_size=15, max_size=15))
def test_tier0_runs_random_blocks_as_the_reference_interpreter(data, xlen, regs):
    words = data.draw(st.lists(insn(xlen), min_size=1, max_size=12))
    regs = [r & ((1 << xlen) - 1) for r in regs]
    assert run("tier0", xlen, words, regs) == run("reference", xlen, words, regs)
