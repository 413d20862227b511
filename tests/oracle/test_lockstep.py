"""Differential tests against QEMU, through each one's gdb stub.

Three designs, for three kinds of question:

1. Instruction lockstep (``test_lockstep``): QEMU and emud both start
   stopped (``-S -gdb``); we single-step both and compare pc and x1..x31
   after every step, for a few thousand steps of each example. Stepping is
   done with QEMU's default ``qqemu.sstep=0x7`` (interrupts and timers masked
   while stepping), so emud must also step with interrupts masked, as
   ``ResumeAction.step_into_interrupts`` defaults to. Lockstep ends at the
   first ``wfi`` (a masked step over wfi never returns on QEMU) or at exit.
   The timer example is not stepped: it reads mtime, which follows the host
   clock, and QEMU's stepping under -icount hangs ("icount sleep disabled and
   no active timers"); design 2 covers it.

2. Interrupt timing (``test_timer_interrupts_land_on_the_same_instruction``):
   single-stepping with interrupts on is not deterministic on QEMU (its
   virtual clock runs while the gdb stub waits), so both run freely with
   ``-icount shift=0,sleep=off``: one instruction = 1 ns, and idle time warps
   straight to the next timer deadline. A breakpoint on the timer handler
   stops both at every tick; the registers there (the interrupted loop's
   state) must match, and so must the guest's output, which counts the
   busy-loop iterations between ticks. emud has to accept ``sleep=off`` and
   derive mtime and the mtimecmp deadline from retired instructions exactly
   as QEMU does (see the report in docs or the lead's notes).

3. Random programs (``test_random_straight_line_rv32im`` and the slow
   variants): hypothesis draws straight-line RV32I/M (or RV64) ALU code,
   encoded here into a raw binary loaded at 0x80000000 (``-kernel x.bin``;
   emud also gets ``-cpu rv32|rv64`` since a raw binary has no ELF class);
   both run to a breakpoint at the final ``j .`` and the registers compare.
"""
from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from tests.oracle.lockstep import Stub, describe_diff, lockstep
from tests.support.firmware import symbol_address
from tests.support.qemu import GdbServer, start_emud_gdb, start_qemu_gdb
from tests.support.rsp import RSPError

pytestmark = pytest.mark.qemu

LOCKSTEP_STEPS = int(os.environ.get("EMUD_LOCKSTEP_STEPS", "3000"))

# (example, defines, needs -semihosting)
LOCKSTEP_PROGRAMS = [
    ("hello", {}, False),
    ("uart-echo", {}, False),
    ("semihosting-hello", {}, True),
    ("bench-crc32", {"BENCH_ITERS": 1}, False),
    ("bench-sieve", {"BENCH_ITERS": 1, "SIEVE_N": 256}, False),
    ("bench-matmul", {"BENCH_ITERS": 1}, False),
    ("bench-dhry", {"BENCH_ITERS": 3}, False),
]


def run_lockstep(build_firmware, require_qemu, name, defines, semihosting, xlen, steps):
    require_qemu(xlen)
    elf = build_firmware(name, xlen, defines=defines)
    with start_qemu_gdb(elf, xlen, semihosting=semihosting) as qemu, \
            start_emud_gdb(elf, xlen, semihosting=semihosting) as emud:
        done = lockstep(Stub(qemu), Stub(emud), steps)
        assert done > 20


@pytest.mark.parametrize("xlen", [32, 64])
@pytest.mark.parametrize("name,defines,semihosting", LOCKSTEP_PROGRAMS, ids=[p[0] for p in LOCKSTEP_PROGRAMS])
def test_lockstep(build_firmware, require_qemu, name, defines, semihosting, xlen):
    run_lockstep(build_firmware, require_qemu, name, defines, semihosting, xlen, LOCKSTEP_STEPS)


@pytest.mark.slow
@pytest.mark.parametrize("xlen", [32, 64])
@pytest.mark.parametrize("name", ["bench-dhry", "bench-matmul"])
def test_lockstep_long(build_firmware, require_qemu, name, xlen):
    run_lockstep(build_firmware, require_qemu, name, {"BENCH_ITERS": 2}, False, xlen, 50000)


