"""gdb's writes of SP on a Cortex-M core, against qemu-system-arm 7.2: its
stub clears SP[1:0] (M-profile SP is word-aligned), so `set $sp = 0x20000123`
reads back 0x20000120 and the pushes that follow store there; on both boards."""
from __future__ import annotations

import pytest

from tests.gdbstub.test_gdb_cortexm_fetch import on_both

pytestmark = [pytest.mark.gdb, pytest.mark.qemu, pytest.mark.slow]


def script(gdb):
    gdb.cli("tbreak next_case")
    gdb.go("continue")
    seen = []
    for value in ("0x2000f123", "0x2000e7fe", "0x2000d001"):
        gdb.cli("set $sp = %s" % value)
        seen.append(gdb.value("$sp"))
        gdb.cli("set $r13 = %s" % value)
        seen.append(gdb.value("$r13"))
        gdb.go("stepi")             # next_case's push
        seen.append((gdb.value("$sp"), gdb.value("$pc"), gdb.value("*(unsigned *)$sp")))
        gdb.cli("set $pc = next_case")
    return seen


@pytest.mark.parametrize("board", ["mps2-an385", "lm3s6965evb"])
def test_set_sp_as_qemu(require_gdb_e2e, tmp_path, board):
    on_qemu, on_emud = on_both(tmp_path, board, script)
    assert on_emud == on_qemu
    assert on_emud[0] == on_emud[1] == "0x2000f120"
