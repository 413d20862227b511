"""-d guest_errors on the Cortex-M boards (-M mps2-an385, -M lm3s6965evb),
logged as QEMU 7.2 logs it.

tests/firmware/cortexm_guest_errors.c makes bad register accesses to each
device of the board (CMSDK UART/timer/dual timer/watchdog, FPGAIO, SCC; the
Luminary watchdog, PL011, PL061, GPTM, ssys), reads every word of the SCS
(NVIC registers and holes), sub-word accesses the NVIC and SysTick refuse,
the PPB's unassigned area (RAZ/WI: QEMU logs it under -d unimp only) and
addresses with nothing mapped (a BusFault on mps2-an385; lm3s6965evb
ignores memory transaction failures). Run on qemu-system-arm and on emud
with ``-d guest_errors -D FILE``, the logs must be the same line for line,
and so must the UART output (values read, faults taken); on lm3s6965evb
also with -cpu cortex-m0 (an MPU without regions; the SCS of ARMv6-M: the
registers of the Main Extension are bad offsets, priorities have two bits).
"""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.devices.test_guest_errors import _diff
from tests.support.firmware import build_cortexm
from tests.support.run import REPO

pytestmark = pytest.mark.skipif(not shutil.which("arm-none-eabi-gcc"), reason="needs arm-none-eabi-gcc")

RUNS = [("mps2-an385", "cortex-m3"), ("lm3s6965evb", "cortex-m3"), ("lm3s6965evb", "cortex-m0")]
#: a line of each kind each board's log must have (so that the comparison compares something)
SOME_LINES = {
    "mps2-an385": [
        "CMSDK APB UART write: write to RO offset 0xfe0\n",
        "CMSDK APB UART: Tx enabled with invalid baudrate\n",
        "CMSDK APB timer read: bad offset 10\n",
        "CMSDK APB dual-timer read: bad offset f04\n",
        "CMSDK APB watchdog read: read of WO offset c\n",
        "CMSDK APB watchdog write: write to locked watchdog\n",
        "MPS2 FPGAIO write: bad offset 0x30\n",
        "MPS2 SCC config read: bad function 2 device 3\n",
        "Invalid read at addr 0x41200000, size 4, region '(null)', reason: rejected\n",
    ],
    "lm3s6965evb": [
        "CMSDK APB watchdog read: bad offset f00\n",
        "pl011_write: Bad offset 0x3c\n",
        "pl061_read: Bad offset 430\n",
        "GPTM: read at bad offset 0x0260\n",
        "SSYS: write at bad offset 0x200\n",
        "Invalid read at addr 0x40039000, size 4, region '(null)', reason: rejected\n",
    ],
}
SCS_LINES = [
    "NVIC: Bad read offset 0xf00\n",
    "NVIC: Bad write offset 0xd00\n",
    "NVIC: Bad read of size 1 at offset 0xd01\n",
    "NVIC: Bad write of size 2 at offset 0xd08\n",
    "SysTick: Bad write offset 0xc\n",
    "Invalid read at addr 0x8, size 1, region 'systick', reason: invalid size (min:4 max:4)\n",
    "Invalid read at addr 0x60000001, size 1, region '(null)', reason: rejected\n",
]
CPU_LINES = {
    "cortex-m3": ["MPU region out of range 9/8\n", "MPU region out of range 12/8\n"],
    "cortex-m0": ["MPU region out of range 0/0\n", "MPU region out of range 12/0\n", "NVIC: Bad read offset 0xd2c\n",
                  "NVIC: Bad write offset 0xf00\n"],
}


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    out = tmp_path_factory.mktemp("cortexm_guest_errors")
    elfs = {}
    for board, cpu in RUNS:
        elfs[board, cpu] = build_cortexm("cortexm_guest_errors.c", out / ("guest_errors-%s-%s.elf" % (board, cpu)),
                                         board, cpu)
    return elfs


def _run(cmd, board, cpu, elf, log, timeout):
    args = ["-M", board, "-cpu", cpu, "-nographic", "-semihosting", "-kernel", str(elf), "-d", "guest_errors", "-D", str(log)]
    r = subprocess.run(cmd + args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=str(REPO))
    text = r.stdout.decode("latin-1")
    assert r.returncode == 0 and text.endswith("done\n"), (cmd, r.returncode, text, r.stderr[-2000:])
    return text, log.read_text()


@pytest.mark.parametrize("board,cpu", RUNS)
def test_cortexm_guest_errors_log_is_qemus(firmware, tmp_path, board, cpu):
    elf = firmware[board, cpu]
    out, log = _run([sys.executable, "-m", "emud"], board, cpu, elf, tmp_path / "emud.log", 300)
    missing = [line for line in SOME_LINES[board] + SCS_LINES + CPU_LINES[cpu] if line not in log]
    assert not missing, (missing, log)
    if not shutil.which("qemu-system-arm"):
        pytest.skip("qemu-system-arm not installed: emud's log checked alone")
    qout, qlog = _run(["qemu-system-arm"], board, cpu, elf, tmp_path / "qemu.log", 120)
    assert out == qout, _diff(qout, out)
    assert log == qlog, _diff(qlog, log)
