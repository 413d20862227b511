"""Decoding: every instruction gcc emitted for the test programs decodes (the
data words between functions aside); ThumbExpandImm; the ARMv6-M subset."""
from __future__ import annotations

import subprocess

import pytest

from emud.cpu.arm.decode import ThumbDecoder, insn_length, thumb_expand_imm

from .build import build

def text_insns(elf):
    """(address, halfword(s), mnemonic) of the code, from objdump's listing."""
    dump = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True, check=True).stdout
    out = []
    for line in dump.splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or not parts[0].strip().endswith(":"):
            continue
        words = parts[1].split()
        if not words or parts[2].startswith(".word") or parts[2].startswith(".short"):
            continue
        try:
            halves = [int(w, 16) for w in words]
        except ValueError:
            continue
        if any(h > 0xFFFF for h in halves):
            continue
        out.append((int(parts[0].strip()[:-1], 16), halves, parts[2].split()[0]))
    return out


@pytest.mark.parametrize("cpu,profile", [("m3", "v7m"), ("m0", "v6m")])
@pytest.mark.parametrize("prog", ["alu", "exc"])
def test_gcc_output_decodes(prog, cpu, profile):
    dec = ThumbDecoder(profile)
    for opt in ("-O0", "-O2", "-Os"):
        for addr, halves, mnem in text_insns(build(prog, cpu, opt)):
            length = insn_length(halves[0])
            assert length == 2 * len(halves), hex(addr)
            insn = halves[0] if length == 2 else (halves[0] << 16) | halves[1]
            d = dec.decode(insn, length)
            if mnem in ("udf",):
                continue
            assert d is not None, "%s %x: %s (%s)" % (opt, addr, mnem, hex(insn))


def test_thumb_expand_imm():
    assert thumb_expand_imm(0x0AB) == (0xAB, -1)
    assert thumb_expand_imm(0x1AB) == (0x00AB00AB, -1)
    assert thumb_expand_imm(0x2AB) == (0xAB00AB00, -1)
    assert thumb_expand_imm(0x3AB) == (0xABABABAB, -1)
    assert thumb_expand_imm(0x100) is None          # UNPREDICTABLE replicated zero
    assert thumb_expand_imm(0x4FF) == (0x7F800000, 0)
    assert thumb_expand_imm(0x47F) == (0xFF000000, 1)


def test_v6m_lacks_thumb2_data_processing():
    assert ThumbDecoder("v6m").decode(0xF04F0001, 4) is None      # mov.w r0, #1
    assert ThumbDecoder("v7m").decode(0xF04F0001, 4).name == "mov"
    assert ThumbDecoder("v6m").decode(0xBF18, 2) is None          # it ne
