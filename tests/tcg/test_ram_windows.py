"""The inline RAM path serves every RAM and ROM mapping (a window each), not
only the largest RAM: a Cortex-M board keeps code and literals in one RAM,
data and stack in another, and mirrors them (mps2-an385's SSRAM1 at 0x0 and
0x400000). Checked on a toy guest with a counting bus: accesses to each
window stay off the bus once compiled; a store through a mirror still
invalidates the code it overwrites; ROM stays read-only; dirty logging sees
writes in every region at every address they are mapped at; an instruction
that moves to another window gets code that tries it."""
from __future__ import annotations

from emud.memory import AddressSpace, RamRegion, RomRegion
from emud.tcg.exec import TBEngine, Watchpoint
from emud.tcg.tb import CHUNK_SHIFT

from .toy import ToyCPU, ToyFrontend, enc

CODE, MIRROR, DATA, ROM = 0x0, 0x10000, 0x20000000, 0x30000000


class CountingBus(AddressSpace):
    """Counts the guest accesses that reach the bus (the inline path's misses)."""

    def __init__(self) -> None:
        super().__init__()
        self.accesses = 0

    def read(self, addr, size):
        self.accesses += 1
        return super().read(addr, size)

    def write(self, addr, size, value):
        self.accesses += 1
        super().write(addr, size, value)


def make(program: bytes, tier_up: int = 0):
    bus = CountingBus()
    code = RamRegion("code", 0x10000)
    bus.map(CODE, code)
    bus.map(MIRROR, code)
    data = bus.map(DATA, RamRegion("data", 0x8000))
    rom = bus.map(ROM, RomRegion("rom", 0x1000))
    rom.load(0, (0x1234).to_bytes(4, "little"))
    code.data[:len(program)] = program
    engine = TBEngine(ToyFrontend(), bus)
    engine.tier_up_calls = tier_up
    cpu = ToyCPU()
    cpu.pc = CODE
    return engine, cpu, bus, code, data


# r1 iterations of: data[0] += 1; r4 = rom[0]; code[0x800] = r1 (through the mirror)
LOOP = b"".join([
    enc(3, 3, 5, 0),            # 0: r3 = [r5]        (DATA)
    enc(1, 3, 3, 1),            # 4: r3 += 1
    enc(4, 3, 5, 0),            # 8: [r5] = r3
    enc(3, 4, 6, 0),            # 12: r4 = [r6]       (ROM)
    enc(4, 1, 7, 0),            # 16: [r7] = r1       (MIRROR + 0x800)
    enc(1, 1, 1, -1),           # 20: r1 -= 1
    enc(2, 1, 0, -6),           # 24: r1 != 0 -> 0
    enc(7),                     # 28: halt
])


def run(engine, cpu, quantum=300):
    """Quanta until the halt (a stale TB looping in place runs to the end of its quantum)."""
    for _ in range(10**4):
        reason = engine.execute(cpu, quantum)
        if reason != "budget":
            return reason
    return reason


def _start_loop(cpu, n):
    cpu.pc, cpu.halted = CODE, False
    cpu.x = [0, n, 0, 0, 0, DATA, ROM, MIRROR + 0x800]


def test_accesses_to_every_window_stay_off_the_bus():
    engine, cpu, bus, code, data = make(LOOP, tier_up=4)
    _start_loop(cpu, 2000)
    assert run(engine, cpu) == "halted"
    assert int.from_bytes(data.data[0:4], "little") == 2000
    assert cpu.x[4] == 0x1234
    assert int.from_bytes(code.data[0x800:0x804], "little") == 1
    # tier 0 and a few retranslations go through the bus; 2000 iterations do not
    assert bus.accesses < 200, bus.accesses


def test_a_store_through_a_mirror_invalidates_the_code_it_overwrites():
    prog = b"".join([
        enc(4, 4, 5, 0),        # 0: [r5] = r4   (r5 = MIRROR + 12: the ADDI at 12)
        enc(2, 5, 0, 2),        # 4: r5 != 0 -> 12
        enc(7),                 # 8
        enc(1, 2, 2, 1),        # 12: r2 += 1 (rewritten to r2 += 5)
        enc(7),                 # 16
    ])
    for tier_up in (0, 2):
        engine, cpu, bus, code, data = make(prog, tier_up)
        for new in (enc(1, 2, 2, 1), enc(1, 2, 2, 1), enc(1, 2, 2, 1), enc(1, 2, 2, 5), enc(1, 2, 2, 7)):
            # the same word a few times (the block at 12 gets hot), then new code
            cpu.pc, cpu.halted, cpu.x = CODE, False, [0] * 8
            cpu.x[5] = MIRROR + 12
            cpu.x[4] = int.from_bytes(new, "little")
            assert engine.execute(cpu, 1000) == "halted"
            assert cpu.x[2] == (new[3] if new[3] < 128 else new[3] - 256), (tier_up, new)


