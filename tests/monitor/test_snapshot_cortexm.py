"""savevm/loadvm file= on the Cortex-M boards, mid-run (the RISC-V versions
are test_snapshot_file.py and test_e2e.py): after loadvm the run repeats the
same UART output, exceptions and instruction count, in the process that
saved the file and in a fresh one, through QMP (the Python client) and the
monitor in-process."""
from __future__ import annotations

from pathlib import Path

import pytest
import trio

from emud.pytest_plugin import emud_machine  # noqa: F401 -- the fixture

from .conftest import needs_machine

pytestmark = [needs_machine]

BUILD = Path(__file__).resolve().parents[2] / "examples" / "build"
BOARDS = ["mps2-an385", "lm3s6965evb"]


def _elf(name, board):
    return BUILD / ("%s-%s.elf" % (name, board))


def _args(board):
    return ["-M", board, "-semihosting"]


def _run(m, until):
    """Run to the UART line matching UNTIL: (icount, pc, UART lines, exceptions taken)."""
    seen = len(m.events)
    r = m.run_until(uart=until, timeout=30)
    assert r["condition"] == "uart", r
    lines = [e["data"]["line"] for e in m.events[seen:] if e["event"] == "UART"]
    traps = [(e["data"]["cause"], e["data"]["icount"]) for e in m.events[seen:] if e["event"] == "TRAP"]
    return r["icount"], r["pc"], lines, traps


@pytest.mark.slow
@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name, stop, until", [
    ("cortexm-systick", "pendsv_handler", "ticks"),            # SysTick counting, PendSV active
    ("cortexm-fault", "busfault_handler_c", "hardfault"),      # in a fault handler, CFSR set
])
def test_savevm_file_mid_run_repeats_the_run(emud_machine, tmp_path, board, name, stop, until):  # noqa: F811
    m = emud_machine(_elf(name, board), _args(board))
    if name == "cortexm-fault" and board == "lm3s6965evb":
        stop = "svc_handler"          # lm3s6965evb raises no BusFault, as QEMU (docs/COMPATIBILITY.md)
    m.run_until(pc=stop, timeout=30)
    m.step(3)
    path = str(tmp_path / "s.snap")
    saved = m.savevm("f", file=path)
    first = _run(m, until)
    assert first[2] and first[3], first
    assert m.loadvm(file=path)["restored_pc"] == saved["pc"]
    assert _run(m, until) == first
    fresh = emud_machine(_elf(name, board), _args(board))
    fresh.step(2)
    assert fresh.loadvm(file=path)["restored_pc"] == saved["pc"]
    assert _run(fresh, until) == first


@pytest.mark.parametrize("board", BOARDS)
async def test_savevm_file_round_trip_is_exact_in_process(tmp_path, board):
    from emud.cli import _parser, build_machine
    from emud.client import LocalMachine

    args, _ = _parser().parse_known_args(["-M", board, "-kernel", str(_elf("cortexm-systick", board)),
                                          "-nographic", "-serial", "none", "-semihosting"])
    machine, _serial = build_machine(args)
    path = tmp_path / "s.snap"
    async with trio.open_nursery() as nursery:
        await nursery.start(machine.run)
        m = LocalMachine(machine)
        await m.run_until(pc="pendsv_handler")
        want = machine.save_snapshot()
        await m.hmp("savevm s file=%s" % path)
        await m.step(200)
        assert machine.save_snapshot() != want
        text = await m.hmp("loadvm file=%s" % path)
        assert not text.startswith("Error"), text
        assert machine.save_snapshot() == want
        await m.quit()
