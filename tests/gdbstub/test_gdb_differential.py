"""Differential: one gdb script against qemu-system-riscv32 and against emud;
the stop reasons, functions, lines and values must be the same."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.gdbstub.gdb_driver import emud_command, qemu_command, session, source_lines

pytestmark = [pytest.mark.gdb, pytest.mark.qemu, pytest.mark.slow]

LINES = source_lines()


def where(stop):
    f = stop.get("frame", {})
    return (stop.get("reason"), f.get("func"), f.get("line"))


def script(gdb):
    """What a firmware developer does; returns what they would see."""
    seen = []
    gdb.cli("break main")
    seen.append(("break main", where(gdb.go("continue"))))
    seen.append(("next", where(gdb.go("next"))))
    seen.append(("step", where(gdb.go("step"))))
    seen.append(("n", gdb.value("n")))
    seen.append(("next", where(gdb.go("next"))))
    stop = gdb.go("finish")
    seen.append(("finish", where(stop), stop.get("return-value")))
    gdb.cli("break square")
    seen.append(("continue", where(gdb.go("continue"))))
    seen.append(("bt", [line.split(" in ")[-1].split(" (")[0].split()[-1]
                        for line in gdb.cli("bt").splitlines() if line.startswith("#")]))
    seen.append(("x", gdb.value("x")))
    seen.append(("finish", gdb.go("finish").get("return-value")))
    gdb.cli("delete")
    gdb.cli("hbreak poke")
    seen.append(("hbreak", where(gdb.go("continue"))))
    gdb.cli("delete")
    gdb.cli("watch watched")
    stop = gdb.go("continue")
    seen.append(("watch", where(stop), stop.get("value")))
    gdb.cli("delete")
    gdb.cli("rwatch watched")
    stop = gdb.go("continue")
    seen.append(("rwatch", where(stop), stop.get("value")))
    gdb.cli("delete")
    gdb.cli("break *ecall_site")
    gdb.go("continue")
    seen.append(("stepi over ecall", where(gdb.go("stepi")), gdb.value("(long)$pc - (long)&ecall_site"),
                 gdb.value("trap_cause")))
    seen.append(("registers", gdb.value("$mcause"), gdb.value("$mtvec == (long)&trap_entry"),
                 gdb.value("$mhartid"), gdb.value("$priv")))
    seen.append(("x/2i", [line.split(":", 1)[1].strip() for line in gdb.cli("x/2i $pc").splitlines() if ":" in line]))
    seen.append(("origin", gdb.value("origin"), gdb.value("result")))
    # (The firmware's exit is not compared: QEMU's sifive_test calls exit()
    # without telling gdb, which sees "Remote connection closed"; emud sends
    # W<code>, see test_session_ends_when_the_firmware_exits.)
    return seen


def test_same_session_on_qemu_and_emud(gdbtest_elf, require_qemu):
    require_qemu(32)
    with session(qemu_command, gdbtest_elf) as (emu, gdb):
        on_qemu = script(gdb)
    with session(emud_command, gdbtest_elf) as (emu, gdb):
        on_emud = script(gdb)
    for q, e in zip(on_qemu, on_emud):
        assert e == q
    assert len(on_emud) == len(on_qemu)
    # and the script saw what the source says
    assert on_emud[0] == ("break main", ("breakpoint-hit", "main", str(LINES["main_first"])))
    assert ("finish", ("function-finished", "main", str(LINES["main_sum"])), "15") in on_emud
    assert ("x", "16") in on_emud
    assert on_emud[-4][:2] == ("stepi over ecall", ("end-stepping-range", "do_ecall", str(LINES["ecall"] + 1)))


def _stop_text(gdb, command):
    """What gdb's console prints for a resume and the stop it ends in."""
    mark = len(gdb.log)
    gdb._stops.clear()
    gdb.cli(command)
    gdb.wait_stop()
    gdb._read(0.3)
    return gdb.console_text(gdb.log[mark:])


