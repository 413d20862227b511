"""Character device backends (QEMU's chardev layer): where a UART's bytes go
and where its input comes from.

Spelled as users type them after ``-serial`` (or as ``-chardev`` options):

  stdio                          the terminal (``mon:stdio``: Ctrl-A c monitor, Ctrl-A x quit)
  none | null                    nothing (``none``: QEMU creates no serial port)
  file:PATH                      output to PATH (truncated), no input
  tcp:[HOST]:PORT[,server[=on|off]][,wait=on|off|,nowait][,nodelay]
                                 TCP server (or client without ``server``)
  unix:PATH[,server][,nowait]    Unix socket server (or client)
  pty                            a new pseudo-terminal (its name printed, as QEMU does)
  memory                         an in-memory buffer (tests, embedding)
  socket,host=H,port=P,server=on,wait=off   (the -chardev form; also file,path=P,
                                 stdio, pty, null; any of them with id=, mux=on, logfile=F)

Deviation from QEMU, on purpose: an empty HOST binds 127.0.0.1, not every
interface; write ``tcp:0.0.0.0:PORT,server`` to expose the port.

A server waits for its first client before the machine starts (QEMU's
default ``wait=on``): :meth:`Chardev.run` calls ``task_status.started()``
only once a client is connected, so ``await nursery.start(chr.run)`` blocks
the machine start just like QEMU does. ``nowait`` starts at once. One client
at a time; output while no client is connected is discarded, as on QEMU.

Threading: everything runs in the trio thread. :meth:`Chardev.write` is
synchronous and never blocks: it appends to a bounded buffer that a trio task
flushes, and a client that stops reading loses output beyond the bound
(counted in :meth:`statistics`) instead of stalling the guest. Input goes to
the attached frontend (``receive(data)``, ``can_receive() -> int``) only as
fast as it can take it; the frontend calls :meth:`accept_input` when it has
room again (the UART does so when the guest reads RBR).
"""
from __future__ import annotations

import os
import select
import socket as _stdsocket
from typing import Any, Callable, Dict, List, Optional, Tuple

import trio

from ._trio_compat import run_sync_abandoning
from .nonblocking_out import NonBlockingWriter
from .peer import Peer, PeerGone, SingleClientSlot, serve_in_arrival_order

DEFAULT_OUTPUT_LIMIT = 64 * 1024
SERIAL_STALL_TIMEOUT = 30.0   # a serial client that takes nothing for this long is dropped
POLL_INTERVAL = 0.02     # re-check can_receive() even without accept_input()


class ChardevError(ValueError):
    """A character device spec or backend the user got wrong (one line)."""


# -- parsing -----------------------------------------------------------------------

class ChardevSpec:
    """A parsed spec. ``kind`` is one of stdio, none, null, file, tcp, unix, pty, memory.
    ``logfile``: a file that gets a copy of the output (``logappend``: added to)."""

    __slots__ = ("kind", "path", "host", "port", "server", "wait", "nodelay", "mux", "signal",
                 "append", "id", "logfile", "logappend", "text")

    def __init__(self, kind: str, text: str = "", path: Optional[str] = None,
                 host: Optional[str] = None, port: Optional[int] = None, server: bool = False,
                 wait: bool = True, nodelay: bool = False, mux: bool = False, signal: bool = True,
                 append: bool = False, id: Optional[str] = None, logfile: Optional[str] = None,
                 logappend: bool = False) -> None:
        self.kind = kind
        self.text = text
        self.path = path
        self.host = host
        self.port = port
        self.server = server
        self.wait = wait
        self.nodelay = nodelay
        self.mux = mux
        self.signal = signal
        self.append = append
        self.id = id
        self.logfile = logfile
        self.logappend = logappend

    def _key(self):
        return tuple(getattr(self, f) for f in self.__slots__ if f != "text")

    def __eq__(self, other) -> bool:
        return isinstance(other, ChardevSpec) and self._key() == other._key()

    def __repr__(self) -> str:
        fields = ", ".join("%s=%r" % (f, getattr(self, f)) for f in self.__slots__
                           if f != "text" and getattr(self, f) not in (None, False))
        return "ChardevSpec(%s)" % fields

    def describe(self) -> str:
        """QEMU-style label, as `info chardev` shows it."""
        if self.kind == "tcp":
            return "%s:%s:%d%s" % (self.kind, self.host, self.port, ",server=on" if self.server else "")
        if self.kind in ("unix", "file"):
            return "%s:%s%s" % (self.kind, self.path, ",server=on" if self.server else "")
        return self.kind


