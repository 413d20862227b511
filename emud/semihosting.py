"""Arm-compatible semihosting (as RISC-V semihosting uses it), architecture-neutral.

The CPU recognises the trap sequence (RISC-V: ``slli x0,x0,0x1f; ebreak;
srai x0,x0,7``), then calls ``handle(a0, a1, cpu)`` and puts the result in a0.
Parameter blocks are arrays of XLEN-bit little-endian fields (``cpu.xlen``).
This object knows nothing of the machine: console, guest memory, exit and
time come in as callables at construction, so it is testable alone.

Behaviour follows QEMU 7.2's semihosting/arm-compat-semi.c: handles start at
1; ``:tt`` opens the console (read -> stdin, write -> stdout, append ->
stderr); ``:semihosting-features`` reads "SHFB" and a feature byte
(EXIT_EXTENDED, STDOUT_STDERR); SYS_WRITE/SYS_READ return the count *not*
transferred; SYS_WRITEC/SYS_WRITE0 return 0xdeadbeef; SYS_EXIT on RV32 takes the reason in the parameter register
(ApplicationExit -> 0, anything else -> 1) while RV64 and SYS_EXIT_EXTENDED
take a block {reason, subcode}. Deliberate differences: host files only when
``allow_host_files`` (else -1 with errno EACCES); SYS_CLOCK counts guest time
(QEMU uses host CPU time) and SYS_ELAPSED guest ns (TICKFREQ = 1e9), so both
are deterministic under icount; SYS_READC with no console input returns -1
instead of blocking.
"""
from __future__ import annotations

import errno as _errno
import os
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from emud.memory import BusError

SYS_OPEN = 0x01
SYS_CLOSE = 0x02
SYS_WRITEC = 0x03
SYS_WRITE0 = 0x04
SYS_WRITE = 0x05
SYS_READ = 0x06
SYS_READC = 0x07
SYS_ISERROR = 0x08
SYS_ISTTY = 0x09
SYS_SEEK = 0x0A
SYS_FLEN = 0x0C
SYS_TMPNAM = 0x0D
SYS_REMOVE = 0x0E
SYS_RENAME = 0x0F
SYS_CLOCK = 0x10
SYS_TIME = 0x11
SYS_SYSTEM = 0x12
SYS_ERRNO = 0x13
SYS_GET_CMDLINE = 0x15
SYS_HEAPINFO = 0x16
SYS_EXIT = 0x18
SYS_EXIT_EXTENDED = 0x20
SYS_ELAPSED = 0x30
SYS_TICKFREQ = 0x31
#: the calls on an open file (field 0 of their block: the descriptor)
_FD_OPS = (SYS_CLOSE, SYS_WRITE, SYS_READ, SYS_ISTTY, SYS_SEEK, SYS_FLEN)

ADP_Stopped_ApplicationExit = 0x20026

# The spec says SYS_WRITEC and SYS_WRITE0 leave the return register
# "corrupted"; QEMU 7.2 (common_semi_dead_cb) writes 0xdeadbeef, even when the
# pointer is bad. We write the same, so lockstep runs agree.
DEAD_VALUE = 0xDEADBEEF

# open modes 0..11: r rb r+ r+b w wb w+ w+b a ab a+ a+b
_OPEN_FLAGS = [os.O_RDONLY, os.O_RDONLY, os.O_RDWR, os.O_RDWR,
               os.O_WRONLY | os.O_CREAT | os.O_TRUNC, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
               os.O_RDWR | os.O_CREAT | os.O_TRUNC, os.O_RDWR | os.O_CREAT | os.O_TRUNC,
               os.O_WRONLY | os.O_CREAT | os.O_APPEND, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
               os.O_RDWR | os.O_CREAT | os.O_APPEND, os.O_RDWR | os.O_CREAT | os.O_APPEND]

FEATURES = b"SHFB" + bytes([0x01 | 0x02])


class _Fault(Exception):
    """A guest address we could not read or write: the call fails with EFAULT."""


