"""The guest physical address space: RAM, ROM and MMIO regions.

Modelled on QEMU's memory API, flattened: regions are mapped at a base
address with a priority, and an access is routed to the highest-priority
region covering it. RAM regions expose their backing ``bytearray`` so that
the translator can emit an inline fast path for the main RAM; everything else
(and any RAM access the fast path declines) comes through :meth:`read` and
:meth:`write` here.

Failures are values for the guest: an access to an unmapped address or of a
width a device does not accept raises :class:`BusError`, which the CPU turns
into the guest's access-fault trap. With ``-d guest_errors`` the bus also
logs each such guest access as QEMU 7.2's memory_region_access_valid() does
(see :meth:`AddressSpace.log_invalid_access`).
"""
from __future__ import annotations

import bisect
from typing import Callable, List, Optional, Tuple


class BusError(Exception):
    """An access the bus cannot complete (unmapped, wrong width, read-only)."""

    def __init__(self, addr: int, size: int, is_write: bool, reason: str) -> None:
        super().__init__("%s of %d bytes at 0x%x: %s" % ("write" if is_write else "read", size, addr, reason))
        self.addr = addr
        self.size = size
        self.is_write = is_write
        self.reason = reason


# QEMU 7.2's memory_region_access_valid() message (HWADDR_PRIX: upper case)
_INVALID_ACCESS = "Invalid %s at addr 0x%X, size %d, region '%s', reason: %s\n"


class Region:
    """Something mapped into the address space. Offsets are region-relative."""

    kind = "io"

    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size

    def read(self, offset: int, size: int) -> int:
        raise NotImplementedError("region %s cannot be read" % self.name)

    def write(self, offset: int, size: int, value: int) -> None:
        raise NotImplementedError("region %s cannot be written" % self.name)


