"""M-profile SP has bits [1:0] zero: every write to r13 by an instruction
clears them, as QEMU's store_reg does (``mov sp, r0`` with r0 unaligned
leaves SP aligned, and a PUSH after it stores at the aligned address without
a UsageFault). So the translator leaves out the alignment check of an
access at SP plus a multiple of 4 (PUSH, POP, LDM/STM/LDRD/STRD on SP);
other bases keep it."""
from __future__ import annotations

import pytest

from emud.cpu.arm.cpu import FLAG_UNALIGN_TRP
from emud.tcg import interp
from emud.tcg.optimize import optimize
from emud.tcg.translator import translate_block

from .machine import CortexMTestMachine
from .test_random_blocks import CODE, setup

MOV_SP_R0 = [0x4685]          # mov sp, r0
ADD_SP_R1 = [0x448D]          # add sp, r1
PUSH_R1 = [0xB402]            # push {r1}
POP_R2 = [0xBC04]             # pop {r2}
LDM_R3 = [0xCB01]             # ldm r3!, {r0}
LDRD_SP = [0xE9DD, 0x4500]    # ldrd r4, r5, [sp]
STR_SP = [0x9001]             # str r0, [sp, #4]


def _run(block, compiled: bool, **regs):
    m = CortexMTestMachine(accel_options={"tier-up": "0"} if compiled else None)
    cpu = setup(m, 1, block)
    for r, v in regs.items():
        cpu.x[int(r[1:])] = v
    if compiled:
        m.accel.execute(cpu, len(block))
    else:
        interp.run(cpu, m.frontend, m.bus, len(block))
    return m, cpu


@pytest.mark.parametrize("compiled", [True, False])
def test_mov_sp_unaligned_clears_the_low_bits(compiled):
    _, cpu = _run([MOV_SP_R0], compiled, r0=0x3F0003)
    assert cpu.x[13] == 0x3F0000
    assert cpu.pc == CODE + 2


@pytest.mark.parametrize("compiled", [True, False])
def test_add_sp_register_clears_the_low_bits(compiled):
    _, cpu = _run([ADD_SP_R1], compiled, r1=6)
    assert cpu.x[13] == 0x3F0004


@pytest.mark.parametrize("compiled", [True, False])
def test_push_after_an_unaligned_mov_sp_stores_at_the_aligned_sp(compiled):
    m, cpu = _run([MOV_SP_R0, PUSH_R1, POP_R2], compiled, r0=0x3F0002, r1=0x12345678)
    assert m.nvic.cfsr == 0 and cpu.ipsr == 0
    assert m.bus.read(0x3EFFFC, 4) == 0x12345678
    assert cpu.x[2] == 0x12345678 and cpu.x[13] == 0x3F0000
    assert cpu.pc == CODE + 6


@pytest.mark.parametrize("compiled", [True, False])
def test_ldm_on_another_base_still_checks_alignment(compiled):
    m, cpu = _run([LDM_R3], compiled, r3=0x3F0002)
    assert m.nvic.cfsr & (1 << 24)          # UsageFault UNALIGNED
    assert cpu.x[3] == 0x3F0002


def _ops(halfwords, flags=0):
    code = b"".join(h.to_bytes(2, "little") for h in halfwords) + (0xE7FE).to_bytes(2, "little")
    m = CortexMTestMachine()

    def fetch(pc, n):
        return int.from_bytes(code[pc - CODE:pc - CODE + n], "little")

    b, _ = translate_block(m.frontend, fetch, CODE, flags, 1)
    return optimize(b.ops)


def _raises(ops):
    return [op for op in ops if op.opc == "call" and op.args[1] == "raise_exc"]


@pytest.mark.parametrize("block", [PUSH_R1, POP_R2, LDRD_SP, [0xE92D, 0x4010], [0xE8BD, 0x4010]],
                         ids=["push", "pop", "ldrd_sp", "push_w", "pop_w"])
def test_sp_based_multiple_accesses_have_no_alignment_check(block):
    assert not _raises(_ops(block))


def test_str_on_sp_has_no_check_under_unalign_trp_and_other_bases_do():
    assert not _raises(_ops(STR_SP, FLAG_UNALIGN_TRP))
    assert _raises(_ops([0x6018], FLAG_UNALIGN_TRP))        # str r0, [r3]
    assert _raises(_ops(LDM_R3))
