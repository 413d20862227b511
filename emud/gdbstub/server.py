"""The trio transport around the packet pump and the dispatcher.

``serve_gdb(target, spec)`` listens where QEMU's ``-gdb`` option says
(``tcp::PORT``, ``tcp:HOST:PORT``, ``unix:PATH``, ``stdio``) and serves one gdb
at a time:

* A second client that connects while a session is active is refused: its
  first packet is answered with ``E.emud: another gdb is already connected...``
  (gdb prints "Remote failure reply: E.emud: ..."), the connection is closed
  and a line goes to the console. The first session is not disturbed.
  But when the attached client has already hung up (a script that detaches
  and attaches again at once, before the old session has noticed), the
  newcomer waits for that session to end and is then served, as QEMU does.
* Each session is its own failure domain (:mod:`emud.peer`): a client that
  vanishes, or a bug in one packet's handling, ends that session only.
* When gdb connects to a running machine, the machine is stopped (as QEMU
  does), so gdb finds it halted.
* A session ends on ``D`` (breakpoints removed, machine resumed), on ``k``
  (by default the machine is reset and left stopped, and the server waits for
  the next gdb; ``on_kill="quit"`` ends emud as QEMU does) or when the
  connection drops (this session's breakpoints are removed; the machine keeps
  its state and run state). Then the next client is accepted.
* While the target runs, the session awaits ``target.wait_for_stop()`` and
  keeps reading, so a Ctrl-C (0x03) reaches ``target.request_stop()``.
* Every send is bounded by ``send_timeout``: a gdb that takes nothing for
  that long is dropped instead of stalling anything.
"""
from __future__ import annotations

import os
import stat
import sys
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

import trio

from emud.chardev import close_listeners, describe_address, open_listeners, stdio_stream
from emud.debug import CONTINUE, DebugError, DebugTarget, StopEvent
from emud.gdbstub.dispatch import (AwaitMonitor, Detach, Dispatcher, Kill, Reply, RUNNING,
                                   CTRLC_INTERRUPT, IDLE, StartNoAck, WaitForStop, PACKET_SIZE)
from emud.gdbstub.packets import NEED_DATA, Interrupt, Malformed, Packet, PacketPump
from emud.internal import report_internal_error
from emud.peer import GONE_ERRORS, Peer, PeerGone, SingleClientSlot, run_session, serve_in_arrival_order

DEFAULT_SEND_TIMEOUT = 5.0
MAX_PENDING_PACKETS = 256  # packets a client may queue while the target runs (all-stop)
REFUSAL = b"E.emud: another gdb is already connected to this machine; one client at a time"


class GdbServerError(DebugError):
    """The server cannot start (bad -gdb spec, port in use...): one line for the user."""


def _stderr_log(line: str) -> None:
    print("emud: gdb: " + line, file=sys.stderr, flush=True)


def parse_spec(spec: str) -> Tuple[str, Any]:
    """QEMU's -gdb device syntax -> ("tcp", (host, port)) / ("unix", path) / ("stdio", None).

    Chardev options after a comma (``,server=on,wait=off``) are accepted and
    ignored: we are always the server and never wait.
    """
    dev = spec.split(",", 1)[0]
    if dev == "stdio":
        return "stdio", None
    if dev.startswith("unix:"):
        path = dev[5:]
        if not path:
            raise GdbServerError("-gdb unix:PATH needs a path")
        return "unix", path
    if dev.startswith("tcp:"):
        dev = dev[4:]
    elif dev.isdigit():
        pass                                  # QEMU accepts a bare port too
    elif ":" not in dev:
        raise GdbServerError("unsupported -gdb device %r (tcp::PORT, tcp:HOST:PORT, unix:PATH, stdio)" % spec)
    host, _, port = dev.rpartition(":")
    try:
        port_num = int(port)
    except ValueError:
        raise GdbServerError("bad port in -gdb %r" % spec) from None
    if not 0 <= port_num <= 65535:
        raise GdbServerError("bad port in -gdb %r" % spec)
    return "tcp", (host.strip("[]") or "127.0.0.1", port_num)


