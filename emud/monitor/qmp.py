"""QMP, QEMU's JSON machine protocol (``-qmp tcp::PORT,server,nowait``).

Theory of operation
-------------------
:class:`QMPConnection` is the protocol with no I/O (h11 style): feed it
bytes with :meth:`~QMPConnection.receive_data`, take requests with
:meth:`~QMPConnection.next_request` (a :class:`Request`, a
:class:`BadInput` to answer with an error, or ``None`` for "need data"),
and turn answers into bytes with :meth:`reply`, :meth:`error`,
:meth:`event`. Its states::

    NEGOTIATING --qmp_capabilities--> COMMAND

In NEGOTIATING every other command gets CommandNotFound, as QEMU does, and
no events are sent; in COMMAND a second ``qmp_capabilities`` gets
CommandNotFound. Input is a stream of JSON objects (not necessarily one a
line); malformed JSON is answered with a GenericError and the stream
resynchronises, never closing the connection.

:class:`QMPDispatcher` runs one request: QEMU's own commands (``stop``,
``cont``, ``system_reset``, ``query-status``, ``query-cpus-fast``,
``query-commands``, ``query-qmp-schema``, ``query-version``, ``human-monitor-command``,
``quit``)
behave as in QEMU; every registry command is reachable as ``emud-<name>``
with spaces and underscores turned into dashes (``emud-info-registers``,
``emud-x``, ``emud-run-until``, ``emud-tb-flush``...), its arguments named
as in its schema (``{"addr": "$pc", "fmt": "10i"}``), returning the
command's structured data.

:func:`serve_qmp` is the thin trio transport: one connection, one reader
loop running requests in order, and an event queue (machine events, UART
output lines, traps) written once negotiation is done, always ahead of a
reply to a command that ran after them.
"""
from __future__ import annotations

import collections
import functools
import json
import os
from dataclasses import dataclass
from typing import Any, Deque, Dict, List, Optional, Tuple, Union

import trio

from emud.chardev import stdio_stream
from emud.debug import CONTINUE, DebugError, Event
from emud.monitor.errors import CommandError
from emud.monitor.runctl import attach, plain, stop_machine, trap_data
from emud.internal import report_internal_error
from emud.peer import Peer, run_session

NEGOTIATING, COMMAND = "negotiating", "command"
QEMU_VERSION = {"major": 7, "minor": 2, "micro": 0}
MAX_MESSAGE = 1 << 20
#: deepest nesting of arrays and objects in a message (Python's json recurses
#: per level: a client's "[[[[..." must be an error, not a RecursionError)
MAX_DEPTH = 256


@dataclass
class Request:
    execute: str
    arguments: Dict[str, Any]
    id: Any = None
    has_id: bool = False


@dataclass
class BadInput:
    desc: str
    id: Any = None
    has_id: bool = False


