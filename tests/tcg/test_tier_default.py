"""The tier-up default: exec.TIER_UP_CALLS, except on PyPy where a front end
may name its own (Frontend.pypy_tier_up: Cortex-M code is compiled at once);
`-accel tcg,tier-up=N` overrides either. On PyPy, code compiled at first
sight skips our IR optimizer (TBEngine.optimizes_ir)."""
from __future__ import annotations

import pytest

from emud.accel.tcg import TcgAccelerator
from emud.cpu.arm.frontend import ThumbFrontend
from emud.memory import AddressSpace
from emud.tcg import exec as tcg_exec

from .toy import ToyFrontend


@pytest.mark.parametrize("pypy", [False, True])
def test_the_default_follows_the_runtime_and_the_front_end(monkeypatch, pypy):
    monkeypatch.setattr(tcg_exec, "PYPY", pypy)
    assert tcg_exec.default_tier_up(ToyFrontend()) == tcg_exec.TIER_UP_CALLS
    arm = ThumbFrontend()
    assert tcg_exec.default_tier_up(arm) == (0 if pypy else tcg_exec.TIER_UP_CALLS)
    assert TcgAccelerator(arm, AddressSpace()).engine.tier_up_calls == (0 if pypy else tcg_exec.TIER_UP_CALLS)
    assert TcgAccelerator(arm, AddressSpace(), options={"tier-up": "7"}).engine.tier_up_calls == 7


def test_jit_parameters_come_from_the_front_end_only_where_pypy_takes_them():
    engine = tcg_exec.TBEngine(ThumbFrontend(), AddressSpace())
    expected = ThumbFrontend.pypy_jit_params if tcg_exec._set_jit_param is not None else ""
    assert engine.jit_params == expected
    assert tcg_exec.TBEngine(ToyFrontend(), AddressSpace()).jit_params == ""


@pytest.mark.parametrize("pypy", [False, True])
@pytest.mark.parametrize("tier_up", [0, 32])
def test_the_optimizer_is_left_to_pypys_jit_only_for_code_compiled_at_first_sight(monkeypatch, pypy, tier_up):
    monkeypatch.setattr(tcg_exec, "PYPY", pypy)
    engine = TcgAccelerator(ThumbFrontend(), AddressSpace(), options={"tier-up": str(tier_up)}).engine
    assert engine.optimizes_ir() == (not pypy or tier_up > 0)


@pytest.mark.parametrize("items", [[], ["op_opt"]])
def test_the_translation_logs_print_optimized_ops_whatever_the_runtime(monkeypatch, tmp_path, items):
    """What `-d op_opt` prints is what runs: with the log on, blocks are
    optimized on PyPy too."""
    from emud.log import Log
    from tests.cpu.arm.machine import CortexMTestMachine

    monkeypatch.setattr(tcg_exec, "PYPY", True)
    optimized = []
    real = tcg_exec.optimize
    monkeypatch.setattr(tcg_exec, "optimize", lambda ops: optimized.append(len(ops)) or real(ops))
    log_path = tmp_path / "tb.log"
    m = CortexMTestMachine(accel_options={"tier-up": "0"}, log=Log(items, str(log_path)))
    cpu = m.cpus[0]
    m.bus.write_bytes(0x1000, bytes.fromhex("0130" "0130" "fee7"))   # adds r0, #1; adds r0, #1; b .
    cpu.pc = 0x1000
    m.accel.execute(cpu, 3)
    assert cpu.x[0] == 2
    assert bool(optimized) == bool(items)
    if items:
        assert "OP after optimization:" in log_path.read_text()
