"""-m and -M BOARD,PROP=VALUE on the Cortex-M boards: the machine classes
decide as QEMU 7.2 does (CortexMMachine.check_ram_size,
check_machine_property), with QEMU's own lines, checked against
qemu-system-arm case by case."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from emud.machines.mps2 import Mps2An385Machine
from emud.machines.stellaris import Lm3s6965Machine
from tests.support.run import REPO

MACHINES = {"mps2-an385": Mps2An385Machine, "lm3s6965evb": Lm3s6965Machine}
RAM = [("mps2-an385", "16M", 16 << 20), ("mps2-an385", "32M", 32 << 20), ("mps2-an385", "8M", 8 << 20),
       ("lm3s6965evb", "32M", 32 << 20), ("lm3s6965evb", "1M", 1 << 20)]
PROPS = [(board, prop) for board in MACHINES for prop in (
    "dumpdtb=/dev/null", "graphics=off", "usb=on", "dump-guest-core=off", "mem-merge=off", "suppress-vmdesc=on",
    "phandle-start=5", "foo=bar", "aclint=on", "graphics=maybe", "memory-backend=x")]


def _qemu(board, extra):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    elf = REPO / "examples" / "build" / ("cortexm-hello-%s.elf" % board)
    q = subprocess.run(["qemu-system-arm"] + extra + ["-nographic", "-semihosting", "-kernel", str(elf)],
                       capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    err = [line for line in q.stderr.decode().splitlines() if line.startswith("qemu-system-arm: ")]
    return q.returncode, err[0][len("qemu-system-arm: "):] if err else None


def _decision(check, *args):
    try:
        check(*args)
        return None
    except ValueError as e:
        return str(e)


@pytest.mark.qemu
@pytest.mark.parametrize("board,text,size", RAM)
def test_ram_size_as_qemu(board, text, size):
    code, err = _qemu(board, ["-M", board, "-m", text])
    assert _decision(MACHINES[board].check_ram_size, size) == err
    assert (code != 0) == (err is not None)


@pytest.mark.qemu
@pytest.mark.parametrize("board,prop", PROPS)
def test_machine_properties_as_qemu(board, prop):
    code, err = _qemu(board, ["-M", "%s,%s" % (board, prop)])
    name, _, value = prop.partition("=")
    assert _decision(MACHINES[board].check_machine_property, name, value) == err
    assert (code != 0) == (err is not None)


def test_without_m_the_board_size_stands():
    assert _decision(Mps2An385Machine.check_ram_size, None) is None
    assert _decision(Mps2An385Machine.check_ram_size, 0) is None
