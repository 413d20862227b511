"""The ``pty`` chardev (``-serial pty``, ``-chardev pty,id=ID``): a new
pseudo-terminal whose name is announced as QEMU announces it
(``char device redirected to /dev/pts/N (label ID)`` on stdout), for
``screen``/``picocom``/``minicom`` to open.

As QEMU's char-pty: the terminal is put in raw mode once, at creation (so
the other end sees the guest's bytes as they are); a client is "connected"
while something holds the other end open (the master reports no hang-up),
checked a few times a second; output while nobody is connected is dropped,
as QEMU drops it. When the client closes the terminal, the next one that
opens it is served the same way.
"""
from __future__ import annotations

import errno
import os
import select
import sys
from typing import Callable, Optional

import trio

from .chardev import ChardevError, ChardevSpec, _BufferedOutput

CONNECT_POLL = 0.1          # seconds between checks for a client opening the terminal


def _announce_on_stdout(line: str) -> None:
    sys.stdout.write(line)
    sys.stdout.flush()


class PtyChardev(_BufferedOutput):
    kind = "pty"

    def __init__(self, spec: ChardevSpec, label: str = "serial0",
                 announce: Callable[[str], None] = _announce_on_stdout) -> None:
        super().__init__(spec)
        import tty
        try:
            self._master, slave = os.openpty()
        except OSError as e:
            raise ChardevError("chardev '%s': cannot create a pty: %s" % (spec.text, e.strerror or e)) from None
        try:
            tty.setraw(slave)
            self.path = os.ttyname(slave)
        finally:
            os.close(slave)
        os.set_blocking(self._master, False)
        self.label = label
        self.connected = False
        announce("char device redirected to %s (label %s)\n" % (self.path, label))

    def _client_present(self) -> bool:
        poller = select.poll()
        poller.register(self._master, select.POLLIN)
        return not any(ev & select.POLLHUP for _, ev in poller.poll(0))

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            while True:
                while not self._client_present():
                    await trio.sleep(CONNECT_POLL)
                await self._serve_client()
        finally:
            self.close()

    async def _serve_client(self) -> None:
        self.connected = True
        self._out.clear()
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._reader, nursery.cancel_scope)
                nursery.start_soon(self._writer, nursery.cancel_scope)
        finally:
            self.connected = False
            self.bytes_dropped += len(self._out)
            self._out.clear()

    async def _reader(self, scope: trio.CancelScope) -> None:
        while True:
            await self._wait_for_room()
            await trio.lowlevel.wait_readable(self._master)
            data = self._io(os.read, 4096)
            if data is None:
                continue
            if not data:
                break           # the client closed the terminal (EIO)
            self._push_input(data)
        scope.cancel()

    async def _writer(self, scope: trio.CancelScope) -> None:
        while True:
            view = memoryview(await self._next_output())
            while view:
                await trio.lowlevel.wait_writable(self._master)
                n = self._io(os.write, view)
                if n == b"":
                    scope.cancel()
                    return
                view = view[n or 0:]

    def _io(self, op, arg):
        """os.read/os.write on the master: None when it would block, b"" once
        the client is gone (Linux answers EIO then)."""
        try:
            return op(self._master, arg)
        except BlockingIOError:
            return None
        except OSError as e:
            if e.errno == errno.EIO:
                return b""
            raise

    def close(self) -> None:
        if self._master is not None:
            os.close(self._master)
            self._master = None


def open_pty(spec: ChardevSpec, label: Optional[str] = None) -> PtyChardev:
    return PtyChardev(spec, label or spec.id or "serial0")
