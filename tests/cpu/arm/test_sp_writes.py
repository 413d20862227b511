"""SP[1:0] are zero on M-profile, whoever writes SP: the program
(firmware/sp_bits.c: mov, add, ldr, subw, addw, msr msp, msr psp, mov on the
process stack, each with an unaligned value; QEMU 7.2's store_reg and v7m_msr
clear the bits) and the debugger (QEMU's gdb write of r13 clears them: `set
$sp = 0x20000123` reads back 0x20000120; emud's msp/psp, which QEMU 7.2's stub
does not have, likewise). The translator's side is tests/cpu/arm/test_sp_align.py."""
from __future__ import annotations

import pytest

from emud.cpu.arm import ArmCPU

from .build import build
from .test_programs import run_emud, run_qemu

#: SP from an aligned base plus 1, 2, 3 (subw: minus 1 more): every write left it aligned
EXPECTED = ("mov=00000000\nadd=00000000\nldr=00000000\nsubw=fffffffc\naddw=00000000\n"
            "msr msp=00000000\nmsr psp=00000000\nmov psp=00000000\n") * 3 + "faults=00000000\n"


def test_every_instruction_write_of_sp_clears_bits_1_0():
    code, out, _ = run_emud(build("sp_bits", "m3", "-O2"), "m3")
    assert (code, out) == (0, EXPECTED)


@pytest.mark.qemu
def test_same_as_qemu():
    elf = build("sp_bits", "m3", "-O2")
    code, out, _ = run_emud(elf, "m3")
    qcode, qout = run_qemu(elf)
    assert out.splitlines() == qout.splitlines()
    assert code == qcode == 0


@pytest.mark.parametrize("name", ["sp", "r13", "msp", "psp"])
@pytest.mark.parametrize("spsel", [0, 2])
def test_debugger_writes_of_sp_clear_bits_1_0(name, spsel):
    cpu = ArmCPU(0)
    cpu.set_control(spsel)
    cpu.set_register(name, 0x20000123)
    assert cpu.get_register(name) == 0x20000120
    cpu.set_register(name, 0xFFFFFFFF)
    assert cpu.get_register(name) == 0xFFFFFFFC
    on_psp = spsel and name != "msp"
    assert cpu.get_register("psp" if on_psp or name == "psp" else "msp") == 0xFFFFFFFC
