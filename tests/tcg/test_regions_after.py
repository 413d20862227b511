"""Regions past a bound (TBEngine.regions_after): once that many compiled TBs
exist, the engine flushes its cache and translates regions from then on
(on PyPy, RISC-V's default: Frontend.pypy_regions_after). What runs must not
change: checked against the one-instruction-per-TB reference with the switch
happening mid-run, after tier-0 runs, with budget slices; and the switch
itself, its defaults and `-accel tcg,regions=on|off`."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emud.accel.base import AccelError
from emud.accel.tcg import TcgAccelerator
from emud.cpu.arm.frontend import ThumbFrontend
from emud.cpu.riscv.frontend import RiscvFrontend
from emud.memory import AddressSpace
from emud.tcg import exec as tcg_exec

from .test_engine import BASE, counting_loop, make, run_to_halt
from .test_loop_region import assemble_loop, loop_insn
from .test_region import assemble, insn, loop_with_if, run_in_chunks, run_reference
from .toy import ToyFrontend


def switching_engine(prog, after, tier_up=0):
    engine, cpu, ram = make(prog, tier_up=tier_up)
    engine.regions_after = after
    return engine, cpu, ram


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.lists(st.integers(1, 200), min_size=1, max_size=6),
       st.integers(1, 4), st.sampled_from([0, 1, 3]))
def test_switching_to_regions_mid_run_matches_single_instruction_reference(body, chunks, after, tier_up):
    prog = assemble(body)
    engine, cpu, ram = switching_engine(prog, after, tier_up)
    _, got = run_in_chunks(engine, cpu, ram, chunks)
    assert got == run_reference(prog, sum(chunks))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 40), st.lists(loop_insn(), min_size=1, max_size=16),
       st.lists(st.integers(1, 300), min_size=1, max_size=6), st.integers(1, 3))
def test_switching_to_regions_in_loops_matches_reference(count, body, chunks, after):
    prog = assemble_loop(count, body)
    engine, cpu, ram = switching_engine(prog, after)
    _, got = run_in_chunks(engine, cpu, ram, chunks)
    assert got == run_reference(prog, sum(chunks))


def test_the_engine_starts_over_with_regions_at_the_bound():
    prog = loop_with_if(50)
    engine, cpu, _ = switching_engine(prog, after=2)
    flushes = []
    engine.on_tb_flush.append(lambda: flushes.append(engine.compiled_tbs))
    cpu.x[3] = 7
    assert not engine.regions
    engine.execute(cpu, 10**5)
    assert cpu.halted and cpu.x[2] == 50 and cpu.x[4] == 1 and cpu.x[1] == 0
    assert cpu.instructions_retired() == 1 + 50 * 4 + 1 + 1
    # one flush, at the second compiled TB; from then on the loop is one region
    assert engine.regions and flushes == [0]
    tb = engine.cache.lookup(BASE + 4, 0)
    assert tb.blocks >= 3 and "continue" in tb.source


def test_no_bound_no_switch():
    engine, cpu, _ = switching_engine(counting_loop(100), after=None)
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 100 and not engine.regions and engine.compiled_tbs >= 2


def test_regions_stay_on_after_a_flush_or_a_reset():
    engine, cpu, _ = switching_engine(counting_loop(100), after=1)
    run_to_halt(engine, cpu)
    assert engine.regions
    engine.flush()
    assert engine.regions and engine.compiled_tbs == 0


@pytest.mark.parametrize("pypy", [False, True])
def test_the_default_is_riscv_on_pypy_only(monkeypatch, pypy):
    monkeypatch.setattr(tcg_exec, "PYPY", pypy)
    riscv = RiscvFrontend(32)
    assert tcg_exec.default_regions_after(riscv) == (RiscvFrontend.pypy_regions_after if pypy else None)
    assert tcg_exec.default_regions_after(ThumbFrontend()) is None
    assert tcg_exec.default_regions_after(ToyFrontend()) is None
    engine = TcgAccelerator(riscv, AddressSpace()).engine
    assert engine.regions_after == tcg_exec.default_regions_after(riscv) and not engine.regions
    # the integer workloads compile 15-32 TBs: they stay plain
    assert RiscvFrontend.pypy_regions_after > 32


@pytest.mark.parametrize("value, regions", [("on", True), ("off", False)])
def test_the_accel_option_fixes_regions_for_the_whole_run(value, regions):
    engine = TcgAccelerator(RiscvFrontend(32), AddressSpace(), options={"regions": value}).engine
    assert engine.regions == regions and engine.regions_after is None


def test_a_bad_regions_value_is_one_clear_error():
    with pytest.raises(AccelError, match="regions must be on or off"):
        TcgAccelerator(RiscvFrontend(32), AddressSpace(), options={"regions": "yes"})


@pytest.mark.parametrize("pypy", [False, True])
def test_regions_compiled_at_first_sight_leave_the_optimizer_to_pypy(monkeypatch, pypy):
    monkeypatch.setattr(tcg_exec, "PYPY", pypy)
    engine = TcgAccelerator(RiscvFrontend(32), AddressSpace(), options={"regions": "on"}).engine
    assert engine.optimizes_ir() == (not pypy)
    engine = TcgAccelerator(RiscvFrontend(32), AddressSpace(), options={"regions": "off"}).engine
    assert engine.optimizes_ir()
