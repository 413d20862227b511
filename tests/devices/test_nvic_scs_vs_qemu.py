"""The SCS of a Cortex-M0 (ARMv6-M) and a Cortex-M3 as qemu-system-arm 7.2's
NVIC has them (tests/firmware/cortexm_scs_values.c on -M lm3s6965evb): every
word's value, what writes of all ones leave, STIR, PRIGROUP, an unaligned LDR;
the UART output and the -d guest_errors log equal QEMU's. On a Cortex-M0 the
Main Extension's registers are bad offsets (ICTR, SCR, SHCSR, HFSR, MMFAR,
BFAR, the ID registers; CCR, STIR to write), CCR reads UNALIGN_TRP and
STKALIGN, SHPR1 is RAZ/WI and priorities keep two bits (emud kept the
Cortex-M3's registers and eight priority bits)."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.devices.test_guest_errors import _diff
from tests.support.firmware import build_cortexm
from tests.support.run import REPO

pytestmark = pytest.mark.skipif(not shutil.which("arm-none-eabi-gcc"), reason="needs arm-none-eabi-gcc")

#: lines each core's output must have (the comparison with QEMU aside)
SOME = {
    "cortex-m0": ["0x00000004=0x00000000", "0x00000d14=0x00000208", "0x00000d18=0x00000000",
                  "0x00000d1c=0xc0000000", "0x00000d20=0xc0c000c0", "0x00000400=0xc0c0c0c0",
                  "0x00000d24=0x00000000", "0x00000200=0x00000000", "0x00000001=0x00000000"],
    "cortex-m3": ["0x00000004=0x00000001", "0x00000d14=0x0000031b", "0x00000d18=0x00ffffff",
                  "0x00000400=0xffffffff", "0x00000d0c=0xfa050500", "0x00000200=0x00000008"],
}
SOME_LOG = {
    "cortex-m0": ["NVIC: Bad read offset 0x4\n", "NVIC: Bad read offset 0xd40\n", "NVIC: Bad write offset 0xd14\n",
                  "NVIC: Bad write offset 0xf00\n"],
    "cortex-m3": ["NVIC: Bad read offset 0x0\n"],
}


def _build(tmp_path, cpu):
    return build_cortexm("cortexm_scs_values.c", tmp_path / ("scs_values-%s.elf" % cpu), "lm3s6965evb", cpu)


def _run(cmd, cpu, elf, log):
    args = ["-M", "lm3s6965evb", "-cpu", cpu, "-nographic", "-semihosting", "-kernel", str(elf),
            "-d", "guest_errors", "-D", str(log)]
    r = subprocess.run(cmd + args, capture_output=True, timeout=300, stdin=subprocess.DEVNULL, cwd=str(REPO))
    text = r.stdout.decode("latin-1")
    assert r.returncode == 0 and text.endswith("done\n"), (cmd, r.returncode, text[-2000:], r.stderr[-2000:])
    return text, log.read_text()


@pytest.mark.parametrize("cpu", sorted(SOME))
def test_scs_registers_are_qemus(tmp_path, cpu):
    elf = _build(tmp_path, cpu)
    out, log = _run([sys.executable, "-m", "emud"], cpu, elf, tmp_path / "emud.log")
    assert not [line for line in SOME[cpu] if line not in out.splitlines()], out
    assert not [line for line in SOME_LOG[cpu] if line not in log], log
    if not shutil.which("qemu-system-arm"):
        pytest.skip("qemu-system-arm not installed: emud's output checked alone")
    qout, qlog = _run(["qemu-system-arm"], cpu, elf, tmp_path / "qemu.log")
    assert out == qout, _diff(qout, out)
    assert log == qlog, _diff(qlog, log)
