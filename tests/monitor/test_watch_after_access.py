"""The monitor's watchpoints stop right after the access (issue 9): the
accessing instruction done, pc at the next one, nothing after it executed,
the old and new values reported; in the reply of `cont -w` / `run until`,
on the console, in the QMP WATCHPOINT event and through the Python client.
(gdb's own watchpoints keep stopping before the access, as QEMU's stub
does: tests/gdbstub/test_gdb_watch_differential.py.)"""
from __future__ import annotations

import re

import pytest

from emud.pytest_plugin import emud_machine  # noqa: F401 -- the fixture under test

from .conftest import needs_machine

pytestmark = [needs_machine, pytest.mark.slow]

STORES, LOADS = ("sw", "c.sw", "sd", "c.sd"), ("lw", "c.lw", "ld", "c.ld")


def after(rows, mnemonics):
    """The pc right after tick()'s first instruction among ``mnemonics``."""
    row = next(r for r in rows if r["mnemonic"] in mnemonics)
    return row["addr"] + len(row["bytes"]) // 2


def test_client_watch_stops_after_the_store_with_old_and_new(emud_machine, demo_elf):  # noqa: F811
    m = emud_machine(demo_elf)
    tick = m.disas("tick", 12)
    m.run_until(pc="main")                  # past the start-up code's clearing of .bss
    m.watch("counter")
    first = m.cont()
    assert first["stop"]["reason"] == "watchpoint"
    assert first["pc"] == after(tick, STORES) and first["symbol"].startswith("tick+")
    assert (first["stop"]["old"], first["stop"]["new"]) == (0, 1)      # tick(1): counter += 1, done
    assert m.read_memory("counter", 4) == (1).to_bytes(4, "little")
    event = m.wait_event("WATCHPOINT")["data"]
    assert (event["pc"], event["old"], event["new"], event["kind"]) == (first["pc"], 0, 1, "write")
    second = m.cont()                       # the next store, not this one again
    assert (second["pc"], second["stop"]["old"], second["stop"]["new"]) == (first["pc"], 1, 3)
    assert second["icount"] > first["icount"] + 1


def test_read_watch_and_run_until_stop_after_the_load(emud_machine, demo_elf):  # noqa: F811
    m = emud_machine(demo_elf)
    tick = m.disas("tick", 12)
    m.run_until(pc="main")
    m.watch("counter", 4, "r")
    r = m.run_until(pc="fw_exit")
    assert r["condition"] is None and r["stop"]["reason"] == "watchpoint"
    assert r["pc"] == after(tick, LOADS) and r["stop"]["old"] == r["stop"]["new"] == 0
    # one step from here runs the instruction after the load, not the load again
    assert m.step(1)["retired"] == 1


def test_console_watch_notice_and_reply(console):
    c = console
    c.cmd("run until pc main")
    c.cmd("watch counter")
    out = c.cmd("cont -w")
    assert re.search(r"stopped: watchpoint at 0x[0-9a-f]+ <tick\+\d+> hart 0 "
                     r"\(write watchpoint at 0x[0-9a-f]+: old 0x0, new 0x1\)", out), out
    # the instruction before the new pc is the store: the access is done
    assert c.cmd("x/1wx counter").split()[1] == "0x00000001"


def test_back_to_back_accesses_each_stop_once(emud_machine, build_firmware):  # noqa: F811
    # widths() stores and loads pair's bytes in a row: resuming from a stop
    # after one access must not run the next one unwatched
    from tests.gdbstub.gdb_driver import FIRMWARE_DIR
    elf = build_firmware([FIRMWARE_DIR / "start.S", FIRMWARE_DIR / "watch.c"], runtime=False, opt="-O2",
                         name="gdb-watch")
    m = emud_machine(elf)
    m.run_until(pc="widths")
    m.watch("pair", 8, "a")
    stops = []
    while True:
        r = m.cont()
        if r["stop"]["reason"] != "watchpoint" or not r.get("symbol", "").startswith("widths"):
            break
        stops.append((r["pc"], r["stop"]["old"], r["stop"]["new"]))
    assert len(stops) == 6 and len({pc for pc, _, _ in stops}) == 6     # sb, sh, sw, lbu, lhu, lw
    assert stops[2][2] == 0x0303030302020001 and stops[-1][1] == stops[-1][2]
