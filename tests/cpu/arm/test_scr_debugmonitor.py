"""SCR and the DebugMonitor exception against QEMU 7.2 (firmware/sleep_bkpt.c).

* SLEEPONEXIT and SEVONPEND: QEMU keeps the bits but ignores them (its
  armv7m_nvic.c: "architecturally permitted"); a return to Thread mode goes on
  running. emud does the same.
* BKPT (other than 0xAB) without a debugger: a DebugMonitor event. QEMU 7.2
  has no DEMCR (MON_EN reads 0, the monitor is never enabled), so the event
  escalates to HardFault; QEMU reports it as any escalation (HFSR.FORCED,
  DFSR untouched), where the architecture (ARMv7-M ARM B1.5.9, C1.6.1) sets
  HFSR.DEBUGEVT and DFSR.BKPT. emud follows the architecture: the one line
  of difference, listed in docs/COMPATIBILITY.md and pinned here on both."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from .build import build
from .machine import CortexMTestMachine, load_elf, run

SAME = ["scr=00000012", "pendsv=00000001", "pendsv=00000002", "demcr=00000000", "faults=00000001"]


def test_sleeponexit_ignored_and_bkpt_escalates_as_the_architecture_says():
    m = CortexMTestMachine("v7m")
    load_elf(m, build("sleep_bkpt", "m3", "-O2"))
    assert run(m, 3_000_000) == 0
    lines = m.output().splitlines()
    assert lines[:5] == SAME
    assert lines[5:7] == ["hfsr=80000000", "dfsr=00000002"]


@pytest.mark.qemu
def test_qemu_reports_the_bkpt_escalation_as_forced():
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    q = subprocess.run(["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-semihosting", "-kernel",
                        str(build("sleep_bkpt", "m3", "-O2"))], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    lines = q.stderr.decode().splitlines()
    assert lines[:5] == SAME
    assert lines[5:7] == ["hfsr=40000000", "dfsr=00000000"]
