"""Drive emud from Python: over QMP (another process) or in-process.

Synchronous, over a QMP socket::

    with emud.client.connect("localhost:4444") as m:     # or "unix:/tmp/qmp.sock"
        m.break_at("main")
        m.cont()                     # waits until the machine stops
        print(m.regs["a0"], hex(m.pc))

With trio::

    async with emud.client.open_machine("localhost:4444") as m:
        await m.break_at("main")
        await m.cont()
        print((await m.registers())["a0"])

In-process, from trio, on a machine built from emud's command line (or
``LocalMachine(target)`` on any ``DebugTarget`` you built yourself)::

    m = emud.client.LocalMachine.from_args(["-kernel", "fw.elf"])
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)       # the machine's vCPUs, until cancelled
        await m.run_until(uart=r"ready")

The three share one API (:class:`Api`): every method maps to one QMP
command (QEMU's own, or the ``emud-*`` commands of the monitor registry), so
nothing here parses text. Failures raise :class:`ClientError` with the
server's one-line message. The trio ones are awaited, and their registers
are ``await m.regs()`` rather than the property ``m.regs``; ``events`` and
``uart_lines`` are properties on all three.
"""
from __future__ import annotations

import json
import socket
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from emud.netutil import open_socket, parse_address

#: how long a client waits for the server's QMP greeting (a QMP server sends
#: it at once; anything else listening there would leave us waiting)
GREETING_TIMEOUT = 10.0


class _Lines(list):
    """A list of lines that can still be called as the method ``uart_lines()`` was."""

    def __call__(self) -> List[str]:
        return list(self)


def _uart_lines(events: List[Dict[str, Any]]) -> _Lines:
    return _Lines(e["data"]["line"] for e in events if e["event"] == "UART")


def _no_greeting(address: Any, seconds: float) -> "ClientError":
    return ClientError("no QMP greeting from %s within %gs: is it emud's -qmp address?" % (address, seconds))

__all__ = ["ClientError", "Machine", "AsyncMachine", "LocalMachine", "connect", "open_machine", "parse_address"]


class ClientError(Exception):
    def __init__(self, desc: str, error_class: str = "GenericError") -> None:
        super().__init__(desc)
        self.error_class = error_class


# -- the API, defined once ---------------------------------------------------------------------------------
# Each operation returns (qmp_command, arguments, post-processing of the return value).

Op = Tuple[str, Dict[str, Any], Optional[Callable[[Any], Any]]]
_OPS: Dict[str, Callable[..., Op]] = {}


def _op(fn: Callable[..., Op]) -> Callable[..., Op]:
    _OPS[fn.__name__] = fn
    return fn


def _drop_none(**kw: Any) -> Dict[str, Any]:
    return {k: v for k, v in kw.items() if v is not None}


def _regs(data: Dict[str, Any]) -> Dict[str, int]:
    return dict(data["harts"][0]["registers"])


