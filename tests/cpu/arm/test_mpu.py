"""The PMSAv7 MPU (emud/cpu/arm/mpu.py) as QEMU 7.2 enforces it.

firmware/mpu.c programs the registers and takes MemManage faults of every
kind (DACCVIOL with MMFAR, IACCVIOL, background, subregions, AP for
unprivileged code, escalation, MSTKERR, MUNSTKERR, FAULTMASK without
HFNMIENA); its output and QEMU's ``-d int`` log must be QEMU's, line for line.
The rule itself is also checked against the table it implements."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from emud.cpu.arm import mpu as M
from emud.log import Log

from .build import build
from .machine import CortexMTestMachine, load_elf, run


def run_emud(elf, tmp_path, tier_up: str = "32"):
    log_path = tmp_path / "emud-int.log"
    log = Log(["int"], str(log_path))
    m = CortexMTestMachine("v7m", log=log, accel_options={"tier-up": tier_up})
    load_elf(m, elf)
    code = run(m, 5_000_000)
    log.close()
    return code, m.output(), log_path.read_text()


def test_mpu_faults_as_the_architecture_says(tmp_path):
    code, out, _ = run_emud(build("mpu", "m3", "-O2"), tmp_path, tier_up="0")
    assert code == 0, out
    blocks = {}
    name = "registers"
    for part in out.split("\n"):
        if "=" not in part and part:
            name = part
            blocks[name] = {}
        elif part:
            k, v = part.split("=")
            blocks.setdefault(name, {})[k] = v
    regs = out.split("read ro")[0]
    for line in ("type=00000800", "rasr7=173fff3f", "rbar=20000003", "rasr=16005a12", "rasr_a3=16005a12",
                 "ctrl=00000007", "scr=fffffff3"):
        assert line in regs.splitlines(), line
    expect = {
        "write ro": {"faults": "00000001", "cfsr": "00000082", "mmfar": "20000010"},
        "across 1k": {"cfsr": "00000082", "mmfar": "20000400"},
        "escalated": {"cfsr": "00000082", "hfsr": "40000000", "mmfar": "20000400"},
        "srd hole": {"faults": "00000000"},
        "srd on": {"cfsr": "00000082", "mmfar": "20000a00"},
        "region 3 > 1": {"cfsr": "00000082", "mmfar": "20000804"},
        "background": {"cfsr": "00000082", "mmfar": "20001000"},
        "privdefena": {"faults": "00000000"},
        "xn": {"faults": "00000001", "cfsr": "00000001", "pc": "20001100"},
        "x": {"faults": "00000000"},
        "default xn": {"cfsr": "00000001", "pc": "40010000"},
        "nothing there": {"cfsr": "00000100", "pc": "60000000"},
        "user": {"faults": "00000002", "cfsr": "00008200", "bfar": "e000ed04", "store cfsr": "00000082"},
        "faultmask": {"faults": "00000000"},
        "mstkerr": {"faults": "00000001", "cfsr": "00000010"},
        "munstkerr": {"faults": "00000001", "cfsr": "00000008"},
    }
    for name, fields in expect.items():
        for k, v in fields.items():
            assert blocks[name][k] == v, (name, k)
    assert "not written=00000000" in out


@pytest.mark.qemu
def test_mpu_program_and_int_log_same_as_qemu(tmp_path):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    elf = build("mpu", "m3", "-O2")
    code, out, log = run_emud(elf, tmp_path)
    qlog = tmp_path / "qemu-int.log"
    q = subprocess.run(["qemu-system-arm", "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic", "-semihosting",
                        "-d", "int", "-D", str(qlog), "-kernel", str(elf)],
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert out.splitlines() == q.stderr.decode("latin-1").splitlines()
    assert code == q.returncode == 0
    # QEMU resets once before the image is in memory (SP 0 PC 0); the test machine does not
    qlines = qlog.read_text().splitlines()
    assert qlines[0] == "Loaded reset SP 0x0 PC 0x0 from vector table"
    assert log.splitlines() == qlines[1:]
    assert "...MemManageFault with CFSR.MSTKERR" in qlines and "...MemManageFault with CFSR.MUNSTKERR" in qlines


def _view(regions, ctrl=M.CTRL_ENABLE | M.CTRL_PRIVDEFENA, user=False, negpri=False):
    rbar = [0] * 8
    rasr = [0] * 8
    for n, (base, value) in regions.items():
        rbar[n], rasr[n] = base, value
    cfg = M.config_for(ctrl, rbar, rasr)
    return None if cfg is None else cfg.view(user, negpri)


def _rasr(ap, size_field, xn=0, srd=0):
    return (xn << 28) | (ap << 24) | (srd << 8) | (size_field << 1) | 1


@pytest.mark.parametrize("ap,priv,user", [
    (0, 0, 0), (1, M.RWX, 0), (2, M.RWX, M.R | M.X), (3, M.RWX, M.RWX), (4, 0, 0),
    (5, M.R | M.X, 0), (6, M.R | M.X, M.R | M.X), (7, M.R | M.X, M.R | M.X)])
def test_access_permissions(ap, priv, user):
    regions = {0: (0x20000000, _rasr(ap, 9))}
    assert _view(regions).prot(0x20000010) == priv
    assert _view(regions, user=True).prot(0x20000010) == user
    assert _view({0: (0x20000000, _rasr(ap, 9, xn=1))}).prot(0x20000010) == priv & ~M.X


def test_region_rules():
    # the highest-numbered region wins; a disabled subregion falls through to lower ones
    v = _view({1: (0x20000800, _rasr(3, 7)), 3: (0x20000800, _rasr(0, 10, srd=0x02))})
    assert v.prot(0x20000804) == 0 and v.prot(0x20000900) == M.RWX and v.prot(0x20000a00) == 0
    # misaligned base, SIZE 0: ignored; no PRIVDEFENA: the background faults; the PPB never does
    v = _view({0: (0x20000100, _rasr(0, 9)), 1: (0x20000000, _rasr(0, 0) & ~0x3E)}, ctrl=M.CTRL_ENABLE)
    assert v.prot(0x20000100) == 0 and v.prot(0xE000ED94) == M.RW
    assert _view({0: (0x20000100, _rasr(0, 9))}).prot(0x20000100) == M.RWX
    # the system region never executes, even through a region that allows it
    assert _view({0: (0xE0000000, _rasr(3, 28))}).prot(0xE0100000) == M.RW
    # an access crossing a 1 KiB boundary is checked at the second page too
    v = _view({0: (0x20000400, _rasr(0, 9))})
    assert v.denied_at(0x200003FE, 4, M.W) == 0x20000400 and v.denied_at(0x200003FC, 4, M.W) is None


def test_when_the_mpu_applies():
    regions = {0: (0x20000000, _rasr(0, 9))}
    assert _view(regions, ctrl=0) is None
    assert _view(regions, ctrl=M.CTRL_HFNMIENA) is None                  # UNPREDICTABLE: off, as QEMU
    assert _view(regions, ctrl=M.CTRL_ENABLE, negpri=True) is None       # HardFault/NMI/FAULTMASK
    assert _view(regions, ctrl=M.CTRL_ENABLE | M.CTRL_HFNMIENA, negpri=True) is not None
    # the same programming is the same view, with an id that does not depend on the process
    assert _view(regions).id == _view(dict(regions)).id
    assert M.default_fetch_allowed(0x20000000, 2) and not M.default_fetch_allowed(0x40000000, 2)
    assert M.default_fetch_allowed(0x60000000, 2) and not M.default_fetch_allowed(0xA0000000, 2)