class JSONSplitter:
    """Cut a byte stream into top-level JSON texts by tracking nesting and
    strings; anything that is not an object or array is answered as an
    error and skipped up to the end of its line. A text longer than
    MAX_MESSAGE or nested deeper than MAX_DEPTH is answered as an error at
    once and its remaining bytes are dropped as they arrive, so memory stays
    bounded and every text gets one answer. The scan resumes where the last
    call stopped (a message arriving in small pieces is read once)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self._scanned = 0        # bytes of buf already scanned (the current text's start)
        self._depth = 0          # > 0: inside a text
        self._in_str = False
        self._esc = False
        self._dropping = False   # the rest of a text already answered as an error

    def feed(self, data: bytes) -> None:
        self.buf += data

    def next(self) -> Union[bytes, BadInput, None]:
        while True:
            if self._depth == 0:
                junk = self._skip_to_text()
                if junk is not None or not self.buf or self.buf[0] not in b"{[":
                    return junk
            found = self._scan()
            if found != b"":            # b"": a dropped text ended: look for the next one
                return found

    def _skip_to_text(self) -> Optional[BadInput]:
        buf = self.buf
        i = 0
        while i < len(buf) and buf[i] in b" \t\r\n":
            i += 1
        if i:
            del buf[:i]
        if not buf or buf[0] in b"{[":
            return None
        # junk ends with its line or before the next text, whichever comes first
        # (not what the data arrived with: any chunking gives the same answers)
        ends = [p for p in (buf.find(b"\n"), buf.find(b"{") - 1, buf.find(b"[") - 1) if p >= 0]
        if ends:
            end = min(ends)
        elif len(buf) < MAX_MESSAGE:
            return None     # the rest of the line is still to come
        else:
            end = MAX_MESSAGE - 1
        junk = bytes(buf[:end + 1])
        del buf[:end + 1]
        return BadInput("JSON parse error, invalid keyword '%s'" % junk.decode("utf-8", "replace").strip()[:40])

    def _scan(self) -> Union[bytes, BadInput, None]:
        buf = self.buf
        depth, in_str, esc = self._depth, self._in_str, self._esc
        error = None
        j = self._scanned
        while j < len(buf):
            c = buf[j]
            j += 1
            if in_str:
                if esc:
                    esc = False
                elif c == 0x5C:       # backslash
                    esc = True
                elif c == 0x22:       # quote
                    in_str = False
            elif c == 0x22:
                in_str = True
            elif c in b"{[":
                depth += 1
                if depth > MAX_DEPTH and not self._dropping:
                    error = BadInput("JSON parse error, nesting deeper than %d" % MAX_DEPTH)
                    break
            elif c in b"}]":
                depth -= 1
                if depth == 0:
                    break
            if j > MAX_MESSAGE and not self._dropping:
                error = BadInput("JSON parse error, message too long")
                break
        self._depth, self._in_str, self._esc = depth, in_str, esc
        if error is not None or self._dropping:
            del buf[:j]               # answered already: keep none of it
            self._scanned = 0
            if error is not None:
                self._dropping = True
                return error
            if depth == 0:
                self._dropping = False
                return b""
            return None
        if depth > 0:
            self._scanned = j
            return None
        text = bytes(buf[:j])
        del buf[:j]
        self._scanned = 0
        return text


class QMPConnection:
    def __init__(self, package: str = "emud") -> None:
        self.state = NEGOTIATING
        self.package = package
        self._split = JSONSplitter()

    # -- bytes out
    def greeting(self) -> bytes:
        return dump({"QMP": {"version": {"qemu": dict(QEMU_VERSION), "package": self.package}, "capabilities": []}})

    def reply(self, req: Any, value: Any) -> bytes:
        msg: Dict[str, Any] = {"return": value}
        if getattr(req, "has_id", False):
            msg["id"] = req.id
        return dump(msg)

    def error(self, req: Any, error_class: str, desc: str) -> bytes:
        msg: Dict[str, Any] = {"error": {"class": error_class, "desc": desc}}
        if getattr(req, "has_id", False):
            msg["id"] = req.id
        return dump(msg)

    def event(self, name: str, data: Dict[str, Any], timestamp: float) -> bytes:
        return dump(event_message(name, data, timestamp))

    @property
    def events_enabled(self) -> bool:
        return self.state == COMMAND

    # -- bytes in
    def receive_data(self, data: bytes) -> None:
        self._split.feed(data)

    def next_request(self) -> Union[Request, BadInput, None]:
        chunk = self._split.next()
        if chunk is None or isinstance(chunk, BadInput):
            return chunk
        try:
            msg = json.loads(chunk.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float)
        except (ValueError, RecursionError) as e:      # UnicodeDecodeError is a ValueError
            return BadInput("JSON parse error, %s" % str(e).split(":")[0])
        if not isinstance(msg, dict):
            return BadInput("QMP input must be a JSON object")
        has_id, ident = "id" in msg, msg.get("id")
        for key in msg:
            if key not in ("execute", "exec-oob", "arguments", "id"):
                return BadInput("QMP input member '%s' is unexpected" % key, ident, has_id)
        if "exec-oob" in msg:
            return BadInput("QMP input member 'exec-oob' is unexpected: out-of-band is not enabled", ident, has_id)
        if "execute" not in msg:
            return BadInput("QMP input lacks member 'execute'", ident, has_id)
        if not isinstance(msg["execute"], str):
            return BadInput("QMP input member 'execute' must be a string", ident, has_id)
        args = msg.get("arguments", {})
        if not isinstance(args, dict):
            return BadInput("QMP input member 'arguments' must be an object", ident, has_id)
        return Request(msg["execute"], args, ident, has_id)

    def negotiate(self, req: Request) -> Optional[bytes]:
        """Protocol-level handling: the answer for capability negotiation
        (or its absence), or None when the request is for the dispatcher."""
        if req.execute == "qmp_capabilities":
            if self.state == COMMAND:
                return self.error(req, "CommandNotFound", "Capabilities negotiation is already complete, command ignored")
            enable = req.arguments.get("enable", [])
            if not isinstance(enable, list) or set(req.arguments) - {"enable"}:
                return self.error(req, "GenericError", "Parameter 'enable' expects a list of capabilities")
            if enable:
                return self.error(req, "GenericError", "Capability '%s' not available" % enable[0])
            self.state = COMMAND
            return self.reply(req, {})
        if self.state == NEGOTIATING:
            return self.error(req, "CommandNotFound", "Expecting capabilities negotiation with 'qmp_capabilities'")
        return None


def _no_constant(name: str) -> Any:
    raise ValueError("invalid keyword '%s'" % name)      # NaN, Infinity: not JSON (nor QEMU's)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("number '%s' out of range" % text[:20])   # 1e999 would be echoed as Infinity
    return value


def dump(msg: Any) -> bytes:
    return (json.dumps(msg, default=_json_default) + "\r\n").encode("utf-8")


def plain_json(value: Any) -> Any:
    """``value`` as a QMP client decodes it (bytes as hex, sets as lists...)."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


