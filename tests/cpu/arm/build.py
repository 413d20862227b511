"""Build the Cortex-M test programs with arm-none-eabi-gcc, cached by content."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

import pytest

HERE = Path(__file__).resolve().parent
FIRMWARE = HERE / "firmware"
BUILD = Path(os.environ.get("EMUD_FIRMWARE_CACHE", str(HERE.parents[2] / "tests" / "firmware" / ".build")))
GCC = "arm-none-eabi-gcc"
CPU_FLAGS = {"m3": ["-mcpu=cortex-m3", "-mthumb"], "m0": ["-mcpu=cortex-m0", "-mthumb"]}


def have_gcc() -> bool:
    return shutil.which(GCC) is not None


def build(program: str, cpu: str = "m3", opt: str = "-O2", extra: Sequence[str] = ()) -> Path:
    """``firmware/<program>.c`` with the runtime, as an ELF; skips without the compiler."""
    if not have_gcc():
        pytest.skip("arm-none-eabi-gcc not installed")
    sources = [FIRMWARE / (program + ".c"), FIRMWARE / "rt.c"]
    flags = CPU_FLAGS[cpu] + [opt, "-g", "-ffreestanding", "-nostartfiles", "-fno-builtin-printf",
                              "-T", str(FIRMWARE / "cm.ld"), "-I", str(FIRMWARE), *extra]
    digest = hashlib.sha256()
    for path in sources + [FIRMWARE / "cm.ld", FIRMWARE / "rt.h"]:
        digest.update(path.read_bytes())
    digest.update(" ".join(flags).encode())
    out = BUILD / ("arm-%s-%s%s-%s.elf" % (program, cpu, opt, digest.hexdigest()[:12]))
    if not out.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp%d" % os.getpid())
        subprocess.run([GCC, *flags, "-o", str(tmp), *map(str, sources), "-lgcc"], check=True,
                       capture_output=True, text=True)
        tmp.replace(out)
    return out