class GdbSession:
    """One gdb connection: a packet pump and a dispatcher on one stream."""

    def __init__(self, server: "GdbServer", peer: Peer) -> None:
        self.server = server
        self.target = server.target
        self.peer = peer
        self.pump = PacketPump(max_packet_size=PACKET_SIZE)
        self.dispatcher = Dispatcher(self.target, server.run_command, PACKET_SIZE,
                                     report=lambda where, exc: report_internal_error(where, exc, server.log))
        self._pending: List[bytes] = []
        self._events_send: Optional[trio.MemorySendChannel] = None
        self._nursery: Optional[trio.Nursery] = None
        self.end_reason = "connection closed"

    # -- target helpers ----------------------------------------------------------

    async def _wait_stop(self) -> StopEvent:
        # A stop that already happened since the resume (a single step can
        # finish before we get here) is the answer; else wait for the next.
        if self.target.run_state != "running":
            stop = self.target.last_stop()
            if stop is not None:
                return stop
        return await self.target.wait_for_stop()

    async def _stop_target(self, timeout: float) -> bool:
        if self.target.run_state != "running":
            return True
        with trio.move_on_after(timeout):
            self.target.request_stop()
            await self._wait_stop()
            return True
        return False

    # -- sending -------------------------------------------------------------------

    async def _send(self, data: bytes) -> None:
        if not data:
            return
        self.server.stats["bytes_out"] += len(data)
        await self.peer.send(data)      # PeerGone ends the session

    async def _send_packet(self, payload: bytes) -> None:
        # acks owed for what we received go out before our reply
        await self._send(self.pump.data_to_send() + self.pump.send_packet(payload))

    # -- the session ---------------------------------------------------------------

    async def run(self) -> None:
        if self.target.run_state == "running":
            await self._stop_target(timeout=10.0)   # gdb finds the machine halted, as with QEMU
        send, recv = trio.open_memory_channel(64)
        self._events_send = send
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                nursery.start_soon(self._reader, send.clone())
                try:
                    await self._main(recv)
                except PeerGone as exc:
                    self.end_reason = str(exc)
                finally:
                    nursery.cancel_scope.cancel()
        finally:
            with trio.CancelScope(shield=True):
                await self._cleanup()

    async def _reader(self, send: trio.MemorySendChannel) -> None:
        async with send:
            while True:
                data = await self.peer.receive(65536)
                if not data:
                    await send.send(("eof", None))
                    return
                self.server.stats["bytes_in"] += len(data)
                await send.send(("data", data))

    async def _stop_waiter(self) -> None:
        stop = await self._wait_stop()
        assert self._events_send is not None
        await self._events_send.send(("stop", stop))

    async def _main(self, recv: trio.MemoryReceiveChannel) -> None:
        async for kind, value in recv:
            if kind == "eof":
                return
            if kind == "stop":
                if await self._perform(self.dispatcher.on_stop(value)):
                    return
                pending, self._pending = self._pending, []
                for payload in pending:
                    if await self._on_packet(payload):
                        return
                continue
            self.pump.receive_data(value)
            if await self._drain_pump():
                return

    async def _drain_pump(self) -> bool:
        """Handle every complete event in the pump; True when the session ends."""
        while True:
            event = self.pump.next_event()
            if event is NEED_DATA:
                break
            if isinstance(event, Packet):
                if await self._on_packet(event.payload):
                    await self._send(self.pump.data_to_send())   # the ack of a final 'k'
                    return True
            elif isinstance(event, Interrupt):
                self.dispatcher.handle_interrupt()
            elif isinstance(event, Malformed):
                if self.dispatcher.state == IDLE:
                    if await self._perform(self.dispatcher.handle_malformed(event.reason)):
                        return True
        await self._send(self.pump.data_to_send())
        return False

    async def _on_packet(self, payload: bytes) -> bool:
        if self.dispatcher.state != IDLE:
            # all-stop: gdb waits for the stop reply; keep anything else for after it
            if len(self._pending) >= MAX_PENDING_PACKETS:
                raise PeerGone("gdb sent over %d packets while the target ran" % MAX_PENDING_PACKETS)
            self._pending.append(payload)
            await self._send(self.pump.data_to_send())
            return False
        return await self._perform(self.dispatcher.handle_packet(payload))

    async def _perform(self, actions: List[Any]) -> bool:
        for action in actions:
            if isinstance(action, Reply):
                await self._send_packet(action.payload)
            elif isinstance(action, StartNoAck):
                self.pump.start_no_ack_mode()
            elif isinstance(action, WaitForStop):
                assert self._nursery is not None
                self._nursery.start_soon(self._stop_waiter)
            elif isinstance(action, AwaitMonitor):
                try:
                    text = await action.result
                except DebugError as exc:
                    text = "error: %s\n" % exc
                if await self._perform(self.dispatcher.monitor_output(text)):
                    return True
            elif isinstance(action, Detach):
                self.end_reason = "gdb detached"
                return True
            elif isinstance(action, Kill):
                self.end_reason = "gdb killed the session"
                await self._apply_kill()
                return True
        return False

    async def _apply_kill(self) -> None:
        if self.server.on_kill == "quit":
            self.target.request_quit()
            return
        if await self._stop_target(timeout=5.0) and self.target.run_state != "exited":
            self.target.reset()

    async def _cleanup(self) -> None:
        """After the connection ends: leave no breakpoint of this session behind."""
        d = self.dispatcher
        was_running = d.state in (RUNNING, CTRLC_INTERRUPT)
        d.on_disconnect()
        if not d.inserted:
            return
        if not await self._stop_target(timeout=5.0):
            self.server.log("could not stop the machine to remove a dropped session's breakpoints")
            return
        d.remove_all_breakpoints()
        if was_running and self.target.run_state == "stopped":
            self.target.resume(None, CONTINUE)


