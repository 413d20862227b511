"""Random straight-line Thumb-2 blocks (data processing with and without S,
shifts, multiplies, divides, extends, bitfields, saturation, loads and
stores, IT blocks) run through the compiled pipeline (translator, optimizer,
Python back end, TB engine; also without the optimizer, as on PyPy where
blocks are compiled at first sight) and through the reference IR interpreter:
registers, flags, IT state, pc, memory and the instruction count must agree
(tests/tcg's toy-guest tests do the same for the generic pipeline)."""
from __future__ import annotations

import random

import pytest

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emud.cpu.arm.decode import T16, T32, ThumbDecoder
from emud.cpu.decodetable import pattern
from emud.tcg import interp

from .machine import CortexMTestMachine

CODE = 0x1000
DATA = 0x8000
DATA_REG = 7            # loads and stores address DATA through r7
#: translators of the instructions drawn (branches and system ones excluded)
STRAIGHT = ("_rri", "_rrri", "mov_rrrr", "mul", "mla", "mls", "smull", "umull", "smlal", "umlal", "sdiv",
            "udiv", "sxt", "uxt", "rev", "rbit", "clz", "movw", "movt", "ubfx", "sbfx", "bfi", "ssat", "usat")
LDST = ("ldr_imm", "ldrh_imm", "ldrb_imm", "ldrsh_imm", "ldrsb_imm", "str_imm", "strh_imm", "strb_imm")
ROWS = [(p, t) for _, p, _, t, prof in T16 + T32 if "v7m" in prof and (t.startswith(STRAIGHT) or t in LDST)]
DECODER = ThumbDecoder("v7m")


def encode(pat, fields):
    p = pattern(pat)
    insn = p.match
    for name, runs in p.fields.items():
        v = fields.get(name, 0)
        total = sum(w for _, w in runs)
        for lo, w in runs:
            total -= w
            insn |= ((v >> total) & ((1 << w) - 1)) << lo
    return insn, len(pat.replace(" ", ""))


def draw_insn(rnd: random.Random):
    """(halfwords, decoded) of one straight-line instruction that writes no
    PC, SP or r7, and addresses memory only as [r7, #small]."""
    while True:
        pat, trans = rnd.choice(ROWS)
        fields = {k: rnd.getrandbits(32) for k in pattern(pat).fields}
        insn, width = encode(pat, fields)
        d = DECODER.decode(insn, width // 8)
        if d is None:
            continue
        a = d.args.fields()
        regs_written = [a.get(k) for k in ("rd", "rt", "rt2", "rdlo", "rdhi") if k in a]
        if any(r in (13, 15, DATA_REG) for r in regs_written):
            continue
        if any(a.get(k) in (13, 15) for k in ("rn", "rm", "rs", "ra")) and trans not in ("mov_rri", "mvn_rri"):
            if not (a.get("rn") == 15 and trans.startswith(("mov_", "mvn_"))):
                continue
        if trans in ("ubfx", "sbfx") and a["lsb"] + a["w"] > 31 or trans == "bfi" and a["w"] < a["lsb"]:
            continue        # UNPREDICTABLE: we take the UsageFault
        if trans in LDST:
            if a.get("rn") != DATA_REG or a.get("w") or a.get("imm", 0) > 64 or a.get("p", 1) == 0:
                continue
        halves = [insn] if width == 16 else [insn >> 16, insn & 0xFFFF]
        return halves, d


def draw_block(seed: int, n: int):
    rnd = random.Random(seed)
    out = []
    while len(out) < n:
        if rnd.random() < 0.15:                       # an IT block of 1-4 instructions
            count = rnd.randint(1, 4)
            cond = rnd.randint(0, 13)
            bits = [rnd.randint(0, 1) for _ in range(count - 1)]
            mask = 0
            for i, b in enumerate(bits):
                mask |= (b ^ (~cond & 1)) << (3 - i)   # then/else relative to firstcond[0]
            mask |= 1 << (4 - count)
            out.append([0xBF00 | (cond << 4) | mask])
            for _ in range(count):
                out.append(draw_insn(rnd)[0])
        else:
            out.append(draw_insn(rnd)[0])
    return out


def setup(m, seed: int, block):
    cpu = m.cpus[0]
    rnd = random.Random(seed ^ 0x5A5A)
    code = b"".join(h.to_bytes(2, "little") for halves in block for h in halves)
    code += (0xE7FE).to_bytes(2, "little")            # b .
    m.bus.write_bytes(CODE, code)
    m.bus.write_bytes(DATA, bytes(rnd.getrandbits(8) for _ in range(256)))
    for r in range(13):
        cpu.x[r] = rnd.choice([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rnd.getrandbits(32), rnd.getrandbits(8)])
    cpu.x[DATA_REG] = DATA + 64
    cpu.x[13] = 0x3F0000
    cpu.set_apsr(rnd.getrandbits(4) << 28)
    cpu.pc = CODE
    return cpu


def state(m):
    cpu = m.cpus[0]
    return (cpu.pc, list(cpu.x), cpu.instructions_retired(), cpu.ipsr,
            m.bus.read_bytes(DATA, 256), m.nvic.cfsr)


def run_compiled(seed, block, n, optimized=True):
    m = CortexMTestMachine(accel_options={"tier-up": "0"})
    m.accel.engine.optimizes_ir = lambda: optimized
    cpu = setup(m, seed, block)
    m.accel.execute(cpu, n)
    return state(m)


def run_reference(seed, block, n):
    m = CortexMTestMachine()
    cpu = setup(m, seed, block)
    interp.run(cpu, m.frontend, m.bus, n)
    return state(m)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 40), st.booleans())
