"""gcc-compiled programs (-mcpu=cortex-m3 and cortex-m0, -O0 to -O3, -Os) on
the test machine, and the same ELF on qemu-system-arm -M mps2-an385: the
semihosting output (every intermediate result, fault status register and
exception order the programs print) and the exit status must be equal."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from .build import build
from .machine import CortexMTestMachine, load_elf, run

PROFILE = {"m3": "v7m", "m0": "v6m"}
CASES = [(prog, cpu, opt) for prog in ("alu", "exc") for cpu in ("m3", "m0") for opt in ("-O0", "-O2", "-Os")]
#: the other levels gcc has (slow: the same code paths, more encodings)
MORE_GCC = [(prog, cpu, opt) for prog in ("alu", "exc") for cpu in ("m3", "m0") for opt in ("-O1", "-O3")]
#: clang (--target=thumbv7m/thumbv6m-none-eabi) at every level; exc.c's naked context switch
#: does not survive clang -O0 (it hangs on QEMU too), so exc from -O1
CLANG = [(prog, cpu, opt) for prog in ("alu", "exc") for cpu in ("m3", "m0")
         for opt in ("-O0", "-O1", "-O2", "-O3", "-Os", "-Oz") if not (prog == "exc" and opt == "-O0")]


def run_emud(elf, cpu: str, **kw):
    m = CortexMTestMachine(PROFILE[cpu], **kw)
    load_elf(m, elf)
    return run(m, 5_000_000), m.output(), m


def run_qemu(elf):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    q = subprocess.run(["qemu-system-arm", "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic",
                        "-semihosting", "-kernel", str(elf)], capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    return q.returncode, q.stderr.decode("latin-1")


@pytest.mark.qemu
@pytest.mark.parametrize("prog,cpu,opt", CASES + [pytest.param(*c, marks=pytest.mark.slow) for c in MORE_GCC])
def test_same_as_qemu(prog, cpu, opt):
    elf = build(prog, cpu, opt)
    code, out, _ = run_emud(elf, cpu)
    qcode, qout = run_qemu(elf)
    assert out.splitlines() == qout.splitlines()
    assert code == qcode


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("prog,cpu,opt", CLANG + [("mpu", "m3", "-O2"), ("sleep_bkpt", "m3", "-O2")])
def test_clang_builds_same_as_qemu(prog, cpu, opt):
    """What clang emits for cortex-m3 and cortex-m0, run as on QEMU (skipped without clang)."""
    elf = build(prog, cpu, opt, compiler="clang")
    code, out, _ = run_emud(elf, cpu)
    qcode, qout = run_qemu(elf)
    assert out.splitlines() == qout.splitlines()
    assert code == qcode == 0


@pytest.mark.parametrize("tier_up", ["0", "32"])
def test_exceptions_program_observations(tier_up):
    """What the architecture says, without QEMU: SVC, masking, preemption
    and tail-chaining order, fault status registers, escalation, the
    exclusive monitor, SysTick, a PendSV context switch between PSP threads."""
    code, out, _ = run_emud(build("exc", "m3", "-O2"), "m3", accel_options={"tier-up": tier_up})
    assert code == 0
    lines = dict(line.rsplit("=", 1) for line in out.splitlines() if "=" in line and not line.startswith("trace"))
    expect = {"svc": "0000002a", "svcnum": "00000007", "excret": "fffffff9", "xpsr": "21000000",
              "align": "00000001", "masked": "00000000", "nested": "13149493", "chained": "15951696",
              "basepri": "00000000", "bfar": "60000000", "div0res": "00000000", "unal_ok": "02000000",
              "strex_ok": "00000000", "strex_clr": "00000001", "strex_exc": "00000001", "cell": "00000009",
              "ticks>=3": "00000001", "calib": "0000270f", "switches": "0000000a", "control": "00000002"}
    for k, v in expect.items():
        assert lines[k] == v, k
    assert "trace=aqbrcsdteu" in out
    faults = [line for line in out.splitlines() if line.startswith(("cfsr", "hfsr"))]
    assert faults == ["cfsr=00010000", "hfsr=00000000", "cfsr=00008200", "hfsr=00000000",
                      "cfsr=02000000", "hfsr=00000000", "cfsr=01000000", "hfsr=00000000",
                      "cfsr=01000000", "hfsr=00000000", "cfsr=00010000", "hfsr=40000000"]
