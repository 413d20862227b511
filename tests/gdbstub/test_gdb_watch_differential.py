"""Watchpoints, differential: gdb's watch / rwatch / awatch against
qemu-system-riscv32/64 and against emud (tiered and with every block
compiled at once) on -O2 code, where the watched access sits in the middle
of a translation block. Every stop must be the same: the reason, the pc gdb
shows, the value it reports and every register.

What the stub does there (QEMU's RISC-V ``gdb_stop_before_watchpoint``): it
stops *before* the access, at the accessing instruction; gdb then removes
the watchpoint, steps over that instruction and reports the stop after it.
A stub that stopped after the access would have gdb step one instruction too
many (the bug this pins: emud stopped at the loop head, past the ``bnez``)."""
from __future__ import annotations

import pytest

from tests.gdbstub.gdb_driver import FIRMWARE_DIR, emud_command, qemu_command, session

pytestmark = [pytest.mark.gdb, pytest.mark.qemu, pytest.mark.slow]

#: (gdb command, expression, continues): the program's accesses in order
SCRIPT = [
    ("watch", "shared", 2),        # the loop's c.sw, iterations 1 and 2
    ("rwatch", "shared", 1),       # iteration 3's c.lw
    ("awatch", "shared", 1),       # iteration 3's c.sw
    ("watch", "atom", 2),          # amoadd.w (an AMO writes), sc.w
    ("rwatch", "atom", 2),         # amoadd.w (it reads too), lr.w (its CAS fails: no sc.w)
    ("awatch", "pair", 6),         # sb, sh, sw, then lbu, lhu, lw: 8 bytes watched
]


@pytest.fixture(scope="module", params=[32, 64], ids=["rv32", "rv64"])
def watch_elf(request, build_firmware, require_gdb_e2e, require_qemu):
    require_qemu(request.param)
    elf = build_firmware([FIRMWARE_DIR / "start.S", FIRMWARE_DIR / "watch.c"], request.param,
                         runtime=False, opt="-O2", name="gdb-watch")
    return request.param, elf


def registers(gdb):
    values = gdb.run("-data-list-register-values x " + " ".join(str(n) for n in range(33)))
    return [(r["number"], r["value"]) for r in values[-1]["payload"]["register-values"]]


def run_script(gdb):
    seen = []
    gdb.cli("break main")
    gdb.go("continue")
    gdb.cli("delete")
    for command, expr, continues in SCRIPT:
        gdb.cli("%s %s" % (command, expr))
        for _ in range(continues):
            stop = gdb.go("continue")
            seen.append((command, expr, stop.get("reason"), stop.get("frame", {}).get("addr"),
                         stop.get("value"), registers(gdb)))
        gdb.cli("delete")
    return seen


def test_watchpoint_stops_are_qemus(watch_elf):
    xlen, elf = watch_elf
    with session(lambda e, port, extra: qemu_command(e, port, extra, xlen), elf) as (emu, gdb):
        on_qemu = run_script(gdb)
    assert [s[2] for s in on_qemu] == ["watchpoint-trigger"] * 2 + ["read-watchpoint-trigger"] + \
        ["access-watchpoint-trigger"] + ["watchpoint-trigger"] * 2 + ["read-watchpoint-trigger"] * 2 + \
        ["access-watchpoint-trigger"] * 6
    for extra in ((), ("-accel", "tcg,tier-up=0")):
        with session(emud_command, elf, extra) as (emu, gdb):
            on_emud = run_script(gdb)
        for q, e in zip(on_qemu, on_emud):
            assert e == q, extra
        assert len(on_emud) == len(on_qemu)