class GdbServer:
    """What ``serve_gdb`` hands to ``task_status.started()``: the bound address
    and counters."""

    def __init__(self, target: DebugTarget, spec: str, run_command: Optional[Callable[[str], Any]],
                 on_kill: str, send_timeout: float, log: Callable[[str], None]) -> None:
        if on_kill not in ("reset", "quit"):
            raise GdbServerError("on_kill is 'reset' or 'quit', not %r" % on_kill)
        self.target = target
        self.spec = spec
        self.run_command = run_command
        self.on_kill = on_kill
        self.send_timeout = send_timeout
        self.log = log
        self.address: Any = None
        self._slot = SingleClientSlot()
        self.stats: Dict[str, Any] = {"sessions": 0, "refused": 0, "bytes_in": 0, "bytes_out": 0,
                                      "last_end": None}

    @property
    def active_peer(self) -> Optional[str]:
        """Who the attached gdb is ("host:port"), or None."""
        return self._slot.active.name if self._slot.active is not None else None

    def statistics(self) -> Dict[str, Any]:
        return dict(self.stats, active=self.active_peer)

    async def serve_stream(self, stream: trio.abc.Stream, name: Optional[str] = None,
                           arrival: Optional[int] = None) -> None:
        """Run one session on a connected stream (a socket, stdio, a test's
        memory stream), or refuse it while another gdb is attached.
        ``arrival``: see :func:`emud.peer.serve_in_arrival_order`."""
        peer = Peer(stream, self.send_timeout)
        if name is not None:
            peer.name = name
        if not await self._slot.admit(peer, arrival):
            await self._refuse(peer)
            return
        self.stats["sessions"] += 1
        session = GdbSession(self, peer)
        try:
            await run_session(lambda _peer: session.run(), peer, "gdb", self.log)
        finally:
            self._slot.release()
            self.stats["last_end"] = session.end_reason

    async def _refuse(self, peer: Peer) -> None:
        self.stats["refused"] += 1
        self.log("refused gdb from %s: a session from %s is active (one client at a time)"
                 % (peer.name, self.active_peer))
        pump = PacketPump()
        with trio.move_on_after(2.0):
            try:
                answered = False
                while not answered:
                    data = await peer.receive(4096)
                    if not data:
                        break
                    pump.receive_data(data)
                    while True:
                        event = pump.next_event()
                        if event is NEED_DATA:
                            break
                        if isinstance(event, Packet):
                            await peer.send(pump.data_to_send() + pump.send_packet(REFUSAL))
                            answered = True
                            break
                # Half-close and drain what gdb still sends (its ack): closing
                # with unread input would reset the connection and could
                # destroy the refusal before gdb reads it.
                if answered and isinstance(peer.stream, trio.abc.HalfCloseableStream):
                    await peer.stream.send_eof()
                    while await peer.receive(4096):
                        pass
            except (PeerGone,) + GONE_ERRORS:
                pass
        await peer.aclose()

    async def _handle(self, stream: trio.abc.Stream, arrival: int) -> None:
        Peer(stream).set_nodelay()
        await self.serve_stream(stream, arrival=arrival)


