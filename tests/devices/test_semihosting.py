"""Semihosting operations against an in-memory guest memory."""
import errno
import struct

import pytest

from emud.memory import AddressSpace, RamRegion
from emud.semihosting import (ADP_Stopped_ApplicationExit, Semihosting, SYS_CLOCK, SYS_CLOSE,
                              SYS_ELAPSED, SYS_ERRNO, SYS_EXIT, SYS_EXIT_EXTENDED, SYS_FLEN,
                              SYS_GET_CMDLINE, SYS_HEAPINFO, SYS_ISERROR, SYS_ISTTY, SYS_OPEN,
                              SYS_READ, SYS_READC, SYS_REMOVE, SYS_RENAME, SYS_SEEK, SYS_TICKFREQ,
                              SYS_TIME, SYS_WRITE, SYS_WRITE0, SYS_WRITEC)

BASE = 0x80000000
BLOCK = BASE + 0x100
DATA = BASE + 0x1000


class Cpu:
    def __init__(self, xlen):
        self.xlen = xlen


class Guest:
    def __init__(self, xlen=32, **kw):
        self.space = AddressSpace()
        self.space.map(BASE, RamRegion("ram", 0x10000))
        self.out = bytearray()
        self.err = bytearray()
        self.inp = bytearray(kw.pop("stdin", b""))
        self.exits = []
        self.ns = [0]
        self.cpu = Cpu(xlen)
        self.sh = Semihosting(
            read_memory=self.space.read_bytes, write_memory=self.space.write_bytes,
            console_out=self.out.extend, console_err=self.err.extend,
            console_in=self._read_in, on_exit=self.exits.append,
            guest_ns=lambda: self.ns[0], host_time=lambda: 1700000000.5, **kw)

    def _read_in(self, n):
        data = bytes(self.inp[:n])
        del self.inp[:n]
        return data

    def block(self, *fields, at=BLOCK):
        size = self.cpu.xlen // 8
        for i, f in enumerate(fields):
            self.space.write_bytes(at + i * size, (f & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))
        return at

    def string(self, s, at=DATA):
        self.space.write_bytes(at, s.encode() + b"\0")
        return at, len(s)

    def call(self, op, param=0):
        return self.sh.handle(op, param, self.cpu)

    def field(self, i, at=BLOCK):
        size = self.cpu.xlen // 8
        return int.from_bytes(self.space.read_bytes(at + i * size, size), "little")

    def open(self, name, mode):
        ptr, n = self.string(name, at=DATA + 0x800)
        return self.call(SYS_OPEN, self.block(ptr, mode, n))


@pytest.fixture(params=[32, 64])
def g(request):
    return Guest(xlen=request.param)


def test_console_writes(g):
    g.space.write_bytes(DATA, b"Z")
    assert g.call(SYS_WRITEC, DATA) == 0xDEADBEEF        # "corrupted": QEMU 7.2's value
    g.string("hello\n", at=DATA + 8)
    assert g.call(SYS_WRITE0, DATA + 8) == 0xDEADBEEF
    fd = g.open(":tt", 4)
    assert fd == 1
    g.space.write_bytes(DATA + 0x40, b"abcdef")
    assert g.call(SYS_WRITE, g.block(fd, DATA + 0x40, 3)) == 0
    err = g.open(":tt", 8)
    assert g.call(SYS_WRITE, g.block(err, DATA + 0x40, 2)) == 0
    assert bytes(g.out) == b"Zhello\nabc" and bytes(g.err) == b"ab"
    assert g.call(SYS_ISTTY, g.block(fd)) == 1
    assert g.call(SYS_CLOSE, g.block(fd)) == 0
    assert g.call(SYS_CLOSE, g.block(fd)) == -1 and g.call(SYS_ERRNO) == errno.EBADF
    assert g.call(SYS_WRITE, g.block(fd, DATA + 0x40, 3)) == 3     # nothing written


def test_console_reads():
    g = Guest(stdin=b"xyz")
    fd = g.open(":tt", 0)
    assert g.call(SYS_READ, g.block(fd, DATA, 2)) == 0     # all 2 read
    assert g.space.read_bytes(DATA, 2) == b"xy"
    assert g.call(SYS_READC) == ord("z")
    assert g.call(SYS_READC) == -1
    assert g.call(SYS_READ, g.block(fd, DATA, 8)) == 8     # none available: 8 not read


def test_host_files_refused_by_default(g, tmp_path):
    name = str(tmp_path / "f.txt")
    assert g.open(name, 4) == -1 and g.call(SYS_ERRNO) == errno.EACCES
    ptr, n = g.string(name)
    assert g.call(SYS_REMOVE, g.block(ptr, n)) == -1 and g.call(SYS_ERRNO) == errno.EACCES
    assert g.call(SYS_RENAME, g.block(ptr, n, ptr, n)) == -1
    assert g.open(name, 12) == -1 and g.call(SYS_ERRNO) == errno.EINVAL