_BOOL = {"on": True, "yes": True, "true": True, "y": True,
         "off": False, "no": False, "false": False, "n": False}

_UNSUPPORTED = ("vc", "udp", "pipe", "telnet", "websocket", "serial", "tty", "parallel",
                "msmouse", "braille", "testdev", "chardev", "spicevmc", "spiceport", "ringbuf",
                "console", "qemu-vdagent", "dbus")


def _bool_opt(spec: str, key: str, value: Optional[str]) -> bool:
    if value is None:
        return True     # bare flag: "server", "nodelay"
    try:
        return _BOOL[value.lower()]
    except KeyError:
        raise ChardevError("chardev '%s': %s=%s is not on/off" % (spec, key, value)) from None


def _port(spec: str, text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ChardevError("chardev '%s': bad port '%s'" % (spec, text))
    return int(text)


def _apply_socket_options(spec: str, out: ChardevSpec, opts: List[str]) -> None:
    for opt in opts:
        if not opt:
            continue
        key, eq, value = opt.partition("=")
        value = value if eq else None
        if key == "server":
            out.server = _bool_opt(spec, key, value)
        elif key == "wait":
            out.wait = _bool_opt(spec, key, value)
        elif key == "nowait" and value is None:
            out.wait = False
        elif key == "nodelay":
            out.nodelay = _bool_opt(spec, key, value)
        elif key in ("mux", "logfile", "logappend"):
            _apply_common_options(spec, out, {key: value})
        elif key in ("ipv4", "ipv6", "reconnect", "telnet", "tn3270", "websocket", "to", "abstract", "tight"):
            # accepted for compatibility; not modelled
            if key in ("telnet", "tn3270", "websocket") and _bool_opt(spec, key, value):
                raise ChardevError("chardev '%s': %s is not supported" % (spec, key))
        else:
            raise ChardevError("chardev '%s': unknown option '%s'" % (spec, key))


def _parse_tcp_address(spec: str, addr: str) -> tuple:
    # "HOST:PORT" or ":PORT"; IPv6 hosts in brackets: "[::1]:PORT"
    if addr.startswith("["):
        host, sep, rest = addr[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ChardevError("chardev '%s': expected [HOST]:PORT" % spec)
        return host, _port(spec, rest[1:])
    host, sep, port = addr.rpartition(":")
    if not sep:
        raise ChardevError("chardev '%s': expected tcp:[HOST]:PORT" % spec)
    return host, _port(spec, port)


def _parse_keyvalue(spec: str, text: str) -> ChardevSpec:
    """-chardev style: BACKEND,key=value,..."""
    parts = text.split(",")
    backend, opts = parts[0], parts[1:]
    kv: Dict[str, Optional[str]] = {}
    for opt in opts:
        key, eq, value = opt.partition("=")
        kv[key] = value if eq else None
    ident = kv.pop("id", None)
    common = {key: kv.pop(key) for key in ("mux", "logfile", "logappend") if key in kv}
    if backend == "socket":
        rest = []
        if "path" in kv:
            out = ChardevSpec("unix", spec, path=kv.pop("path"))
        elif "port" in kv:
            out = ChardevSpec("tcp", spec, host=kv.pop("host", None) or "", port=_port(spec, kv.pop("port") or ""))
        else:
            raise ChardevError("chardev '%s': socket needs host/port or path" % spec)
        kv.pop("host", None)
        rest = [k if v is None else "%s=%s" % (k, v) for k, v in kv.items()]
        kv.clear()
        _apply_socket_options(spec, out, rest)
    elif backend == "file":
        if not kv.get("path"):
            raise ChardevError("chardev '%s': file needs path=" % spec)
        out = ChardevSpec("file", spec, path=kv.pop("path"))
        if "append" in kv:
            out.append = _bool_opt(spec, "append", kv.pop("append"))
        if kv:
            raise ChardevError("chardev '%s': unknown option '%s'" % (spec, next(iter(kv))))
    elif backend == "stdio":
        out = ChardevSpec("stdio", spec)
        if "signal" in kv:
            out.signal = _bool_opt(spec, "signal", kv.pop("signal"))
    elif backend in ("pty", "null"):
        out = ChardevSpec(backend, spec)
    else:
        raise ChardevError("chardev '%s': backend '%s' is not supported" % (spec, backend))
    if kv:
        raise ChardevError("chardev '%s': unknown option '%s'" % (spec, next(iter(kv))))
    _apply_common_options(spec, out, common)
    out.id = ident
    return out


def _apply_common_options(spec: str, out: ChardevSpec, opts: Dict[str, Optional[str]]) -> None:
    """Options every -chardev backend takes (QEMU's ChardevCommon, and mux)."""
    if "mux" in opts:
        out.mux = _bool_opt(spec, "mux", opts["mux"])
    if "logfile" in opts:
        if not opts["logfile"]:
            raise ChardevError("chardev '%s': logfile needs a path" % spec)
        out.logfile = opts["logfile"]
    if "logappend" in opts:
        out.logappend = _bool_opt(spec, "logappend", opts["logappend"])


def parse_chardev(spec: str) -> ChardevSpec:
    """Parse a -serial / -chardev spec. Raises :class:`ChardevError` (one line)."""
    text = spec.strip()
    if not text:
        raise ChardevError("empty chardev spec")
    if text.startswith("mon:"):
        inner = parse_chardev(text[4:])
        inner.mux = True
        if inner.kind == "stdio":
            # as QEMU: the monitor muxed onto stdio leaves Ctrl-C to the guest
            inner.signal = False
        inner.text = spec
        return inner
    if text in ("stdio", "null", "none", "memory", "pty"):
        return ChardevSpec(text, spec)
    head, colon, rest = text.partition(":")
    if colon:
        if head == "file":
            if not rest:
                raise ChardevError("chardev '%s': file: needs a path" % spec)
            return ChardevSpec("file", spec, path=rest)
        if head == "tcp":
            addr, *opts = rest.split(",")
            host, port = _parse_tcp_address(spec, addr)
            out = ChardevSpec("tcp", spec, host=host, port=port)
            _apply_socket_options(spec, out, opts)
            return out
        if head == "unix":
            path, *opts = rest.split(",")
            if not path:
                raise ChardevError("chardev '%s': unix: needs a path" % spec)
            out = ChardevSpec("unix", spec, path=path)
            _apply_socket_options(spec, out, opts)
            return out
        if head in _UNSUPPORTED:
            raise ChardevError("chardev '%s': backend '%s' is not supported" % (spec, head))
        raise ChardevError("chardev '%s': unknown backend '%s'" % (spec, head))
    if text.split(",")[0] in ("socket", "file", "stdio", "pty", "null") and "," in text:
        return _parse_keyvalue(spec, text)
    if text.split(",")[0] in _UNSUPPORTED or text.startswith("/dev/"):
        raise ChardevError("chardev '%s': backend '%s' is not supported" % (spec, text.split(",")[0]))
    raise ChardevError("chardev '%s': unknown backend" % spec)


# -- socket plumbing, shared with the gdb stub and the monitor ---------------------

def socket_address(spec: ChardevSpec) -> Tuple[str, Any]:
    """("tcp", (host, port)) or ("unix", path) for a tcp: or unix: spec
    (an empty host is 127.0.0.1, see the module docstring)."""
    if spec.kind == "tcp":
        return "tcp", (spec.host or "127.0.0.1", spec.port)
    return "unix", spec.path


def describe_address(kind: str, where: Any) -> str:
    """"HOST:PORT" or the socket path, for messages."""
    return "%s:%d" % where if kind == "tcp" else where


async def open_listeners(kind: str, where: Any, backlog: int) -> Tuple[List[trio.SocketListener], Any]:
    """Listen on ("tcp", (host, port)) or ("unix", path): the listeners and
    the bound address ((host, port) with the real port, or the path). A
    file left at the path by an earlier run is replaced, as QEMU does.
    Raises OSError; see :func:`close_listeners`."""
    if kind == "tcp":
        host, port = where
        listeners = await trio.open_tcp_listeners(port, host=host)
        sockname = listeners[0].socket.getsockname()
        return listeners, (sockname[0], sockname[1])
    sock = trio.socket.socket(_stdsocket.AF_UNIX, _stdsocket.SOCK_STREAM)
    try:
        if os.path.exists(where):
            os.unlink(where)
        await sock.bind(where)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return [trio.SocketListener(sock)], where


async def close_listeners(listeners: List[trio.SocketListener], kind: str, where: Any) -> None:
    """Close what :func:`open_listeners` opened and remove a unix socket file
    (safe to call while being cancelled)."""
    if kind == "unix":
        try:
            os.unlink(where)
        except OSError:
            pass
    with trio.CancelScope(shield=True):
        for listener in listeners:
            await listener.aclose()


async def open_stream(kind: str, where: Any) -> trio.abc.Stream:
    """Connect out to ("tcp", (host, port)) or ("unix", path). Raises OSError."""
    if kind == "tcp":
        return await trio.open_tcp_stream(*where)
    return await trio.open_unix_socket(where)


async def listen_for(spec: ChardevSpec, backlog: int, label: str) -> Tuple[List[trio.SocketListener], Any]:
    """:func:`open_listeners` for a tcp: or unix: spec; a failure is one
    line for the user: ``LABEL: cannot listen on WHERE: why``."""
    kind, where = socket_address(spec)
    try:
        return await open_listeners(kind, where, backlog)
    except OSError as e:
        raise ChardevError("%s: cannot listen on %s: %s" % (label, describe_address(kind, where), e.strerror or e)) from None


async def connect_for(spec: ChardevSpec, label: str) -> trio.abc.Stream:
    """:func:`open_stream` for a tcp: or unix: spec (client mode), failing as ``LABEL: cannot connect: why``."""
    try:
        return await open_stream(*socket_address(spec))
    except OSError as e:
        raise ChardevError("%s: cannot connect: %s" % (label, e.strerror or e)) from None


def stdio_stream() -> trio.StapledStream:
    """Our stdout and stdin as one trio stream (for a protocol on stdio:
    nothing else may write to stdout then)."""
    return trio.StapledStream(trio.lowlevel.FdStream(os.dup(1)), trio.lowlevel.FdStream(os.dup(0)))


# -- backends -------------------------------------------------------------------------

class Chardev:
    """Base backend: bounded input delivery to one frontend, no output."""

    kind = "null"

    def __init__(self, spec: Optional[ChardevSpec] = None) -> None:
        self.spec = spec
        self.frontend = None
        self._pending_in = bytearray()
        self._room: Optional[trio.Event] = None
        self.bytes_written = 0       # accepted from the guest
        self.bytes_dropped = 0       # lost to a full buffer or no client
        self.bytes_received = 0      # delivered to the guest
        self.connected = True

    # -- frontend side --------------------------------------------------------
    def attach(self, frontend) -> None:
        self.frontend = frontend

    def write(self, data: bytes) -> None:
        self.bytes_written += len(data)
        self.bytes_dropped += len(data)

    def accept_input(self) -> None:
        """The frontend has room again: deliver what is waiting."""
        self._deliver()
        if not self._pending_in and self._room is not None:
            self._room.set()

    # -- input plumbing ------------------------------------------------------------
    def _deliver(self) -> None:
        fe = self.frontend
        if fe is None:
            return
        # time travel (emud/timetravel) puts a gate on a frontend whose input
        # it logs: it holds input back while history replays, and otherwise
        # stamps each chunk with the instruction count it arrives at
        gate = getattr(fe, "input_gate", None)
        while self._pending_in:
            n = fe.can_receive() if gate is None else gate.can_receive(fe)
            if n <= 0:
                break
            chunk = bytes(self._pending_in[:n])
            del self._pending_in[:n]
            self.bytes_received += len(chunk)
            if gate is None:
                fe.receive(chunk)
            else:
                gate.receive(fe, chunk)

    def _push_input(self, data: bytes) -> None:
        self._pending_in += data
        self._deliver()

    async def _wait_for_room(self) -> None:
        """Block the reader (back-pressure) until the frontend took everything."""
        while self._pending_in:
            self._room = trio.Event()
            with trio.move_on_after(POLL_INTERVAL):
                await self._room.wait()
            self._deliver()

    # -- lifetime --------------------------------------------------------------------
    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        """Serve the backend; start it with ``await nursery.start(chardev.run)``."""
        task_status.started()

    def close(self) -> None:
        pass

    def statistics(self) -> Dict[str, object]:
        return {"kind": self.kind, "connected": self.connected, "written": self.bytes_written,
                "dropped": self.bytes_dropped, "received": self.bytes_received,
                "input_pending": len(self._pending_in)}


class NullChardev(Chardev):
    kind = "null"


class MemoryChardev(Chardev):
    """Output collected in :attr:`output`; input injected with :meth:`feed`."""

    kind = "memory"

    def __init__(self, spec: Optional[ChardevSpec] = None) -> None:
        super().__init__(spec)
        self.output = bytearray()

    def write(self, data: bytes) -> None:
        self.bytes_written += len(data)
        self.output += data

    def feed(self, data: bytes) -> None:
        """Send bytes to the guest (queued while the frontend has no room)."""
        self._push_input(bytes(data))

    def take_output(self) -> bytes:
        out = bytes(self.output)
        self.output.clear()
        return out


class FileChardev(Chardev):
    kind = "file"

    def __init__(self, spec: ChardevSpec) -> None:
        super().__init__(spec)
        try:
            self._file = open(spec.path, "ab" if spec.append else "wb", buffering=0)
        except OSError as e:
            raise ChardevError("chardev '%s': cannot open %s: %s" % (spec.text, spec.path, e.strerror)) from None

    def write(self, data: bytes) -> None:
        self.bytes_written += len(data)
        if self._file is not None:
            self._file.write(data)      # regular files do not stall

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class _BufferedOutput(Chardev):
    """Output through a bounded buffer flushed by a trio task."""

    def __init__(self, spec: Optional[ChardevSpec], output_limit: int = DEFAULT_OUTPUT_LIMIT) -> None:
        super().__init__(spec)
        self.output_limit = output_limit
        self._out = bytearray()
        self._out_ready: Optional[trio.Event] = None

    def write(self, data: bytes) -> None:
        self.bytes_written += len(data)
        if not self.connected:
            self.bytes_dropped += len(data)
            return
        room = self.output_limit - len(self._out)
        if room < len(data):
            self.bytes_dropped += len(data) - max(room, 0)
            data = data[:max(room, 0)]
        if data:
            self._out += data
            if self._out_ready is not None:
                self._out_ready.set()

    async def _next_output(self) -> bytes:
        while not self._out:
            self._out_ready = trio.Event()
            await self._out_ready.wait()
        chunk = bytes(self._out)
        self._out.clear()
        return chunk


class SocketChardev(_BufferedOutput):
    """tcp: and unix: backends, server or client."""

    def __init__(self, spec: ChardevSpec, output_limit: int = DEFAULT_OUTPUT_LIMIT) -> None:
        super().__init__(spec, output_limit)
        self.kind = spec.kind
        self.connected = False
        self.address = None            # where a server listens, once it does
        self.peer = None
        self.listening = trio.Event()
        self.clients_served = 0
        self.clients_refused = 0
        self._slot = SingleClientSlot()          # the client being served
        self._started: Any = None                 # task_status until the machine may start

    @property
    def _label(self) -> str:
        return "chardev '%s'" % self.spec.text

    def statistics(self) -> Dict[str, object]:
        d = super().statistics()
        d.update(address=self.address, peer=self.peer, clients_served=self.clients_served,
                 clients_refused=self.clients_refused)
        return d

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        if not self.spec.server:
            stream = await connect_for(self.spec, self._label)
            task_status.started()
            await self._serve(Peer(stream))
            return
        listeners, self.address = await listen_for(self.spec, 4, self._label)
        self.listening.set()
        self._started = task_status
        if not self.spec.wait:
            self._start()
        try:
            # accepting goes on while a client is served: a newcomer is refused
            # with a line, or served once a client that hung up is gone
            await serve_in_arrival_order(self._handle, listeners)
        finally:
            await close_listeners(listeners, *socket_address(self.spec))

    def _start(self) -> None:
        if self._started is not None:
            self._started.started()
            self._started = None

    async def _handle(self, stream, arrival: int) -> None:
        peer = Peer(stream, stall_timeout=SERIAL_STALL_TIMEOUT)
        # the gdb stub's rule: a client that has hung up makes way, a live one stays
        if not await self._slot.admit(peer, arrival):
            await self._refuse(peer, self._slot.active)
            return
        try:
            self._start()
            await self._serve(peer)
        finally:
            self._slot.release()

    async def _refuse(self, peer: Peer, current: Peer) -> None:
        self.clients_refused += 1
        with trio.move_on_after(1.0):
            try:
                await peer.send(("emud: %s is in use by %s (one client at a time)\r\n"
                                 % (self._label, current.name)).encode())
            except PeerGone:
                pass
        await peer.aclose()

    async def _serve(self, peer: Peer) -> None:
        """One client, until it goes away (or stops reading: then it is dropped)."""
        if self.spec.kind == "tcp":
            peer.set_nodelay()
            self.peer = peer.name
        self._out.clear()
        self.connected = True
        self.clients_served += 1

        async def reader(cancel_scope: trio.CancelScope) -> None:
            while True:
                await self._wait_for_room()
                data = await peer.receive(4096)
                if not data:
                    break
                self._push_input(data)
            cancel_scope.cancel()

        async def writer(cancel_scope: trio.CancelScope) -> None:
            try:
                while True:
                    await peer.send(await self._next_output())
            except PeerGone:
                pass
            cancel_scope.cancel()

        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(reader, nursery.cancel_scope)
                nursery.start_soon(writer, nursery.cancel_scope)
        finally:
            self.connected = False
            self.peer = None
            self.bytes_dropped += len(self._out)
            self._out.clear()
            await peer.aclose()


CTRL_A = 0x01


class StdioChardev(_BufferedOutput):
    """The terminal. With ``mux`` (``mon:stdio``, -nographic), Ctrl-A x quits
    (``on_quit``), Ctrl-A Ctrl-A sends a Ctrl-A, Ctrl-A h lists the keys, and
    Ctrl-A c moves the keyboard to the monitor and back, once one is attached
    (:meth:`attach_monitor`, an ``emud.monitor.mux.MuxedMonitor``)."""

    kind = "stdio"

    def __init__(self, spec: Optional[ChardevSpec] = None, on_quit: Optional[Callable[[], None]] = None,
                 stdin_fd: int = 0, stdout_fd: int = 1) -> None:
        super().__init__(spec or ChardevSpec("stdio"), output_limit=1 << 20)
        self.on_quit = on_quit
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self._running = False
        self._escape = False
        self._saved_tty = None
        self.monitor: Optional[Any] = None
        self.monitor_has_keyboard = False
        self._writer: Optional[NonBlockingWriter] = None

    def attach_monitor(self, monitor: Any) -> None:
        """Give Ctrl-A c a monitor to switch to (mux mode)."""
        self.monitor = monitor

    def write(self, data: bytes) -> None:
        if not self._running:
            # no flusher task (e.g. before the nursery runs): write through
            self.bytes_written += len(data)
            _write_all(self.stdout_fd, data)
            return
        writer = self._writer
        if not self._out and writer is not None and not writer.can_block:
            # straight out, as the guest writes it (nonblocking_out.py); what
            # the terminal or pipe cannot take now waits in the buffer
            n = writer.write_some(data)
            self.bytes_written += n
            data = data[n:]
            if not data:
                return
        super().write(data)

    def filter_input(self, data: bytes) -> bytes:
        """Strip and act on Ctrl-A escapes (mux mode only); keys typed while
        the monitor has the keyboard go to it. The guest's input is returned."""
        if not self.spec.mux:
            return data
        out = bytearray()
        to_monitor = bytearray()
        for b in data:
            if self._escape:
                self._escape = False
                if b == CTRL_A:
                    (to_monitor if self.monitor_has_keyboard else out).append(CTRL_A)
                elif b in (ord("x"), ord("X")):
                    if self.on_quit is not None:
                        self.on_quit()
                elif b in (ord("h"), ord("?")):
                    super().write(self._help())
                elif b in (ord("c"), ord("C")) and self._monitor_usable():
                    if to_monitor:
                        self.monitor.feed(bytes(to_monitor))
                        to_monitor.clear()
                    self.monitor_has_keyboard = not self.monitor_has_keyboard
                    if self.monitor_has_keyboard:
                        self.monitor.enter()
                # other keys (s, b, t): not modelled, swallowed like QEMU's unknown ones
            elif b == CTRL_A:
                self._escape = True
            elif self.monitor_has_keyboard:
                to_monitor.append(b)
            else:
                out.append(b)
        if to_monitor:
            self.monitor.feed(bytes(to_monitor))
        return bytes(out)

    def _monitor_usable(self) -> bool:
        if self.monitor is None:
            return False
        if self.monitor.ended:
            self.monitor_has_keyboard = False
            return False
        return True

    def _help(self) -> bytes:
        keys = [b"C-a h    print this help", b"C-a x    exit emulator"]
        if self.monitor is not None:
            keys.append(b"C-a c    switch between console and monitor")
        keys.append(b"C-a C-a  sends C-a")
        return b"\r\n" + b"".join(k + b"\r\n" for k in keys)

    def _setup_tty(self) -> None:
        try:
            import termios
        except ImportError:
            return
        if not os.isatty(self.stdin_fd):
            return
        self._saved_tty = termios.tcgetattr(self.stdin_fd)
        attrs = termios.tcgetattr(self.stdin_fd)
        attrs[0] &= ~(termios.IGNBRK | termios.BRKINT | termios.PARMRK | termios.ISTRIP
                      | termios.INLCR | termios.IGNCR | termios.ICRNL | termios.IXON)
        attrs[1] |= termios.OPOST
        attrs[3] &= ~(termios.ECHO | termios.ECHONL | termios.ICANON | termios.IEXTEN)
        if not self.spec.signal:
            attrs[3] &= ~termios.ISIG     # Ctrl-C goes to the guest (mon:stdio, signal=off)
        attrs[2] = (attrs[2] & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
        attrs[6][termios.VMIN] = 1
        attrs[6][termios.VTIME] = 0
        termios.tcsetattr(self.stdin_fd, termios.TCSANOW, attrs)

    def close(self) -> None:
        if self._saved_tty is not None:
            import termios
            termios.tcsetattr(self.stdin_fd, termios.TCSANOW, self._saved_tty)
            self._saved_tty = None

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self._setup_tty()
        self._writer = NonBlockingWriter(self.stdout_fd)
        self._running = True
        try:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._flusher)
                nursery.start_soon(self._reader)
                if self.monitor is not None:
                    await nursery.start(self.monitor.run)
                task_status.started()
        finally:
            self._running = False
            if self._out:        # the guest's last words
                _write_all(self.stdout_fd, bytes(self._out))
                self._out.clear()
            self._writer.close()
            self._writer = None
            self.close()

    async def _flusher(self) -> None:
        writer = self._writer
        if writer.can_block:
            await self._flush_through_thread()
        while True:
            while not self._out:
                self._out_ready = trio.Event()
                await self._out_ready.wait()
            # written from the buffer in place, so that a guest write arriving
            # meanwhile queues behind it (write() goes direct only when empty)
            n = writer.write_some(bytes(self._out[:65536]))
            del self._out[:n]
            if self._out:
                if writer.waitable:
                    await trio.lowlevel.wait_writable(writer.fd)
                else:
                    await trio.sleep(0.01)

    async def _flush_through_thread(self) -> None:
        """No non-blocking way to this stdout (no /proc): a helper thread."""
        while True:
            chunk = await self._next_output()
            # not cancellable once started: a chunk taken from the buffer must
            # reach stdout even when the machine quits right now (the guest's
            # last words). run_sync checks for a cancel *before* it starts the
            # thread; then the chunk has not been written yet: write it here.
            try:
                await trio.to_thread.run_sync(_write_all, self.stdout_fd, chunk)
            except trio.Cancelled:
                _write_all(self.stdout_fd, chunk)
                raise

    async def _reader(self) -> None:
        while True:
            await self._wait_for_room()
            try:
                data = await run_sync_abandoning(os.read, self.stdin_fd, 1024)
            except OSError:
                return
            if not data:
                return      # EOF: the guest just sees no more input
            data = self.filter_input(data)
            if data:
                self._push_input(data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            # somebody else made the fd non-blocking: wait, do not spin
            select.select([], [fd], [], 1.0)
            continue
        except OSError:
            return      # stdout went away: drop, never crash the guest
        view = view[n:]


def open_chardev(spec, on_quit: Optional[Callable[[], None]] = None,
                 output_limit: int = DEFAULT_OUTPUT_LIMIT) -> Chardev:
    """Create the backend for a spec (string or :class:`ChardevSpec`)."""
    if isinstance(spec, str):
        spec = parse_chardev(spec)
    backend = _open_backend(spec, on_quit, output_limit)
    if spec.logfile:
        from .chardev_log import LoggedChardev
        return LoggedChardev(backend, spec.logfile, spec.logappend)  # type: ignore[return-value]
    return backend


def _open_backend(spec: ChardevSpec, on_quit: Optional[Callable[[], None]], output_limit: int) -> Chardev:
    if spec.kind == "pty":
        from .chardev_pty import open_pty
        return open_pty(spec)
    if spec.kind in ("null", "none"):
        return NullChardev(spec)
    if spec.kind == "memory":
        return MemoryChardev(spec)
    if spec.kind == "file":
        return FileChardev(spec)
    if spec.kind in ("tcp", "unix"):
        return SocketChardev(spec, output_limit=output_limit)
    if spec.kind == "stdio":
        return StdioChardev(spec, on_quit=on_quit)
    raise ChardevError("chardev '%s': unknown backend" % spec.text)
