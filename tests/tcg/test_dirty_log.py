"""Dirty logging (the engine's record of written RAM chunks, which time
travel's incremental checkpoints stand on) misses no write: inline stores at
register and constant addresses, slow-path stores, code-chunk stores and
debugger writes all show up, and chunks nobody wrote stay out."""
from __future__ import annotations

import pytest

from emud.tcg.exec import TBEngine
from emud.tcg.tb import CHUNK_SHIFT

from ..cpu.riscv.harness import RAM_BASE, Hart, needs_as

DATA = RAM_BASE + 0x8000

PROGRAM = """
    li a0, 0x%x
    li t0, 7
    li t2, 40
loop:
    sw t0, 0(a0)
    sb t0, 0x85(a0)
    addi a0, a0, 0x100
    addi t2, t2, -1
    bnez t2, loop
    li a1, 0x%x
    sw t0, 0(a1)
    wfi
""" % (DATA, RAM_BASE + 0x100)


def _chunks_changed(before: bytes, after: bytes):
    size = 1 << CHUNK_SHIFT
    return {(RAM_BASE >> CHUNK_SHIFT) + i // size for i in range(0, len(before), size)
            if before[i:i + size] != after[i:i + size]}


@needs_as
@pytest.mark.parametrize("tier_up", [0, 1000])
def test_every_written_chunk_is_logged_and_no_other(tier_up):
    h = Hart(32)
    h.asm(PROGRAM)
    engine = TBEngine(h.fe, h.mem)
    engine.tier_up_calls = tier_up
    ram = h.mem.find(RAM_BASE)[0].data
    engine.start_dirty_log()
    before = bytes(ram[:0xE000])
    assert engine.execute(h.cpu, 100_000) == "halted"
    dirty = engine.take_dirty_chunks()
    changed = _chunks_changed(before, bytes(ram[:0xE000]))
    assert changed and changed <= dirty
    assert dirty == changed   # every store here changes its chunk
    # taken: the log starts afresh and the chunks are write-protected again
    h.cpu.pc = RAM_BASE
    h.cpu.halted = False
    engine.execute(h.cpu, 100_000)
    assert engine.take_dirty_chunks() == dirty
    h.mem.write_bytes(RAM_BASE + 0xC000, b"debugger")
    assert engine.take_dirty_chunks() == {(RAM_BASE + 0xC000) >> CHUNK_SHIFT}
    engine.stop_dirty_log()
    assert not any(b & 4 for b in engine.code_pages)