# -- dispatch --------------------------------------------------------------------------------------------


#: the arguments of QEMU's own commands that take any: (name, type, optional)
QEMU_COMMAND_ARGS: Dict[str, List[Tuple[str, str, bool]]] = {
    "human-monitor-command": [("command-line", "str", False), ("cpu-index", "int", True)],
    "qmp_capabilities": [("enable", "any", True)],
}
#: QMP schema builtin types: our names -> their JSON type (QEMU's SchemaInfoBuiltin)
_JSON_TYPES = {"str": "string", "int": "int", "number": "number", "bool": "boolean", "any": "value", "null": "null"}


def qmp_schema(commands: List[Any], qemu_commands: List[str]) -> List[Dict[str, Any]]:
    """query-qmp-schema's answer, QEMU's introspection format (SchemaInfo):
    every command with an object type naming its arguments, their types
    (str, int, number, bool or any) and which are optional."""
    out: List[Dict[str, Any]] = [{"name": t, "meta-type": "builtin", "json-type": j} for t, j in _JSON_TYPES.items()]

    def command(name: str, members: List[Tuple[str, str, bool]]) -> None:
        arg_type = "%s-arg" % name
        out.append({"name": name, "meta-type": "command", "arg-type": arg_type, "ret-type": "any",
                    "allow-oob": False})
        out.append({"name": arg_type, "meta-type": "object", "members": [
            dict({"name": m, "type": t}, **({"default": None} if optional else {})) for m, t, optional in members]})

    for name in ["qmp_capabilities"] + [n for n in qemu_commands if n != "qmp_capabilities"]:
        command(name, QEMU_COMMAND_ARGS.get(name, []))
    for cmd in sorted(commands, key=lambda c: c.qmp_name):
        members = [(a.name, a.json_type, a.optional) for a in cmd.args]
        if cmd.slash_format:
            members.append(("fmt", "str", True))    # x/10i: the part after the slash
        command(cmd.qmp_name, members)
    return out


