"""Run firmware to completion on QEMU or on emud with the same command line.

Both get ``-M virt -bios none -kernel FILE -nographic`` (plus ``-semihosting``,
``-icount shift=N`` or anything else asked for); the result is the exit status
and what the guest printed on the UART (stdout). emud is run as
``python -m emud`` from the repository root with ``$EMUD_PYTHON`` (default:
the Python running the tests; set ``EMUD_PYTHON=pypy3`` for speed).

For an ELF emud is given exactly QEMU's flags (it must pick RV32 or RV64 from
the ELF class). For a raw binary there is nothing to tell the XLEN from, so
emud also gets ``-cpu rv32`` / ``-cpu rv64`` (valid QEMU CPU names, the
defaults of qemu-system-riscv32/64).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Union

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunResult:
    argv: List[str]
    exit_code: Optional[int]     # None when it timed out
    stdout: bytes
    stderr: bytes
    timed_out: bool = False

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace").replace("\r\n", "\n")

    def describe(self) -> str:
        """One paragraph for an assertion message."""
        status = "timed out" if self.timed_out else f"exit {self.exit_code}"
        err = self.stderr.decode("utf-8", "replace").strip()
        return (f"$ {' '.join(self.argv)}\n{status}\nstdout: {self.text[-2000:]!r}\n"
                f"stderr: {err[-3000:]}")


def qemu_binary(xlen: int) -> str:
    return f"qemu-system-riscv{xlen}"


def have_qemu(xlen: int = 32) -> bool:
    return shutil.which(qemu_binary(xlen)) is not None


def emud_python() -> str:
    return os.environ.get("EMUD_PYTHON") or sys.executable


def machine_args(kernel: Union[str, Path], semihosting: bool = False, icount: Optional[int] = None,
                 extra: Sequence[str] = ()) -> List[str]:
    args = ["-M", "virt", "-bios", "none", "-kernel", str(kernel), "-nographic"]
    if semihosting:
        args.append("-semihosting")
    if icount is not None:
        args += ["-icount", f"shift={icount}"]
    return args + list(extra)


def is_raw_binary(kernel: Union[str, Path]) -> bool:
    with open(kernel, "rb") as f:
        return f.read(4) != b"\x7fELF"


def qemu_argv(kernel: Union[str, Path], xlen: int, **kw) -> List[str]:
    return [qemu_binary(xlen), *machine_args(kernel, **kw)]


def emud_argv(kernel: Union[str, Path], xlen: int, **kw) -> List[str]:
    argv = [emud_python(), "-m", "emud", *machine_args(kernel, **kw)]
    if is_raw_binary(kernel):
        argv += ["-cpu", f"rv{xlen}"]
    return argv


def run(argv: List[str], timeout: float, input: Optional[bytes] = None) -> RunResult:
    try:
        proc = subprocess.run(argv, input=input if input is not None else b"", capture_output=True,
                              timeout=timeout, cwd=str(REPO))
        return RunResult(argv, proc.returncode, proc.stdout, proc.stderr)
    except subprocess.TimeoutExpired as e:
        return RunResult(argv, None, e.stdout or b"", e.stderr or b"", timed_out=True)


def run_qemu(kernel: Union[str, Path], xlen: int, timeout: float = 20, input: Optional[bytes] = None,
             **kw) -> RunResult:
    return run(qemu_argv(kernel, xlen, **kw), timeout, input)


def run_emud(kernel: Union[str, Path], xlen: int, timeout: float = 60, input: Optional[bytes] = None,
             **kw) -> RunResult:
    return run(emud_argv(kernel, xlen, **kw), timeout, input)


RUNNERS = {"qemu": run_qemu, "emud": run_emud}


def trap_logs(kernel: Union[str, Path], xlen: int, log_dir: Path, timeout: float = 300) -> dict:
    """{"qemu": log, "emud": log}: the ``-d int`` log of a run to a clean exit
    on each, under ``-icount shift=0,sleep=off`` (so that interrupts arrive at
    the same instruction on both)."""
    logs = {}
    for name, runner in RUNNERS.items():
        log = Path(log_dir) / f"{name}.log"
        r = runner(kernel, xlen, timeout=timeout, extra=["-icount", "shift=0,sleep=off", "-d", "int", "-D", str(log)])
        assert r.exit_code == 0, r.describe()
        logs[name] = log.read_text()
    return logs
