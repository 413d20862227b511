"""The host's signals to end emud (SIGINT, SIGTERM, SIGHUP), as QEMU's
``os_setup_signal_handling`` catches them: a clean stop and status 0, and a
line naming the sender::

    emud: terminating on signal 15 from pid 4242 (bash)
    emud: terminated by signal 2            (no sender: Ctrl-C on a terminal)

QEMU takes the sender from ``siginfo_t``; Python's handlers never see it. On
Linux we block the signals in every thread (before any thread starts: new
threads inherit the mask) and read them from a ``signalfd`` (through ctypes:
CPython and PyPy both lack a binding), so trio waits on an fd and a signal
that arrives before trio runs stays pending until it does. Elsewhere, trio's
signal receiver (no sender). As with QEMU, a signal that was ignored when
emud started (a background job's SIGINT) is caught all the same.
"""
from __future__ import annotations

import os
import signal
import struct
import sys
from typing import AsyncIterator, Iterable, List, NamedTuple, Optional

import trio

TERMINATING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

SIGSET_BYTES = 128            # glibc's sigset_t
SIGINFO_BYTES = 128           # struct signalfd_siginfo
_SIGINFO_HEAD = struct.Struct("=IiiI")     # ssi_signo, ssi_errno, ssi_code, ssi_pid


class HostSignal(NamedTuple):
    signo: int
    pid: Optional[int]        # the sender; 0 for the kernel (a terminal's Ctrl-C), None when unknown

    def describe(self) -> str:
        """QEMU's wording (``qemu_kill_report``), without the program name."""
        if not self.pid:
            return "terminated by signal %d" % self.signo
        return "terminating on signal %d from pid %d (%s)" % (self.signo, self.pid, process_name(self.pid))


def process_name(pid: int) -> str:
    """The first word of a process's command line, as QEMU's ``qemu_get_pid_name``."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            name = f.read().split(b"\0", 1)[0]
    except OSError:
        name = b""
    return name.decode("utf-8", "replace") if name else "<unknown process>"


def _signalfd(signals: Iterable[int]) -> Optional[int]:
    """A non-blocking signalfd for ``signals`` (Linux), or None."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        mask = ctypes.create_string_buffer(SIGSET_BYTES)
        libc.sigemptyset(mask)
        for signo in signals:
            libc.sigaddset(mask, int(signo))
        fd = libc.signalfd(-1, mask, os.O_NONBLOCK | os.O_CLOEXEC)
    except (OSError, AttributeError):
        return None
    return fd if fd >= 0 else None


class HostSignals:
    """Catch the terminating signals from now on: create it in the main
    thread before any other thread starts, iterate :meth:`receive` in a trio
    task, :meth:`close` when done (restores the signal mask)."""

    def __init__(self, signals: Iterable[int] = TERMINATING) -> None:
        self.signals = tuple(signals)
        self._old_mask = None
        self.fd: Optional[int] = None
        if hasattr(signal, "pthread_sigmask"):
            self._old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, self.signals)
            self.fd = _signalfd(self.signals)
            if self.fd is None:
                self._unblock()

    async def receive(self) -> AsyncIterator[HostSignal]:
        """The signals as they arrive (also those that arrived before)."""
        if self.fd is None:
            with trio.open_signal_receiver(*self.signals) as received:
                async for signo in received:
                    yield HostSignal(signo, None)
            return
        while True:
            for info in self._read():
                yield info
            await trio.lowlevel.wait_readable(self.fd)

    def _read(self) -> List[HostSignal]:
        out = []
        while True:
            try:
                data = os.read(self.fd, SIGINFO_BYTES)
            except (BlockingIOError, InterruptedError):
                return out
            if len(data) < _SIGINFO_HEAD.size:
                return out
            signo, _errno, _code, pid = _SIGINFO_HEAD.unpack_from(data)
            out.append(HostSignal(signo, pid))

    def close(self) -> None:
        """Stop catching: drop what is pending (it would end us the moment
        the mask is restored) and restore the mask."""
        if self.fd is not None:
            self._read()
            os.close(self.fd)
            self.fd = None
            self._unblock()

    def _unblock(self) -> None:
        if self._old_mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._old_mask)
            self._old_mask = None