class Api:
    """The operations; see :class:`Machine` (sync) and :class:`AsyncMachine`
    / :class:`LocalMachine` (trio) for how they run."""

    @_op
    def hmp(self, line: str) -> Op:
        """Run a monitor command line; its plain text (lines end "\\n", not
        the "\\r\\n" of QEMU's wire format)."""
        return "human-monitor-command", {"command-line": line}, lambda text: text.replace("\r\n", "\n")

    @_op
    def status(self) -> Op:
        """{"running", "status", "singlestep"} as QEMU's query-status."""
        return "query-status", {}, None

    @_op
    def stop(self) -> Op:
        return "stop", {}, None

    @_op
    def cont(self, wait: bool = True, timeout: Optional[float] = None) -> Op:
        """Resume; by default wait until the machine stops and return why."""
        if not wait:
            return "cont", {}, None
        return "emud-cont", _drop_none(wait=True, timeout=timeout), None

    @_op
    def step(self, count: int = 1) -> Op:
        """Run exactly ``count`` instructions; the new pc and its disassembly."""
        return "emud-step", {"count": count}, None

    @_op
    def run_until(self, pc: Any = None, uart: Optional[str] = None, insns: Optional[int] = None, trap: bool = False,
                  exit: bool = False, timeout: Optional[float] = None, reverse: bool = False) -> Op:
        """Run until ONE condition: pc (address or symbol), uart (regex),
        insns (count), trap or exit. The result's "condition" says which
        fired ("timeout" when the timeout expired first). ``reverse=True``
        (recording): backwards to pc, or insns instructions back."""
        conds = [(k, v) for k, v in (("pc", pc), ("uart", uart), ("insns", insns)) if v is not None]
        conds += [(k, None) for k, v in (("trap", trap), ("exit", exit)) if v]
        if len(conds) != 1:
            raise ValueError("run_until needs exactly one condition")
        kind, value = conds[0]
        if kind == "uart":
            value = "/%s/" % value
        cond = kind if value is None else "%s %s" % (kind, value)
        return "emud-run-until", _drop_none(condition=cond, timeout=timeout, reverse=reverse or None), None

    # -- time travel (recording: history to go back in) --
    @_op
    def record_start(self, size: Any = None) -> Op:
        """Start recording here; ``size`` bounds history's memory ("512M", or bytes). The record info."""
        if isinstance(size, int) and not isinstance(size, bool):
            size = "%dk" % -(-size // 1024)
        return "emud-record-start", _drop_none(size=size), None

    @_op
    def record_stop(self) -> Op:
        """Stop recording and forget history."""
        return "emud-record-stop", {}, None

    @_op
    def record_info(self) -> Op:
        """{"mode", "position", "begin", "end", "instructions", "span_ns", "checkpoints", "bytes", "limit", ...}
        ({"mode": "off"} when not recording)."""
        return "emud-query-record", {}, None

    @_op
    def rewind(self, count: int = 1) -> Op:
        """Go back ``count`` instructions (all harts); {"position", "pc", ...}."""
        return "emud-rewind", {"count": count}, None

    @_op
    def seek(self, icount: int) -> Op:
        """Go to instruction count ``icount`` within history."""
        return "emud-seek", {"icount": icount}, None

    @_op
    def reverse_continue(self, timeout: Optional[float] = None) -> Op:
        """Back to the last breakpoint or watchpoint hit; the result's "stop" says why it stopped."""
        return "emud-reverse-continue", _drop_none(timeout=timeout), None

    @_op
    def reverse_step(self, count: int = 1) -> Op:
        """Back ``count`` instructions of the current hart."""
        return "emud-reverse-step", {"count": count}, None

    @_op
    def break_at(self, where: Any) -> Op:
        """A software breakpoint at an address or symbol; its number."""
        return "emud-break", {"addr": where}, lambda d: d["number"]

    @_op
    def watch(self, addr: Any, length: int = 4, kind: str = "w") -> Op:
        """A watchpoint (kind r, w or a); its number."""
        return "emud-watch", {"addr": addr, "length": length, "kind": kind}, lambda d: d["number"]

    @_op
    def delete(self, number: Optional[int] = None) -> Op:
        return "emud-delete", _drop_none(number=number), lambda d: d["deleted"]

    @_op
    def breakpoints(self) -> Op:
        return "emud-info-breakpoints", {}, None

    @_op
    def registers(self, hart: Optional[int] = None) -> Op:
        """name -> value for a hart (default: the current one)."""
        if hart is None:
            return "emud-info-registers", {}, _regs
        return "emud-info-registers", {"all": True}, lambda d: dict(next(h for h in d["harts"] if h["hart"] == hart)["registers"])

    @_op
    def read_memory(self, addr: Any, length: int) -> Op:
        return "emud-x", {"addr": addr, "fmt": "%dxb" % length}, lambda d: bytes.fromhex(d["hex"])

    @_op
    def x(self, fmt: str, addr: Any) -> Op:
        """QEMU's x/FMT ADDR as data: {"values", "hex"} or {"insns"} or {"strings"}."""
        return "emud-x", {"addr": addr, "fmt": fmt}, None

    @_op
    def disas(self, addr: Any = None, count: int = 10) -> Op:
        return "emud-disas", _drop_none(addr=addr, count=count), lambda d: d["insns"]

    @_op
    def eval(self, expr: Any) -> Op:
        """The value of an expression (symbols, $regs, + - *)."""
        return "emud-print", {"expr": expr}, lambda d: d["value"]

    @_op
    def symbol(self, addr: Any) -> Op:
        return "emud-info-symbol", {"addr": addr}, None

    @_op
    def reset(self) -> Op:
        return "system_reset", {}, None

    @_op
    def tb_stats(self) -> Op:
        return "emud-info-tb", {}, None

    @_op
    def tb_flush(self) -> Op:
        return "emud-tb-flush", {}, None

    @_op
    def log(self, *items: str) -> Op:
        return "emud-log", {"items": list(items)} if items else {}, lambda d: d["items"]

    @_op
    def savevm(self, name: str, file: Optional[str] = None) -> Op:
        return "emud-savevm", _drop_none(name=name, file=file), None

    @_op
    def loadvm(self, name: Optional[str] = None, file: Optional[str] = None) -> Op:
        return "emud-loadvm", _drop_none(name=name, file=file), None

    @_op
    def delvm(self, name: str) -> Op:
        return "emud-delvm", {"name": name}, None

    @_op
    def snapshots(self) -> Op:
        return "emud-info-snapshots", {}, None

    @_op
    def devices(self) -> Op:
        return "emud-info-devices", {}, None

    @_op
    def chardevs(self) -> Op:
        """The UART's character device and its byte counts (written, dropped, received) as `info chardev`."""
        return "emud-info-chardev", {}, None

    @_op
    def memory_map(self) -> Op:
        return "emud-info-mtree", {}, None

    @_op
    def quit(self) -> Op:
        return "quit", {}, None


def _sync_method(op: Callable[..., Op]) -> Callable[..., Any]:
    def method(self: "Machine", *args: Any, **kw: Any) -> Any:
        name, arguments, post = op(self, *args, **kw)
        result = self.execute(name, **arguments)
        return post(result) if post else result
    method.__name__, method.__doc__ = op.__name__, op.__doc__
    return method


def _async_method(op: Callable[..., Op]) -> Callable[..., Any]:
    async def method(self: Any, *args: Any, **kw: Any) -> Any:
        name, arguments, post = op(self, *args, **kw)
        result = await self.execute(name, **arguments)
        return post(result) if post else result
    method.__name__, method.__doc__ = op.__name__, op.__doc__
    return method


# -- QMP framing shared by the sync and trio clients --------------------------------------------------------


class _QMPClientProtocol:
    """Client side of QMP without I/O: bytes in, messages out."""

    def __init__(self) -> None:
        from emud.monitor.qmp import JSONSplitter
        self.split = JSONSplitter()
        self.next_id = 0
        self.events: List[Dict[str, Any]] = []
        self.pending: List[Dict[str, Any]] = []

    def request(self, name: str, arguments: Dict[str, Any]) -> Tuple[int, bytes]:
        self.next_id += 1
        msg = {"execute": name, "arguments": arguments, "id": self.next_id}
        return self.next_id, (json.dumps(msg) + "\n").encode()

    def receive(self, data: bytes) -> None:
        """Bytes from the server (b"" means it closed the connection): events
        go to :attr:`events`, everything else to :attr:`pending`."""
        if not data:
            raise ClientError("connection closed by emud")
        self.split.feed(data)
        while True:
            chunk = self.split.next()
            if chunk is None:
                return
            if not isinstance(chunk, bytes):
                # a QMP server sends nothing but JSON objects
                raise ClientError("this is not a QMP server (it sent text that is not JSON: %s); "
                                  "connect to emud's -qmp address, not -monitor's" % chunk.desc.split("'", 1)[-1][:40])
            msg = json.loads(chunk.decode("utf-8"))
            (self.events if "event" in msg else self.pending).append(msg)

    @staticmethod
    def result(msg: Dict[str, Any]) -> Any:
        if "error" in msg:
            raise ClientError(msg["error"].get("desc", "error"), msg["error"].get("class", "GenericError"))
        return msg.get("return")


class Machine(Api):
    """Synchronous QMP client (a plain socket; no event loop needed)."""

    def __init__(self, address: Union[str, Tuple[str, int]], timeout: Optional[float] = 60.0) -> None:
        self.sock = open_socket(address, timeout)
        self._proto = _QMPClientProtocol()
        self._seen_events = 0
        # a QMP server greets at once: do not wait the whole timeout for one
        wait = GREETING_TIMEOUT if timeout is None else min(timeout, GREETING_TIMEOUT)
        self.sock.settimeout(wait)
        try:
            self.greeting = self._read_message()
        except socket.timeout:
            self.sock.close()
            raise _no_greeting(address, wait) from None
        except ClientError:
            self.sock.close()
            raise
        self.sock.settimeout(timeout)
        self.execute("qmp_capabilities")

    @property
    def events(self) -> List[Dict[str, Any]]:
        """Events received so far (QMP's {"event", "data", "timestamp"})."""
        return self._proto.events

    @property
    def uart_lines(self) -> List[str]:
        """The UART's output lines among :attr:`events`."""
        return _uart_lines(self.events)

    def _read_message(self) -> Dict[str, Any]:
        while not self._proto.pending:
            self._proto.receive(self.sock.recv(65536))
        return self._proto.pending.pop(0)

    def execute(self, name: str, /, **arguments: Any) -> Any:
        """Run one QMP command; its return value."""
        ident, data = self._proto.request(name, arguments)
        self.sock.sendall(data)
        while True:
            msg = self._read_message()
            if msg.get("id") == ident:
                return self._proto.result(msg)

    def wait_event(self, name: str, timeout: float = 30.0) -> Dict[str, Any]:
        """The first event named ``name`` received after this call began or already queued and unseen."""
        deadline = time.monotonic() + timeout
        seen = self._seen_events
        while True:
            for i in range(seen, len(self.events)):
                if self.events[i]["event"] == name:
                    self._seen_events = i + 1
                    return self.events[i]
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise ClientError("no %s event within %gs" % (name, timeout))
            self.sock.settimeout(left)
            try:
                self._proto.receive(self.sock.recv(65536))
            except socket.timeout:
                continue

    @property
    def regs(self) -> Dict[str, int]:
        """The current hart's registers, read now: ``m.regs["a0"]``."""
        return self.registers()

    @property
    def pc(self) -> int:
        return self.registers()["pc"]

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "Machine":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


for _name, _fn in _OPS.items():
    setattr(Machine, _name, _sync_method(_fn))


class _AsyncApi(Api):
    async def execute(self, name: str, /, **arguments: Any) -> Any:
        raise NotImplementedError

    async def regs(self) -> Dict[str, int]:
        return await self.registers()  # type: ignore[misc]


for _name, _fn in _OPS.items():
    setattr(_AsyncApi, _name, _async_method(_fn))


class AsyncMachine(_AsyncApi):
    """trio QMP client; use :func:`open_machine`."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self._proto = _QMPClientProtocol()
        self.greeting: Dict[str, Any] = {}

    @property
    def events(self) -> List[Dict[str, Any]]:
        return self._proto.events

    @property
    def uart_lines(self) -> List[str]:
        return _uart_lines(self.events)

    async def _read_message(self) -> Dict[str, Any]:
        while not self._proto.pending:
            self._proto.receive(await self.stream.receive_some(65536))
        return self._proto.pending.pop(0)

    async def _start(self) -> None:
        self.greeting = await self._read_message()
        await self.execute("qmp_capabilities")

    async def execute(self, name: str, /, **arguments: Any) -> Any:
        ident, data = self._proto.request(name, arguments)
        await self.stream.send_all(data)
        while True:
            msg = await self._read_message()
            if msg.get("id") == ident:
                return self._proto.result(msg)

    async def aclose(self) -> None:
        await self.stream.aclose()

    async def __aenter__(self) -> "AsyncMachine":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()


class LocalMachine(_AsyncApi):
    """The same API on an in-process machine (any DebugTarget), for trio code
    that embeds emud: requests go straight to the QMP dispatcher, no socket."""

    def __init__(self, target: Any, context: Any = None) -> None:
        from emud.monitor import context_for
        from emud.monitor.qmp import EventSource, QMPDispatcher

        self.target = target
        self.context = context or context_for(target)
        self.session = self.context.session()
        self._dispatcher = QMPDispatcher(self.session)
        self._source = EventSource(target)      # the events a QMP client would get
        self._source.start()
        self._events: List[Dict[str, Any]] = []

    @classmethod
    def from_args(cls, argv: Sequence[str]) -> "LocalMachine":
        """The machine emud's command line describes (QEMU's flags:
        ``["-kernel", "fw.elf", "-smp", "2"]``), not running yet: start it
        with ``await nursery.start(m.run)``; the harts then wait for the
        first ``cont``, ``step`` or ``run_until``. The UART goes nowhere unless
        ``-serial`` says where (its lines are in :attr:`uart_lines`)."""
        from emud import cli

        argv = list(argv)
        if "-serial" not in argv and "--serial" not in argv:
            argv += ["-serial", "none"]
        machine, _serial = cli.build_machine(cli._parser().parse_args(argv))
        return cls(machine)

    async def run(self, task_status: Any = None) -> Optional[int]:
        """Run the machine (its vCPU tasks) until the guest exits, ``quit`` or
        a cancel; for ``nursery.start``. The guest's exit code."""
        import trio
        return await self.target.run(task_status=task_status or trio.TASK_STATUS_IGNORED)

    @property
    def events(self) -> List[Dict[str, Any]]:
        """Events so far, as a QMP client receives them ({"event", "data", "timestamp"})."""
        from emud.monitor.qmp import event_data, event_message

        self._events.extend(event_message(ev.name, event_data(ev), ev.timestamp) for ev in self._source.take())
        return self._events

    @property
    def uart_lines(self) -> List[str]:
        return _uart_lines(self.events)

    async def execute(self, name: str, /, **arguments: Any) -> Any:
        from emud.monitor.errors import CommandError
        from emud.monitor.qmp import Request, plain_json

        try:
            result = await self._dispatcher.run(Request(name, dict(arguments)))
        except CommandError as e:
            raise ClientError(str(e), e.error_class)
        if self._dispatcher.quit_requested:
            self._dispatcher.quit_requested = False
            self.target.request_quit()
        return plain_json(result)      # the same data a QMP client gets


