"""Lockstep against qemu-system-arm on the Cortex-M boards, through both gdb
stubs (the architecture-neutral stepper in tests/oracle/lockstep.py).

Thread-mode code is stepped with QEMU's default ``qqemu.sstep=0x7``
(interrupts and timers masked), every register of the m-profile 'g' packet
compared after each step, until exit or the first ``wfi``.

Exceptions are stepped on examples/cortexm-fault.c: UsageFault (UDF,
SDIV by 0), BusFault, SVC pending PendSV, HardFault escalation; entries and
returns (EXC_RETURN unstacking) compared at every step. It runs no timer,
so it is stepped with ``qqemu.sstep=0x5`` (interrupts taken between steps).
The SVC handler's return tail-chains into the PendSV it pended: the step of
its ``bx lr`` ends at PendSV's first instruction, on the SVC's frame, R0-R3
as the SVC handler left them (both sides). On lm3s6965evb the load from
0x60000000 reads 0 with no BusFault (QEMU's ignore_memory_transaction_failures).

Not stepped: SysTick. Under ``-icount ...,sleep=off`` QEMU warps its virtual
clock to the next deadline whenever every CPU is idle while the VM is still
running, which includes the moment a gdb step or breakpoint stops the CPU
before the VM stops: every stop pends the next SysTick early (with
``sstep=0x1`` it is taken right after the enabling store; stepping a SysTick
handler, QEMU tail-chains into the early tick on the return). The SysTick
example is stepped up to its first wfi; its timing is compared by running
it freely in tests/test_examples.py.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import List

import pytest

from tests.oracle.lockstep import Stub, lockstep
from tests.support.qemu import start_gdb

pytestmark = pytest.mark.qemu

REPO = Path(__file__).resolve().parents[2]
BOARDS = ["mps2-an385", "lm3s6965evb"]
EMUD = [sys.executable, "-m", "emud"]
QEMU = ["qemu-system-arm"]


def machine(name: str, board: str, *extra: str) -> List[str]:
    elf = REPO / "examples" / "build" / f"{name}-{board}.elf"
    return ["-M", board, "-nographic", "-semihosting", "-monitor", "none", "-kernel", str(elf), *extra]


@pytest.fixture
def arm_pair():
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")

    def start(args: List[str]):
        return start_gdb(QEMU, args), start_gdb(EMUD, args)
    return start


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("name", ["cortexm-hello", "cortexm-systick"])
def test_thread_mode_lockstep(arm_pair, name, board):
    """To exit (hello) or to the first wfi (systick's setup)."""
    qemu, emud = arm_pair(machine(name, board))
    with qemu, emud:
        done = lockstep(Stub(qemu), Stub(emud), 20000)
    assert done > 40


@pytest.mark.parametrize("board", BOARDS)
def test_fault_exceptions_lockstep(arm_pair, board):
    qemu, emud = arm_pair(machine("cortexm-fault", board))
    with qemu, emud:
        ref, dut = Stub(qemu), Stub(emud)
        for s in (ref, dut):
            assert s.client.command("Qqemu.sstep=0x5") == "OK"
        entered = set()
        done = lockstep(ref, dut, 50000, lambda n, r, d: entered.add(r.registers()["xpsr"] & 0x1ff))
        assert (qemu.proc.wait(10), emud.proc.wait(10)) == (3, 3)
        assert qemu.output() == emud.output()
    # HardFault, UsageFault, SVC, PendSV; BusFault where QEMU raises one
    assert {3, 6, 11, 14} <= entered and (board != "mps2-an385" or 5 in entered), entered
    assert done > 1000
