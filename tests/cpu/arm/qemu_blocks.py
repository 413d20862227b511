"""Run a block of Thumb code on qemu-system-arm -M mps2-an385 and on the test
machine from the same registers, flags and memory, and dump what it leaves
(r0-r12, the APSR, 256 bytes of data) through semihosting SYS_WRITEC."""
from __future__ import annotations


import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import List, Sequence

import pytest

from .build import GCC, have_gcc

DUMP_BYTES = 14 * 4 + 256


def _asm(block: Sequence[Sequence[int]], regs: Sequence[int], apsr: int, data: bytes, data_addr: int) -> str:
    lines = [".syntax unified", ".thumb", ".section .vectors,\"a\"", ".word 0x003f0000", ".word start + 1",
             ".text", ".thumb_func", ".global start", "start:",
             "ldr r0, =0x%08x" % apsr, "msr APSR_nzcvq, r0", "ldr r0, =regs", "ldr r1, [r0, #4]"]
    lines += ["ldr r%d, [r0, #%d]" % (r, 4 * r) for r in range(2, 13)]
    lines += ["ldr r0, [r0]", "b 1f", ".ltorg", "1:"]
    lines += [".hword " + ", ".join("0x%04x" % h for h in halves) for halves in block]
    lines += ["push {r0-r12}", "mrs r0, apsr", "push {r0}",        # sp -> apsr, r0..r12
              "ldr r4, =out", "mov r5, sp", "movs r6, #0",
              "2: cmp r6, #56", "beq 3f", "ldrb r0, [r5, r6]", "bl putc", "adds r6, #1", "b 2b",
              "3: ldr r5, =data", "movs r6, #0",
              "4: cmp r6, #255", "bgt 5f", "ldrb r0, [r5, r6]", "bl putc", "adds r6, #1", "b 4b",
              "5: movs r0, #0x18", "ldr r1, =0x20026", "bkpt 0xab", "b .",
              ".thumb_func", "putc:", "strb r0, [r4]", "movs r0, #3", "mov r1, r4", "bkpt 0xab", "bx lr",
              ".ltorg", ".align 2", "regs: .word " + ", ".join("0x%08x" % v for v in regs[:13]),
              "out: .word 0", ".section .rnd,\"aw\"", "data: .byte " + ", ".join(str(b) for b in data)]
    return "\n".join(lines) + "\n"


def build_block(block, regs, apsr, data, data_addr) -> Path:
    if not have_gcc():
        pytest.skip("arm-none-eabi-gcc not installed")
    tmp = Path(tempfile.mkdtemp(prefix="armblk-"))
    (tmp / "b.S").write_text(_asm(block, regs, apsr, data, data_addr))
    subprocess.run([GCC, "-mcpu=cortex-m3", "-mthumb", "-nostdlib", "-Wl,-Ttext=0x100",
                    "-Wl,--section-start=.vectors=0", "-Wl,--section-start=.rnd=0x%x" % data_addr,
                    "-Wl,-e,start", "-o", str(tmp / "b.elf"), str(tmp / "b.S")], check=True, capture_output=True)
    return tmp / "b.elf"


def run_qemu(elf: Path) -> bytes:
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    q = subprocess.run(["qemu-system-arm", "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic",
                        "-semihosting", "-kernel", str(elf)], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return q.stderr


def describe(dump: bytes) -> List[str]:
    words = [int.from_bytes(dump[i:i + 4], "little") for i in range(0, 56, 4)]
    return ["apsr=%08x" % words[0]] + ["r%d=%08x" % (i, w) for i, w in enumerate(words[1:])] + [dump[56:].hex()]


def cleanup(elf: Path) -> None:
    shutil.rmtree(str(elf.parent), ignore_errors=True)
