"""``-d int``: every trap's line is the one QEMU 7.2 prints (its
riscv_cpu_do_interrupt log), exceptions included. Each line carries the
trap being taken: its own epc and tval, not the previous trap's (the
timer-only comparison in tests/test_examples.py could not see that: an
interrupt's tval is 0 and its epc was right)."""
from __future__ import annotations

import pytest

from tests.support.run import trap_logs

pytestmark = pytest.mark.qemu

# synchronous traps with distinct epc and tval, then an exit through sifive_test
TRAPS_S = r"""
    .option norvc
    .section .text.init, "ax"
    .globl _start
_start:
    la      t0, handler
    csrw    mtvec, t0
    ecall                       # cause 11, tval 0
    .word   0                   # illegal instruction, tval 0
    .word   0xffffffff          # illegal instruction, tval 0xffffffff
    li      t1, 0x10
    lw      t2, 0(t1)           # load access fault, tval 0x10
    li      t1, 0x24
    sw      t2, 0(t1)           # store access fault, tval 0x24
    ebreak                      # breakpoint, tval 0
    li      t1, 0x80000002
    lr.w    t2, (t1)            # misaligned LR: cause 4, tval 0x80000002
    li      t0, 0x100000
    li      t1, 0x5555
    sw      t1, 0(t0)
1:  j       1b

    .balign 4
handler:
    csrr    t3, mepc
    addi    t3, t3, 4
    csrw    mepc, t3
    mret
"""


@pytest.mark.parametrize("xlen", [32, 64])
def test_exception_lines_carry_the_new_epc_and_tval(build_firmware, require_qemu, xlen, tmp_path):
    require_qemu(xlen)
    elf = build_firmware({"traps.S": TRAPS_S}, xlen, runtime=False, name="trap-log")
    logs = trap_logs(elf, xlen, tmp_path)
    lines = logs["qemu"].splitlines()
    assert len(lines) == 7 and "desc=machine_ecall" in lines[0] and "tval:0x%0*x" % (xlen // 4, 0x24) in lines[4]
    assert logs["emud"] == logs["qemu"]
