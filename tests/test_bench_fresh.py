"""`python -m emud.bench --fresh`: each run in a forked process of its own
(no JIT code or caches from the workloads before); its statistics come back
to the parent, and a run that fails there is reported, not lost."""
from __future__ import annotations

import os

import pytest

from emud import bench

ELF = os.path.join(bench.DEFAULT_BUILD, "bench-crc32-rv32.elf")
pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


def test_a_fresh_run_reports_what_an_in_process_run_does():
    fresh = bench.run_emud_fresh(ELF, extra_args=["-icount", "shift=0"])
    here = bench.run_emud(ELF, extra_args=["-icount", "shift=0"])
    assert fresh["exit_code"] == here["exit_code"] == 0
    assert fresh["instructions"] == here["instructions"] > 1_000_000
    assert fresh["output"] == here["output"]
    assert fresh["translations"] > 0


def test_a_run_that_fails_in_the_child_raises_in_the_parent():
    with pytest.raises(RuntimeError, match="LoaderError"):
        bench.run_emud_fresh(os.path.join(bench.DEFAULT_BUILD, "bench-crc32-mps2-an385.elf"))


def test_the_command_line_runs_each_workload_fresh(capsys):
    assert bench.main(["--quick", "--fresh", "--no-qemu", "--no-warm"]) == 0
    out = capsys.readouterr().out
    assert "crc32-rv32: ok" in out and "guest MIPS" in out
