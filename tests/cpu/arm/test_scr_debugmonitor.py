"""SCR and the DebugMonitor exception against QEMU 7.2 (firmware/sleep_bkpt.c).

* SLEEPONEXIT and SEVONPEND: QEMU keeps the bits but ignores them (its
  armv7m_nvic.c: "architecturally permitted"); a return to Thread mode goes on
  running. emud does the same.
* BKPT (other than 0xAB) without a debugger: a DebugMonitor event. QEMU 7.2
  has no DEMCR (MON_EN reads 0, the monitor is never enabled), so the event
  escalates to HardFault; QEMU reports it as any escalation (HFSR.FORCED,
  DFSR untouched), where the architecture (ARMv7-M ARM B1.5.9, C1.6.1) sets
  HFSR.DEBUGEVT and DFSR.BKPT. emud does as QEMU (it followed the
  architecture until this release; docs/COMPATIBILITY.md says so), and its
  -d int log is QEMU's."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from .build import build
from .machine import CortexMTestMachine, load_elf, run
from .test_mpu import run_emud

SAME = ["scr=00000012", "pendsv=00000001", "pendsv=00000002", "demcr=00000000", "faults=00000001"]


def test_sleeponexit_ignored_and_bkpt_escalates_as_qemu_reports_it():
    m = CortexMTestMachine("v7m")
    load_elf(m, build("sleep_bkpt", "m3", "-O2"))
    assert run(m, 3_000_000) == 0
    lines = m.output().splitlines()
    assert lines[:5] == SAME
    assert lines[5:7] == ["hfsr=40000000", "dfsr=00000000"]


@pytest.mark.qemu
def test_output_and_int_log_same_as_qemu(tmp_path):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    elf = build("sleep_bkpt", "m3", "-O2")
    code, out, log = run_emud(elf, tmp_path)
    qlog = tmp_path / "qemu-int.log"
    q = subprocess.run(["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-semihosting", "-d", "int",
                        "-D", str(qlog), "-kernel", str(elf)], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert out.splitlines() == q.stderr.decode().splitlines()
    assert code == q.returncode == 0
    # QEMU resets once before the image is in memory (SP 0 PC 0); the test machine does not
    assert log.splitlines() == qlog.read_text().splitlines()[1:]
    assert "Taking exception 7 [Breakpoint] on CPU 0" in log