class _Console:
    def __init__(self, which: str) -> None:
        self.which = which       # "in", "out", "err"


class _Static:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0


class ReplayedFile:
    """A host file a replayed recording has open: nothing on this host (a
    replay never touches host files: what calls on it return comes from the
    log). Live again, a call on it fails with EBADF (closing forgets it)."""

    def __init__(self, hostfd: int) -> None:
        self.hostfd = hostfd     # the descriptor the recording's process had


class Semihosting:
    def __init__(self, read_memory: Callable[[int, int], bytes],
                 write_memory: Callable[[int, bytes], None],
                 console_out: Callable[[bytes], None],
                 console_in: Optional[Callable[[int], bytes]] = None,
                 on_exit: Optional[Callable[[int], None]] = None,
                 guest_ns: Optional[Callable[[], int]] = None,
                 host_time: Callable[[], float] = time.time,
                 cmdline: str = "",
                 allow_host_files: bool = False,
                 heapinfo: Optional[Callable[[], Tuple[int, int, int, int]]] = None,
                 console_err: Optional[Callable[[bytes], None]] = None) -> None:
        """``console_in(n)`` returns up to n bytes (b"" = none/EOF);
        ``heapinfo()`` -> (heap_base, heap_limit, stack_base, stack_limit),
        zeros when absent (the spec's "unknown")."""
        self.read_memory = read_memory
        self.write_memory = write_memory
        self.console_out = console_out
        self.console_err = console_err or console_out
        self.console_in = console_in or (lambda n: b"")
        self.on_exit = on_exit
        self.guest_ns = guest_ns or (lambda: 0)
        self.host_time = host_time
        self.cmdline = cmdline
        self.allow_host_files = allow_host_files
        self.heapinfo = heapinfo
        # time travel (emud/timetravel) while it records or replays: calls
        # that touch the host go through its log, output it mutes in replay
        self.time_travel: Any = None
        self.reset()

    def reset(self) -> None:
        tt = getattr(self, "time_travel", None)
        for f in getattr(self, "files", {}).values():
            if isinstance(f, int):
                if tt is not None:
                    if tt.mode == "replay":
                        continue     # (a replayed reset: the host file is left as it is)
                    tt._host_fds.discard(f)
                os.close(f)
        self.files: Dict[int, object] = {}
        self.errno = 0
        self.start_ns = self.guest_ns()
        self.exit_code: Optional[int] = None

    # -- guest memory helpers ---------------------------------------------------------
    def _read(self, addr: int, n: int) -> bytes:
        try:
            data = self.read_memory(addr, n)
        except BusError as e:      # a bad pointer is the guest's mistake
            raise _Fault() from e
        if len(data) != n:
            raise _Fault()
        return bytes(data)

    def _write(self, addr: int, data: bytes) -> None:
        try:
            self.write_memory(addr, bytes(data))
        except BusError as e:
            raise _Fault() from e

    def _field(self, param: int, index: int) -> int:
        return int.from_bytes(self._read(param + index * self._fsize, self._fsize), "little")

    def _set_field(self, param: int, index: int, value: int) -> None:
        mask = (1 << (8 * self._fsize)) - 1
        self._write(param + index * self._fsize, (value & mask).to_bytes(self._fsize, "little"))

    def _strlen_read(self, addr: int, limit: int = 1 << 16) -> bytes:
        out = bytearray()
        while len(out) < limit:
            chunk = self._read(addr + len(out), 1)
            if chunk == b"\0":
                return bytes(out)
            out += chunk
        raise _Fault()

    def _fail(self, err: int) -> int:
        self.errno = err
        return -1

    # -- entry point --------------------------------------------------------------------
    def handle(self, op: int, param: int, cpu) -> int:
        """Run operation ``op`` (a0) with ``param`` (a1); returns the new a0
        as a signed Python int (the CPU masks it to XLEN)."""
        self._xlen = getattr(cpu, "xlen", 32)
        self._fsize = self._xlen // 8
        handler = _HANDLERS.get(op & 0xFFFFFFFF)
        if handler is None:
            return self._fail(_errno.ENOSYS)
        tt = self.time_travel
        if tt is not None and self._touches_host(op & 0xFFFFFFFF, param):
            return tt.semihosting_call(self, op & 0xFFFFFFFF, lambda: self._run(handler, param, op))
        return self._run(handler, param, op)

    def _run(self, handler, param: int, op: int) -> int:
        try:
            if op & 0xFFFFFFFF in _FD_OPS and isinstance(self.files.get(self._field(param, 0)), ReplayedFile):
                if op & 0xFFFFFFFF == SYS_CLOSE:
                    del self.files[self._field(param, 0)]
                    return 0
                return self._fail(_errno.EBADF)
            return handler(self, param)
        except _Fault:
            return self._fail(_errno.EFAULT)

    def _touches_host(self, op: int, param: int) -> bool:
        """Whether the call's outcome depends on the host (its clock, files,
        console input): what time travel logs and replays."""
        if op in (SYS_TIME, SYS_READC, SYS_REMOVE, SYS_RENAME):
            return True
        try:
            if op == SYS_OPEN:
                name_ptr, mode, length = (self._field(param, i) for i in range(3))
                return self._read(name_ptr, length) not in (b":tt", b":semihosting-features")
            if op in _FD_OPS:
                f = self.files.get(self._field(param, 0))
                return isinstance(f, (int, ReplayedFile)) or (op == SYS_READ and isinstance(f, _Console))
        except _Fault:
            return False
        return False

    def _console(self, data: bytes, err: bool = False) -> None:
        tt = self.time_travel
        if tt is not None and tt.output_muted():
            return      # replaying history: shown already
        (self.console_err if err else self.console_out)(data)

    # -- state (time travel's checkpoints) -------------------------------------------------
    def save_state(self) -> Dict[str, Any]:
        files: List[Any] = []
        for fd, f in sorted(self.files.items()):
            if isinstance(f, _Console):
                files.append([fd, "console", f.which])
            elif isinstance(f, _Static):
                files.append([fd, "static", f.data, f.pos])
            elif isinstance(f, ReplayedFile):
                files.append([fd, "replayed", f.hostfd])
            else:
                files.append([fd, "host", f])
        return {"errno": self.errno, "start_ns": self.start_ns, "exit_code": self.exit_code, "files": files}

    def load_state(self, state: Dict[str, Any]) -> None:
        """Host files keep their descriptors (time travel never moves a host
        file: calls on it come from its log while it replays)."""
        self.errno = state["errno"]
        self.start_ns = state["start_ns"]
        self.exit_code = state["exit_code"]
        files: Dict[int, object] = {}
        for entry in state["files"]:
            fd, kind = int(entry[0]), entry[1]
            if kind == "console":
                files[fd] = _Console(entry[2])
            elif kind == "static":
                obj = _Static(bytes(entry[2]))
                obj.pos = int(entry[3])
                files[fd] = obj
            elif kind == "replayed":
                files[fd] = ReplayedFile(int(entry[2]))
            else:
                files[fd] = int(entry[2])
        self.files = files

    def _signed(self, value: int) -> int:
        bits = self._xlen
        value &= (1 << bits) - 1
        return value - (1 << bits) if value >> (bits - 1) else value

    # -- handles --------------------------------------------------------------------------
    def _alloc(self, obj) -> int:
        fd = 1
        while fd in self.files:
            fd += 1
        self.files[fd] = obj
        return fd

    def _sys_open(self, param: int) -> int:
        name_ptr, mode, length = (self._field(param, i) for i in range(3))
        name = self._read(name_ptr, length).decode("utf-8", "replace")
        if mode >= 12:
            return self._fail(_errno.EINVAL)
        if name == ":tt":
            which = "in" if mode < 4 else "out" if mode < 8 else "err"
            return self._alloc(_Console(which))
        if name == ":semihosting-features":
            if mode not in (0, 1):
                return self._fail(_errno.EACCES)
            return self._alloc(_Static(FEATURES))
        if not self.allow_host_files:
            return self._fail(_errno.EACCES)
        try:
            fd = os.open(name, _OPEN_FLAGS[mode], 0o644)
        except OSError as e:
            return self._fail(e.errno)
        return self._alloc(fd)

    def _sys_close(self, param: int) -> int:
        fd = self._field(param, 0)
        f = self.files.pop(fd, None)
        if f is None:
            return self._fail(_errno.EBADF)
        if isinstance(f, int):
            os.close(f)
        return 0

    def _sys_writec(self, param: int) -> int:
        try:
            self._console(self._read(param, 1))
        except _Fault:
            pass
        return DEAD_VALUE

    def _sys_write0(self, param: int) -> int:
        try:
            self._console(self._strlen_read(param))
        except _Fault:
            pass            # QEMU: nothing written, errno untouched
        return DEAD_VALUE

    def _sys_write(self, param: int) -> int:
        fd, buf, length = (self._field(param, i) for i in range(3))
        f = self.files.get(fd)
        if f is None:
            self.errno = _errno.EBADF
            return length
        data = self._read(buf, length)
        if isinstance(f, _Console):
            if f.which == "in":
                self.errno = _errno.EBADF
                return length
            self._console(data, err=f.which == "err")
            return 0
        if isinstance(f, _Static):
            self.errno = _errno.EBADF
            return length
        try:
            n = os.write(f, data)
        except OSError as e:
            self.errno = e.errno
            return length
        return length - n

    def _sys_read(self, param: int) -> int:
        fd, buf, length = (self._field(param, i) for i in range(3))
        f = self.files.get(fd)
        if f is None:
            self.errno = _errno.EBADF
            return length
        if isinstance(f, _Console):
            if f.which != "in":
                self.errno = _errno.EBADF
                return length
            data = bytes(self.console_in(length))[:length]
        elif isinstance(f, _Static):
            data = f.data[f.pos:f.pos + length]
            f.pos += len(data)
        else:
            try:
                data = os.read(f, length)
            except OSError as e:
                self.errno = e.errno
                return length
        self._write(buf, data)
        return length - len(data)

    def _sys_readc(self, param: int) -> int:
        data = bytes(self.console_in(1))
        if not data:
            return self._fail(_errno.EAGAIN)
        return data[0]

    def _sys_iserror(self, param: int) -> int:
        return 1 if self._signed(self._field(param, 0)) < 0 else 0

    def _sys_istty(self, param: int) -> int:
        f = self.files.get(self._field(param, 0))
        if f is None:
            return self._fail(_errno.EBADF)
        if isinstance(f, _Console):
            return 1
        if isinstance(f, int) and os.isatty(f):
            return 1
        self.errno = _errno.ENOTTY
        return 0

    def _sys_seek(self, param: int) -> int:
        fd, pos = self._field(param, 0), self._field(param, 1)
        f = self.files.get(fd)
        if f is None:
            return self._fail(_errno.EBADF)
        if isinstance(f, _Static):
            f.pos = min(pos, len(f.data))
            return 0
        if isinstance(f, _Console):
            return self._fail(_errno.ESPIPE)
        try:
            os.lseek(f, pos, os.SEEK_SET)
        except OSError as e:
            return self._fail(e.errno)
        return 0

    def _sys_flen(self, param: int) -> int:
        f = self.files.get(self._field(param, 0))
        if f is None:
            return self._fail(_errno.EBADF)
        if isinstance(f, _Static):
            return len(f.data)
        if isinstance(f, _Console):
            return 0
        try:
            return os.fstat(f).st_size
        except OSError as e:
            return self._fail(e.errno)

    def _sys_remove(self, param: int) -> int:
        ptr, length = self._field(param, 0), self._field(param, 1)
        name = self._read(ptr, length).decode("utf-8", "replace")
        if not self.allow_host_files:
            return self._fail(_errno.EACCES)
        try:
            os.remove(name)
        except OSError as e:
            return self._fail(e.errno)
        return 0

    def _sys_rename(self, param: int) -> int:
        old = self._read(self._field(param, 0), self._field(param, 1)).decode("utf-8", "replace")
        new = self._read(self._field(param, 2), self._field(param, 3)).decode("utf-8", "replace")
        if not self.allow_host_files:
            return self._fail(_errno.EACCES)
        try:
            os.rename(old, new)
        except OSError as e:
            return self._fail(e.errno)
        return 0

    def _sys_clock(self, param: int) -> int:
        return (self.guest_ns() - self.start_ns) // 10_000_000

    def _sys_time(self, param: int) -> int:
        return int(self.host_time())

    def _sys_errno(self, param: int) -> int:
        return self.errno

    def _sys_get_cmdline(self, param: int) -> int:
        buf, size = self._field(param, 0), self._field(param, 1)
        data = self.cmdline.encode() + b"\0"
        if len(data) > size:
            return self._fail(_errno.E2BIG)
        self._set_field(param, 1, len(data) - 1)
        self._write(buf, data)
        return 0

    def _sys_heapinfo(self, param: int) -> int:
        block = self._field(param, 0)
        values = self.heapinfo() if self.heapinfo is not None else (0, 0, 0, 0)
        for i, v in enumerate(values):
            self._set_field(block, i, v)
        return 0

    def _exit(self, code: int) -> int:
        self.exit_code = code
        if self.on_exit is not None:
            self.on_exit(code)
        return 0

    def _sys_exit(self, param: int) -> int:
        if self._xlen == 64:
            return self._sys_exit_extended(param)
        return self._exit(0 if param == ADP_Stopped_ApplicationExit else 1)

    def _sys_exit_extended(self, param: int) -> int:
        reason, subcode = self._field(param, 0), self._field(param, 1)
        if reason == ADP_Stopped_ApplicationExit:
            return self._exit(subcode & 0xFFFFFFFF)
        return self._exit(1)

    def _sys_elapsed(self, param: int) -> int:
        elapsed = (self.guest_ns() - self.start_ns) & ((1 << 64) - 1)
        if self._xlen == 64:
            self._set_field(param, 0, elapsed)
        else:
            self._set_field(param, 0, elapsed & 0xFFFFFFFF)
            self._set_field(param, 1, elapsed >> 32)
        return 0

    def _sys_tickfreq(self, param: int) -> int:
        return 1_000_000_000

    def _sys_unsupported(self, param: int) -> int:
        return self._fail(_errno.ENOSYS)


