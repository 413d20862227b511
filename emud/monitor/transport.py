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

import os
import socket as _stdsocket
from typing import Any, Awaitable, Callable, List, Tuple

import trio

from emud.chardev import ChardevError, ChardevSpec, parse_chardev

Handler = Callable[[trio.abc.Stream], Awaitable[None]]


def parse_spec(spec: str, what: str = "-monitor") -> ChardevSpec:
    """Parse a console/QMP spec; a user mistake is a ChardevError with one line."""
    parsed = parse_chardev(spec)
    if parsed.kind not in ("tcp", "unix", "stdio", "none", "null"):
        raise ChardevError("%s %s: only stdio, tcp:, unix: or none are supported" % (what, spec))
    return parsed


async def open_listeners(spec: ChardevSpec) -> Tuple[List[trio.SocketListener], Any]:
    if spec.kind == "tcp":
        host = spec.host or "127.0.0.1"
        try:
            listeners = await trio.open_tcp_listeners(spec.port, host=host)
        except OSError as e:
            raise ChardevError("%s: cannot listen on %s:%d: %s" % (spec.text, host, spec.port, e.strerror or e)) from None
        name = listeners[0].socket.getsockname()
        return listeners, (name[0], name[1])
    sock = trio.socket.socket(_stdsocket.AF_UNIX, _stdsocket.SOCK_STREAM)
    try:
        if os.path.exists(spec.path):
            os.unlink(spec.path)   # a stale socket from an earlier run, as QEMU does
        await sock.bind(spec.path)
        sock.listen(8)
    except OSError as e:
        sock.close()
        raise ChardevError("%s: cannot listen on %s: %s" % (spec.text, spec.path, e.strerror or e)) from None
    return [trio.SocketListener(sock)], spec.path


async def connect(spec: ChardevSpec) -> trio.abc.Stream:
    try:
        if spec.kind == "tcp":
            return await trio.open_tcp_stream(spec.host or "127.0.0.1", spec.port)
        return await trio.open_unix_socket(spec.path)
    except OSError as e:
        raise ChardevError("%s: cannot connect: %s" % (spec.text, e.strerror or e)) from None


async def serve(spec: ChardevSpec, handler: Handler, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve tcp/unix connections with ``handler(stream)`` until cancelled.
    ``task_status.started(address)``: (host, port) or the socket path."""
    if not spec.server:
        stream = await connect(spec)
        task_status.started(spec.text)
        await handler(stream)
        return
    listeners, address = await open_listeners(spec)
    try:
        async with trio.open_nursery() as nursery:
            if spec.wait:
                first = await listeners[0].accept()
                nursery.start_soon(handler, first)
            task_status.started(address)
            await trio.serve_listeners(handler, listeners, handler_nursery=nursery)
    finally:
        if spec.kind == "unix":
            try:
                os.unlink(spec.path)
            except OSError:
                pass


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
            try:
                data = await self.stream.receive_some(4096)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                data = b""
            if not data:
                if self.buf:
                    line = bytes(self.buf)
                    self.buf.clear()
                    return line.rstrip(b"\r").decode("utf-8", "replace")
                return None
            self.buf += data
