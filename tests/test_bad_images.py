"""Bad -kernel images: each is one line on stderr (`emud: ...`) and status 1,
never a traceback. The images are made from examples/build/hello-rv32.elf
(and -rv64) by patching bytes.

QEMU 7.2 refuses an empty file and overlapping segments as emud does. An ELF
it cannot load (truncated, another machine, no loadable segment...) it loads
as a raw binary at 0x80000000 and runs its header as code; emud says what is
wrong instead. A segment with no byte in RAM QEMU drops; emud refuses it
(nothing of it could run). What QEMU runs as it should (a broken section
table, an entry point anywhere: with -bios none the hart starts at the start
of RAM), emud runs too."""
from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path
from typing import Callable, Dict

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELLO32 = ROOT / "examples" / "build" / "hello-rv32.elf"
HELLO64 = ROOT / "examples" / "build" / "hello-rv64.elf"

PT_NULL, PT_LOAD = 0, 1
EM_ARM, EM_X86_64 = 40, 62


class Elf:
    """Just enough of an ELF to patch its header and program headers."""

    def __init__(self, data: bytes) -> None:
        self.data = bytearray(data)
        self.is64 = data[4] == 2
        # e_type .. e_shstrndx after the 16-byte e_ident
        self.header_fmt = "<HHIQQQIHHHHHH" if self.is64 else "<HHIIIIIHHHHHH"
        self.phdr_fmt = "<IIQQQQQQ" if self.is64 else "<IIIIIIII"
        self.header_fields = ("e_type", "e_machine", "e_version", "e_entry", "e_phoff", "e_shoff", "e_flags",
                              "e_ehsize", "e_phentsize", "e_phnum", "e_shentsize", "e_shnum", "e_shstrndx")
        # ELF64 puts p_flags second; keep one order of names per class
        self.phdr_fields = (("p_type", "p_flags", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz", "p_align")
                            if self.is64 else
                            ("p_type", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz", "p_flags", "p_align"))

    def header(self) -> Dict[str, int]:
        return dict(zip(self.header_fields, struct.unpack_from(self.header_fmt, self.data, 16)))

    def set_header(self, **values: int) -> "Elf":
        h = self.header()
        h.update(values)
        struct.pack_into(self.header_fmt, self.data, 16, *(h[f] for f in self.header_fields))
        return self

    def phdr(self, i: int) -> Dict[str, int]:
        h = self.header()
        return dict(zip(self.phdr_fields, struct.unpack_from(self.phdr_fmt, self.data, h["e_phoff"] + i * h["e_phentsize"])))

    def set_phdr(self, i: int, **values: int) -> "Elf":
        h, p = self.header(), self.phdr(i)
        p.update(values)
        struct.pack_into(self.phdr_fmt, self.data, h["e_phoff"] + i * h["e_phentsize"], *(p[f] for f in self.phdr_fields))
        return self

    def load_index(self) -> int:
        return next(i for i in range(self.header()["e_phnum"]) if self.phdr(i)["p_type"] == PT_LOAD)

    def other_index(self) -> int:
        return next(i for i in range(self.header()["e_phnum"]) if self.phdr(i)["p_type"] != PT_LOAD)


def _hello(path: Path = HELLO32) -> Elf:
    return Elf(path.read_bytes())


def _moved_load(addr: int) -> bytes:
    return _with_load(p_paddr=addr, p_vaddr=addr)


def _overlapping() -> bytes:
    # the attributes header becomes a second LOAD inside the first one
    e = _hello()
    load = e.phdr(e.load_index())
    return bytes(e.set_phdr(e.other_index(), p_type=PT_LOAD, p_offset=load["p_offset"], p_vaddr=load["p_vaddr"] + 0x100,
                            p_paddr=load["p_paddr"] + 0x100, p_filesz=0x40, p_memsz=0x40).data)


def _with_load(**values: int) -> bytes:
    e = _hello()
    return bytes(e.set_phdr(e.load_index(), **values).data)


def _no_load() -> bytes:
    e = _hello()
    return bytes(e.set_phdr(e.load_index(), p_type=PT_NULL).data)


def _truncated_segment() -> bytes:
    e = _hello()
    load = e.phdr(e.load_index())
    return bytes(e.data[:load["p_offset"] + load["p_filesz"] // 2])


# name -> the image's bytes
BAD: Dict[str, Callable[[], bytes]] = {
    "empty": lambda: b"",
    "truncated ELF header": lambda: HELLO32.read_bytes()[:30],
    "truncated program headers": lambda: HELLO32.read_bytes()[:60],
    "truncated segment": _truncated_segment,
    "segment outside RAM": lambda: _moved_load(0x90000000),
    "overlapping segments": _overlapping,
    "ARM ELF": lambda: bytes(_hello().set_header(e_machine=EM_ARM).data),
    "x86-64 ELF": lambda: bytes(_hello(HELLO64).set_header(e_machine=EM_X86_64).data),
    "no loadable segment": _no_load,
    "huge e_phnum": lambda: bytes(_hello().set_header(e_phnum=0xffff).data),
    "e_phoff past the end": lambda: bytes(_hello().set_header(e_phoff=0xfffffff0).data),
    "e_phentsize too small": lambda: bytes(_hello().set_header(e_phentsize=8).data),
    "ELF class 3": lambda: HELLO32.read_bytes()[:4] + b"\x03" + HELLO32.read_bytes()[5:],
    "more file bytes than memory": lambda: _with_load(p_filesz=0x2000, p_memsz=0x1000),
    "segment wrapping around": lambda: _with_load(p_paddr=0xfffff000, p_vaddr=0xfffff000),
    "huge segment": lambda: _with_load(p_memsz=0xf0000000),
}

# name -> an image QEMU runs as it runs hello: so does emud
GOOD: Dict[str, Callable[[], bytes]] = {
    "e_shoff past the end": lambda: bytes(_hello().set_header(e_shoff=0xfffffff0).data),
    "section headers cut off": lambda: HELLO32.read_bytes()[:_hello().header()["e_shoff"] + 100],
    "e_shstrndx out of range": lambda: bytes(_hello().set_header(e_shstrndx=0x7fff).data),
    "entry outside RAM": lambda: bytes(_hello().set_header(e_entry=0x90000000).data),
    "entry in a device": lambda: bytes(_hello().set_header(e_entry=0x10000000).data),
}


def emud(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "emud", *map(str, args)], capture_output=True,
                          timeout=timeout, cwd=ROOT)


def _one_clear_line(r: subprocess.CompletedProcess) -> str:
    err = r.stderr.decode()
    assert r.returncode == 1, (r.returncode, err)
    assert "Traceback" not in err, err
    assert len(err.splitlines()) == 1 and err.startswith("emud: "), err
    return err


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_elf_is_one_line_and_status_1(tmp_path, name):
    image = tmp_path / "bad.elf"
    image.write_bytes(BAD[name]())
    err = _one_clear_line(emud("-M", "virt", "-bios", "none", "-kernel", image, "-nographic"))
    assert str(image) in err


def test_a_directory(tmp_path):
    err = _one_clear_line(emud("-kernel", tmp_path, "-nographic"))
    assert "Is a directory" in err


def test_a_missing_file(tmp_path):
    err = _one_clear_line(emud("-kernel", tmp_path / "nope.elf", "-nographic"))
    assert "nope.elf" in err


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_an_unreadable_file(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads any file (test_a_file_that_fails_to_read covers a failing read)")
    image = tmp_path / "locked.elf"
    image.write_bytes(HELLO32.read_bytes())
    image.chmod(0)
    err = _one_clear_line(emud("-kernel", image, "-nographic"))
    assert "Permission denied" in err


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="Linux /proc")
def test_a_file_that_fails_to_read():
    # reading /proc/self/mem at offset 0 fails with EIO, even for root
    err = _one_clear_line(emud("-kernel", "/proc/self/mem", "-nographic"))
    assert "Input/output error" in err


@pytest.mark.parametrize("name", sorted(GOOD))
def test_what_qemu_runs_emud_runs(tmp_path, name):
    # a broken section table costs the symbols, not the image (QEMU loads
    # symbols best effort too); the entry point is only the kernel address
    # handed to the firmware
    image = tmp_path / "ok.elf"
    image.write_bytes(GOOD[name]())
    r = emud("-M", "virt", "-bios", "none", "-kernel", image, "-nographic")
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in r.stdout


def test_the_images_are_what_their_names_say(tmp_path, require_qemu):
    # QEMU as the oracle: it refuses the overlapping segments itself; the
    # good images print hello on it as on emud
    require_qemu(32)

    def qemu(image: bytes) -> subprocess.CompletedProcess:
        path = tmp_path / "image.elf"
        path.write_bytes(image)
        return subprocess.run(["qemu-system-riscv32", "-M", "virt", "-bios", "none", "-nographic", "-kernel", path],
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL)

    for name, make in sorted(GOOD.items()):
        r = qemu(make())
        assert r.returncode == 0 and b"Hello, world! (rv32)" in r.stdout, name
    assert qemu(_overlapping()).returncode == 1
