"""Write to an inherited stdout without ever blocking the trio thread.

The guest's UART output must leave emud the moment the guest writes it
(QEMU's stdio chardev writes from the vCPU), but a terminal paused with
Ctrl-S or a pipe nobody reads must not stall the vCPUs either. A helper
thread is no answer: it needs the GIL to start and to finish each write, and
a vCPU thread that never sleeps (a guest spinning in its idle loop) can hold
it off for hundreds of milliseconds, so the output came in bursts.

Setting O_NONBLOCK on fd 1 is no answer either: the flag belongs to the open
file description, shared with the shell and every other process writing to
the same terminal or pipe, which would then see EAGAIN. So a pipe or a
terminal is opened again through /proc/self/fd (a description of our own,
non-blocking); a socket is written with MSG_DONTWAIT; a regular file or
/dev/null never blocks and is written as is. Only when none of that works
(no /proc) does the caller fall back to a helper thread (:attr:`can_block`).
"""
from __future__ import annotations

import errno
import os
import socket
import stat
from typing import Optional


class NonBlockingWriter:
    def __init__(self, fd: int) -> None:
        self.fd = fd                     # what to wait on for writability
        self.can_block = False           # True: writes may block, use a thread
        self._own_fd: Optional[int] = None
        self._sock: Optional[socket.socket] = None
        self.gone = False                # the reader went away (EPIPE...)
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            self.gone = True
            return
        if stat.S_ISREG(mode) or stat.S_ISBLK(mode):
            return                       # files do not stall (as FileChardev)
        if stat.S_ISSOCK(mode):
            self._sock = socket.socket(fileno=os.dup(fd))
            self.fd = self._sock.fileno()
            return
        if os.get_blocking(fd) is False:
            return                       # somebody made it non-blocking already
        try:
            self._own_fd = os.open("/proc/self/fd/%d" % fd,
                                   os.O_WRONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        except OSError:
            self.can_block = True
            return
        self.fd = self._own_fd

    @property
    def waitable(self) -> bool:
        """Whether trio can wait for the fd to become writable (epoll)."""
        return self._own_fd is not None or self._sock is not None or (
            not self.can_block and not self.gone and os.get_blocking(self.fd) is False)

    def write_some(self, data: bytes) -> int:
        """Write what the fd takes now; returns how many bytes were consumed
        (all of them when the reader is gone: output is dropped, never an
        error for the guest)."""
        if self.gone:
            return len(data)
        try:
            if self._sock is not None:
                return self._sock.send(data, socket.MSG_DONTWAIT)
            return os.write(self.fd, data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as e:
            if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return 0
            self.gone = True
            return len(data)

    def close(self) -> None:
        if self._own_fd is not None:
            os.close(self._own_fd)
            self._own_fd = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
