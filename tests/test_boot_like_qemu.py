"""Booting as QEMU 7.2 boots `-M virt -bios none -kernel ELF`: what its
loader loads, where the hart starts, what the reset ROM holds.

* Segments are copied as ROM blobs; the bytes that land on no RAM are
  dropped (``gcc -nostdlib -Ttext=0x80000000`` puts the ELF headers in a
  first segment a page below RAM).
* The reset vector jumps to the start of RAM, not to the ELF's entry; the
  entry's only trace is ``next_addr`` in the fw_dynamic info, which QEMU sets
  to the kernel's *lowest load address*.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.firmware import CROSS

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests" / "firmware" / "boot_entry.S"
HELLO32 = ROOT / "examples" / "build" / "hello-rv32.elf"
ARCH = {32: ("rv32imac", "ilp32"), 64: ("rv64imac", "lp64")}


def _build(tmp_path: Path, xlen: int, *ldflags: str) -> Path:
    gcc = CROSS + "gcc"
    if shutil.which(gcc) is None:
        pytest.skip("%s not installed" % gcc)
    march, mabi = ARCH[xlen]
    out = tmp_path / ("boot-%d%s.elf" % (xlen, "-e" if ldflags else ""))
    subprocess.run([gcc, "-march=" + march, "-mabi=" + mabi, "-nostdlib", "-Ttext=0x80000000",
                    *ldflags, str(SOURCE), "-o", str(out)], check=True)
    return out


def emud(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "emud", *map(str, args)], capture_output=True,
                          timeout=timeout, cwd=ROOT, stdin=subprocess.DEVNULL)


def qemu(xlen: int, *args, input=None, timeout=30):
    return subprocess.run(["qemu-system-riscv%d" % xlen, "-M", "virt", "-bios", "none", *map(str, args)],
                          capture_output=True, timeout=timeout, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL)


def qemu_words(xlen: int, kernel: Path, addr: int, count: int):
    """QEMU's memory as 32-bit words, read with HMP xp before the first instruction."""
    r = qemu(xlen, "-kernel", kernel, "-monitor", "stdio", "-S", "-serial", "none", "-display", "none",
             input=("xp/%dwx 0x%x\nquit\n" % (count, addr)).encode())
    words = []
    for line in r.stdout.decode().splitlines():
        head, _, rest = line.partition(": ")
        if head.strip().startswith("0000") and rest:
            words += [int(w, 16) for w in rest.split()]
    return words


def emud_words(kernel: Path, addr: int, count: int):
    from emud.cli import _parser, build_machine
    machine, _ = build_machine(_parser().parse_args(["-kernel", str(kernel), "-serial", "none"]))
    data = machine.bus.read_bytes(addr, count * 4)
    return [int.from_bytes(data[i:i + 4], "little") for i in range(0, len(data), 4)]


@pytest.mark.parametrize("xlen", [32, 64])
def test_headers_below_ram_are_dropped_and_the_program_runs(tmp_path, xlen):
    elf = _build(tmp_path, xlen)
    r = emud("-M", "virt", "-bios", "none", "-kernel", elf, "-nographic")
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""


@pytest.mark.parametrize("xlen", [32, 64])
def test_the_hart_starts_at_the_start_of_ram_not_at_the_entry(tmp_path, xlen):
    elf = _build(tmp_path, xlen, "-Wl,-e,other")
    r = emud("-M", "virt", "-bios", "none", "-kernel", elf, "-nographic")
    assert r.returncode == 0, (r.returncode, r.stderr)      # _start's pass, not other's exit 3


@pytest.mark.parametrize("xlen", [32, 64])
def test_qemu_agrees_on_both(tmp_path, xlen, require_qemu):
    require_qemu(xlen)
    assert qemu(xlen, "-kernel", _build(tmp_path, xlen), "-nographic").returncode == 0
    assert qemu(xlen, "-kernel", _build(tmp_path, xlen, "-Wl,-e,other"), "-nographic").returncode == 0


@pytest.mark.parametrize("xlen", [32, 64])
def test_reset_rom_with_a_kernel_is_qemus_word_for_word(tmp_path, xlen, require_qemu):
    # start address 0x80000000, the device tree, then fw_dynamic info with
    # next_addr = the lowest load address (0x7ffff000 here, not the entry)
    require_qemu(xlen)
    elf = _build(tmp_path, xlen, "-Wl,-e,other")
    ours = emud_words(elf, 0x1000, 24)
    assert ours == qemu_words(xlen, elf, 0x1000, 24)
    next_addr = ours[12] if xlen == 32 else ours[14]
    assert next_addr == 0x7ffff000


def _hello_moved(addr: int) -> bytes:
    from tests.test_bad_images import _moved_load
    return _moved_load(addr)


def test_a_segment_past_the_end_of_ram_keeps_its_part_in_ram(tmp_path, require_qemu):
    require_qemu(32)
    image = tmp_path / "past-end.elf"
    image.write_bytes(_hello_moved(0x87fff000))      # 0x10d00 bytes from the last RAM page on
    ours = emud_words(image, 0x87fff000, 8)
    assert ours == qemu_words(32, image, 0x87fff000, 8)
    assert ours == emud_words(HELLO32, 0x80000000, 8)       # hello's first code words