def test_lockstep_detects_a_difference(build_firmware, require_qemu):
    """The comparison can fail: two QEMUs on different programs diverge."""
    require_qemu(32)
    a = build_firmware("hello", 32)
    b = build_firmware("bench-crc32", 32, defines={"BENCH_ITERS": 1})
    with start_qemu_gdb(a, 32) as qa, start_qemu_gdb(b, 32) as qb:
        with pytest.raises(AssertionError):
            lockstep(Stub(qa), Stub(qb), 500)


# -- interrupt timing under -icount -------------------------------------------------------------

ICOUNT = ["-icount", "shift=0,sleep=off"]


def ticks_at_handler(server: GdbServer, handler: int, ticks: int) -> Tuple[List[Dict[str, int]], str, Optional[int]]:
    """Stop at the handler's first instruction on every tick. A stub may
    report a breakpoint at the pc it resumes from again (QEMU 7.2 does; emud
    runs over it), so, like gdb, we never continue from a breakpoint: at the
    handler we move the breakpoint to its second instruction, continue onto
    it (running the first), and move it back."""
    c, stub = server.client, Stub(server)
    after = handler + len(stub.insn_at(handler))
    c.insert_breakpoint(handler)
    hits = []
    for _ in range(ticks):
        reply = c.cont()
        assert reply.kind == "signal", f"stopped with {reply.raw} before tick {len(hits) + 1}"
        regs = stub.registers()
        assert regs["pc"] == handler, f"tick {len(hits) + 1}: stopped at {regs['pc']:#x}, not the handler"
        hits.append(regs)
        c.remove_breakpoint(handler)
        c.insert_breakpoint(after)
        reply = c.cont()
        assert reply.kind == "signal" and stub.registers()["pc"] == after, f"{reply.raw}: not at {after:#x}"
        c.remove_breakpoint(after)
        c.insert_breakpoint(handler)
    c.remove_breakpoint(handler)
    try:
        c.cont()
    except RSPError:
        pass
    code = server.proc.wait(20)
    return hits, server.output(), code


@pytest.mark.parametrize("xlen", [32, 64])
def test_timer_interrupts_land_on_the_same_instruction(build_firmware, require_qemu, xlen):
    require_qemu(xlen)
    ticks = 4
    elf = build_firmware("timer", xlen, defines={"TICKS": ticks, "TICK_INTERVAL": 50, "TIMER_BUSY": None})
    handler = symbol_address(elf, "timer_handler")
    with start_qemu_gdb(elf, xlen, extra=ICOUNT) as qemu:
        q_hits, q_out, q_code = ticks_at_handler(qemu, handler, ticks)
    assert q_code == 0 and "timer: done" in q_out, q_out
    with start_emud_gdb(elf, xlen, extra=ICOUNT) as emud:
        e_hits, e_out, e_code = ticks_at_handler(emud, handler, ticks)
    for i, (q, e) in enumerate(zip(q_hits, e_hits)):
        assert q == e, f"tick {i + 1}: " + describe_diff(0, q, e, [])
    assert (e_out, e_code) == (q_out, q_code)


# -- random straight-line programs ---------------------------------------------------------------

R_OPS = {"add": (0, 0), "sub": (0x20, 0), "sll": (0, 1), "slt": (0, 2), "sltu": (0, 3), "xor": (0, 4),
         "srl": (0, 5), "sra": (0x20, 5), "or": (0, 6), "and": (0, 7),
         "mul": (1, 0), "mulh": (1, 1), "mulhsu": (1, 2), "mulhu": (1, 3),
         "div": (1, 4), "divu": (1, 5), "rem": (1, 6), "remu": (1, 7)}
R_OPS_W = {"addw": (0, 0), "subw": (0x20, 0), "sllw": (0, 1), "srlw": (0, 5), "sraw": (0x20, 5),
           "mulw": (1, 0), "divw": (1, 4), "divuw": (1, 5), "remw": (1, 6), "remuw": (1, 7)}
