"""gdb-multiarch on both Cortex-M boards, against qemu-system-arm and emud:

* the session of test_gdb_cortexm.py (reset state, break main, stepi, a
  breakpoint in the SysTick handler, ``bt`` through the exception frame,
  hbreak in PendSV, finish) on lm3s6965evb too;
* stepping into and out of exception handlers: ``stepi`` over an SVC, UDF
  and the handlers' returns, including the SVC handler's return that
  tail-chains into PendSV (examples/cortexm-fault.c);
* ``watch`` / ``rwatch`` / ``awatch`` on the SysTick example's counters:
  every stop the same (reason, pc, reported values, registers).

Both run under ``-icount`` so that interrupts arrive at the same instruction."""
from __future__ import annotations

import re
import shutil
import sys

import pytest

from tests.gdbstub.gdb_driver import REPO, session
from tests.gdbstub.test_gdb_cortexm import script as basic_script

pytestmark = [pytest.mark.gdb, pytest.mark.qemu, pytest.mark.slow]

BOARDS = ("mps2-an385", "lm3s6965evb")
REGS = ["r%d" % n for n in range(13)] + ["sp", "lr", "pc", "xpsr"]


def elf(example, board):
    return REPO / "examples" / "build" / ("%s-%s.elf" % (example, board))


def commands(board):
    args = ["-M", board, "-nographic", "-semihosting", "-icount", "shift=4"]

    def qemu(e, port, extra):
        return ["qemu-system-arm", *args, "-kernel", str(e), "-monitor", "none", "-gdb", "tcp::%d" % port, "-S",
                *extra]

    def emud(e, port, extra):
        return [sys.executable, "-m", "emud", *args, "-kernel", str(e), "-gdb", "tcp::%d" % port, "-S", *extra]
    return qemu, emud


def both(board, example, script, extra=()):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    qemu, emud = commands(board)
    with session(qemu, elf(example, board)) as (_, gdb):
        on_qemu = script(gdb)
    with session(emud, elf(example, board), extra) as (_, gdb):
        on_emud = script(gdb)
    return on_qemu, on_emud


def registers(gdb):
    return [gdb.value("$" + r) for r in REGS]


@pytest.mark.parametrize("board", BOARDS)
def test_break_step_bt_in_handlers_as_qemu(require_gdb_e2e, board):
    on_qemu, on_emud = both(board, "cortexm-systick", basic_script)
    assert on_emud == on_qemu
    assert on_emud[4][2] == "15" and on_emud[6][2] == "14"


def into_and_out_of_handlers(gdb):
    gdb.cli("break main")
    gdb.go("continue")
    code = gdb.cli("disassemble main")
    svc = re.search(r"(0x[0-9a-f]+) <\+\d+>:\s+svc", code).group(1)
    udf = re.findall(r"(0x[0-9a-f]+) <\+\d+>:\s+udf", code)[0]
    seen = []
    for at in (udf, svc):
        gdb.cli("tbreak *%s" % at)
        gdb.go("continue")
        for _ in range(40):
            stop = gdb.go("stepi")
            seen.append((stop.get("frame", {}).get("func"), gdb.value("$pc"), gdb.value("$xpsr & 0x1ff"),
                         gdb.value("$lr"), gdb.value("$sp")))
    return seen


@pytest.mark.parametrize("board", BOARDS)
def test_stepi_into_and_out_of_exception_handlers_as_qemu(require_gdb_e2e, board):
    on_qemu, on_emud = both(board, "cortexm-fault", into_and_out_of_handlers)
    handlers = [s for s in on_emud if s[2] != "0"]
    assert {"6", "11", "14"} <= {s[2] for s in handlers}       # UsageFault, SVCall, PendSV (tail-chained)
    assert any(s[2] == "0" for s in on_emud[on_emud.index(handlers[0]):])   # and back to thread mode
    for q, e in zip(on_qemu, on_emud):
        assert e == q
    assert len(on_emud) == len(on_qemu)


#: (gdb command, expression, continues)
WATCHES = [("watch", "ticks", 2), ("rwatch", "ticks", 3), ("awatch", "switches", 3),
           ("watch", "in_systick", 2), ("rwatch", "pendsv_in_tick", 1)]


def watch_script(gdb):
    gdb.cli("break main")
    gdb.go("continue")
    gdb.cli("delete")
    seen = []
    for command, expr, continues in WATCHES:
        gdb.cli("%s %s" % (command, expr))
        for _ in range(continues):
            stop = gdb.go("continue")
            value = stop.get("value", {})
            seen.append((command, expr, stop.get("reason"), stop.get("frame", {}).get("addr"),
                         stop.get("frame", {}).get("func"), value, registers(gdb)))
        gdb.cli("delete")
    return seen


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("tier_up", ["32", "0"])
def test_watchpoint_stops_are_qemus(require_gdb_e2e, board, tier_up):
    extra = ("-accel", "tcg,tier-up=%s" % tier_up)
    on_qemu, on_emud = both(board, "cortexm-systick", watch_script, extra)
    if on_emud != on_qemu:
        # the example waits in wfi, and under -icount sleep=on (QEMU's default)
        # idle time passes with the host clock, on both: on a loaded host a tick
        # can land an instruction apart. Once more before comparing; a real
        # difference shows twice.
        on_qemu, on_emud = both(board, "cortexm-systick", watch_script, extra)
    assert [s[2] for s in on_qemu] == ["watchpoint-trigger"] * 2 + ["read-watchpoint-trigger"] * 3 + \
        ["access-watchpoint-trigger"] * 3 + ["watchpoint-trigger"] * 2 + ["read-watchpoint-trigger"]
    for q, e in zip(on_qemu, on_emud):
        assert e == q
    assert len(on_emud) == len(on_qemu)


def threads_script(gdb):
    gdb.cli("break main")
    gdb.go("continue")
    text = gdb.cli("info threads")
    # the description gdb prints in parentheses; the thread id's form ("1" or
    # QEMU's multiprocess "1.1") aside
    return re.findall(r"Thread [\d.]+ (.*?) main \(", text)


@pytest.mark.parametrize("board", BOARDS)
def test_info_threads_describes_the_core_as_qemu(require_gdb_e2e, board):
    """No "hart" (RISC-V's word) on a Cortex-M: gdb's info threads shows
    QEMU's "(CPU#0 [running])" and no thread name."""
    on_qemu, on_emud = both(board, "cortexm-hello", threads_script)
    assert on_qemu == ["(CPU#0 [running])"]
    assert on_emud == on_qemu


def stepi_onto_breakpoint(gdb):
    """gdb's stepi with a breakpoint at a pc it did not stop at (after `set
    $pc` onto it): QEMU 7.2's single-step overrides breakpoints, so the
    instruction runs; emud stopped at once, the pc unchanged. (On RISC-V gdb
    steps in software, with a temporary breakpoint and a continue.)"""
    gdb.cli("break main")
    gdb.go("continue")
    third = re.findall(r"(0x[0-9a-f]+) <", gdb.cli("x/3i $pc"))[2]
    gdb.cli("break *%s" % third)
    gdb.cli("set $pc = %s" % third)
    stop = gdb.go("stepi")
    return [stop.get("reason"), gdb.value("(long)$pc - %s" % third)]


@pytest.mark.parametrize("board", BOARDS)
def test_stepi_onto_a_breakpoint_runs_it_as_qemu(require_gdb_e2e, board):
    on_qemu, on_emud = both(board, "cortexm-hello", stepi_onto_breakpoint)
    assert on_qemu[0] == "end-stepping-range" and on_qemu[1] != "0"
    assert on_emud == on_qemu
