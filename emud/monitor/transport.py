"""Where the console and QMP listen: QEMU's chardev spellings, parsed by
``emud.chardev.parse_chardev`` (``tcp::4444,server,nowait``,
``tcp:127.0.0.1:4444,server=on,wait=off``, ``unix:mon.sock,server,nowait``,
``stdio``, ``none``), served with one handler per connection.

As in QEMU, a server spec without ``nowait`` holds the start of the machine
until the first client connects (``task_status.started()`` comes after that
first accept). A spec without ``server`` connects out (QEMU's client mode).
Unlike QEMU's single-client chardevs, a server here accepts any number of
concurrent clients (each its own session).
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable

import trio

from emud.chardev import (ChardevError, ChardevSpec, close_listeners, connect_for, listen_for, parse_chardev,
                          receive_or_eof, socket_address)

Handler = Callable[[trio.abc.Stream], Awaitable[None]]


def parse_spec(spec: str, what: str = "-monitor") -> ChardevSpec:
    """Parse a console/QMP spec; a user mistake is a ChardevError with one line."""
    parsed = parse_chardev(spec)
    if parsed.kind not in ("tcp", "unix", "stdio", "none", "null"):
        raise ChardevError("%s %s: only stdio, tcp:, unix: or none are supported" % (what, spec))
    return parsed


async def serve(spec: ChardevSpec, handler: Handler, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve tcp/unix connections with ``handler(stream)`` until cancelled.
    ``task_status.started(address)``: (host, port) or the socket path."""
    if not spec.server:
        stream = await connect_for(spec, spec.text)
        task_status.started(spec.text)
        await handler(stream)
        return
    listeners, address = await listen_for(spec, 8, spec.text)
    try:
        async with trio.open_nursery() as nursery:
            if spec.wait:
                first = await listeners[0].accept()
                nursery.start_soon(handler, first)
            task_status.started(address)
            await trio.serve_listeners(handler, listeners, handler_nursery=nursery)
    finally:
        await close_listeners(listeners, *socket_address(spec))


@asynccontextmanager
async def session_stream(stream: trio.abc.Stream) -> AsyncIterator[trio.abc.Stream]:
    """The frame of one client session: the client going away ends it
    quietly, and the stream is closed however it ends."""
    try:
        yield stream
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass
    finally:
        with trio.CancelScope(shield=True):
            await stream.aclose()


class LineReader:
    """Lines from a byte stream (\\n or \\r\\n), decoded as UTF-8."""

    def __init__(self, stream: trio.abc.ReceiveStream, max_line: int = 65536) -> None:
        self.stream = stream
        self.buf = bytearray()
        self.max_line = max_line

    async def readline(self) -> Any:
        """The next line without its end, or None at EOF."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 1]
                return line.rstrip(b"\r").decode("utf-8", "replace")
            if len(self.buf) > self.max_line:
                line = bytes(self.buf)
                self.buf.clear()
                return line.decode("utf-8", "replace")
            data = await receive_or_eof(self.stream, 4096)
            if not data:
                if self.buf:
                    line = bytes(self.buf)
                    self.buf.clear()
                    return line.rstrip(b"\r").decode("utf-8", "replace")
                return None
            self.buf += data