def test_host_files_when_allowed(tmp_path):
    g = Guest(xlen=32, allow_host_files=True)
    name = str(tmp_path / "f.txt")
    fd = g.open(name, 4)                     # "w"
    assert fd >= 1
    g.space.write_bytes(DATA, b"0123456789")
    assert g.call(SYS_WRITE, g.block(fd, DATA, 10)) == 0
    assert g.call(SYS_ISTTY, g.block(fd)) == 0
    assert g.call(SYS_CLOSE, g.block(fd)) == 0
    fd = g.open(name, 0)
    assert g.call(SYS_FLEN, g.block(fd)) == 10
    assert g.call(SYS_SEEK, g.block(fd, 4)) == 0
    assert g.call(SYS_READ, g.block(fd, DATA + 0x100, 100)) == 94
    assert g.space.read_bytes(DATA + 0x100, 6) == b"456789"
    assert g.call(SYS_CLOSE, g.block(fd)) == 0
    new = str(tmp_path / "g.txt")
    p1, n1 = g.string(name, at=DATA + 0x200)
    p2, n2 = g.string(new, at=DATA + 0x400)
    assert g.call(SYS_RENAME, g.block(p1, n1, p2, n2)) == 0
    assert (tmp_path / "g.txt").read_bytes() == b"0123456789"
    assert g.call(SYS_REMOVE, g.block(p2, n2)) == 0
    assert not (tmp_path / "g.txt").exists()
    assert g.call(SYS_REMOVE, g.block(p2, n2)) == -1 and g.call(SYS_ERRNO) == errno.ENOENT


def test_features_file(g):
    fd = g.open(":semihosting-features", 0)
    assert g.call(SYS_FLEN, g.block(fd)) == 5
    assert g.call(SYS_READ, g.block(fd, DATA, 5)) == 0
    assert g.space.read_bytes(DATA, 5) == b"SHFB\x03"
    assert g.open(":semihosting-features", 4) == -1


def test_iserror_clock_time_elapsed(g):
    assert g.call(SYS_ISERROR, g.block(-1)) == 1
    assert g.call(SYS_ISERROR, g.block(5)) == 0
    g.ns[0] = 1_234_567_890_123
    assert g.call(SYS_CLOCK) == 123456
    assert g.call(SYS_TIME) == 1700000000
    assert g.call(SYS_TICKFREQ) == 1_000_000_000
    assert g.call(SYS_ELAPSED, g.block(0, 0)) == 0
    if g.cpu.xlen == 64:
        assert g.field(0) == 1_234_567_890_123
    else:
        assert g.field(0) | (g.field(1) << 32) == 1_234_567_890_123


def test_cmdline_and_heapinfo():
    g = Guest(xlen=64, cmdline="prog arg1", heapinfo=lambda: (0x80100000, 0x80200000, 0x80400000, 0x80300000))
    assert g.call(SYS_GET_CMDLINE, g.block(DATA, 64)) == 0
    assert g.field(1) == 9 and g.space.read_bytes(DATA, 10) == b"prog arg1\0"
    assert g.call(SYS_GET_CMDLINE, g.block(DATA, 5)) == -1 and g.call(SYS_ERRNO) == errno.E2BIG
    assert g.call(SYS_HEAPINFO, g.block(DATA + 0x100)) == 0
    assert struct.unpack("<4Q", g.space.read_bytes(DATA + 0x100, 32)) == (
        0x80100000, 0x80200000, 0x80400000, 0x80300000)


def test_exit_rv32_reason_in_register():
    g = Guest(xlen=32)
    g.call(SYS_EXIT, ADP_Stopped_ApplicationExit)
    g.call(SYS_EXIT, 0x20023)
    g.call(SYS_EXIT_EXTENDED, g.block(ADP_Stopped_ApplicationExit, 42))
    assert g.exits == [0, 1, 42]


def test_exit_rv64_takes_a_block():
    g = Guest(xlen=64)
    g.call(SYS_EXIT, g.block(ADP_Stopped_ApplicationExit, 7))
    g.call(SYS_EXIT, g.block(0x20023, 7))
    assert g.exits == [7, 1]


def test_bad_pointer_is_efault_and_unknown_op(g):
    # SYS_WRITE0 has no error return: QEMU 7.2 gives 0xdeadbeef and leaves errno
    g.call(SYS_CLOSE, g.block(77))
    assert g.call(SYS_WRITE0, 0x10) == 0xDEADBEEF and g.call(SYS_ERRNO) == errno.EBADF
    assert g.call(SYS_WRITEC, 0x10) == 0xDEADBEEF and g.out == bytearray()
    assert g.call(SYS_READ, 0x10) == -1 and g.call(SYS_ERRNO) == errno.EFAULT
    assert g.call(SYS_OPEN, 0x10) == -1
    assert g.call(0x99) == -1 and g.call(SYS_ERRNO) == errno.ENOSYS
