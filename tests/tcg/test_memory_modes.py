"""The back end's two inline RAM paths give the same results.

memoryview casts (U*/S*, the CPython default) and struct accessors on the
RAM bytearray (LD*/ST*, the PyPy default) are both run here on whichever
runtime runs the tests, against the reference IR interpreter, on a RISC-V
program that loads and stores every size, signed and unsigned, at register
and constant addresses, and multiplies values whose products pass 2^63.
"""
from __future__ import annotations

import pytest

from emud.tcg import backend_py
from emud.tcg.exec import TBEngine

from ..cpu.riscv.harness import RAM_BASE, Hart, needs_as

DATA = RAM_BASE + 0x8000

PROGRAM = """
    li a0, 0x%x
    li t0, -3
    li t1, 0x80000001
    sw t1, 0(a0)
    sh t0, 4(a0)
    sb t0, 7(a0)
    lb a1, 0(a0)
    lbu a2, 3(a0)
    lh a3, 4(a0)
    lhu a4, 4(a0)
    lw a5, 0(a0)
    lw a6, 4(a0)
    mul a7, t0, t1
    mulhu s2, t0, t1
    mulh s3, t0, t1
    mulhsu s4, t0, t1
    mul s5, t0, t0
    li t2, 12345
    mul s6, t1, t2
    sw a7, 8(a0)
    sb t1, 12(a0)
    lw s8, 8(a0)
    lbu s9, 12(a0)
    wfi
""" % DATA

RV64_EXTRA = """
    sd t0, 16(a0)
    ld s10, 16(a0)
    lwu s11, 16(a0)
    mulhu t3, t0, t0
    mul t4, t0, t1
"""

REGS = ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s8", "s9",
        "s10", "s11", "t3", "t4"]


def _source(xlen: int) -> str:
    return PROGRAM.replace("    wfi", RV64_EXTRA + "    wfi") if xlen == 64 else PROGRAM


def _run_engine(xlen: int, struct_memory: bool, monkeypatch) -> Hart:
    monkeypatch.setattr(backend_py, "STRUCT_MEMORY_DEFAULT", struct_memory)
    h = Hart(xlen)
    code = h.asm(_source(xlen))
    engine = TBEngine(h.fe, h.mem)
    engine.tier_up_calls = 0           # the compiled memory paths, not the interpreter's
    reason = engine.execute(h.cpu, 10_000)
    assert reason == "halted", reason
    assert h.cpu.pc == RAM_BASE + len(code)
    return h


@needs_as
@pytest.mark.parametrize("xlen", [32, 64])
def test_struct_and_memoryview_paths_agree_with_the_interpreter(xlen, monkeypatch):
    ref = Hart(xlen)
    code = ref.asm(_source(xlen))
    ref.run(len(code) // 4 - 1)
    for struct_memory in (False, True):
        h = _run_engine(xlen, struct_memory, monkeypatch)
        for r in REGS[:14] + (REGS[14:] if xlen == 64 else []):
            assert h[r] == ref[r], (struct_memory, r)
        assert bytes(h.ram.data[0x8000:0x8020]) == bytes(ref.ram.data[0x8000:0x8020])


@needs_as
def test_struct_memory_path_is_the_one_emitted(monkeypatch):
    for struct_memory, marker in ((True, "LDU4(RAM, "), (False, "U4[")):
        monkeypatch.setattr(backend_py, "STRUCT_MEMORY_DEFAULT", struct_memory)
        h = Hart(32)
        h.asm("li a0, 0x%x\nlw a1, 0(a0)\nsw a1, 4(a0)\nwfi" % DATA)
        engine = TBEngine(h.fe, h.mem)
        tb = engine.translate(RAM_BASE, h.cpu.tb_flags(), compile_now=True)
        assert marker in tb.source
