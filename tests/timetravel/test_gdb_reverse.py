"""Reverse debugging with the real gdb-multiarch against emud recording from
the start: the stray-pointer firmware (tests/firmware/stray.c), whose timer
interrupt handler corrupts g_state.mode. Every reverse command's landing is
checked against the same point reached going forward: every register
(minstret included: the instruction count), and RAM up to the top of the
stack."""
from __future__ import annotations

import hashlib
from typing import Dict, Tuple

import pytest

from tests.gdbstub.gdb_driver import Gdb, session, source_lines
from tests.timetravel.conftest import FIRMWARE, recording_command

LINES = source_lines(FIRMWARE / "stray.c")

State = Tuple[Tuple[Tuple[str, str], ...], str]


def machine_state(gdb: Gdb) -> State:
    """(every register's value, a digest of RAM from its start to the stack's top)."""
    names = gdb.run("-data-list-register-names")[-1]["payload"]["register-names"]
    values = gdb.run("-data-list-register-values x")[-1]["payload"]["register-values"]
    regs = tuple(sorted((names[int(v["number"])], v["value"]) for v in values if names[int(v["number"])]))
    top = int(gdb.value("(unsigned long)&__stack_top").split()[0], 0)
    mem = gdb.run("-data-read-memory-bytes 0x80000000 %d" % (top - 0x80000000))[-1]["payload"]["memory"]
    digest = hashlib.sha256("".join(block["contents"] for block in mem).encode()).hexdigest()
    return regs, digest


def reg(state: State, name: str) -> int:
    return int(dict(state[0])[name], 16)


def where(stop: Dict) -> Tuple[str, int]:
    frame = stop.get("frame") or {}
    return frame.get("func"), int(frame.get("line") or 0)


def _ci(gdb: Gdb, text: str) -> str:
    return gdb.cli(text, timeout=60)


@pytest.fixture
def gdb_session(stray_elf, require_gdb_e2e):
    with session(recording_command, stray_elf) as (emu, gdb):
        gdb.timeout = 60
        yield emu, gdb


@pytest.mark.slow
def test_watch_reverse_continue_lands_on_the_guilty_store(gdb_session):
    _, gdb = gdb_session
    _ci(gdb, "watch g_state.mode")
    first = gdb.go("continue")                 # main sets mode = 1
    assert first["reason"] == "watchpoint-trigger" and first["value"]["new"] == "1"
    bad = gdb.go("continue")                   # the handler's stray store
    assert bad["reason"] == "watchpoint-trigger"
    assert where(bad)[0] == "store_sample"
    corrupted = bad["value"]["new"]
    assert int(corrupted) & 0xFFF00000 == 0xBAD00000
    forward_after = machine_state(gdb)         # forward: just past the store

    back = gdb.go("reverse-continue")
    assert back["reason"] == "watchpoint-trigger"
    assert where(back) == ("store_sample", LINES["guilty"])
    # gdb's reverse view: "old" is the later value, "new" the earlier one
    assert back["value"] == {"old": corrupted, "new": "1"}
    assert "sw\t" in _ci(gdb, "x/i $pc")       # on the store itself
    assert gdb.value("g_state.mode") == "1"
    assert "#1" in _ci(gdb, "bt") and "tick_handler" in _ci(gdb, "bt")
    landed = machine_state(gdb)
    assert reg(landed, "minstret") == reg(forward_after, "minstret") - 1
    # one instruction forward again is exactly where the forward run stopped
    gdb.go("stepi")
    assert machine_state(gdb) == forward_after
    assert gdb.value("g_state.mode") == corrupted

    # further back: main's own store of 1, then the start of history
    back = gdb.go("reverse-continue")
    back = gdb.go("reverse-continue")
    assert where(back)[0] == "main" and back["value"] == {"old": "1", "new": "0"}
    _ci(gdb, "delete")
    gdb.start("reverse-continue")
    gdb.wait_stop()
    assert "No more reverse-execution history" in Gdb.console_text(gdb.log[-30:])
    assert reg(machine_state(gdb), "pc") == 0x1000

    # forward again: through history to the present, then live to the guest's exit
    gdb.start("continue")
    gdb.wait_stop(timeout=60)
    assert "exited with code 03" in Gdb.console_text(gdb.log[-30:])


@pytest.mark.slow
def test_reverse_steps_match_the_forward_run(gdb_session):
    _, gdb = gdb_session
    _ci(gdb, "break stray.c:%d" % LINES["call_add"])
    stop = gdb.go("continue")
    stop = gdb.go("continue")                  # a later round: history behind us
    assert where(stop) == ("work", LINES["call_add"])
    at_call_line = machine_state(gdb)
    _ci(gdb, "delete")

    # stepi forward, recording each state; reverse-stepi gives them back in turn
    forward = [machine_state(gdb)]
    for _ in range(6):
        gdb.go("stepi")
        forward.append(machine_state(gdb))
    for expected in reversed(forward[:-1]):
        stop = gdb.go("reverse-stepi")
        assert stop["reason"] == "end-stepping-range"
        assert machine_state(gdb) == expected
    assert machine_state(gdb) == at_call_line

    # reverse-nexti over the call instruction: back from after the call to the jal
    _ci(gdb, "break stray.c:%d" % LINES["after_add"])
    gdb.go("continue")
    after_add = machine_state(gdb)
    _ci(gdb, "delete")
    for _ in range(3):
        gdb.go("nexti")
    gdb.go("reverse-nexti")
    gdb.go("reverse-nexti")
    gdb.go("reverse-nexti")
    assert machine_state(gdb) == after_add

    # reverse-next over the call to add: the start of the call's line, as forward
    stop = gdb.go("reverse-next")
    assert where(stop) == ("work", LINES["call_add"])
    assert machine_state(gdb) == at_call_line

    # next forward again: after the call, as before
    stop = gdb.go("next")
    assert where(stop) == ("work", LINES["after_add"])
    assert machine_state(gdb) == after_add

    # reverse-step goes into add, at its last line; reverse-finish to the call in work
    stop = gdb.go("reverse-step")
    assert where(stop)[0] == "add"
    stop = gdb.go("reverse-finish")
    assert where(stop) == ("work", LINES["call_add"])
    state = machine_state(gdb)
    assert reg(state, "minstret") < reg(after_add, "minstret")
    assert "jal" in _ci(gdb, "x/i $pc") or "call" in _ci(gdb, "x/i $pc")
