"""lm3s6965evb's ssys USER0/USER1 hold the first network card's MAC, as QEMU
7.2's stellaris.c sets them: 52:54:00:12:34:56 (QEMU's default NIC) as
0x00005452 and 0x00563412, or 0 with -nic none, -net none or -nodefaults (no
NIC); the ethernet's IA0/IA1 keep the default MAC either way
(tests/firmware/arm/ssys_user.c, against qemu-system-arm). emud read 0 always."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from emud.machines.stellaris import Lm3s6965Machine
from tests.support.firmware import build_cortexm
from tests.support.run import REPO

MAC_REGS = "user0 0x00005452\nuser1 0x00563412\n"
NO_NIC = "user0 0x00000000\nuser1 0x00000000\n"
IA = "ia0 0x12005452\nia1 0x00005634\n"
CASES = {
    "default": (["-nographic"], MAC_REGS + IA),
    "nic none": (["-nographic", "-nic", "none"], NO_NIC + IA),
    "net none": (["-nographic", "-net", "none"], NO_NIC + IA),
    "nodefaults": (["-nodefaults", "-serial", "stdio", "-display", "none"], NO_NIC + IA),
}


@pytest.fixture(scope="module")
def elf(tmp_path_factory):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    return build_cortexm("arm/ssys_user.c", tmp_path_factory.mktemp("ssys_user") / "ssys_user.elf", "lm3s6965evb")


def _run(cmd, elf, extra):
    args = ["-M", "lm3s6965evb", "-semihosting", "-kernel", str(elf)] + extra
    r = subprocess.run(cmd + args, capture_output=True, timeout=120, stdin=subprocess.DEVNULL, cwd=str(REPO))
    return r.returncode, r.stdout.decode()


@pytest.mark.parametrize("case", sorted(CASES))
def test_user_registers_as_qemu(elf, case):
    extra, expected = CASES[case]
    assert _run([sys.executable, "-m", "emud"], elf, extra) == (0, expected)
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed: emud checked alone")
    assert _run(["qemu-system-arm"], elf, extra) == (0, expected)


def test_the_machine_takes_its_nic_mac():
    for mac, regs in ((None, (0, 0)), (bytes.fromhex("021122334455"), (0x221102, 0x554433))):
        ssys = Lm3s6965Machine(nic_mac=mac).board.ssys
        assert (ssys.read(0x1E0, 4), ssys.read(0x1E4, 4)) == regs
    ssys = Lm3s6965Machine().board.ssys
    assert (ssys.read(0x1E0, 4), ssys.read(0x1E4, 4)) == (0x5452, 0x563412)
