"""Time travel from the monitor console (real emud, -record, the console
over TCP): watch + cont to the stray store's effect, reverse-continue back
to the guilty store, rewind, replay seek, reverse-step, `run until ...
reverse`, info record; each refusal one line."""
from __future__ import annotations

import re

import pytest

from emud.netutil import free_port
from tests.monitor.conftest import Console, Emud


@pytest.fixture
def recording_console(stray_elf):
    port = free_port()
    e = Emud(stray_elf, "-S", "-no-shutdown", "-record", "-monitor", "tcp::%d,server,nowait" % port)
    try:
        c = Console(e.connect(port))
        c.emud = e
        yield c
    finally:
        e.close()


def position(text):
    return int(re.search(r"position (\d+)", text).group(1))


def test_watch_then_reverse_continue_finds_the_guilty_store(recording_console):
    c = recording_console
    info = c.cmd("info record")
    assert "mode: record" in info and "position: 0" in info, info
    assert "write watchpoint" in c.cmd("watch g_state+32 4")      # g_state.mode, after samples[8]
    bss = c.cmd("cont -w timeout 60")
    assert "watchpoint" in bss and "old 0x0, new 0x0" in bss, bss        # the start-up code clearing .bss
    first = c.cmd("cont -w timeout 60")
    assert "watchpoint" in first and "<main" in first and "new 0x1" in first, first
    guilty = c.cmd("cont -w timeout 60")
    assert "watchpoint" in guilty and "<store_sample" in guilty and "old 0x1, new 0xbad" in guilty, guilty
    guilty_pc = re.search(r"at (0x[0-9a-f]+)", guilty).group(1)
    guilty_icount = int(re.search(r"icount (\d+)", guilty).group(1))
    out = c.cmd("cont -w timeout 60")
    assert "guest exited with code 3" in out, out
    back = c.cmd("reverse-continue")
    # at the guilty store itself (one instruction before the forward stop after it), before it ran
    assert back.startswith("stopped: watchpoint at 0x") and "<store_sample" in back and "(reverse)" in back, back
    assert position(back) == guilty_icount - 1, (back, guilty)
    store_pc = int(re.search(r"at (0x[0-9a-f]+)", back).group(1), 16)
    assert 2 <= int(guilty_pc, 16) - store_pc <= 4
    assert c.cmd("x/1wx g_state+32").split()[-1] == "0x00000001"      # the value before the stray store
    back = c.cmd("reverse-continue")
    assert "watchpoint at" in back and "<main" in back, back
    assert "watchpoint at" in c.cmd("rc")
    assert "no more reverse-execution history" in c.cmd("rc")
    # forward through history again: the same stops at the same instruction counts
    assert [c.cmd("cont -w timeout 60") for _ in range(3)][1:] == [first, guilty]


def test_rewind_seek_reverse_step_and_run_until_reverse(recording_console):
    c = recording_console
    out = c.cmd("run until insns 5000")
    assert "icount 5000" in out, out
    info = c.cmd("info record")
    assert "history: 0-5000 (5000 instructions" in info and "memory:" in info and "checkpoints: 1" in info, info
    assert "(every 1000000 instructions or 0.03 CPU seconds)" in info, info
    out = c.cmd("rewind 1000")
    assert position(out) == 4000, out
    out = c.cmd("replay seek 4500")
    assert position(out) == 4500 and "icount 4500" in out, out
    pc_before = re.search(r"at (0x[0-9a-f]+)", c.cmd("rewind 1")).group(1)
    c.cmd("replay seek 4500")
    out = c.cmd("reverse-step")
    assert position(out) == 4499 and pc_before in out, out
    out = c.cmd("reverse-stepi 9")
    assert position(out) == 4490, out
    out = c.cmd("run until insns 90 reverse")
    assert "condition insns fired" in out and "icount 4400 (-90)" in out, out
    out = c.cmd("run until pc main reverse")
    assert "condition pc fired: stopped at" in out and "<main>" in out, out
    assert "main" not in c.cmd("info breakpoints")         # the temporary breakpoint is gone
    out = c.cmd("rc")
    assert "no more reverse-execution history" in out and "position 0 (" in out, out
    # forward again, through history, to the present and on
    out = c.cmd("run until insns 6000")
    assert "icount 6000" in out, out
    assert "position: 6000" in c.cmd("info record")


def test_refusals_are_one_line(recording_console):
    c = recording_console
    assert c.cmd("rewind 1") == "Error: rewind 1: history holds 0 instruction(s) before here (it starts at 0)\n"
    assert c.cmd("replay seek 10") == "Error: position 10 is outside history (0-0)\n"
    assert c.cmd("run until uart /x/ reverse") == \
        "Error: run until uart reverse: only pc and insns conditions run backwards\n"
    assert c.cmd("record start size=12") != ""      # restart: 12 MiB
    assert "limit: 12 MiB" in c.cmd("info record")
    assert c.cmd("record start size=lots") == "Error: record start size=lots: invalid size 'lots' (e.g. size=512M)\n"
    c.cmd("cont")
    assert c.cmd("rewind 1") == "Error: the machine is running (stop it first)\n"
    assert c.cmd("reverse-continue") == "Error: the machine is running (stop it first)\n"
    c.cmd("stop")
    assert c.cmd("record stop").startswith("recording stopped at position")
    assert c.cmd("info record") == "mode: off (record start begins recording)\n"
    assert c.cmd("reverse-step") == "Error: not recording (start with: record start)\n"
    assert c.cmd("record stop") == "Error: not recording\n"
    assert c.cmd("replay seek 0") == "Error: not recording (start with: record start)\n"