def connect(address: Union[str, Tuple[str, int]], timeout: Optional[float] = 60.0) -> Machine:
    """A synchronous client connected to emud's ``-qmp`` socket."""
    return Machine(address, timeout)


async def _open(address: Union[str, Tuple[str, int]]) -> AsyncMachine:
    import trio

    kind, where = parse_address(address)
    if kind == "unix":
        stream = await trio.open_unix_socket(where)
    else:
        stream = await trio.open_tcp_stream(*where)
    m = AsyncMachine(stream)
    try:
        with trio.fail_after(GREETING_TIMEOUT):
            await m._start()
    except trio.TooSlowError:
        await stream.aclose()
        raise _no_greeting(address, GREETING_TIMEOUT) from None
    except ClientError:
        await stream.aclose()
        raise
    return m


class open_machine:
    """A trio client connected to emud's ``-qmp`` socket:
    ``async with open_machine(addr) as m`` or ``m = await open_machine(addr)``."""

    def __init__(self, address: Union[str, Tuple[str, int]]) -> None:
        self.address = address
        self.machine: Optional[AsyncMachine] = None

    def __await__(self) -> Any:
        return _open(self.address).__await__()

    async def __aenter__(self) -> AsyncMachine:
        self.machine = await _open(self.address)
        return self.machine

    async def __aexit__(self, *exc: Any) -> None:
        if self.machine is not None:
            await self.machine.aclose()
