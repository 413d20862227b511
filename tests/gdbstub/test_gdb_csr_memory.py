"""gdb reads memory at a CSR's value, as against QEMU (issue 9, finding 4).

On RV32 the target description types the CSRs ``int`` (QEMU's does too, so
``info registers`` prints them signed); gdb widens such a value with its sign
(``$mepc`` = 0x80000068 becomes 0xffffffff80000068) and checks it against
the stub's memory map before masking it to 32 bits. A map without the
sign-extended copy of the upper half made ``x/i $mepc`` fail with "Cannot
access memory" and no packet sent; QEMU sends no map and reads it."""
from __future__ import annotations

import pytest

from tests.gdbstub.gdb_driver import FIRMWARE_DIR, emud_command, qemu_command, session, source_lines

pytestmark = [pytest.mark.gdb, pytest.mark.qemu, pytest.mark.slow]


@pytest.fixture(scope="module", params=[32, 64], ids=["rv32", "rv64"])
def trap_elf(request, build_firmware, require_gdb_e2e, require_qemu):
    require_qemu(request.param)
    elf = build_firmware([FIRMWARE_DIR / "start.S", FIRMWARE_DIR / "gdbtest.c"], request.param,
                         runtime=False, opt="-O0", name="gdbtest")
    return request.param, elf


def script(gdb):
    """In the trap handler (mepc = the ecall, mtvec = the handler), what
    gdb prints for memory at CSR values and for the registers."""
    gdb.cli("break gdbtest.c:%d" % source_lines()["trap"])
    gdb.go("continue")
    return [(command, gdb.cli(command)) for command in
            ("x/i $mepc", "x/xw $mtvec", "x/2xw $mepc", "x/i $pc", "info registers",
             "info registers mepc mtvec mcause mstatus", "output/x &trap_entry")]


def test_memory_at_csr_values_reads_as_on_qemu(trap_elf):
    xlen, elf = trap_elf
    with session(lambda e, port, extra: qemu_command(e, port, extra, xlen), elf) as (emu, gdb):
        on_qemu = script(gdb)
    with session(emud_command, elf) as (emu, gdb):
        on_emud = script(gdb)
    assert on_emud == on_qemu
    seen = dict(on_emud)
    assert "ecall" in seen["x/i $mepc"]
    assert seen["x/xw $mtvec"].split()[0].rstrip(":") == seen["output/x &trap_entry"]
    assert "mepc" in seen["info registers mepc mtvec mcause mstatus"]
