"""``-d int`` on the Cortex-M machines prints QEMU 7.2's M-profile lines
(arm_log_exception's "Taking exception N [...] on CPU 0", m_helper.c's
"...taking pending nonsecure exception", the vector loads, exception
returns, tail-chaining, fault details, semihosting calls, the reset's vector
table read): the log of every Cortex-M example is QEMU's, line for line, on
both boards."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.support.run import REPO

BOARDS = ("mps2-an385", "lm3s6965evb")
EXAMPLES = ("cortexm-hello", "cortexm-systick", "cortexm-fault")

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="needs qemu-system-arm")]


def _log(argv, path):
    subprocess.run(argv + ["-d", "int", "-D", str(path)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300, cwd=str(REPO))
    return path.read_text().splitlines()


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("example", EXAMPLES)
def test_int_log_is_qemus(tmp_path, board, example):
    elf = REPO / "examples" / "build" / ("%s-%s.elf" % (example, board))
    # under -icount the interrupts of the SysTick example come at the same instructions on both
    args = ["-M", board, "-nographic", "-semihosting", "-icount", "shift=4", "-kernel", str(elf)]
    qemu = _log(["qemu-system-arm"] + args, tmp_path / "qemu.log")
    emud = _log([sys.executable, "-m", "emud"] + args, tmp_path / "emud.log")
    assert qemu[:2] == ["Loaded reset SP 0x0 PC 0x0 from vector table",
                        "Loaded reset SP 0x20010000 PC 0x%x from vector table" % int(qemu[1].split()[-4], 16)]
    assert len(qemu) > 3
    assert emud == qemu
