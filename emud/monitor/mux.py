"""The monitor's half of ``mon:stdio`` (QEMU's char-mux, ``-nographic``).

Ctrl-A c moves the terminal's keyboard between the guest's UART and a
console session; Ctrl-A c again gives it back. The terminal is in raw mode
(the UART wants every key as it is typed), so while the monitor has the
keyboard this class is its line discipline: it echoes what is typed, erases
on backspace and Ctrl-U, drops cursor-key sequences, and hands each finished
line to the console session. The session's answers go to the terminal beside
the guest's output, as QEMU's mux writes both.

The session is the same ``console_session`` that serves ``-monitor tcp:``,
talking over a socket pair; it starts (and greets) at the first Ctrl-A c.
"""
from __future__ import annotations

import math
from typing import Any, Awaitable, Callable

import trio

BACKSPACES = (0x08, 0x7F)
CTRL_C, CTRL_U, ESC = 0x03, 0x15, 0x1B


class MuxedMonitor:
    def __init__(self, serve_session: Callable[[trio.abc.Stream], Awaitable[Any]],
                 write: Callable[[bytes], None]) -> None:
        self._serve_session = serve_session
        self._write = write                 # to the terminal
        self._line = bytearray()
        self._escape = 0                    # 0, or 1 after ESC, or 2 inside ESC [ ... / ESC O .
        self._after_cr = False
        self._lines, self._lines_out = trio.open_memory_channel(math.inf)
        self._start = trio.Event()
        self.ended = False                  # the session quit: Ctrl-A c has nothing to switch to

    # -- keyboard (called by the terminal's reader, synchronously) ----------------------------
    def enter(self) -> None:
        """The keyboard comes to the monitor: a greeting the first time, a fresh prompt later."""
        if self._start.is_set():
            self._write(b"\r\n")
            self._send_line(b"")
        else:
            self._start.set()

    def feed(self, data: bytes) -> None:
        for b in data:
            after_cr, self._after_cr = self._after_cr, False
            if self._escape:
                self._skip_escape(b)
            elif b == ESC:
                self._escape = 1
            elif b == 0x0D or b == 0x0A:
                if b == 0x0A and after_cr:
                    continue                # the \n of a pasted \r\n
                self._after_cr = b == 0x0D
                self._write(b"\r\n")
                line, self._line = bytes(self._line), bytearray()
                self._send_line(line)
            elif b in BACKSPACES:
                if self._erase_char():
                    self._write(b"\b \b")
            elif b == CTRL_U:
                while self._erase_char():
                    self._write(b"\b \b")
            elif b == CTRL_C:
                self._line.clear()          # as a shell: drop the line, a new prompt
                self._write(b"^C\r\n")
                self._send_line(b"")
            elif b >= 0x20 or b == 0x09:
                self._line.append(b)
                self._write(bytes((b,)))
            # other control keys: ignored

    def _skip_escape(self, b: int) -> None:
        # ESC [ params final, or ESC O final: cursor keys and the like
        if self._escape == 1:
            self._escape = 2 if b in (ord("["), ord("O")) else 0
        elif 0x40 <= b <= 0x7E:
            self._escape = 0

    def _erase_char(self) -> bool:
        """Drop the last character typed (all bytes of a UTF-8 one)."""
        if not self._line:
            return False
        while self._line:
            b = self._line.pop()
            if b & 0xC0 != 0x80:
                break
        return True

    def _send_line(self, line: bytes) -> None:
        try:
            self._lines.send_nowait(line + b"\n")
        except (trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    # -- the session ------------------------------------------------------------------------------
    async def run(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        await self._start.wait()
        ours, theirs = trio.socket.socketpair()
        stream, session_end = trio.SocketStream(ours), trio.SocketStream(theirs)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._serve_session, session_end)
            nursery.start_soon(self._send_lines, stream)
            await self._show_answers(stream)
            nursery.cancel_scope.cancel()

    async def _send_lines(self, stream: trio.SocketStream) -> None:
        async for line in self._lines_out:
            try:
                await stream.send_all(line)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return

    async def _show_answers(self, stream: trio.SocketStream) -> None:
        try:
            while True:
                data = await stream.receive_some(4096)
                if not data:
                    break
                self._write(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        self.ended = True
        await stream.aclose()
