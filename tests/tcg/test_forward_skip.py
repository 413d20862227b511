"""A global written only inside a forward skip (brcond over ops with no
exit: Arm's IT blocks, conditional SC-like stores) keeps its entry value
when the skip is taken: the generated code must load it at entry."""
from __future__ import annotations

from emud.tcg.backend_py import CodegenConfig, compile_tb
from emud.tcg.ir import IRBuilder


class _CPU:
    def __init__(self) -> None:
        self.x = [0] * 4
        self.pc = 0
        self.budget = 100


def _block():
    b = IRBuilder(32)
    b.insn_start(0x100, 2)
    skip = b.label()
    b.brcond("ne", b.reg(1), 0, skip)
    b.mov(b.reg(2), b.add(b.reg(3), 1))
    b.set_label(skip)
    b.goto_tb(0, 0x102)
    return b.ops


def test_skipped_write_keeps_the_entry_value():
    tb = compile_tb(_block(), 0x100, [(0x100, 2)], CodegenConfig(32, chaining=False), {}, {})
    for r1, expect in ((0, 8), (1, 5)):
        cpu = _CPU()
        cpu.x[1], cpu.x[2], cpu.x[3] = r1, 5, 7
        tb.fn(cpu)
        assert cpu.x[2] == expect and cpu.pc == 0x102
