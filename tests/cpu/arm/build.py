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
CLANG = "clang"
CPU_FLAGS = {"m3": ["-mcpu=cortex-m3", "-mthumb"], "m0": ["-mcpu=cortex-m0", "-mthumb"]}
CLANG_TARGET = {"m3": "thumbv7m-none-eabi", "m0": "thumbv6m-none-eabi"}
#: Debian's arm-none-eabi headers (newlib's), for clang, which brings only its freestanding ones
NEWLIB_INCLUDE = "/usr/lib/arm-none-eabi/include"


def have_gcc() -> bool:
    return shutil.which(GCC) is not None


def need_clang() -> None:
    """Skip unless clang can compile for the Cortex-M targets (Debian's clang; the
    link is arm-none-eabi-gcc's, with its libgcc)."""
    if not have_gcc():
        pytest.skip("arm-none-eabi-gcc not installed (it links the clang builds)")
    if shutil.which(CLANG) is None:
        pytest.skip("clang not installed (Debian package clang): the clang builds are not tested")


def clang_objects(sources: Sequence[Path], cpu: str, opt: str, flags: Sequence[str], out: Path) -> list:
    """Compile each source with clang for ``cpu`` into ``out``'s directory; the object paths."""
    objs = []
    for src in sources:
        obj = out.with_name("%s.%s.o" % (out.name, src.stem))     # out: a per-process temporary name
        subprocess.run([CLANG, "--target=" + CLANG_TARGET[cpu], *CPU_FLAGS[cpu], opt, "-isystem", NEWLIB_INCLUDE,
                        *flags, "-c", str(src), "-o", str(obj)], check=True, capture_output=True, text=True)
        objs.append(obj)
    return objs


def build(program: str, cpu: str = "m3", opt: str = "-O2", extra: Sequence[str] = (),
          compiler: str = "gcc") -> Path:
    """``firmware/<program>.c`` with the runtime, as an ELF, compiled by
    arm-none-eabi-gcc or (``compiler="clang"``) by clang; skips without the compiler."""
    if compiler == "clang":
        need_clang()
    elif not have_gcc():
        pytest.skip("arm-none-eabi-gcc not installed")
    sources = [FIRMWARE / (program + ".c"), FIRMWARE / "rt.c"]
    cflags = [opt, "-g", "-ffreestanding", "-fno-builtin-printf", "-I", str(FIRMWARE), *extra]
    link = ["-nostartfiles", "-T", str(FIRMWARE / "cm.ld")]
    digest = hashlib.sha256()
    for path in sources + [FIRMWARE / "cm.ld", FIRMWARE / "rt.h"]:
        digest.update(path.read_bytes())
    digest.update(" ".join(CPU_FLAGS[cpu] + cflags + link + [compiler]).encode())
    tag = "" if compiler == "gcc" else "-" + compiler
    out = BUILD / ("arm-%s-%s%s%s-%s.elf" % (program, cpu, opt, tag, digest.hexdigest()[:12]))
    if not out.exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp%d" % os.getpid())
        objs = clang_objects(sources, cpu, opt, cflags[1:], tmp) if compiler == "clang" else []
        inputs = [str(o) for o in objs] if objs else [*cflags, *map(str, sources)]
        subprocess.run([GCC, *CPU_FLAGS[cpu], *link, "-o", str(tmp), *inputs, "-lgcc"], check=True,
                       capture_output=True, text=True)
        for obj in objs:
            obj.unlink()
        tmp.replace(out)
    return out
