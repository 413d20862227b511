"""Self-checking ISA tests (tests/isa/src/*.S and the ones tests/isa/gen.py
generates), each for RV32 and RV64, run to completion on QEMU (the oracle:
a test QEMU fails is a broken test) and on emud. A test exits 0 through
sifive_test on success, or with the number of the failing check after
printing "FAIL: check N mepc=... mcause=... mtval=..." on the UART.

Where QEMU 7.2 departs from the RISC-V spec, emud follows the spec (a real
CPU's behaviour) and the QEMU build of a test gets a ``-DQEMU_72_<QUIRK>``
define that switches the few affected checks to what QEMU 7.2 does. Each
quirk is described where it is used and in docs/COMPATIBILITY.md.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support.run import run_emud, run_qemu

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
sys.path.insert(0, str(HERE))
import gen  # noqa: E402

HANDWRITTEN = sorted(p.stem for p in SRC.glob("*.S") if p.stem != "isa_rt")
CASES = [(name, xlen) for xlen in (32, 64) for name in HANDWRITTEN] + \
        [(name, xlen) for xlen in (32, 64) for name in gen.generated_tests(xlen)]
IDS = [f"{name}-rv{xlen}" for name, xlen in CASES]

QEMU_TIMEOUT = 10
EMUD_TIMEOUT = 120

#: QEMU 7.2's departures from the spec that the tests see (docs/COMPATIBILITY.md):
#: AMO faults reported as load faults (5, 4 instead of 7, 6); M-mode interrupts
#: taken lowest number first (MSI, MTI, MEI instead of MEI, MSI, MTI); mepc
#: bit 0 writable; a misaligned SC without a reservation fails instead of trapping;
#: an MRET to U-mode with no PMP entry set is illegal instead of the fetch faulting.
QEMU_72_QUIRKS = {"QEMU_72_AMO_FAULTS": None, "QEMU_72_IRQ_ORDER": None, "QEMU_72_MEPC_BIT0": None,
                  "QEMU_72_SC_NO_TRAP": None, "QEMU_72_MRET_NO_PMP": None}


def build_isa_test(build_firmware, name, xlen, qemu=False):
    defines = QEMU_72_QUIRKS if qemu else None
    if name.startswith("gen_"):
        sources = {f"{name}.S": gen.generated_tests(xlen)[name], "isa_rt.S": (SRC / "isa_rt.S").read_text()}
        return build_firmware(sources, xlen, name=name, runtime=False, include_dirs=[SRC], defines=defines)
    return build_firmware([SRC / f"{name}.S", SRC / "isa_rt.S"], xlen, runtime=False, defines=defines)


def check(result):
    assert not result.timed_out and result.exit_code == 0 and "FAIL" not in result.text, result.describe()


def test_handwritten_sources_found():
    assert {"traps", "csr", "interrupts", "compressed", "fencei", "amo_lrsc", "control", "pmp"} <= set(HANDWRITTEN)


@pytest.mark.qemu
@pytest.mark.parametrize("name,xlen", CASES, ids=IDS)
def test_isa_on_qemu(build_firmware, require_qemu, name, xlen):
    require_qemu(xlen)
    check(run_qemu(build_isa_test(build_firmware, name, xlen, qemu=True), xlen, timeout=QEMU_TIMEOUT))


#: a block interpreted until it gets hot (CPython's default: test code mostly
#: runs once), every block compiled at once, and regions from the start (several
#: blocks per compiled TB: PyPy's once a program is big), on both runtimes
TIERS = {"tiered": ["-accel", "tcg,tier-up=32,regions=off"], "compiled": ["-accel", "tcg,tier-up=0,regions=off"],
         "regions": ["-accel", "tcg,regions=on"]}


@pytest.mark.parametrize("tier", sorted(TIERS))
@pytest.mark.parametrize("name,xlen", CASES, ids=IDS)
def test_isa_on_emud(build_firmware, name, xlen, tier):
    check(run_emud(build_isa_test(build_firmware, name, xlen), xlen, timeout=EMUD_TIMEOUT, extra=TIERS[tier]))


@pytest.mark.qemu
def test_a_failing_check_fails(build_firmware, require_qemu):
    """The harness can fail: a wrong expectation exits with its number."""
    require_qemu(32)
    src = ('#include "isa.h"\n    .text\n    .globl test_main\ntest_main:\n'
           '    TEST 7\n    li a0, 1\n    CHECK a0, 2\n    j pass\n')
    elf = build_firmware({"must_fail.S": src, "isa_rt.S": (SRC / "isa_rt.S").read_text()}, 32,
                         runtime=False, include_dirs=[SRC])
    r = run_qemu(elf, 32, timeout=QEMU_TIMEOUT)
    assert r.exit_code == 7 and "FAIL: check 00000007" in r.text, r.describe()


# the first check each quirk changes, in the spec build of each test
QUIRK_FIRST_CHECK = {"traps": 24, "interrupts": 6, "csr": 41, "pmp": 1}


@pytest.mark.qemu
@pytest.mark.parametrize("xlen", [32, 64])
@pytest.mark.parametrize("name", sorted(QUIRK_FIRST_CHECK))
def test_qemu_72_quirks_are_real(build_firmware, require_qemu, name, xlen):
    """The spec build (the one emud runs) fails on QEMU 7.2 exactly at the
    first check a QEMU_72_* quirk switches: each documented departure is
    real, and a QEMU that fixes one is noticed (docs/COMPATIBILITY.md)."""
    require_qemu(xlen)
    r = run_qemu(build_isa_test(build_firmware, name, xlen), xlen, timeout=QEMU_TIMEOUT)
    assert r.exit_code == QUIRK_FIRST_CHECK[name] and "FAIL" in r.text, r.describe()
