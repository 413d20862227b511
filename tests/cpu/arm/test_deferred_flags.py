"""The back end makes a flag write that the next flag setter overwrites on
the slow paths of the accesses between (tcg/backend_py._plan_deferral): a
fault in such an access must still see it. ``adds r0, #24; ldr r3, [r6];
cmp.w r0, #0x240`` with r6 on no memory: the BusFault's stacked xPSR holds
the ADDS's flags (from r0 before the ADDS changed it), and the compiled
block agrees with the reference interpreter, registers and stack frame."""
from __future__ import annotations

import pytest

from emud.tcg import interp

from .machine import CortexMTestMachine
from .test_random_blocks import CODE, setup

BLOCK = [[0x3018], [0x6833], [0xF5B0, 0x7F10]]   # adds r0, #24; ldr r3, [r6]; cmp.w r0, #0x240
SP = 0x3F0000


def _run(compiled: bool, r0: int):
    m = CortexMTestMachine(accel_options={"tier-up": "0"} if compiled else None)
    cpu = setup(m, 3, BLOCK)
    cpu.x[0], cpu.x[6] = r0, 0x10000000
    cpu.set_apsr(0)
    m.bus.write(0xC, 4, (CODE + 8) | 1)            # HardFault: the b . after the block
    # the whole block is one compiled TB (the CMP overwrites the ADDS's
    # flags; a budget below its length would run a capped copy of it)
    if compiled:
        m.accel.execute(cpu, 100)
    else:
        interp.run(cpu, m.frontend, m.bus, 100)
    return cpu, list(cpu.x), m.bus.read_bytes(SP - 32, 32)


@pytest.mark.parametrize("r0, nzcv", [(0xFFFFFFE8, 0b0110), (0x7FFFFFF0, 0b1001), (5, 0)])
def test_a_fault_after_a_flag_setter_sees_its_flags(r0, nzcv):
    cpu, regs, frame = _run(True, r0)
    assert cpu.ipsr == 3 and cpu.pc == CODE + 8       # the load faulted: in the handler
    stacked_xpsr = int.from_bytes(frame[28:32], "little")
    assert stacked_xpsr >> 28 == nzcv
    assert int.from_bytes(frame[0:4], "little") == (r0 + 24) & 0xFFFFFFFF   # stacked r0
    assert (regs, frame) == _run(False, r0)[1:]
