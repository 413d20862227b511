"""The text console (QEMU's HMP): ``-monitor stdio|tcp:...|unix:...|none``.

One session per connection: a greeting, the ``(emud) `` prompt, one command
a line, its output, and a notice when the machine stops on its own (a
breakpoint set from the console, a watchpoint, the guest's exit). On a pipe
or socket the output is the plain text of ``render_text``; on an
interactive terminal it is rendered with rich, and the input has line
editing and history (the stdlib ``readline``, in a thread).

``-monitor-script FILE`` runs the commands in FILE once the monitor is up
(blank lines and ``#`` comments skipped); the transcript goes to the
console when it is stdio, else to stderr.
"""
from __future__ import annotations

import functools
import sys
from typing import Any, Callable, List, Optional, Tuple

import trio

from emud.chardev import stdio_stream
from emud.monitor import render_text
from emud.monitor.context import MonitorContext, Session
from emud.monitor.errors import CommandError
from emud.monitor.runctl import attach, stop_dict
from emud.monitor.transport import LINE_TOO_LONG, LineReader, parse_spec, serve
from emud.internal import report_internal_error
from emud.peer import Peer, run_session

GREETING = "emud %s monitor - type 'help' for more information\n"
PROMPT = "(emud) "


def _version() -> str:
    from emud import __version__
    return __version__


