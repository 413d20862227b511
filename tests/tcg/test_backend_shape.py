"""The shape of the generated Python where it matters to PyPy's JIT (the
speed itself is the benchmark's business, python -m emud.bench): guest
registers are loaded at entry and written back at each exit highest index
first, so that the trace checks the register list's bounds once."""
from __future__ import annotations

import re

from emud.tcg.backend_py import CodegenConfig, generate_source
from emud.tcg.ir import IRBuilder


def _source(build) -> str:
    b = IRBuilder(32)
    b.insn_start(0x100, 4)
    build(b)
    src, _, _ = generate_source(b.ops, 0x100, [(0x100, 4)], CodegenConfig(32, 0x1000, 0x1000))
    return src


def _indexes(line: str, pattern: str):
    return [int(n) for n in re.findall(pattern, line)]


def test_entry_loads_and_writebacks_go_from_the_highest_register_down():
    def build(b):
        s = b.add(b.reg(2), b.reg(17))
        b.mov(b.reg(19), s)
        b.mov(b.reg(3), b.add(s, b.reg(16)))
        b.mov(b.reg(16), 0)
        b.goto_tb(0, 0x104)
    src = _source(build)
    entry = next(ln for ln in src.splitlines() if "= x[" in ln)
    assert _indexes(entry, r"= x\[(\d+)\]") == [17, 16, 2]
    body = src.split("except TBExit")[0]
    exits = [ln for ln in body.splitlines() if ln.strip().startswith("x[")]
    assert exits
    for ln in exits:
        assert _indexes(ln, r"x\[(\d+)\] =") == [19, 16, 3]
