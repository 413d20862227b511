"""One client connection of one of emud's servers (gdb, the monitor console,
QMP, a serial socket), run as its own failure domain.

A client may vanish at any moment: mid-line, mid-packet, with megabytes of
answers unread, with a TCP reset. That ends its session and nothing else:

* :class:`Peer` wraps the stream. ``receive()`` gives ``b""`` at the end
  of the connection however it ended (EOF, reset, closed). ``send()`` never
  waits for a client that has stopped reading: each chunk must be taken
  within ``stall_timeout`` seconds, else :class:`PeerGone` ends the session.
* :func:`run_session` runs a session's handler and absorbs how it ends: a
  client going away ends it quietly (even from inside a nursery, where it
  arrives wrapped in an exception group), and an unexpected exception (a
  bug in emud) is reported once as an internal error instead of taking the
  server, the machine and every other client with it.
* :class:`SessionLimit` caps the concurrent sessions of a multi-client
  server; a client beyond the cap gets one line and is closed.
* :class:`SingleClientSlot` is the rule of a one-client endpoint (the gdb
  stub, a serial socket): a newcomer is served once a client that has hung
  up is gone, and refused while a live one is attached.
"""
from __future__ import annotations

import errno
import itertools
import select
import socket
from typing import Any, Awaitable, Callable, Dict, Iterable, Optional

import trio

from emud._trio_compat import leaf_exceptions
from emud.internal import report_internal_error

STALL_TIMEOUT = 10.0       # seconds a client may leave a chunk of our output unread
SEND_CHUNK = 64 * 1024
MAX_SESSIONS = 32          # concurrent sessions of one monitor / QMP server
RECONNECT_GRACE = 0.5      # seconds a newcomer waits for the attached client's hang-up to show
RECONNECT_WAIT = 10.0      # seconds it waits for that session's clean-up (gdb: breakpoints out)

_POLLRDHUP = getattr(select, "POLLRDHUP", 0x2000)   # the peer shut its side (Linux)

#: the order connections were accepted in, across all servers
_arrivals = itertools.count()
#: accept() errors that mean "out of descriptors or memory for now": wait and retry
_ACCEPT_CAPACITY_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS}

#: how a client going away shows up in trio
GONE_ERRORS = (trio.BrokenResourceError, trio.ClosedResourceError, ConnectionError)


class PeerGone(Exception):
    """The client went away or stopped reading: its session ends, nothing else."""


def describe_peer(stream: Any) -> str:
    """"host:port" of a TCP client, "unix" for a Unix socket, else "?"."""
    sock = getattr(stream, "socket", None)
    if sock is None:
        return "?"
    try:
        name = sock.getpeername()
    except OSError:
        return "?"
    if isinstance(name, tuple):
        return "%s:%s" % name[:2]
    return "unix"