class RamRegion(Region):
    """Guest RAM backed by a bytearray (little-endian)."""

    kind = "ram"

    def __init__(self, name: str, size: int) -> None:
        super().__init__(name, size)
        self.data = bytearray(size)

    def read(self, offset: int, size: int) -> int:
        return int.from_bytes(self.data[offset:offset + size], "little")

    def write(self, offset: int, size: int, value: int) -> None:
        self.data[offset:offset + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


class RomRegion(RamRegion):
    """Read-only memory. Guest writes are ignored, as on QEMU's ROM regions;
    the loader and the debugger write through :meth:`load`."""

    kind = "rom"

    def write(self, offset: int, size: int, value: int) -> None:
        pass

    def load(self, offset: int, data: bytes) -> None:
        self.data[offset:offset + len(data)] = data


class MmioRegion(Region):
    """A device's registers. The device sees offsets, never addresses."""

    kind = "io"

    def __init__(self, name: str, size: int, device) -> None:
        super().__init__(name, size)
        self.device = device
        self.access_sizes = tuple(getattr(device, "access_sizes", (1, 2, 4, 8)))

    def read(self, offset: int, size: int) -> int:
        return self.device.read(offset, size)

    def write(self, offset: int, size: int, value: int) -> None:
        self.device.write(offset, size, value)


class Mapping:
    __slots__ = ("base", "end", "region", "priority", "offset")

    def __init__(self, base: int, region: Region, priority: int) -> None:
        self.offset = 0  # where this span starts inside its region
        self.base = base
        self.end = base + region.size  # exclusive
        self.region = region
        self.priority = priority


class AddressSpace:
    """A flat map of regions. Lookups bisect a sorted list of spans."""

    def __init__(self) -> None:
        self.mappings: List[Mapping] = []
        self._starts: List[int] = []
        self._spans: List[Mapping] = []
        # Called with (addr, size) after any write to RAM that does not go
        # through the translator's fast path: the TB cache listens here to
        # invalidate code that was overwritten.
        self.ram_write_listeners: List[Callable[[int, int], None]] = []
        # -d guest_errors: the -d/-D log (emud.log.Log) the machine wires in
        self.guest_log = None
        # QEMU's TARGET_PAGE_BITS for the guest (riscv: 12; M-profile Arm: 10):
        # a refused access in a page that no one region covers whole is
        # logged a second time, as QEMU's "subpage" container refuses it too
        self.page_bits = 12

    # -- building --------------------------------------------------------------
    def map(self, base: int, region: Region, priority: int = 0) -> Region:
        self.mappings.append(Mapping(base, region, priority))
        self._rebuild()
        return region

    def unmap(self, region: Region) -> None:
        self.mappings = [m for m in self.mappings if m.region is not region]
        self._rebuild()

    def _rebuild(self) -> None:
        # Flatten: higher priority wins; among equals the later mapping wins.
        ordered = sorted(enumerate(self.mappings), key=lambda im: (im[1].priority, im[0]))
        points = sorted({m.base for m in self.mappings} | {m.end for m in self.mappings})
        spans: List[Mapping] = []
        for lo, hi in zip(points, points[1:]):
            owner = None
            for _, m in ordered:
                if m.base <= lo and hi <= m.end:
                    owner = m
            if owner is None:
                continue
            if spans and spans[-1].region is owner.region and spans[-1].end == lo \
                    and spans[-1].offset + (lo - spans[-1].base) == lo - owner.base:
                # contiguous piece of the same region at the next offset: extend
                # the span (not a second mapping of it, an alias, right after)
                spans[-1].end = hi
                continue
            span = Mapping(owner.base, owner.region, owner.priority)
            span.base, span.end = lo, hi
            span.offset = lo - owner.base
            spans.append(span)
        self._spans = spans
        self._starts = [s.base for s in spans]

    # -- lookup ------------------------------------------------------------------
    def find(self, addr: int) -> Optional[Tuple[Region, int, int]]:
        """(region, offset in region, bytes left in this span) or None."""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i < 0:
            return None
        s = self._spans[i]
        if addr >= s.end:
            return None
        return s.region, addr - s.base + s.offset, s.end - addr

    def region_at(self, addr: int) -> Optional[Region]:
        hit = self.find(addr)
        return hit[0] if hit else None

    def ram_regions(self) -> List[Tuple[int, RamRegion]]:
        return [(m.base, m.region) for m in self.mappings if isinstance(m.region, RamRegion)]

    # -- guest accesses -------------------------------------------------------------
    def read(self, addr: int, size: int) -> int:
        hit = self.find(addr)
        if hit is None:
            if self.guest_log is not None:
                self.log_invalid_access(addr, size, False)
            raise BusError(addr, size, False, "no device or memory mapped here")
        region, offset, left = hit
        if left < size:
            return self._split_read(addr, size)
        if region.kind == "io":
            if size not in region.access_sizes:
                if self.guest_log is not None:
                    self.log_invalid_access(addr, size, False)
                raise BusError(addr, size, False, "%s does not accept %d-byte accesses" % (region.name, size))
        return region.read(offset, size)

    def write(self, addr: int, size: int, value: int) -> None:
        hit = self.find(addr)
        if hit is None:
            if self.guest_log is not None:
                self.log_invalid_access(addr, size, True)
            raise BusError(addr, size, True, "no device or memory mapped here")
        region, offset, left = hit
        if left < size:
            self._split_write(addr, size, value)
            return
        if region.kind == "io":
            if size not in region.access_sizes:
                if self.guest_log is not None:
                    self.log_invalid_access(addr, size, True)
                raise BusError(addr, size, True, "%s does not accept %d-byte accesses" % (region.name, size))
            region.write(offset, size, value)
            return
        region.write(offset, size, value)
        if region.kind == "ram":
            for listener in self.ram_write_listeners:
                listener(addr, size)

    # -- -d guest_errors ---------------------------------------------------------------
    def log_invalid_access(self, addr: int, size: int, is_write: bool) -> None:
        """Log a guest access the bus refuses (unmapped, or of a width the
        device does not accept) in QEMU 7.2's words, when guest_errors is on.

        QEMU's memory_region_access_valid() names the region and the offset
        in it: an unmapped address is an offset in its nameless
        "unassigned" region, which refuses everything ("rejected"); a device
        refuses a width outside its [min, max] ("invalid size"). When the
        page holding ``addr`` is not covered whole by one region, QEMU
        reaches it through a nameless "subpage" region, which then refuses
        the access too, at the offset in the page: a second line."""
        log = self.guest_log
        if log is None or not log.enabled("guest_errors"):
            return
        what = "write" if is_write else "read"
        hit = self.find(addr)
        if hit is None:
            lines = [_INVALID_ACCESS % (what, addr, size, "(null)", "rejected")]
        else:
            region, offset, _ = hit
            sizes = region.access_sizes
            name = getattr(getattr(region, "device", None), "region_name", None) or region.name
            lines = [_INVALID_ACCESS % (what, offset, size, name,
                                        "invalid size (min:%d max:%d)" % (min(sizes), max(sizes)))]
        page = (1 << self.page_bits) - 1
        if self._in_subpage(addr & ~page, (addr & ~page) + page + 1):
            lines.append(_INVALID_ACCESS % (what, addr & page, size, "(null)", "rejected"))
        log.write("".join(lines))

    def _in_subpage(self, lo: int, hi: int) -> bool:
        """Is [lo, hi) partly mapped, or mapped by more than one span?"""
        i = max(bisect.bisect_right(self._starts, lo) - 1, 0)
        spans = []
        while i < len(self._spans) and self._spans[i].base < hi:
            if self._spans[i].end > lo:
                spans.append(self._spans[i])
            i += 1
        if not spans:
            return False
        return not (len(spans) == 1 and spans[0].base <= lo and spans[0].end >= hi)

    def _split_read(self, addr: int, size: int) -> int:
        value = 0
        for i in range(size):
            value |= self.read(addr + i, 1) << (8 * i)
        return value

    def _split_write(self, addr: int, size: int, value: int) -> None:
        for i in range(size):
            self.write(addr + i, 1, (value >> (8 * i)) & 0xFF)

    # -- debugger / loader accesses ------------------------------------------------
    def read_bytes(self, addr: int, length: int) -> bytes:
        """Read guest memory for a debugger. Device registers are read too
        (with their side effects, as on QEMU); unmapped bytes raise BusError."""
        out = bytearray()
        while length > 0:
            hit = self.find(addr)
            if hit is None:
                raise BusError(addr, length, False, "no device or memory mapped here")
            region, offset, left = hit
            n = min(length, left)
            if isinstance(region, RamRegion):
                out += region.data[offset:offset + n]
            else:
                at, end = addr, addr + n
                while at < end:
                    size = self._debug_access_size(region, at, end - at)
                    if size:
                        out += self.read(at, size).to_bytes(size, "little")
                    else:
                        size = 1
                        out.append(self._wide_byte(at))
                    at += size
            addr += n
            length -= n
        return bytes(out)

    @staticmethod
    def _debug_access_size(region, addr: int, left: int) -> int:
        """The access a debugger's read or write makes next in a device, as
        QEMU's memory_access_size: the widest the device takes (4 bytes at
        most), no wider than what is left, aligned to its size; so that
        `x/xw` of a word-only register (the SCB's MMFAR) reads the register
        rather than four bytes of it. 0: no such access."""
        for size in (4, 2, 1):
            if size <= left and not addr & (size - 1) and size in region.access_sizes:
                return size
        return 0

    def _wide_byte(self, addr: int) -> int:
        aligned = addr & ~3
        return (self.read(aligned, 4) >> (8 * (addr - aligned))) & 0xFF

    def write_bytes(self, addr: int, data: bytes, *, force_rom: bool = True) -> None:
        """Write guest memory for a loader or debugger. ROM is writable here."""
        pos = 0
        while pos < len(data):
            hit = self.find(addr + pos)
            if hit is None:
                raise BusError(addr + pos, len(data) - pos, True, "no device or memory mapped here")
            region, offset, left = hit
            n = min(len(data) - pos, left)
            if isinstance(region, RamRegion) and (force_rom or region.kind == "ram"):
                region.data[offset:offset + n] = data[pos:pos + n]
                for listener in self.ram_write_listeners:
                    listener(addr + pos, n)
            else:
                at, end = pos, pos + n
                while at < end:
                    size = self._debug_access_size(region, addr + at, end - at) or 1
                    self.write(addr + at, size, int.from_bytes(data[at:at + size], "little"))
                    at += size
            pos += n

    def describe(self) -> List[Tuple[int, int, str, str]]:
        """The flattened map: (start, end inclusive, kind, name), like `info mtree -f`."""
        return [(s.base, s.end - 1, s.region.kind, s.region.name) for s in self._spans]