_HANDLERS = {
    SYS_OPEN: Semihosting._sys_open,
    SYS_CLOSE: Semihosting._sys_close,
    SYS_WRITEC: Semihosting._sys_writec,
    SYS_WRITE0: Semihosting._sys_write0,
    SYS_WRITE: Semihosting._sys_write,
    SYS_READ: Semihosting._sys_read,
    SYS_READC: Semihosting._sys_readc,
    SYS_ISERROR: Semihosting._sys_iserror,
    SYS_ISTTY: Semihosting._sys_istty,
    SYS_SEEK: Semihosting._sys_seek,
    SYS_FLEN: Semihosting._sys_flen,
    SYS_TMPNAM: Semihosting._sys_unsupported,
    SYS_REMOVE: Semihosting._sys_remove,
    SYS_RENAME: Semihosting._sys_rename,
    SYS_CLOCK: Semihosting._sys_clock,
    SYS_TIME: Semihosting._sys_time,
    SYS_SYSTEM: Semihosting._sys_unsupported,
    SYS_ERRNO: Semihosting._sys_errno,
    SYS_GET_CMDLINE: Semihosting._sys_get_cmdline,
    SYS_HEAPINFO: Semihosting._sys_heapinfo,
    SYS_EXIT: Semihosting._sys_exit,
    SYS_EXIT_EXTENDED: Semihosting._sys_exit_extended,
    SYS_ELAPSED: Semihosting._sys_elapsed,
    SYS_TICKFREQ: Semihosting._sys_tickfreq,
}
