"""The Cortex-M examples built by other compilers than the Makefile's, on
emud and on qemu-system-arm: clang (--target=thumbv7m-none-eabi against the
arm-none-eabi headers, linked by arm-none-eabi-gcc) for both boards, and
Cortex-M0 builds (gcc and clang, thumbv6m) of the examples an ARMv6-M core
can run, on ``-M lm3s6965evb -cpu cortex-m0`` as QEMU allows. The same UART
output and exit status on both. Skipped, with the reason, without clang."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.cpu.arm.build import CLANG, CLANG_TARGET, CPU_FLAGS, GCC, NEWLIB_INCLUDE, need_clang
from tests.support.run import REPO

pytestmark = [pytest.mark.qemu, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="needs qemu-system-arm")]

EXAMPLES = REPO / "examples"
DEFINE = {"mps2-an385": "BOARD_MPS2", "lm3s6965evb": "BOARD_LM3S"}
#: as examples/Makefile compiles them (ARM_CFLAGS), less the compiler's own flags
CFLAGS = ["-g", "-ffreestanding", "-Wall", "-I", str(EXAMPLES / "cortexm")]


def build(tmp_path, name, board, cpu, compiler, opt="-O2"):
    sources = [EXAMPLES / (name + ".c"), EXAMPLES / "cortexm" / "crt.c"]
    flags = CFLAGS + [opt, "-D" + DEFINE[board]]
    out = tmp_path / ("%s-%s-%s-%s.elf" % (name, board, cpu, compiler))
    if compiler == "clang":
        need_clang()
        objs = []
        for src in sources:
            obj = tmp_path / (src.stem + ".o")
            subprocess.run([CLANG, "--target=" + CLANG_TARGET[cpu], *CPU_FLAGS[cpu], "-isystem", NEWLIB_INCLUDE,
                            *flags, "-c", str(src), "-o", str(obj)], check=True)
            objs.append(str(obj))
        inputs = objs
    else:
        if shutil.which(GCC) is None:
            pytest.skip("arm-none-eabi-gcc not installed")
        inputs = flags + [str(s) for s in sources]
    subprocess.run([GCC, *CPU_FLAGS[cpu], "-nostdlib", "-Wl,--build-id=none", "-T",
                    str(EXAMPLES / "cortexm" / "cortexm.ld"), "-o", str(out), *inputs, "-lgcc"], check=True)
    return out


def both(elf, board, cpu_option=()):
    args = ["-M", board, *cpu_option, "-nographic", "-semihosting", "-kernel", str(elf)]
    runs = []
    for argv in (["qemu-system-arm"], [sys.executable, "-m", "emud"]):
        p = subprocess.run(argv + args, stdin=subprocess.DEVNULL, capture_output=True, timeout=300, cwd=str(REPO))
        runs.append((p.returncode, p.stdout))
    return runs


@pytest.mark.parametrize("board", sorted(DEFINE))
@pytest.mark.parametrize("name", ["cortexm-hello", "cortexm-systick", "cortexm-fault"])
@pytest.mark.parametrize("opt", ["-O2", "-Os"])
def test_clang_example_same_as_qemu(tmp_path, name, board, opt):
    qemu, emud = both(build(tmp_path, name, board, "m3", "clang", opt), board)
    expected = (EXAMPLES / "expected" / ("%s-%s.out" % (name, board))).read_bytes()
    assert qemu == ({"cortexm-fault": 3}.get(name, 0), expected)
    assert emud == qemu


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
@pytest.mark.parametrize("name", ["cortexm-hello", "cortexm-systick"])
def test_cortex_m0_example_same_as_qemu(tmp_path, name, compiler):
    board = "lm3s6965evb"
    qemu, emud = both(build(tmp_path, name, board, "m0", compiler), board, ["-cpu", "cortex-m0"])
    assert qemu[0] == 0 and qemu[1]
    assert emud == qemu
