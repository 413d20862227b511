"""A RISC-V hart on a real AddressSpace, run by the reference IR interpreter.

``Hart(xlen)`` maps 64 KiB of RAM at 0x80000000 and puts pc there;
``hart.asm(text)`` assembles with the cross assembler (cached) and loads it;
``hart.run(n)`` runs n instructions through translate_block + interp.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable, List

import pytest

from emud.cpu.riscv import RiscvCPU, RiscvFrontend
from emud.memory import AddressSpace, RamRegion
from emud.tcg import interp

RAM_BASE = 0x80000000
RAM_SIZE = 0x10000
TRAP_HANDLER = RAM_BASE + 0xF000
CROSS = "riscv64-unknown-elf-"
MARCH = {32: ("rv32imac_zicsr_zifencei", "ilp32", "elf32lriscv"),
         64: ("rv64imac_zicsr_zifencei", "lp64", "elf64lriscv")}

needs_as = pytest.mark.skipif(shutil.which(CROSS + "as") is None, reason="riscv64-unknown-elf-as not installed")


@functools.lru_cache(maxsize=None)
def assemble(source: str, xlen: int = 32, base: int = RAM_BASE) -> bytes:
    """Assemble and link ``source`` at ``base``; return the raw .text bytes."""
    march, mabi, emul = MARCH[xlen]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        # norvc keeps every instruction the size it is written, unless the
        # source spells compressed ones itself (gas rejects c.* under norvc)
        rvc = re.search(r"^\s*(\d+:)?\s*c\.", source, re.M) is not None
        head = ".option norelax\n" + ("" if rvc else ".option norvc\n")
        (d / "t.S").write_text(head + ".text\n.globl _start\n_start:\n" + source + "\n")
        subprocess.run([CROSS + "as", "-march=" + march, "-mabi=" + mabi, "-o", str(d / "t.o"), str(d / "t.S")],
                       check=True, capture_output=True, text=True)
        subprocess.run([CROSS + "ld", "-m", emul, "-Ttext=0x%x" % base, "-e", "_start", "-o", str(d / "t.elf"),
                        str(d / "t.o")], check=True, capture_output=True, text=True)
        subprocess.run([CROSS + "objcopy", "-O", "binary", "-j", ".text", str(d / "t.elf"), str(d / "t.bin")],
                       check=True, capture_output=True, text=True)
        return (d / "t.bin").read_bytes()


def encode(insns: Iterable[int]) -> bytes:
    """Raw encodings to bytes: 16-bit ones are those whose low bits are not 11."""
    out = bytearray()
    for insn in insns:
        out += insn.to_bytes(4 if insn & 3 == 3 else 2, "little")
    return bytes(out)


class Hart:
    def __init__(self, xlen: int = 32) -> None:
        self.xlen = xlen
        self.mask = (1 << xlen) - 1
        self.cpu = RiscvCPU(0, xlen)
        self.fe = RiscvFrontend(xlen)
        self.mem = AddressSpace()
        self.ram = self.mem.map(RAM_BASE, RamRegion("ram", RAM_SIZE))
        self.cpu.pc = RAM_BASE
        # a default trap handler: a run of nops (tests can place their own)
        self.cpu.mtvec = TRAP_HANDLER
        self.words([0x13] * 64, TRAP_HANDLER)

    def load(self, code: bytes, addr: int = RAM_BASE) -> None:
        self.mem.write_bytes(addr, code)

    def asm(self, source: str, addr: int = RAM_BASE) -> bytes:
        code = assemble(source, self.xlen, addr)
        self.load(code, addr)
        return code

    def words(self, insns: Iterable[int], addr: int = RAM_BASE) -> None:
        self.load(encode(insns), addr)

    def run(self, n: int, until_pc=None) -> List:
        return interp.run(self.cpu, self.fe, self.mem, n, until_pc=until_pc)

    def __getitem__(self, name: str) -> int:
        return self.cpu.get_register(name)

    def __setitem__(self, name: str, value: int) -> None:
        self.cpu.set_register(name, value)

    def read(self, addr: int, size: int) -> int:
        return self.mem.read(addr, size)

    def write(self, addr: int, size: int, value: int) -> None:
        self.mem.write(addr, size, value)

    def signed(self, v: int) -> int:
        return v - (1 << self.xlen) if v >> (self.xlen - 1) else v
