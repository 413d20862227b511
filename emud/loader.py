"""Loading guest images: ELF files (pyelftools) and raw binaries.

Errors are one clear line for the user (:class:`LoaderError`): a missing file,
something that is not an ELF, an ELF for another architecture, or segments
that do not fit the machine's memory.
"""
from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

ARCH_NAMES = {"EM_RISCV": "RISC-V", "EM_ARM": "ARM"}


class LoaderError(Exception):
    pass


@dataclass
class Segment:
    addr: int
    data: bytes
    memsz: int


@dataclass
class Image:
    path: str
    entry: int
    segments: List[Segment]
    xlen: Optional[int] = None        # from the ELF class; None for raw binaries
    machine: Optional[str] = None
    symbols: "SymbolTable" = field(default_factory=lambda: SymbolTable([]))


class SymbolTable:
    """Function and object symbols, for `info symbol`, `break main` and logs."""

    def __init__(self, symbols: List[Tuple[int, int, str]]) -> None:
        self._syms = sorted(symbols)
        self._addrs = [s[0] for s in self._syms]
        self._by_name = {}
        for addr, _, name in self._syms:
            self._by_name.setdefault(name, addr)

    def lookup(self, name: str) -> Optional[int]:
        return self._by_name.get(name)

    def symbolize(self, addr: int) -> Optional[Tuple[str, int]]:
        i = bisect.bisect_right(self._addrs, addr) - 1
        while i >= 0:
            start, size, name = self._syms[i]
            if addr < start + max(size, 1):
                return name, addr - start
            if size == 0 or start < addr - 0x100000:
                break
            i -= 1
        return None

    def __len__(self) -> int:
        return len(self._syms)


def load_elf(path: str, expect_machine: str = "EM_RISCV") -> Image:
    if not os.path.exists(path):
        raise LoaderError("%s: no such file" % path)
    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            if elf["e_machine"] != expect_machine:
                raise LoaderError("%s: not a %s ELF (its machine is %s)" % (
                    path, ARCH_NAMES.get(expect_machine, expect_machine), elf["e_machine"]))
            if elf["e_type"] not in ("ET_EXEC", "ET_DYN"):
                raise LoaderError("%s: not an executable ELF (%s)" % (path, elf["e_type"]))
            segments = []
            for seg in elf.iter_segments():
                if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
                    continue
                segments.append(Segment(seg["p_paddr"], seg.data(), seg["p_memsz"]))
            symbols = []
            symtab = elf.get_section_by_name(".symtab")
            if symtab is not None:
                for sym in symtab.iter_symbols():
                    if sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE") and sym.name \
                            and sym["st_shndx"] != "SHN_UNDEF" and not sym.name.startswith("$"):
                        symbols.append((sym["st_value"], sym["st_size"], sym.name))
            return Image(path, elf.header.e_entry, segments, xlen=elf.elfclass,
                         machine=expect_machine, symbols=SymbolTable(symbols))
    except ELFError as e:
        raise LoaderError("%s: not an ELF file (%s)" % (path, e)) from None
    except OSError as e:
        raise LoaderError("%s: %s" % (path, e.strerror)) from None


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def load_raw(path: str, addr: int) -> Image:
    """A raw binary placed at ``addr`` with its entry at the start, as QEMU
    loads a non-ELF -kernel at the start of RAM."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise LoaderError("%s: %s" % (path, e.strerror)) from None
    return Image(path, addr, [Segment(addr, data, len(data))])