async def serve_monitor(target: Any, spec: str, *, context: Optional[MonitorContext] = None,
                        script: Optional[str] = None, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
    """Serve the console on ``spec`` until cancelled; ``task_status.started(address)``."""
    from emud.monitor import context_for

    ctx = context or context_for(target)
    parsed = parse_spec(spec, "-monitor")
    async with trio.open_nursery() as nursery:
        ctx.nursery = ctx.nursery or nursery
        if parsed.kind in ("none", "null"):
            task_status.started(None)
            if script:
                await run_script(ctx.session(), script, _stderr_writer)
            return
        if parsed.kind == "stdio":
            task_status.started("stdio")
            await serve_stdio(ctx, script=script)
            return
        address = await nursery.start(serve, parsed, functools.partial(_console, ctx), "monitor")
        task_status.started(address)
        if script:
            nursery.start_soon(run_script, ctx.session(), script, _stderr_writer)


async def serve_muxed(target: Any, stream: trio.abc.Stream) -> None:
    """A console session behind the terminal's Ctrl-A c (``mon:stdio``)."""
    from emud.monitor import context_for

    ctx = context_for(target)
    async with trio.open_nursery() as nursery:
        ctx.nursery = ctx.nursery or nursery
        await console_session(ctx, stream)


async def _stderr_writer(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


async def run_script(session: Session, path: str, write: Callable[[str], Any]) -> None:
    """Run each command of a script file, writing a transcript."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError as e:
        await write("Error: cannot read monitor script %s: %s\n" % (path, e.strerror or e))
        return
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        out = await session.run_text(text)
        await write(PROMPT + text + "\n" + out)
        if session.command_name(text) == "quit":
            return


class _StopNotices:
    """Machine stops a session did not ask for, shown as they happen.

    An EventBus hook sees each event synchronously, when it is published,
    so a stop caused by the session's own command (``busy``: its reply
    already says so) is told apart from one that happens between commands.
    The guest may also hit a breakpoint while a command that does not run
    it is still being handled (``break`` on a running machine): such a stop
    is held and told once the command has answered."""

    #: stops the guest causes itself (not a command's own stop or reset)
    GUEST_STOPS = ("breakpoint", "hw-breakpoint", "watchpoint", "exited")

    def __init__(self, target: Any) -> None:
        self.target = target
        self.send, self.recv = trio.open_memory_channel(100)
        self.busy = False
        self.held: List[Tuple[Any, Any]] = []
        self._detach = attach(target.events.hooks, self._hook)

    def _hook(self, ev: Any) -> None:
        if ev.name not in ("STOP", "SHUTDOWN"):
            return
        last = self.target.last_stop() if ev.name == "STOP" else None
        if self.busy:
            self.held.append((ev, last))
        else:
            self._tell(ev, last)

    def _tell(self, ev: Any, last: Any) -> None:
        try:
            self.send.send_nowait((ev, last))
        except (trio.WouldBlock, trio.ClosedResourceError, trio.BrokenResourceError):
            pass

    def close(self) -> None:
        self._detach()
        self.send.close()

    async def execute(self, session: Session, text: str) -> Tuple[str, Any]:
        """Run one command line: its name and data. A stop it causes is not
        noticed: its own reply tells."""
        self.busy = True
        runs_the_guest = False
        try:
            inv = session.parse(text)
            runs_the_guest = inv.command.group == "run"
            return inv.command.name, await session.execute(inv)
        finally:
            self.busy = False
            held, self.held = self.held, []
            if not runs_the_guest:
                for ev, last in held:
                    if ev.name == "SHUTDOWN" or ev.data.get("reason") in self.GUEST_STOPS:
                        self._tell(ev, last)

    async def next_notice(self, session: Session) -> str:
        ev, last = await self.recv.receive()
        if ev.name == "SHUTDOWN":
            return "guest exited with code %s\n" % ev.data.get("exit_code")
        if last is not None and last.pc == ev.data.get("pc"):
            data = stop_dict(session, last)
        else:
            data = {"reason": ev.data.get("reason", "?"), "pc": ev.data.get("pc", 0), "hart": ev.data.get("hart", 0),
                    "direction": ev.data.get("direction", "forward")}
        return render_text.stop_event(data)


async def console_session(ctx: MonitorContext, stream: trio.abc.Stream) -> None:
    """One plain-text console session over a byte stream; the client going
    away or a bug in one command ends this session only."""
    await run_session(functools.partial(_console, ctx), Peer(stream), "monitor")


async def _console(ctx: MonitorContext, peer: Peer) -> None:
    session = ctx.session()
    lock = trio.Lock()
    notices = _StopNotices(ctx.target)

    async def send(text: str) -> None:
        async with lock:
            await peer.send(text.replace("\n", "\r\n").encode("utf-8", "replace"))

    async def notifier() -> None:
        while True:
            text = await notices.next_notice(session)
            await send("\n" + text + PROMPT)

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(notifier)
            await send(GREETING % _version() + PROMPT)
            reader = LineReader(peer)
            while True:
                line = await reader.readline()
                if line is None:
                    break
                if line is LINE_TOO_LONG:
                    out, quit_ = "Error: line too long (at most %d bytes): ignored\n" % reader.max_line, False
                else:
                    out, quit_ = await _run_one(session, notices, line)
                await send(out + ("" if quit_ else PROMPT))
                if quit_:
                    break
            nursery.cancel_scope.cancel()
    finally:
        notices.close()


async def _run_one(session: Session, notices: _StopNotices, line: str) -> Tuple[str, bool]:
    """The plain text answer to one line, and whether it was ``quit``."""
    text = line.strip()
    if not text:
        return "", False
    try:
        name, data = await notices.execute(session, text)
        return render_text.render(name, data), name == "quit"
    except CommandError as e:
        return render_text.render_error(e), False
    except Exception as e:   # noqa: BLE001 -- a bug in one command is this command's error
        return _internal_error(text, e) + "\n", False


def _internal_error(command: str, exc: Exception) -> str:
    """The console's line for a command that failed with a bug of ours (reported once)."""
    return "Error: internal error: %s" % report_internal_error("monitor command %r" % command[:80], exc)


# -- stdio -----------------------------------------------------------------------------------------


async def serve_stdio(ctx: MonitorContext, *, script: Optional[str] = None) -> None:
    if sys.stdin.isatty() and sys.stdout.isatty():
        await _interactive(ctx, script)
        return
    stream = stdio_stream()
    if script:
        session = ctx.session()

        async def write(text: str) -> None:
            await stream.send_stream.send_all(text.encode("utf-8", "replace"))

        await run_script(session, script, write)
    await console_session(ctx, stream)


async def _interactive(ctx: MonitorContext, script: Optional[str]) -> None:
    """A terminal: rich output, readline editing and history."""
    from rich.console import Console

    try:
        import readline  # noqa: F401 -- importing it gives input() editing and history
    except ImportError:
        pass
    console = Console(highlight=False)
    session = ctx.session()
    notices = _StopNotices(ctx.target)

    async def write(text: str) -> None:
        console.print(text, end="", markup=False, highlight=False)

    if script:
        await run_script(session, script, write)
    console.print(GREETING % _version(), end="", markup=False)

    async def notifier() -> None:
        while True:
            text = await notices.next_notice(session)
            console.print("\n" + text.rstrip("\n"), style="yellow", markup=False)

    try:
        await _interactive_loop(console, session, notices, notifier)
    finally:
        notices.close()


async def _interactive_loop(console: Any, session: Session, notices: _StopNotices, notifier: Any) -> None:
    from emud._trio_compat import run_sync_abandoning
    from emud.monitor import render_rich

    async with trio.open_nursery() as nursery:
        nursery.start_soon(notifier)
        while True:
            try:
                line = await run_sync_abandoning(input, PROMPT)
            except EOFError:
                console.print()
                break
            text = line.strip()
            if not text:
                continue
            try:
                name, data = await notices.execute(session, text)
                render_rich.show(console, name, data)
            except CommandError as e:
                console.print(render_rich.render_error(e))
                continue
            except Exception as e:   # noqa: BLE001 -- a bug in one command is this command's error
                console.print(_internal_error(text, e), markup=False)
                continue
            if name == "quit":
                break
        nursery.cancel_scope.cancel()
