"""A counter read (minstret, mcycle, instret, cycle) counts every instruction
before it, whichever way the engine cut the code: alone in its TB, or
inlined into a region after other blocks (RISC-V on PyPy past a few dozen
compiled TBs, ``-accel tcg,regions=on``). Before, a CSR read inlined into a
region saw the budget of the region's entry: minstret was short by the
instructions run in the region before it (a `while (mcycle < deadline)`
loop then ran long). Checked against the reference interpreter, and as
firmware (tests/firmware/counter_reads.S) against QEMU 7.2 under -icount,
where minstret counts instructions."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emud.tcg.exec import TBEngine

from tests.support.firmware import ToolchainMissing, build_bare_riscv

from .harness import Hart, needs_as

pytestmark = needs_as

# straight-line blocks before each read, so that a region inlines the read's
# block after them; then a loop whose body reads mcycle after other work
PROGRAM = """
    li      t1, 0
    csrr    a0, instret
    addi    t1, t1, 1
    addi    t1, t1, 2
    csrr    a1, mcycle
    sub     a2, a1, a0
    li      t2, 100
loop:
    addi    t1, t1, 3
    csrr    a3, minstret
    addi    t2, t2, -1
    bnez    t2, loop
    csrr    a4, cycle
    csrr    a5, minstret
    wfi
"""


def _run(xlen, mode):
    h = Hart(xlen)
    h.asm(PROGRAM)
    if mode == "reference":
        h.run(10**4)
        return h
    engine = TBEngine(h.fe, h.mem)
    engine.tier_up_calls = 0
    engine.regions = mode == "regions"
    engine.loop_regions = False
    assert engine.execute(h.cpu, 10**4) == "halted"
    return h


@pytest.mark.parametrize("mode", ["plain", "regions"])
@pytest.mark.parametrize("xlen", [32, 64])
def test_counter_reads_count_every_instruction_before_them(xlen, mode):
    h = _run(xlen, mode)
    ref = _run(xlen, "reference")
    assert ref["a2"] == 3
    for reg in ("a0", "a1", "a2", "a3", "a4", "a5"):
        assert (reg, h[reg]) == (reg, ref[reg])
    assert h.cpu.instructions_retired() == ref.cpu.instructions_retired()


FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "counter_reads.S"


@pytest.mark.parametrize("accel", ["tcg,regions=on", "tcg,regions=off"])
def test_counter_reads_in_firmware_as_qemu_counts_them(tmp_path, accel):
    try:
        elf = build_bare_riscv(FIRMWARE, tmp_path / "counter_reads.elf")
    except ToolchainMissing as exc:
        pytest.skip(str(exc))
    args = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", str(elf)]
    ours = subprocess.run([sys.executable, "-m", "emud", *args, "-accel", accel], capture_output=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert ours.returncode == 4, ours.stderr
    if shutil.which("qemu-system-riscv32"):
        # QEMU counts instructions only under -icount (else minstret is host time)
        theirs = subprocess.run(["qemu-system-riscv32", *args, "-icount", "shift=0"], capture_output=True,
                                timeout=60, stdin=subprocess.DEVNULL)
        assert theirs.returncode == ours.returncode
