"""An instruction of an extension emud's harts lack (F/D): the guest gets
the illegal-instruction trap a CPU without it raises (as QEMU with
-cpu rv32,f=false,d=false), and the user one line saying why, once."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emud.cpu.riscv.missing_ext import missing_extension
from tests.support.firmware import ToolchainMissing, build_bare_riscv

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware" / "fp_insn.S"

FLOAT = {
    "flw ft0,0(a0)": 0x00052007, "fsd fa0,8(sp)": 0x00a13427, "fadd.s ft0,ft1,ft2": 0x00208053,
    "fmadd.d fa0,fa1,fa2,fa3": 0x68c5f543, "fscsr zero": 0x00301073, "frflags a0": 0x00102573,
    "csrwi frm,1": 0x0020d073, "c.fld fa0,0(a1)": 0x2188, "c.fsdsp fs0,8(sp)": 0xa422,
}
NOT_FLOAT = {
    "add a0,a1,a2": 0x00c58533, "csrr a0,mstatus": 0x30002573, "ecall": 0x00000073,
    "csrr a0,cycle": 0xc0002573, "c.lw a0,0(a1)": 0x4188, "c.j": 0xa001, "zero": 0,
    "an unknown opcode": 0x0000005b,
}


@pytest.mark.parametrize("name", list(FLOAT))
def test_floating_point_encodings_are_named(name):
    assert missing_extension(FLOAT[name], 32) == "F/D"
    assert missing_extension(FLOAT[name], 64) == "F/D"


@pytest.mark.parametrize("name", list(NOT_FLOAT))
def test_other_encodings_are_not(name):
    assert missing_extension(NOT_FLOAT[name], 32) is None


def test_compressed_word_loads_are_float_on_rv32_only():
    c_flw_or_c_ld = 0x6188           # c.flw fa0,0(a1) on RV32, c.ld a0,0(a1) on RV64
    assert missing_extension(c_flw_or_c_ld, 32) == "F/D"
    assert missing_extension(c_flw_or_c_ld, 64) is None


def test_firmware_with_fp_instructions_traps_as_qemu_without_f_and_says_why_once(tmp_path):
    try:
        elf = build_bare_riscv(FIRMWARE, tmp_path / "fp_insn.elf", march="rv32imafc_zicsr")
    except ToolchainMissing as exc:
        pytest.skip(str(exc))
    args = ["-M", "virt", "-bios", "none", "-nographic", "-kernel", str(elf)]
    ours = subprocess.run([sys.executable, "-m", "emud", *args], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)
    assert ours.returncode == 2 << 4 | 2, ours.stderr     # two illegal-instruction traps
    lines = [line for line in ours.stderr.splitlines() if "extension" in line]
    assert len(lines) == 1, ours.stderr
    assert lines[0].startswith("emud: hart 0: the instruction 0x301073 at 0x8000001") and "F/D" in lines[0]
    if shutil.which("qemu-system-riscv32"):
        theirs = subprocess.run(["qemu-system-riscv32", *args, "-cpu", "rv32,f=false,d=false"],
                                capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert theirs.returncode == ours.returncode
