"""What gdb sees of code outside RAM and ROM on both Cortex-M boards, against
qemu-system-arm 7.2 (tests/firmware/arm/fetch_outside.c, see
tests/machines/test_cortexm_fetch_outside.py): the stops of ``stepi`` from the
jump into it, and ``x/2i $pc`` there (zeros from a placeholder; on
lm3s6965evb, undecoded space the debugger cannot read: an error)."""
from __future__ import annotations

import shutil
import sys

import pytest

from tests.gdbstub.gdb_driver import GdbError, session
from tests.machines.test_cortexm_fetch_outside import build_fetch_outside

pytestmark = [pytest.mark.gdb, pytest.mark.qemu, pytest.mark.slow]


def commands(board):
    args = ["-M", board, "-nographic", "-semihosting", "-icount", "shift=4"]

    def qemu(e, port, extra):
        return ["qemu-system-arm", *args, "-kernel", str(e), "-monitor", "none", "-gdb", "tcp::%d" % port, "-S"]

    def emud(e, port, extra):
        return [sys.executable, "-m", "emud", *args, "-kernel", str(e), "-gdb", "tcp::%d" % port, "-S"]
    return qemu, emud


def script(gdb):
    seen = []
    gdb.cli("break jump_bx")
    for _ in range(3):          # the first case, then the next
        gdb.go("continue")
        for _ in range(3):
            stop = gdb.go("stepi")
            try:
                listing = gdb.cli("x/2i $pc")
            except GdbError as e:
                listing = str(e).splitlines()[0]
            seen.append((stop.get("reason"), gdb.value("$pc"), gdb.value("$r0"), listing))
        gdb.cli("set var $pc = next_case")
    return seen


def on_both(tmp_path, board, run):
    """``run(gdb)`` on firmware/arm/fetch_outside.c under QEMU, then under emud."""
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    elf = build_fetch_outside(tmp_path, board)
    qemu, emud = commands(board)
    with session(qemu, elf) as (_, gdb):
        on_qemu = run(gdb)
    with session(emud, elf) as (_, gdb):
        on_emud = run(gdb)
    return on_qemu, on_emud


@pytest.mark.parametrize("board", ["mps2-an385", "lm3s6965evb"])
def test_stepping_into_code_outside_ram_as_qemu(require_gdb_e2e, tmp_path, board):
    on_qemu, on_emud = on_both(tmp_path, board, script)
    assert on_emud == on_qemu
    # a placeholder's zeros (mps2-an385: 0x00800000 and 0x10000000) are listed, and stepped one by one
    if board == "mps2-an385":
        assert [s[1] for s in on_emud[3:6]] == ["0x10000000", "0x10000002", "0x10000004"]
        assert "movs\tr0, r0" in on_emud[5][3]
    print(on_emud)
