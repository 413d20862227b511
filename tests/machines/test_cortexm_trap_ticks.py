"""Under -icount an SVC, a UDF (or another undefined instruction) and a BKPT
count as executed, as in QEMU 7.2, whose translated code raises them itself
(gen_exception_insn); a fault found while the instruction runs (here a
division by zero) does not. tests/firmware/cortexm_trap_ticks.c loops on
each between SysTick interrupts and prints how many ran before each tick:
QEMU's numbers, on both boards. Before, emud charged none: 780 SVCs per
tick against QEMU's 693, and the log of any SVC-driven RTOS drifted."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support.firmware import build_cortexm
from tests.support.run import REPO

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="needs qemu-system-arm")]


def _out(argv):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=300,
                          cwd=str(REPO)).stdout.decode()


@pytest.mark.parametrize("board", ["mps2-an385", "lm3s6965evb"])
def test_trap_counts_between_ticks_are_qemus(tmp_path, board):
    elf = build_cortexm("cortexm_trap_ticks.c", tmp_path / "trap_ticks.elf", board)
    args = ["-M", board, "-nographic", "-semihosting", "-icount", "shift=4", "-kernel", str(elf)]
    qemu = _out(["qemu-system-arm"] + args)
    counts = [int(n) for n in qemu.split()]
    assert len(counts) == 32 and counts == sorted(counts), qemu
    assert _out([sys.executable, "-m", "emud"] + args) == qemu
