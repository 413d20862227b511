"""Firmware on qemu-system-arm and on emud: same UART output, same exit status
(tests/firmware/arm/hello.c: UART hello, a CMSDK timer interrupt timed by the
FPGAIO 100 Hz counter on mps2-an385; PL011 and ssys IDs on lm3s6965evb).
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.run import REPO

SRC = REPO / "tests" / "firmware" / "arm"
#: machine: (define, expected UART output, the rest of the command line as projects write it)
CASES = {
    "mps2-an385": ("MPS2", b"hello from mps2-an385\nscc id 41043850\ntimer ok\n", ["-nographic", "-semihosting"]),
    "lm3s6965evb": ("LM3S", b"hello from lm3s6965evb\ndid0 10010002\n",
                    ["-cpu", "cortex-m3", "-nographic", "-semihosting-config", "enable=on,target=native"]),
}

pytestmark = pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                                reason="needs arm-none-eabi-gcc and qemu-system-arm")


def build(tmp_path: Path, define: str) -> Path:
    out = tmp_path / ("hello-%s.elf" % define)
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-O2", "-nostdlib", "-ffreestanding",
                    "-D" + define, "-T", str(SRC / "link.ld"), str(SRC / "hello.c"), "-o", str(out)], check=True)
    return out


def run(argv, timeout=60):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, cwd=str(REPO))


@pytest.mark.parametrize("machine", sorted(CASES))
def test_same_output_and_exit_status(tmp_path, machine):
    define, expected, options = CASES[machine]
    elf = build(tmp_path, define)
    args = ["-M", machine] + options + ["-kernel", str(elf)]
    qemu = run(["qemu-system-arm"] + args)
    assert (qemu.returncode, qemu.stdout) == (3, expected)
    emud = run([sys.executable, "-m", "emud"] + args, timeout=300)
    assert (emud.returncode, emud.stdout) == (qemu.returncode, qemu.stdout)


def test_machine_help_lists_qemus_cortex_m_machines_as_qemu():
    qemu = run(["qemu-system-arm", "-M", "help"]).stdout.decode().splitlines()
    emud = run([sys.executable, "-m", "emud", "-M", "help"]).stdout.decode().splitlines()
    assert emud[0] == qemu[0] == "Supported machines are:"
    for machine in CASES:
        assert [line for line in emud if line.split()[0] == machine] == \
            [line for line in qemu if line.split()[0] == machine]