class Peer:
    """A client's stream, with the end of the connection as a plain value
    (``receive() == b""``) and sends bounded in time."""

    def __init__(self, stream: trio.abc.Stream, stall_timeout: float = STALL_TIMEOUT) -> None:
        self.stream = stream
        self.stall_timeout = stall_timeout
        self.name = describe_peer(stream)
        self.eof = False
        self.bytes_in = 0
        self.bytes_out = 0

    async def receive(self, max_bytes: int = 65536) -> bytes:
        """The next bytes; b"" once the connection has ended, however it ended."""
        if self.eof:
            return b""
        try:
            data = await self.stream.receive_some(max_bytes)
        except GONE_ERRORS:
            data = b""
        if not data:
            self.eof = True
        self.bytes_in += len(data)
        return data

    async def send(self, data: bytes) -> None:
        """Send everything, or raise PeerGone: the connection is lost, or the
        client has taken nothing for ``stall_timeout`` seconds."""
        view = memoryview(data)
        for start in range(0, len(view), SEND_CHUNK):
            chunk = view[start:start + SEND_CHUNK]
            with trio.move_on_after(self.stall_timeout) as scope:
                try:
                    await self.stream.send_all(chunk)
                except GONE_ERRORS:
                    raise PeerGone("connection lost") from None
            if scope.cancelled_caught:
                raise PeerGone("client stopped reading (nothing taken for %gs)" % self.stall_timeout)
            self.bytes_out += len(chunk)

    def hung_up(self) -> bool:
        """Whether the client has already closed or reset its end, even if
        nobody has read that yet: a look at the socket that takes no data."""
        if self.eof:
            return True
        sock = getattr(self.stream, "socket", None)
        if sock is None:
            return False
        try:
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLIN | _POLLRDHUP)
            return any(mask & (_POLLRDHUP | select.POLLHUP | select.POLLERR) for _, mask in poller.poll(0))
        except (ValueError, OSError):
            return True            # we closed it already (fileno -1): the session is ending

    def set_nodelay(self) -> None:
        """Small packets go out at once (the RSP and console answers)."""
        sock = getattr(self.stream, "socket", None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    async def aclose(self) -> None:
        with trio.CancelScope(shield=True):
            await trio.aclose_forcefully(self.stream)


def ended_by_client(exc: BaseException) -> bool:
    """Whether ``exc`` (maybe an exception group) says only that the client went away."""
    return all(isinstance(e, GONE_ERRORS + (PeerGone,)) for e in leaf_exceptions(exc))


async def run_session(handler: Callable[[Peer], Awaitable[None]], peer: Peer, what: str,
                      log: Optional[Callable[[str], None]] = None) -> None:
    """Run one client's session to its end and close the connection.

    Only cancellation (emud shutting down) goes through; a client that went
    away ends its session quietly; any other exception is an internal error,
    reported once (``log`` gets the line; the traceback goes where
    :func:`emud.internal.report_internal_error` sends it)."""
    try:
        await handler(peer)
    except Exception as exc:   # noqa: BLE001 -- one client's session is its own failure domain
        if not ended_by_client(exc):
            report_internal_error("%s session with %s" % (what, peer.name), exc, log)
    finally:
        await peer.aclose()


class SessionLimit:
    """At most ``limit`` concurrent sessions; the next client is told so and closed."""

    def __init__(self, what: str, limit: int = MAX_SESSIONS) -> None:
        self.what = what
        self.limit = limit
        self.active = 0
        self.refused = 0

    async def serve(self, handler: Callable[[Peer], Awaitable[None]], stream: trio.abc.Stream,
                    log: Optional[Callable[[str], None]] = None, refusal: bytes = b"") -> None:
        peer = Peer(stream)
        if self.active >= self.limit:
            self.refused += 1
            if log is not None:
                log("refused %s client %s: %d sessions already" % (self.what, peer.name, self.active))
            with trio.move_on_after(1.0):
                try:
                    await peer.send(refusal or ("emud: too many %s sessions (at most %d at once)\r\n"
                                                % (self.what, self.limit)).encode())
                except PeerGone:
                    pass
            await peer.aclose()
            return
        self.active += 1
        try:
            await run_session(handler, peer, self.what, log)
        finally:
            self.active -= 1


class SingleClientSlot:
    """The one client of a one-client endpoint.

    :meth:`admit` decides a newcomer: the slot is free, or its client has
    closed or reset the connection (maybe unnoticed yet: a script that
    detaches and attaches again at once) or does so within a moment, or its
    session ends by itself: then it waits for that session to end, takes the
    slot and says True. A live client keeps the slot: False (refuse the
    newcomer). Several waiting newcomers take it one at a time, in the order
    they connected (their ``arrival`` number, see :func:`serve_in_arrival_order`),
    as QEMU's one-client chardev takes them from the listen queue: a
    script's last connection is served last, so a gdb stop made by one it
    dropped before cannot land after it. :meth:`release` when the session ends."""

    def __init__(self, grace: float = RECONNECT_GRACE, wait: float = RECONNECT_WAIT) -> None:
        self.grace = grace
        self.wait = wait
        self.active: Optional[Peer] = None
        self._ended = trio.Event()
        # the newcomers in admit(), by arrival: each waits on its own event,
        # woken when its turn may have come (only the first in line, so that
        # a thousand queued connections cost a thousand wake-ups, not a
        # million) or when a live client took the slot (all: they are refused)
        self._waiting: Dict[int, trio.Event] = {}

    async def admit(self, peer: Peer, arrival: Optional[int] = None) -> bool:
        if arrival is None:
            arrival = next(_arrivals)
        self._waiting[arrival] = trio.Event()
        try:
            return await self._admit(peer, arrival)
        finally:
            del self._waiting[arrival]
            if self.active is peer and not peer.hung_up():
                self._wake_all()            # the others are refused after their grace
            else:
                self._wake_first()

    async def _admit(self, peer: Peer, arrival: int) -> bool:
        deadline = trio.current_time() + self.grace
        while True:
            active, ended = self.active, self._ended
            first = arrival == min(self._waiting)
            if active is None and first:
                self.active = peer
                self._ended = trio.Event()
                return True
            if active is None or (active.hung_up() and not first):
                await self._wait_turn(arrival)      # an earlier newcomer goes first
                continue
            if active.hung_up():
                with trio.move_on_after(self.wait):
                    await ended.wait()
                if self.active is active:
                    return False        # its clean-up never finished
                continue
            if trio.current_time() >= deadline:
                return False            # a live client keeps the slot
            await trio.sleep(0.02)      # it may hang up yet (there is no event for that)

    async def _wait_turn(self, arrival: int) -> None:
        woken = self._waiting[arrival] = trio.Event()
        await woken.wait()

    def _wake_first(self) -> None:
        if self._waiting:
            self._waiting[min(self._waiting)].set()

    def _wake_all(self) -> None:
        for woken in self._waiting.values():
            woken.set()

    def release(self) -> None:
        self.active = None
        self._ended.set()
        self._wake_first()


async def serve_in_arrival_order(handler: Callable[[Any, int], Awaitable[None]], listeners: Iterable[Any],
                                 handler_nursery: Optional[trio.Nursery] = None) -> None:
    """``trio.serve_listeners``, but each ``handler(stream, arrival)`` also
    gets the connection's arrival number, taken when accept() returned it:
    the handlers' tasks start in any order (trio shuffles them), and a
    one-client endpoint serves its newcomers in the order they connected.
    Runs until cancelled; closes the listeners."""

    async def handle(stream: Any, arrival: int) -> None:
        try:
            await handler(stream, arrival)
        finally:
            await trio.aclose_forcefully(stream)

    async def accept_from(listener: Any, nursery: Any) -> None:
        async with listener:
            while True:
                try:
                    stream = await listener.accept()
                except OSError as exc:
                    if exc.errno not in _ACCEPT_CAPACITY_ERRNOS:
                        raise
                    await trio.sleep(0.1)       # out of descriptors: the clients go first
                    continue
                nursery.start_soon(handle, stream, next(_arrivals))

    async with trio.open_nursery() as nursery:
        for listener in listeners:
            nursery.start_soon(accept_from, listener, handler_nursery or nursery)
