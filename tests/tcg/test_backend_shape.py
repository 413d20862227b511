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


def test_a_register_write_only_a_fault_could_see_is_made_on_the_slow_path():
    """``t = r1 + 1; r18 = t < r1; r1 = t; r2 = [r3]; r18 = 0``: r18's first
    value is seen only if the load faults, so it is computed in the load's
    slow path, from r1 as it was (copied before r1 changes)."""
    def build(b):
        t = b.add(b.reg(1), 1)
        b.mov(b.reg(18), b.setcond("ltu", t, b.reg(1)))
        b.mov(b.reg(1), t)
        b.mov(b.reg(2), b.ld(b.reg(3), 4))
        b.mov(b.reg(18), 0)
        b.goto_tb(0, 0x104)
    src = _source(build)
    body = src.split("except TBExit")[0]
    fast, slow = body.split("else:")
    assert "1 if" not in fast and "_d1_0 = r1" in fast
    assert re.search(r"r18 = \(?1 if t1 < _d1_0", slow.split("ld_slow")[0])


def test_a_write_read_or_branched_over_before_it_is_overwritten_is_made_at_once():
    def build(b):
        b.mov(b.reg(18), b.setcond("ltu", b.reg(4), b.reg(1)))
        b.mov(b.reg(2), b.ld(b.reg(3), 4))
        b.mov(b.reg(5), b.reg(18))             # read: needed on the fast path
        b.mov(b.reg(18), 0)
        b.goto_tb(0, 0x104)
    fast = _source(build).split("else:")[0]
    assert "1 if" in fast.split("_o =")[0]