I_OPS = {"addi": 0, "slti": 2, "sltiu": 3, "xori": 4, "ori": 6, "andi": 7}


def enc_r(f7: int, f3: int, rd: int, rs1: int, rs2: int, opcode: int = 0x33) -> int:
    return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def enc_i(imm: int, f3: int, rd: int, rs1: int, opcode: int = 0x13) -> int:
    return ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode


def load_const(rd: int, value: int) -> List[int]:
    value &= 0xffffffff
    hi = ((value + 0x800) >> 12) & 0xfffff
    lo = value - (hi << 12)
    lo = ((lo + 0x800) & 0xfff) - 0x800
    return [(hi << 12) | (rd << 7) | 0x37, enc_i(lo, 0, rd, rd)]


def random_program(rng: random.Random, xlen: int, length: int) -> Tuple[bytes, int]:
    """Straight-line ALU code; returns (image, address of the final j .)."""
    words: List[int] = []
    for r in range(1, 32):
        words += load_const(r, rng.choice([0, 1, 0xffffffff, 0x80000000, 0x7fffffff, rng.getrandbits(32),
                                           rng.getrandbits(12), rng.getrandbits(32)]))
    shamt_bits = 5 if xlen == 32 else 6
    for _ in range(length):
        rd, rs1, rs2 = rng.randrange(32), rng.randrange(32), rng.randrange(32)
        kind = rng.random()
        if kind < 0.5:
            f7, f3 = R_OPS[rng.choice(sorted(R_OPS))]
            words.append(enc_r(f7, f3, rd, rs1, rs2))
        elif kind < 0.75:
            words.append(enc_i(rng.randrange(-2048, 2048), I_OPS[rng.choice(sorted(I_OPS))], rd, rs1))
        elif kind < 0.85:
            sh = rng.randrange(1 << shamt_bits)
            op = rng.choice([(0, 1), (0, 5), (0x400, 5)])
            words.append(enc_i(op[0] | sh, op[1], rd, rs1))
        elif kind < 0.9:
            words.append((rng.getrandbits(20) << 12) | (rd << 7) | rng.choice([0x37, 0x17]))   # lui / auipc
        elif xlen == 64:
            f7, f3 = R_OPS_W[rng.choice(sorted(R_OPS_W))]
            words.append(enc_r(f7, f3, rd, rs1, rs2, opcode=0x3b))
        else:
            f7, f3 = R_OPS[rng.choice(["div", "rem", "divu", "remu", "mulh"])]
            words.append(enc_r(f7, f3, rd, rs1, rs2))
    end = 0x80000000 + 4 * len(words)
    words.append(0x0000006f)          # j .
    return b"".join(w.to_bytes(4, "little") for w in words), end


def final_registers(server: GdbServer, end: int) -> Dict[str, int]:
    c = server.client
    c.insert_breakpoint(end)
    reply = c.cont()
    assert reply.kind == "signal", f"{reply.raw}: {server.describe()}"
    return Stub(server).registers()


def check_random_program(require_qemu, xlen: int, seed: int, length: int) -> None:
    require_qemu(xlen)
    image, end = random_program(random.Random(seed), xlen, length)
    with tempfile.TemporaryDirectory() as tmp:
        binary = Path(tmp) / f"random-{seed}.bin"
        binary.write_bytes(image)
        with start_qemu_gdb(binary, xlen) as qemu:
            q = final_registers(qemu, end)
        with start_emud_gdb(binary, xlen) as emud:
            e = final_registers(emud, end)
    assert q["pc"] == end
    assert q == e, f"seed {seed}: " + describe_diff(length, q, e, [])


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(1, 200))
def test_random_straight_line_rv32im(require_qemu, seed, length):
    check_random_program(require_qemu, 32, seed, length)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(1, 200))
def test_random_straight_line_rv64im(require_qemu, seed, length):
    check_random_program(require_qemu, 64, seed, length)


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), length=st.integers(100, 2000), xlen=st.sampled_from([32, 64]))
def test_random_straight_line_long(require_qemu, seed, length, xlen):
    check_random_program(require_qemu, xlen, seed, length)
