"""python -m emud.bench timetravel: it runs (a short history, the real
machine and firmware) and prints every figure beside its target; nothing
here asserts on time."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_bench_timetravel_prints_the_figures():
    r = subprocess.run([sys.executable, "-m", "emud.bench", "timetravel", "--insns", "3000000"], cwd=str(ROOT),
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.startswith("(rtos-mix built with") and "rtos-mix-rv32.elf, a history of " in out
    for label in ("recording (", "(target <= 15%", "reverse-stepi worst:", "(target < 0.2 s on CPython",
                  "reverse-continue over", "to a breakpoint"):
        assert label in out, out


def test_bench_timetravel_usage():
    r = subprocess.run([sys.executable, "-m", "emud.bench", "timetravel", "--help"], cwd=str(ROOT),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "usage: python -m emud.bench timetravel" in r.stdout
    r = subprocess.run([sys.executable, "-m", "emud.bench_timetravel", "no-such.elf"], cwd=str(ROOT),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no such firmware: no-such.elf" in r.stderr