def test_rom_is_read_inline_and_stays_read_only():
    prog = b"".join([enc(3, 4, 6, 0), enc(4, 3, 6, 0), enc(1, 1, 1, -1), enc(2, 1, 0, -3), enc(7)])
    engine, cpu, bus, code, data = make(prog)
    for i, expect in enumerate((0x1234, 0x1234, 0x99)):
        if expect == 0x99:
            bus.write_bytes(ROM, (0x99).to_bytes(4, "little"))     # a debugger or loader
        before = bus.accesses
        cpu.pc, cpu.halted, cpu.x = CODE, False, [0, 500, 0, 7, 0, 0, ROM, 0]
        assert run(engine, cpu) == "halted"
        assert cpu.x[4] == expect and bus.read(ROM, 4) == expect
        if i == 1:
            # the loads inline; every store goes to the bus, which drops it
            assert 500 <= bus.accesses - before < 520


def test_dirty_log_sees_every_region_at_every_address_it_is_mapped_at():
    engine, cpu, bus, code, data = make(LOOP)
    _start_loop(cpu, 50)
    engine.execute(cpu, 10**5)      # compiled and inline from here
    engine.start_dirty_log()
    _start_loop(cpu, 50)
    assert run(engine, cpu) == "halted"
    dirty = engine.take_dirty_chunks()
    assert dirty == {DATA >> CHUNK_SHIFT, (CODE + 0x800) >> CHUNK_SHIFT, (MIRROR + 0x800) >> CHUNK_SHIFT}
    _start_loop(cpu, 50)
    run(engine, cpu)
    assert engine.take_dirty_chunks() == dirty
    assert engine.take_dirty_chunks() == set()
    engine.stop_dirty_log()
    assert not any(b & 4 for m in engine.ram_maps for b in m.cp)


def test_a_watchpoint_in_a_second_window_stops_and_unwatched_accesses_stay_inline():
    engine, cpu, bus, code, data = make(LOOP)
    _start_loop(cpu, 100)
    run(engine, cpu)
    engine.set_watchpoints([Watchpoint(DATA, 4, "write")])
    _start_loop(cpu, 100)
    assert run(engine, cpu) == "debug"
    assert cpu.pc == CODE + 8 and cpu.watch_hit[0] == "write"
    engine.set_watchpoints([])
    before = bus.accesses
    _start_loop(cpu, 1000)
    assert run(engine, cpu) == "halted"
    assert bus.accesses - before < 50


def test_an_instruction_that_moves_to_another_window_gets_code_that_tries_it():
    prog = b"".join([enc(3, 3, 5, 0), enc(1, 1, 1, -1), enc(2, 1, 0, -2), enc(7)])
    engine, cpu, bus, code, data = make(prog)
    data.data[0:4] = (77).to_bytes(4, "little")
    code.data[0x900:0x904] = (88).to_bytes(4, "little")
    for base, expect in ((DATA, 77), (MIRROR + 0x900, 88), (CODE + 0x900, 88), (DATA, 77)):
        before = bus.accesses
        cpu.pc, cpu.halted, cpu.x = CODE, False, [0, 3000, 0, 0, 0, base, 0, 0]
        assert run(engine, cpu) == "halted"
        assert cpu.x[3] == expect
        # (the code made before a move runs to the end of its quantum)
        assert bus.accesses - before < 300, (hex(base), bus.accesses - before)


def _first_window_tried(engine, pc):
    source = engine.cache.lookup(pc, 0).source
    return next(line for line in source.splitlines() if line.strip().startswith("_o = "))


def test_a_block_compiled_before_it_ran_tries_the_busiest_window_first():
    # both windows are tried by accesses with no hint of their own (many pcs
    # used each); DATA, used by more, is checked before CODE, which comes first
    # by address
    prog = b"".join([enc(3, 3, 5, 0), enc(7)])
    engine, cpu, bus, code, data = make(prog, tier_up=0)
    code_i = 0                           # CODE: the lowest base
    data_i = next(i for i, m in enumerate(engine._win_maps) if m.writable and m is not engine._win_maps[code_i])
    for n in range(9):
        engine._hint(0x1000 + 4 * n, code_i)
    for n in range(10):
        engine._hint(0x2000 + 4 * n, data_i)
    assert engine.default_windows == engine._win_bits[code_i] | engine._win_bits[data_i]
    data.data[0:4] = (5).to_bytes(4, "little")
    cpu.x = [0, 0, 0, 0, 0, DATA, 0, 0]
    assert run(engine, cpu) == "halted" and cpu.x[3] == 5
    assert "0x20000000" in _first_window_tried(engine, CODE)


def test_between_equally_busy_windows_the_one_without_code_is_tried_first():
    engine, cpu, bus, code, data = make(LOOP, tier_up=0)
    _start_loop(cpu, 2)
    run(engine, cpu)                     # code translated in CODE's region
    code_i = next(i for i, m in enumerate(engine._win_maps) if any(m.cp))
    data_i = next(i for i, m in enumerate(engine._win_maps) if m.writable and not any(m.cp))
    engine._win_pcs = [0] * len(engine._win_pcs)
    engine._hint(0x100, code_i)
    engine._hint(0x104, data_i)
    assert engine.default_first == engine._win_bits[data_i]