class QMPDispatcher:
    """Runs requests for one connection's session."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.target = session.target
        self.quit_requested = False
        self.builtins = {
            "stop": self.stop, "cont": self.cont, "system_reset": self.system_reset, "query-status": self.query_status,
            "query-cpus-fast": self.query_cpus_fast, "query-commands": self.query_commands,
            "query-version": self.query_version, "human-monitor-command": self.human_monitor_command,
            "quit": self.quit, "query-name": self.query_name, "query-qmp-schema": self.query_qmp_schema,
        }

    async def run(self, req: Request) -> Any:
        """The return value; CommandError (with its QMP class) on failure."""
        fn = self.builtins.get(req.execute)
        try:
            if fn is not None:
                return await fn(dict(req.arguments))
            cmd = self.session.registry.by_qmp_name(req.execute)
            if cmd is None:
                raise CommandError("The command %s has not been found" % req.execute, "CommandNotFound")
            inv = self.session.registry.from_json(cmd, req.arguments)
            return await self.session.execute(inv)
        except DebugError as e:
            raise CommandError(str(e))

    @staticmethod
    def _no_args(args: Dict[str, Any]) -> None:
        if args:
            raise CommandError("Parameter '%s' is unexpected" % sorted(args)[0])

    # QEMU's commands
    async def stop(self, args: Dict[str, Any]) -> Dict[str, Any]:
        self._no_args(args)
        await stop_machine(self.target)
        return {}

    async def cont(self, args: Dict[str, Any]) -> Dict[str, Any]:
        self._no_args(args)
        if self.target.run_state == "exited":
            raise CommandError("Resetting the Virtual Machine is required")
        if self.target.run_state != "running":
            self.target.resume(None, default=CONTINUE)
        return {}

    async def system_reset(self, args: Dict[str, Any]) -> Dict[str, Any]:
        self._no_args(args)
        self.target.reset()
        return {}

    async def query_status(self, args: Dict[str, Any]) -> Dict[str, Any]:
        from emud.monitor.commands_info import status
        self._no_args(args)
        st = status(self.session)
        # QEMU's RunState: a machine held by -S is "prelaunch", not "paused"
        state = "prelaunch" if st.get("reason") == "prelaunch" else st["status"]
        return {"running": st["running"], "singlestep": False, "status": state}

    async def query_cpus_fast(self, args: Dict[str, Any]) -> List[Dict[str, Any]]:
        self._no_args(args)
        # as QEMU 7.2 answers on the board (every vCPU is on emud's one thread)
        return [dict({"cpu-index": h, "thread-id": os.getpid()}, **self.target.qmp_cpu_info(h))
                for h in self.target.hart_ids()]

    async def query_qmp_schema(self, args: Dict[str, Any]) -> List[Dict[str, Any]]:
        self._no_args(args)
        return qmp_schema(self.session.registry.commands(), sorted(self.builtins))

    async def query_commands(self, args: Dict[str, Any]) -> List[Dict[str, str]]:
        self._no_args(args)
        names = ["qmp_capabilities"] + sorted(self.builtins) + sorted(c.qmp_name for c in self.session.registry.commands())
        return [{"name": n} for n in names]

    async def query_version(self, args: Dict[str, Any]) -> Dict[str, Any]:
        from emud import __version__
        self._no_args(args)
        return {"qemu": dict(QEMU_VERSION), "package": "emud %s" % __version__}

    async def query_name(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """QEMU's: the -name guest name, no member when there is none."""
        self._no_args(args)
        name = getattr(self.target, "guest_name", None)
        return {} if name is None else {"name": name}

    async def human_monitor_command(self, args: Dict[str, Any]) -> str:
        line = args.pop("command-line", None)
        cpu = args.pop("cpu-index", None)
        self._no_args(args)
        if not isinstance(line, str):
            raise CommandError("Parameter 'command-line' is missing")
        if cpu is not None:
            if cpu not in self.target.hart_ids():
                raise CommandError("Parameter 'cpu-index' expects a CPU index")
            self.session.hart = cpu
        text = await self.session.run_text(line)
        if self.session.command_name(line) == "quit":
            self.quit_requested = True
        # QEMU's monitor_puts ends every line "\r\n", on QMP's HMP too
        return text.replace("\n", "\r\n")

    async def quit(self, args: Dict[str, Any]) -> Dict[str, Any]:
        self._no_args(args)
        self.quit_requested = True
        return {}


# -- the trio transport ------------------------------------------------------------------------------------


class EventSource:
    """Machine events plus UART output lines and traps, queued in the order
    they happen. Everything arrives synchronously (an EventBus hook, the
    UART and trap listeners), so the session can send every event that
    happened before a reply ahead of that reply."""

    MAX = 10000
    MAX_LINE = 4096

    def __init__(self, target: Any) -> None:
        self.target = target
        self.queue: Deque[Event] = collections.deque()
        self._ready: Optional[trio.Event] = None
        self.dropped = 0
        self._line = bytearray()
        self._undo: List[Any] = []
        self._traps_direct = False

    def _put(self, ev: Event) -> None:
        if len(self.queue) >= self.MAX:
            self.dropped += 1      # a client that stops reading loses events, not the machine
            return
        self.queue.append(ev)
        if self._ready is not None:
            self._ready.set()

    async def wait(self) -> None:
        """Until something is queued."""
        while not self.queue:
            self._ready = trio.Event()
            await self._ready.wait()

    def take(self) -> List[Event]:
        out = list(self.queue)
        self.queue.clear()
        return out

    def _icount(self) -> int:
        return sum(self.target.instructions_retired(h) for h in self.target.hart_ids())

    def _uart(self, data: bytes) -> None:
        self._line += data
        if len(self._line) > self.MAX_LINE and b"\n" not in self._line:
            self.flush_uart()      # a guest that never ends its line: send it in parts
        while True:
            i = self._line.find(b"\n")
            if i < 0:
                break
            line = bytes(self._line[:i]).rstrip(b"\r")
            del self._line[:i + 1]
            self._put(Event("UART", {"line": line.decode("utf-8", "replace")}, icount=self._icount()))

    def flush_uart(self) -> None:
        if self._line:
            line = bytes(self._line)
            self._line.clear()
            self._put(Event("UART", {"line": line.decode("utf-8", "replace"), "partial": True}, icount=self._icount()))

    def _trap(self, hart: int, cause: int, pc: int, is_interrupt: bool) -> None:
        self._put(Event("TRAP", trap_data(hart, cause, pc, is_interrupt), icount=self._icount()))

    def _bus(self, ev: Event) -> None:
        if ev.name == "UART" and not (isinstance(ev.data, dict) and "line" in ev.data):
            return   # raw UART bytes on the bus: lines come from our listener
        if ev.name == "TRAP" and self._traps_direct:
            return   # already seen through trap_listeners
        if ev.name in ("STOP", "SHUTDOWN"):
            self.flush_uart()
        self._put(ev)

    def start(self) -> None:
        self._undo.append(attach(self.target.uart_listeners(), self._uart))
        traps = getattr(self.target, "trap_listeners", None)
        if isinstance(traps, list):
            self._traps_direct = True
            self._undo.append(attach(traps, self._trap))
        self._undo.append(attach(self.target.events.hooks, self._bus))

    def stop(self) -> None:
        for undo in self._undo:
            undo()
        self._undo.clear()