# an IT block whose condition the optimizer folded as never true: it dropped
# everything after the skip label, the exit too (tcg/optimize._drop_unreachable)
@example(seed=4_047_512_947, n=14, optimized=True)
def test_compiled_block_matches_reference_interpreter(seed, n, optimized):
    block = draw_block(seed, n)
    count = sum(1 for _ in block)
    assert run_compiled(seed, block, count, optimized) == run_reference(seed, block, count)


def test_it_block_and_flags_directed():
    """ITTE EQ with flag-setting 16-bit ops inside (which then do not set flags)."""
    block = [[0x2800],                     # cmp r0, #0
             [0xBF06],                     # itte eq
             [0x1C49],                     # addeq r1, r1, #1 (no flags inside IT)
             [0x3201],                     # addeq r2, #1
             [0x3301],                     # addne r3, #1
             [0x1840]]                     # adds r0, r0, r1 (flags again)
    for r0 in (0, 5):
        seed = 7
        m = CortexMTestMachine(accel_options={"tier-up": "0"})
        cpu = setup(m, seed, block)
        cpu.x[0], cpu.x[1], cpu.x[2], cpu.x[3] = r0, 10, 20, 30
        m.accel.execute(cpu, len(block))
        if r0 == 0:
            assert (cpu.x[1], cpu.x[2], cpu.x[3]) == (11, 21, 30)
        else:
            assert (cpu.x[1], cpu.x[2], cpu.x[3]) == (10, 20, 31)
        assert cpu.x[0] == r0 + cpu.x[1]
        assert cpu.x[20] == 0                 # out of the IT block


@pytest.mark.qemu
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 24))
def test_random_block_same_as_qemu(seed, n):
    """The same random block on qemu-system-arm: registers, NZCVQ and memory."""
    from .machine import load_elf, run
    from .qemu_blocks import build_block, cleanup, describe, run_qemu

    block = draw_block(seed, n)
    m = CortexMTestMachine()
    cpu = setup(m, seed, block)
    regs, apsr = list(cpu.x[:13]), cpu.xpsr() & 0xF8000000
    elf = build_block(block, regs, apsr, m.bus.read_bytes(DATA, 256), DATA)
    try:
        qemu = run_qemu(elf)
        m = CortexMTestMachine()
        load_elf(m, elf)
        run(m, 100_000)
        assert describe(m.output().encode("latin-1")) == describe(qemu), [[hex(h) for h in b] for b in block]
    finally:
        cleanup(elf)
