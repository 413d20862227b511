"""Where the console and QMP listen: QEMU's chardev spellings, parsed by
``emud.chardev.parse_chardev`` (``tcp::4444,server,nowait``,
``tcp:127.0.0.1:4444,server=on,wait=off``, ``unix:mon.sock,server,nowait``,
``stdio``, ``none``), served with one handler per connection.

As in QEMU, a server spec without ``nowait`` holds the start of the machine
until the first client connects (``task_status.started()`` comes after that
first accept). A spec without ``server`` connects out (QEMU's client mode).
Unlike QEMU's single-client chardevs, a server here accepts up to
``emud.peer.MAX_SESSIONS`` concurrent clients, each its own session and its
own failure domain.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

import trio

from emud.chardev import ChardevError, ChardevSpec, close_listeners, connect_for, listen_for, parse_chardev, socket_address
from emud.internal import stderr_line
from emud.peer import Peer, SessionLimit, run_session

Handler = Callable[[Peer], Awaitable[None]]


def parse_spec(spec: str, what: str = "-monitor") -> ChardevSpec:
    """Parse a console/QMP spec; a user mistake is a ChardevError with one line."""
    parsed = parse_chardev(spec)
    if parsed.kind not in ("tcp", "unix", "stdio", "none", "null"):
        raise ChardevError("%s %s: only stdio, tcp:, unix: or none are supported" % (what, spec))
    return parsed


async def serve(spec: ChardevSpec, handler: Handler, what: str, *,
                task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve tcp/unix connections with ``handler(peer)`` until cancelled,
    each connection its own failure domain (:mod:`emud.peer`), at most
    ``MAX_SESSIONS`` at once. ``task_status.started(address)``: (host, port)
    or the socket path."""
    if not spec.server:
        stream = await connect_for(spec, spec.text)
        task_status.started(spec.text)
        await run_session(handler, Peer(stream), what, stderr_line)
        return
    limit = SessionLimit(what)

    async def serve_one(stream: trio.abc.Stream) -> None:
        await limit.serve(handler, stream, stderr_line)

    listeners, address = await listen_for(spec, 8, spec.text)
    try:
        async with trio.open_nursery() as nursery:
            if spec.wait:
                first = await listeners[0].accept()
                nursery.start_soon(serve_one, first)
            task_status.started(address)
            await trio.serve_listeners(serve_one, listeners, handler_nursery=nursery)
    finally:
        await close_listeners(listeners, *socket_address(spec))


#: what :meth:`LineReader.readline` returns for a line over the limit (its bytes are dropped)
LINE_TOO_LONG = object()


class LineReader:
    """Lines from a client (\\n or \\r\\n), decoded as UTF-8. A line longer
    than ``max_line`` is dropped whole and reported as LINE_TOO_LONG, never
    cut into pieces that would run as commands of their own."""

    def __init__(self, peer: Peer, max_line: int = 65536) -> None:
        self.peer = peer
        self.buf = bytearray()
        self.max_line = max_line
        self._skipping = False       # inside an over-long line: drop up to its end

    async def readline(self) -> Any:
        """The next line without its end, LINE_TOO_LONG, or None at EOF."""
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 1]
                if self._skipping:
                    self._skipping = False
                    return LINE_TOO_LONG
                return line.rstrip(b"\r").decode("utf-8", "replace")
            if len(self.buf) > self.max_line:
                self.buf.clear()
                self._skipping = True
            data = await self.peer.receive(4096)
            if not data:
                if self._skipping:
                    self._skipping = False
                    self.buf.clear()
                    return LINE_TOO_LONG
                if self.buf:
                    line = bytes(self.buf)
                    self.buf.clear()
                    return line.rstrip(b"\r").decode("utf-8", "replace")
                return None
            self.buf += data