def event_message(name: str, data: Dict[str, Any], timestamp: float) -> Dict[str, Any]:
    """An event as QMP sends it."""
    seconds = int(timestamp)
    micro = min(999999, int(round((timestamp - seconds) * 1e6)))
    return {"event": name, "data": data, "timestamp": {"seconds": seconds, "microseconds": micro}}


def event_data(ev: Event) -> Dict[str, Any]:
    data = plain(dict(ev.data)) if isinstance(ev.data, dict) else {"value": plain(ev.data)}
    data["icount"] = ev.icount
    return data


async def qmp_session(ctx: Any, stream: trio.abc.Stream) -> None:
    """One QMP connection; the client going away or a bug in one command
    ends this session only."""
    await run_session(functools.partial(_qmp, ctx), Peer(stream), "QMP")


async def _qmp(ctx: Any, peer: Peer) -> None:
    session = ctx.session()
    proto = QMPConnection()
    dispatcher = QMPDispatcher(session)
    lock = trio.Lock()
    source = EventSource(ctx.target)

    async def send(data: bytes) -> None:
        # every event that happened before this message goes first
        async with lock:
            pending = source.take()
            if proto.events_enabled:
                for ev in pending:
                    await peer.send(proto.event(ev.name, event_data(ev), ev.timestamp))
            if data:
                await peer.send(data)

    async def events() -> None:
        while True:
            await source.wait()
            await send(b"")

    try:
        async with trio.open_nursery() as nursery:
            source.start()
            nursery.start_soon(events)
            await send(proto.greeting())
            while True:
                req = proto.next_request()
                if req is None:
                    data = await peer.receive(65536)
                    if not data:
                        break
                    proto.receive_data(data)
                    continue
                await send(await _answer(proto, dispatcher, req))
                if dispatcher.quit_requested:
                    # QEMU: the reply, then a SHUTDOWN event, then the end
                    await send(proto.event("SHUTDOWN", {"guest": False, "reason": "host-qmp-quit"}, _now()))
                    ctx.target.request_quit()
                    if ctx.on_quit is not None:
                        ctx.on_quit(None)
                    break
            nursery.cancel_scope.cancel()
    finally:
        source.stop()


async def _answer(proto: QMPConnection, dispatcher: QMPDispatcher, req: Union[Request, BadInput]) -> bytes:
    """The bytes that answer one request (its reply or its error)."""
    if isinstance(req, BadInput):
        return proto.error(req, "GenericError", req.desc)
    answer = proto.negotiate(req)
    if answer is not None:
        return answer
    try:
        return proto.reply(req, await dispatcher.run(req))
    except CommandError as e:
        return proto.error(req, e.error_class, str(e).splitlines()[0] if str(e) else "error")
    except Exception as e:   # noqa: BLE001 -- a bug in one command is this command's error
        where = "QMP command %r" % req.execute[:80]
        return proto.error(req, "GenericError", "internal error: %s" % report_internal_error(where, e))


def _now() -> float:
    import time
    return time.time()


async def serve_qmp(target: Any, spec: str, *, context: Any = None, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve QMP on ``spec`` until cancelled; ``task_status.started(address)``."""
    from emud.monitor import context_for
    from emud.monitor.transport import parse_spec, serve

    ctx = context or context_for(target)
    parsed = parse_spec(spec, "-qmp")
    if parsed.kind in ("none", "null"):
        task_status.started(None)
        return
    if parsed.kind == "stdio":
        task_status.started("stdio")
        await qmp_session(ctx, stdio_stream())
        return
    async with trio.open_nursery() as nursery:
        ctx.nursery = ctx.nursery or nursery
        address = await nursery.start(serve, parsed, functools.partial(_qmp, ctx), "QMP")
        task_status.started(address)
