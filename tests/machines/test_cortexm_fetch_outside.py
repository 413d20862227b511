"""Code outside RAM and ROM on the Cortex-M boards, as qemu-system-arm 7.2 runs
it (tests/firmware/arm/fetch_outside.c): QEMU fetches it through the bus, one
instruction per block, never kept. An unimplemented-device placeholder reads
as zeros, so the core slides through `movs r0, r0` until SysTick stops it; on
lm3s6965evb (ignore_memory_transaction_failures) undecoded space does the same;
on mps2-an385 it is an IBUSERR BusFault (escalated: HFSR.FORCED); the
default map's execute-never peripherals are IACCVIOL on both. emud faulted on
every fetch outside RAM and ROM."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emud.devices.base import Device
from emud.memory import MmioRegion, RamRegion
from tests.cpu.arm.machine import CortexMTestMachine, run
from tests.support.run import REPO

SRC = REPO / "tests" / "firmware" / "arm"
#: what qemu-system-arm 7.2 prints (semihosting) for each board
EXPECTED = {
    "mps2-an385": ("MPS2", "target=00800000 tick r0=00800001 cfsr=00000000 hfsr=00000000 \n"
                           "target=10000000 tick r0=10000001 cfsr=00000000 hfsr=00000000 \n"
                           "target=60000000 fault pc=60000000 cfsr=00000100 hfsr=40000000 \n"
                           "target=40010000 fault pc=40010000 cfsr=00000001 hfsr=40000000 \n"),
    "lm3s6965evb": ("LM3S", "target=60000000 tick r0=60000001 cfsr=00000000 hfsr=00000000 \n"
                            "target=10000000 tick r0=10000001 cfsr=00000000 hfsr=00000000 \n"
                            "target=00800000 tick r0=00800001 cfsr=00000000 hfsr=00000000 \n"
                            "target=40010000 fault pc=40010000 cfsr=00000001 hfsr=40000000 \n"),
}


def build_fetch_outside(tmp_path: Path, board: str) -> Path:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    out = tmp_path / ("fetch_outside-%s.elf" % board)
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m3", "-mthumb", "-O2", "-g", "-nostdlib", "-ffreestanding",
                    "-D" + EXPECTED[board][0], "-T", str(SRC / "link.ld"), str(SRC / "fetch_outside.c"),
                    "-o", str(out)], check=True)
    return out


def _run(argv):
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=300, cwd=str(REPO))


@pytest.mark.parametrize("board", sorted(EXPECTED))
def test_code_outside_ram_runs_or_faults_as_on_qemu(tmp_path, board):
    args = ["-M", board, "-nographic", "-semihosting", "-kernel", str(build_fetch_outside(tmp_path, board))]
    emud = _run([sys.executable, "-m", "emud"] + args)
    # (semihosting's console is stderr, as QEMU's)
    assert (emud.returncode, emud.stderr.decode()) == (0, EXPECTED[board][1])


@pytest.mark.qemu
@pytest.mark.parametrize("board", sorted(EXPECTED))
def test_expected_is_what_qemu_does(tmp_path, board):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    args = ["-M", board, "-nographic", "-semihosting", "-kernel", str(build_fetch_outside(tmp_path, board))]
    qemu = _run(["qemu-system-arm"] + args)
    # (less "Timer with period zero, disabling": QEMU's SysTick ptimer on lm3s6965evb complains)
    err = "".join(line for line in qemu.stderr.decode().splitlines(True) if "period zero" not in line)
    assert (qemu.returncode, err) == (0, EXPECTED[board][1])


class CodeDevice(Device):
    """A device whose bytes are code: `movs r0, #N; bx lr`, N written at 0x100."""
    access_sizes = (1, 2, 4)
    size = 0x1000

    def __init__(self) -> None:
        self.n = 1

    def read(self, offset: int, size: int) -> int:
        code = bytes([self.n, 0x20, 0x70, 0x47]) + bytes(self.size - 4)
        return int.from_bytes(code[offset:offset + size], "little")

    def write(self, offset: int, size: int, value: int) -> None:
        if offset == 0x100:
            self.n = value & 0xFF


#: at 0x100: ldr r1, =0x10000001; blx r1; mov r4, r0; ldr r3, =0x10000100; movs r2, #7;
#: str r2, [r3]; blx r1; mov r5, r0; b .; (literals)
PROGRAM = bytes.fromhex("044988470446044b07221a6088470546fee70000" "01000010" "00010010")


@pytest.mark.parametrize("tier_up", ["0", "1", "32"])
def test_device_code_is_fetched_anew_each_time_it_runs(tier_up):
    m = CortexMTestMachine("v7m", accel_options={"tier-up": tier_up})
    device = CodeDevice()
    m.bus.map(0x10000000, MmioRegion("code", device.size, device))
    ram = m.bus.find(0)[0]
    assert isinstance(ram, RamRegion)
    ram.data[0:8] = (0x20001000).to_bytes(4, "little") + (0x101).to_bytes(4, "little")
    ram.data[0x100:0x100 + len(PROGRAM)] = PROGRAM
    m.cpus[0].reset()
    run(m, 200)
    cpu = m.cpus[0]
    assert (cpu.x[4], cpu.x[5], cpu.pc) == (1, 7, 0x110)
    # nothing of the device's code kept in the TB cache
    assert m.accel.engine.cache.lookup(0x10000000, cpu.tb_flags()) is None


def test_in_asm_logs_each_one_instruction_block_with_the_bytes_it_ran(tmp_path):
    """As QEMU logs each of its one-shot TBs: both runs of the device's code
    show in -d in_asm, `movs r0, #1` the first time, `movs r0, #7` the second."""
    from emud.log import Log

    log_path = tmp_path / "in_asm.log"
    m = CortexMTestMachine("v7m", log=Log(["in_asm", "op", "out_asm"], str(log_path)))
    device = CodeDevice()
    m.bus.map(0x10000000, MmioRegion("code", device.size, device))
    ram = m.bus.find(0)[0]
    ram.data[0:8] = (0x20001000).to_bytes(4, "little") + (0x101).to_bytes(4, "little")
    ram.data[0x100:0x100 + len(PROGRAM)] = PROGRAM
    m.cpus[0].reset()
    run(m, 200)
    assert (m.cpus[0].x[4], m.cpus[0].x[5]) == (1, 7)
    text = log_path.read_text()
    firsts = [line.split()[1:] for line in text.splitlines() if line.startswith("0x10000000:")]
    assert firsts == [["2001", "movs", "r0,", "#1"], ["2007", "movs", "r0,", "#7"]]
    assert text.count("0x10000002:") == 2                  # bx lr, each time
    assert "(interpreted: no generated code)" in text
