"""-m and -M BOARD,PROP=VALUE on the Cortex-M boards: accepted or refused
exactly as qemu-system-arm decides them, with QEMU's line and status."""
import shutil
import subprocess
import sys

import pytest

from tests.support.run import REPO

HELLO = str(REPO / "examples" / "build" / "cortexm-hello-%s.elf")

pytestmark = pytest.mark.skipif(not shutil.which("qemu-system-arm"), reason="needs qemu-system-arm")

CASES = [
    ("mps2-an385,foo=1",),
    ("mps2-an385,usb=maybe",),
    ("mps2-an385", "-m", "8M"),
    ("lm3s6965evb,bogus=on",),
    ("lm3s6965evb,memory-backend=ram0",),
]


def _first_line(argv):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120, cwd=str(REPO))
    return p.returncode, p.stderr.decode().splitlines()[:1]


@pytest.mark.parametrize("case", CASES, ids=lambda c: " ".join(c))
def test_refused_as_qemu_refuses(case):
    machine, *more = case
    board = machine.split(",")[0]
    args = ["-M", machine, *more, "-kernel", str(HELLO % board), "-nographic"]
    qemu_status, qemu_line = _first_line(["qemu-system-arm"] + args)
    status, line = _first_line([sys.executable, "-m", "emud"] + args)
    assert qemu_status == status == 1
    assert [text.split(": ", 1)[1] for text in line] == [text.split(": ", 1)[1] for text in qemu_line]


@pytest.mark.parametrize("board, more", [("mps2-an385", ["-m", "16M"]), ("mps2-an385,usb=off", []),
                                         ("lm3s6965evb", ["-m", "64M"])])
def test_accepted_as_qemu_accepts(board, more):
    name = board.split(",")[0]
    p = subprocess.run([sys.executable, "-m", "emud", "-M", board, *more, "-kernel", str(HELLO % name),
                        "-nographic", "-semihosting"], stdin=subprocess.DEVNULL, capture_output=True,
                       timeout=120, cwd=str(REPO))
    assert b"Hello from %s!" % name.encode() in p.stdout, p.stderr