def threads_script(gdb):
    """Thread and process names as gdb prints them with several harts: QEMU
    takes gdb's multiprocess extensions and names no thread."""
    gdb.cli("break main")
    seen = [("continue", _stop_text(gdb, "continue"))]
    # the current hart's line (where the other harts are depends on timing)
    current = [line for line in gdb.cli("info threads").splitlines() if line.startswith("*")]
    seen.append(("info threads", [" ".join(line.split()) for line in current]))
    seen.append(("thread 2", gdb.cli("thread 2").splitlines()[0]))
    seen.append(("thread 1", gdb.cli("thread 1").splitlines()[0]))
    inferiors = re.sub(r"remote :\d+", "remote :PORT", gdb.cli("info inferiors"))
    seen.append(("info inferiors", [" ".join(line.split()) for line in inferiors.splitlines()]))
    seen.append(("kill", gdb.cli("kill").strip()))
    return seen


def test_thread_and_process_names_as_on_qemu(gdbtest_elf, require_qemu):
    require_qemu(32)
    with session(qemu_command, gdbtest_elf, ["-smp", "2"]) as (emu, gdb):
        on_qemu = threads_script(gdb)
    with session(emud_command, gdbtest_elf, ["-smp", "2"]) as (emu, gdb):
        on_emud = threads_script(gdb)
    for q, e in zip(on_qemu, on_emud):
        assert e == q
    assert len(on_emud) == len(on_qemu)
    assert "Thread 1 hit Breakpoint 1, main ()" in on_emud[0][1]
    assert on_emud[1][1][0].startswith("* 1 Thread 1.1 (CPU#0 [running]) main ()")
    assert on_emud[-1] == ("kill", "[Inferior 1 (process 1) killed]")


TICK_WORK = Path(__file__).resolve().parents[1] / "firmware" / "tick_work.c"
ICOUNT_NO_SLEEP = ["-icount", "shift=6,align=off,sleep=off"]    # Zephyr's boards run QEMU so


def icount_script(gdb):
    """Stops at a breakpoint, a watchpoint and single steps under -icount
    sleep=off: guest time at each stop and the ticks taken after it. (Not
    compared: mip after a watchpoint or a step, clear on QEMU, where emud's
    timer has fired already.)"""
    mtime = "*(unsigned long long *)0x200bff8"
    seen = []
    gdb.cli("break tick_handler")
    for _ in range(3):
        gdb.go("continue")
        seen.append(("tick", gdb.value("ticks"), gdb.value(mtime), gdb.value("deadline"), gdb.value("$mip")))
    gdb.cli("delete")
    gdb.cli("watch work_tick")
    for _ in range(2):
        stop = gdb.go("continue")
        seen.append(("watch", stop.get("reason"), gdb.value("ticks"), gdb.value(mtime)))
    gdb.cli("delete")
    for _ in range(3):
        gdb.go("stepi")
        seen.append(("stepi", gdb.value("$pc"), gdb.value("ticks"), gdb.value(mtime)))
    # (no continue after the steps: QEMU 7.2 runs on without stopping there)
    return seen


def test_guest_time_at_debug_stops_under_icount_as_on_qemu(build_firmware, require_qemu):
    # QEMU 7.2 moves virtual time on to the next timer deadline at every
    # breakpoint, watchpoint and single-step stop (-icount sleep=off, the
    # other CPUs idle); a session there sees ticks QEMU's way only if emud does too
    require_qemu(32)
    elf = build_firmware(TICK_WORK, 32, defines={"TICKS": 1000000})
    with session(qemu_command, elf, ICOUNT_NO_SLEEP) as (emu, gdb):
        on_qemu = icount_script(gdb)
    with session(emud_command, elf, ICOUNT_NO_SLEEP) as (emu, gdb):
        on_emud = icount_script(gdb)
    for q, e in zip(on_qemu, on_emud):
        assert e == q
    assert len(on_emud) == len(on_qemu)
    # each stop moved time on to the deadline the handler had just set
    first = on_emud[0]
    assert first[2] == first[3] and first[4] == "128"

