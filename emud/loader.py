"""Loading guest images: ELF files (pyelftools) and raw binaries.

Errors are one clear line for the user (:class:`LoaderError`): a missing or
unreadable file, an empty one, something that is not an ELF, an ELF for
another architecture, a truncated or malformed one (headers or segments
past its end, overlapping segments, none to load); where segments land in
the machine's memory is the machine's check (``load_image``).
"""
from __future__ import annotations

import bisect
import io
import struct
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from elftools.common.exceptions import ELFError
from elftools.construct.core import ConstructError
from elftools.elf.elffile import ELFFile
from elftools.elf.enums import ENUM_E_MACHINE, ENUM_E_TYPE

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

    @property
    def low_addr(self) -> int:
        """The lowest load address: what QEMU 7.2 hands the firmware as the
        kernel's address (riscv_load_kernel: "use low address not ELF entry
        point"), whatever the entry says."""
        return min(seg.addr for seg in self.segments)


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


# after the 16-byte e_ident, by EI_CLASS: e_type, e_machine, e_version, e_entry, e_phoff, e_shoff,
# e_flags, e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx
_EHDR = {1: "HHIIIIIHHHHHH", 2: "HHIQQQIHHHHHH"}
# a program header's fields by EI_CLASS (ELF64 moves p_flags second)
_PHDR = {1: ("IIIIIIII", ("p_type", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz", "p_flags", "p_align")),
         2: ("IIQQQQQQ", ("p_type", "p_flags", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz", "p_align"))}
PT_LOAD = 1
#: no emud machine has more RAM (-m 2G): a segment larger than this fits none
MAX_SEGMENT = 2 << 30
_MACHINE_NAMES = {v: k for k, v in ENUM_E_MACHINE.items() if isinstance(v, int)}
_TYPE_NAMES = {v: k for k, v in ENUM_E_TYPE.items() if isinstance(v, int)}


def load_elf(path: str, expect_machine: str = "EM_RISCV") -> Image:
    """The loadable segments, entry and symbols of an ELF file. The headers
    are checked by hand, each flaw one line (:class:`LoaderError`): QEMU
    loads an ELF it cannot parse as a raw binary, running its header as
    code; emud says what is wrong instead. Symbols are best effort (a broken
    section table loses them, as with QEMU, but not the image)."""
    data = _read(path)
    if data[:4] != b"\x7fELF":
        raise LoaderError("%s: not an ELF file" % path)
    if len(data) < 6 or data[4] not in _EHDR or data[5] not in (1, 2):
        raise LoaderError("%s: not a valid ELF file (class %s, data encoding %s)"
                          % (path, _byte(data, 4), _byte(data, 5)))
    elfclass = data[4]
    order = "<" if data[5] == 1 else ">"
    ehdr = struct.Struct(order + _EHDR[elfclass])
    if len(data) < 16 + ehdr.size:
        raise LoaderError("%s: truncated ELF file (%d bytes, shorter than its %d-byte header)"
                          % (path, len(data), 16 + ehdr.size))
    e_type, e_machine, _, entry, phoff, _, _, _, phentsize, phnum = ehdr.unpack_from(data, 16)[:10]
    if e_machine != ENUM_E_MACHINE[expect_machine]:
        raise LoaderError("%s: not a %s ELF (its machine is %s)" % (
            path, ARCH_NAMES.get(expect_machine, expect_machine), _MACHINE_NAMES.get(e_machine, e_machine)))
    if e_type not in (ENUM_E_TYPE["ET_EXEC"], ENUM_E_TYPE["ET_DYN"]):
        raise LoaderError("%s: not an executable ELF (%s)" % (path, _TYPE_NAMES.get(e_type, e_type)))
    segments = _segments(path, data, elfclass, order, phoff, phentsize, phnum)
    return Image(path, entry, segments, xlen=32 if elfclass == 1 else 64,
                 machine=expect_machine, symbols=_symbols(data, FUNCTION_ADDRESS_MASK.get(expect_machine, -1)))


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise LoaderError("%s: %s" % (path, e.strerror or e)) from None


def _byte(data: bytes, i: int) -> str:
    return str(data[i]) if len(data) > i else "missing"


def _segments(path: str, data: bytes, elfclass: int, order: str, phoff: int, phentsize: int,
              phnum: int) -> List[Segment]:
    fmt, names = _PHDR[elfclass]
    phdr = struct.Struct(order + fmt)
    if phnum and phentsize < phdr.size:
        raise LoaderError("%s: bad ELF program header size %d (at least %d)" % (path, phentsize, phdr.size))
    if phoff + phnum * phentsize > len(data):
        raise LoaderError("%s: truncated ELF file: its %d program headers at offset 0x%x go past its end (%d bytes)"
                          % (path, phnum, phoff, len(data)))
    top = 1 << (32 if elfclass == 1 else 64)
    segments = []
    for i in range(phnum):
        p = dict(zip(names, phdr.unpack_from(data, phoff + i * phentsize)))
        if p["p_type"] != PT_LOAD or p["p_memsz"] == 0:
            continue
        addr, offset, filesz, memsz = p["p_paddr"], p["p_offset"], p["p_filesz"], p["p_memsz"]
        where = "%s: segment %d (0x%x bytes at 0x%x)" % (path, i, memsz, addr)
        if filesz > memsz:
            raise LoaderError("%s has more bytes in the file (0x%x) than in memory" % (where, filesz))
        if offset + filesz > len(data):
            raise LoaderError("%s: truncated ELF file: segment %d (0x%x bytes at offset 0x%x) goes past its end "
                              "(%d bytes)" % (path, i, filesz, offset, len(data)))
        if addr + memsz > top:
            raise LoaderError("%s goes past the end of the address space" % where)
        if memsz > MAX_SEGMENT:
            raise LoaderError("%s is larger than any machine's RAM" % where)
        segments.append(Segment(addr, data[offset:offset + filesz], memsz))
    if not segments:
        raise LoaderError("%s: no loadable segment (no PT_LOAD program header with a size)" % path)
    ordered = sorted(segments, key=lambda seg: seg.addr)
    for a, b in zip(ordered, ordered[1:]):
        if b.addr < a.addr + a.memsz:
            # QEMU refuses these too ("The following two regions overlap")
            raise LoaderError("%s: segments at 0x%x-0x%x and 0x%x-0x%x overlap"
                              % (path, a.addr, a.addr + a.memsz - 1, b.addr, b.addr + b.memsz - 1))
    return segments


#: the ARM ELF ABI marks a Thumb function with bit 0 of its symbol's value;
#: the code (breakpoints, listings, ``info symbol``) is at the even address
FUNCTION_ADDRESS_MASK = {"EM_ARM": ~1}


def _symbols(data: bytes, function_mask: int = -1) -> "SymbolTable":
    symbols = []
    try:
        symtab = ELFFile(io.BytesIO(data)).get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():
                if sym["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE") and sym.name \
                        and sym["st_shndx"] != "SHN_UNDEF" and not sym.name.startswith("$"):
                    value = sym["st_value"]
                    if sym["st_info"]["type"] == "STT_FUNC":
                        value &= function_mask
                    symbols.append((value, sym["st_size"], sym.name))
    except (ELFError, ConstructError, struct.error, ValueError, LookupError, UnicodeDecodeError):
        symbols = []
    return SymbolTable(symbols)


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def load_raw(path: str, addr: int) -> Image:
    """A raw binary placed at ``addr`` with its entry at the start, as QEMU
    loads a non-ELF -kernel at the start of RAM."""
    data = _read(path)
    if not data:
        raise LoaderError("%s: could not load an empty file" % path)
    return Image(path, addr, [Segment(addr, data, len(data))])
