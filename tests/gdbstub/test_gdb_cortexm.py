"""gdb-multiarch against qemu-system-arm -M mps2-an385 and against emud, on
examples/cortexm-systick.c: the same stops, backtraces, registers and
Thumb listings; then what emud adds (the m-system registers, its monitor)."""
from __future__ import annotations

import re
import shutil

import pytest

from tests.gdbstub.gdb_driver import REPO, session

pytestmark = [pytest.mark.gdb, pytest.mark.qemu, pytest.mark.slow]

ELF = REPO / "examples" / "build" / "cortexm-systick-mps2-an385.elf"
ARGS = ["-M", "mps2-an385", "-nographic", "-semihosting", "-kernel", str(ELF)]


def qemu_command(elf, port, extra):
    return ["qemu-system-arm", *ARGS, "-monitor", "none", "-gdb", "tcp::%d" % port, "-S", *extra]


def emud_command(elf, port, extra):
    import sys
    return [sys.executable, "-m", "emud", *ARGS, "-gdb", "tcp::%d" % port, "-S", *extra]


def where(stop):
    f = stop.get("frame", {})
    return stop.get("reason"), f.get("func"), f.get("addr")


def listing(gdb, expr):
    return [line.split(":", 1)[1].strip() for line in gdb.cli("x/4i %s" % expr).splitlines() if ":" in line]


def script(gdb):
    seen = [("reset", gdb.value("$pc"), gdb.value("$sp"), gdb.value("$xpsr")),
            ("x/4i at reset", listing(gdb, "$pc"))]
    gdb.cli("break main")
    seen.append(("break main", where(gdb.go("continue"))))
    seen.append(("stepi", where(gdb.go("stepi")), gdb.value("$pc")))
    gdb.cli("break systick_handler")        # a Thumb breakpoint (Z0 kind 2) in an interrupt handler
    seen.append(("tick", where(gdb.go("continue")), gdb.value("$xpsr & 0x1ff"), gdb.value("$lr")))
    seen.append(("bt", [line.split(" in ")[-1].split(" (")[0].split()[-1]
                        for line in gdb.cli("bt").splitlines() if line.startswith("#")]))
    gdb.cli("delete")
    gdb.cli("hbreak pendsv_handler")
    seen.append(("pendsv", where(gdb.go("continue")), gdb.value("$xpsr & 0x1ff"), gdb.value("ticks")))
    seen.append(("x/4i in handler", listing(gdb, "$pc")))
    seen.append(("finish", where(gdb.go("finish"))))
    return seen


def test_same_session_on_qemu_and_emud(require_gdb_e2e):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    with session(qemu_command, ELF) as (_, gdb):
        on_qemu = script(gdb)
    with session(emud_command, ELF) as (_, gdb):
        on_emud = script(gdb)
        registers = gdb.cli("info registers")
        monitor = gdb.cli("monitor x/2i $pc")
        gdb_line = gdb.cli("x/i $pc")
        names = {line.split()[0] for line in registers.splitlines() if line.strip()}
    for q, e in zip(on_qemu, on_emud):
        assert e == q
    assert len(on_emud) == len(on_qemu)
    assert on_emud[2][1][:2] == ("breakpoint-hit", "main")
    assert on_emud[4][2] == "15" and on_emud[6][2] == "14"       # SysTick's, then PendSV's handler
    assert {"r0", "sp", "lr", "pc", "xpsr", "msp", "psp", "primask", "basepri", "faultmask", "control"} <= names
    assert "ldr" in monitor or "str" in monitor or "add" in monitor, monitor    # Thumb, as capstone lists it
    # the same symbol and offset as gdb's (Thumb function symbols carry bit 0 in the ELF)
    assert re.findall(r"<(\w+\+\d+)>", monitor)[:1] == re.findall(r"<(\w+\+\d+)>", gdb_line), (monitor, gdb_line)
