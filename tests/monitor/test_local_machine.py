"""The Python client in-process (LocalMachine.from_args) and over QMP: the
README's example as written, `run until` saying which condition ended it,
events and UART lines alike on every client, and gdb's watchpoints beside
the monitor's on one machine."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from emud.client import LocalMachine
from emud.pytest_plugin import emud_machine  # noqa: F401 -- the fixture under test

from .conftest import needs_machine

pytestmark = [needs_machine, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def readme_example() -> str:
    """The in-process example of the README, unindented."""
    text = (REPO / "README.md").read_text()
    m = re.search(r"\n((?:    .*\n|\n)*?    from emud\.client import LocalMachine\n(?:    .*\n|\n)*?    trio\.run\(main\)\n)",
                  text)
    assert m, "the README's LocalMachine example is gone"
    return "\n".join(line[4:] for line in m.group(1).splitlines()) + "\n"


def test_the_readme_example_runs_as_written(demo_elf):
    code = readme_example().replace('"fw.elf"', repr(str(demo_elf)))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(r"main 0x8[0-9a-f]{7}\n", out.stdout), out.stdout


async def test_run_until_uart_reports_uart_and_lines_are_a_property(demo_elf, nursery):
    m = LocalMachine.from_args(["-kernel", str(demo_elf)])
    await nursery.start(m.run)
    r = await m.run_until(uart=r"tick 5\n")
    assert r["condition"] == "uart" and r["stop"]["reason"] == "uart"      # not "interrupt"
    assert m.uart_lines == ["boot", "tick 5"] and m.uart_lines() == ["boot", "tick 5"]
    assert [e["event"] for e in m.events].count("UART") == 2
    r = await m.run_until(trap=True)
    assert r["condition"] == "trap" and r["stop"]["reason"] == "trap"
    await m.quit()


async def test_gdbs_watchpoint_wins_over_the_monitors(demo_elf, nursery):
    m = LocalMachine.from_args(["-kernel", str(demo_elf)])
    await nursery.start(m.run)
    await m.run_until(pc="main")
    counter = await m.eval("counter")
    gdbs = m.target.add_breakpoint("write", counter, 4)          # as the stub's Z2 does
    mine = await m.watch("counter")
    assert mine != gdbs.number
    before = await m.cont()
    assert before["stop"]["reason"] == "watchpoint" and "old" not in before["stop"]
    assert (await m.disas(before["pc"], 1))[0]["mnemonic"] in ("sw", "c.sw")   # not done yet
    assert m.target.remove_breakpoint("write", counter, 4)       # gdb's goes, the monitor's stays
    assert [b["number"] for b in await m.breakpoints()] == [mine]
    after = await m.cont()                                       # that store, then the next one
    assert after["stop"]["old"] == 1 and after["stop"]["new"] == 3
    await m.quit()


def test_qmp_client_uart_lines_property(emud_machine, demo_elf):  # noqa: F811
    m = emud_machine(demo_elf)
    r = m.run_until(uart=r"tick 10\n")
    assert r["stop"]["reason"] == "uart"
    assert m.uart_lines == ["boot", "tick 5", "tick 10"] == m.uart_lines()
