"""Realtime guest time on the Cortex-M boards: a period of the core's clock
holds at least as many instructions as it has cycles (emud/clock.py,
VirtualClock.set_cpu_hz), as a real core retiring one instruction a cycle
gives it at most. (QEMU gives it whatever its host's speed gives: far more
on an idle host, not always that much on a loaded one.)

FreeRTOS's own mps2-an385 demo (CORTEX_MPS2_QEMU_IAR_GCC, full build: a 1 kHz
tick and two 2 kHz CMSDK timers whose handlers work on queues) failed its
self-checks in realtime on emud (TimerDemo, QueueSet asserts) while guest time
gave a period as little as 1 ms / 256 ns = 3906 instructions;
tests/firmware/cortexm_cycle_budget.c measures the fewest instructions a
SysTick period gets. A host stall inside a quantum puts guest time behind the
host clock, so the periods that follow are the ones the bound sets, on any
host speed."""
from __future__ import annotations

import re
import time

import pytest
import trio

from emud import option_values
from emud.chardev import MemoryChardev
from emud.machines import registry
from tests.support.firmware import ToolchainMissing, build_cortexm

BOARDS = ("lm3s6965evb", "mps2-an385")
STALL_SECONDS = 0.3
# the interrupt's own cost (stacking, the handler, unstacking) comes out of a period
SLACK = 0.9


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    out = tmp_path_factory.mktemp("cycle_budget")
    try:
        return {board: build_cortexm("cortexm_cycle_budget.c", out / ("cycle_budget-%s.elf" % board), board)
                for board in BOARDS}
    except ToolchainMissing as e:
        pytest.skip(str(e))


def _fewest(out: str):
    m = re.search(r"fewest instructions in a period: (\d+) of (\d+) cycles", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


@pytest.mark.parametrize("board", BOARDS)
async def test_a_period_holds_a_cycle_per_instruction_after_a_host_stall(firmware, board):
    cls = registry.machine_class(board)
    serial = MemoryChardev()
    m = cls(serials=[serial], semihosting=option_values.parse_semihosting(True, None))
    m.load_image(cls.load_kernel(str(firmware[board])))
    seen = bytearray()
    stalled = []

    def stall_on_go(data: bytes) -> None:
        seen.extend(data)
        if not stalled and b"go\n" in seen:
            stalled.append(True)
            time.sleep(STALL_SECONDS)          # the host stalls inside the quantum
    m.uart_listeners().append(stall_on_go)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.resume()
        with trio.fail_after(120):
            event = await m.wait_for_stop()
        m.request_quit()
    out = serial.take_output().decode("latin-1")
    assert stalled and event.reason == "exited" and event.exit_code == 0, (event, out)
    insns, cycles = _fewest(out)
    assert insns >= SLACK * cycles, out