async def _open_listeners(kind: str, where: Any) -> Tuple[List[trio.SocketListener], Any]:
    if kind == "unix" and os.path.exists(where) and not stat.S_ISSOCK(os.stat(where).st_mode):
        raise GdbServerError("-gdb unix:%s: the path exists and is not a socket" % where)
    try:
        return await open_listeners(kind, where, backlog=4)
    except OSError as exc:
        raise GdbServerError("cannot listen on %s:%s: %s"
                             % (kind, describe_address(kind, where), exc.strerror or exc)) from None


async def serve_gdb(target: DebugTarget, spec: str, *, run_command: Optional[Callable[[str], Any]] = None,
                    on_kill: str = "reset", send_timeout: float = DEFAULT_SEND_TIMEOUT,
                    log: Callable[[str], None] = _stderr_log,
                    task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve gdb sessions on ``spec`` (QEMU's -gdb syntax) until cancelled.

    ``task_status.started()`` receives the :class:`GdbServer` (its
    ``address`` is the bound ``(host, port)``, the socket path or "stdio").
    With ``stdio`` the one session ends emud (``target.request_quit``).
    """
    kind, where = parse_spec(spec)
    server = GdbServer(target, spec, run_command, on_kill, send_timeout, log)
    stubs = _STUBS.setdefault(target, [])
    stubs.append(server)
    try:
        await _serve(server, target, kind, where, task_status)
    finally:
        stubs.remove(server)


#: the gdb stubs serving each target (the monitor's `gdbserver` looks here)
_STUBS: "weakref.WeakKeyDictionary[Any, List[GdbServer]]" = weakref.WeakKeyDictionary()


def gdb_stubs(target: Any) -> List["GdbServer"]:
    """The gdb stubs now serving ``target`` (``-s``/``-gdb`` or `gdbserver`)."""
    return list(_STUBS.get(target, ()))


async def _serve(server: "GdbServer", target: DebugTarget, kind: str, where: Any, task_status: Any) -> None:
    if kind == "stdio":
        server.address = "stdio"
        task_status.started(server)
        # gdb's "target remote | emud ... -gdb stdio": RSP on our stdin/stdout
        await server.serve_stream(stdio_stream(), "stdio")
        # nobody can connect again to a pipe: end emud with the session
        target.request_quit()
        return
    listeners, server.address = await _open_listeners(kind, where)
    try:
        async with trio.open_nursery() as nursery:
            task_status.started(server)
            await serve_in_arrival_order(server._handle, listeners, handler_nursery=nursery)
    finally:
        await close_listeners(listeners, kind, where)
