"""Who the commands run for.

:class:`MonitorContext` is made once per machine by the CLI (or by someone
embedding emud) and shared by every front end: the target, the in-memory
snapshots, and the callables the CLI provides (``start_gdbserver``,
``on_quit``). :class:`Session` is one client of it (a console connection,
a QMP connection, gdb's ``monitor``): it remembers the selected hart and
the last ``x`` format, evaluates expressions, and runs command lines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from emud.debug import DebugError
from emud.internal import report_internal_error
from emud.monitor.errors import CommandError
from emud.monitor.expr import Tree, evaluate, parse_expr
from emud.monitor.registry import Command, Invocation, Registry


@dataclass
class SnapshotRecord:
    name: str
    state: Any
    icount: int
    pc: int
    created: float
    path: Optional[str] = None


class MonitorContext:
    """Shared monitor state for one machine.

    ``start_gdbserver(spec) -> str | None`` (may be async) starts the gdb stub
    at run time on a chardev spec such as ``tcp::1234``; ``on_quit(code)`` is
    called by ``quit`` (console or QMP) after ``target.request_quit(code)``,
    with the same code (None: the guest's exit code, else 0).
    """

    def __init__(self, target: Any, *, start_gdbserver: Optional[Callable[[str], Any]] = None,
                 on_quit: Optional[Callable[[Optional[int]], Any]] = None, registry: Optional[Registry] = None) -> None:
        from emud.monitor.commands import default_registry

        self.target = target
        self.start_gdbserver = start_gdbserver
        self.on_quit = on_quit
        self.registry = registry if registry is not None else default_registry()
        self.snapshots: Dict[str, SnapshotRecord] = {}
        self.gdbserver_specs: List[str] = []
        self.nursery: Any = None    # where servers started at run time live (set by the first front end)
        self._gdb_session: Optional[Session] = None

    def session(self) -> "Session":
        return Session(self)

    # -- for gdb's `monitor ...` (qRcmd) --------------------------------------------
    def run_command(self, text: str) -> str:
        """Run one command line synchronously and return its plain text
        (errors included, as one line). Commands that wait for the machine
        (``step``, ``cont -w``, ``run until``, ``stop``...) cannot run from a
        synchronous caller: use :meth:`run_command_async`."""
        if self._gdb_session is None:
            self._gdb_session = Session(self)
        return self._gdb_session.run_text_sync(text)

    async def run_command_async(self, text: str) -> str:
        if self._gdb_session is None:
            self._gdb_session = Session(self)
        return await self._gdb_session.run_text(text)


class Session:
    def __init__(self, context: MonitorContext) -> None:
        self.context = context
        self.target = context.target
        self.registry = context.registry
        self.hart = _first_hart(self.target)
        self.last_x: Tuple[str, int] = ("x", 4)   # QEMU remembers the last format and unit size

    # -- expressions -----------------------------------------------------------------
    def eval_tree(self, tree: Tree) -> int:
        def resolve(kind: str, name: str) -> int:
            if kind == "reg":
                try:
                    return self.target.read_register(self.hart, name)
                except (DebugError, KeyError, ValueError):
                    raise CommandError("unknown register $%s" % name)
            addr = self.target.lookup_symbol(name)
            if addr is None:
                raise CommandError("unknown symbol '%s'" % name)
            return addr

        value = evaluate(tree, resolve)
        return value & ((1 << self.target.xlen) - 1)

    def eval(self, text: str) -> int:
        return self.eval_tree(parse_expr(text))

    def pc(self, hart: Optional[int] = None) -> int:
        return self.target.read_register(self.hart if hart is None else hart, "pc")

    def symbol(self, addr: int) -> Optional[str]:
        try:
            sym = self.target.symbolize(addr)
        except DebugError:
            return None
        if not sym:
            return None
        name, off = sym
        return name if not off else "%s+%d" % (name, off)

    # -- running commands ---------------------------------------------------------------
    # Every front end parses and runs through these two, so this is where an
    # exception that is a bug of ours (neither CommandError nor DebugError)
    # becomes the command's one-line "internal error", reported once.
    def parse(self, line: str) -> Invocation:
        try:
            return self.registry.parse(line)
        except CommandError:
            raise
        except Exception as e:   # noqa: BLE001
            raise _internal_error("parsing monitor command %r" % line[:80], e) from e

    def command_name(self, line: str) -> Optional[str]:
        """The name of the command a line runs; None when it does not parse."""
        try:
            return self.parse(line).command.name
        except CommandError:
            return None

    async def execute(self, inv: Invocation) -> Any:
        try:
            return await self.registry.execute(self, inv)
        except CommandError:
            raise
        except DebugError as e:
            raise CommandError(str(e).splitlines()[0] if str(e) else type(e).__name__)
        except Exception as e:   # noqa: BLE001
            raise _internal_error("monitor command %r" % (inv.line or inv.command.name)[:80], e) from e

    async def run_line(self, line: str) -> Tuple[Command, Any]:
        inv = self.parse(line)
        return inv.command, await self.execute(inv)

    async def run_text(self, line: str) -> str:
        """One line in, plain text out (what HMP over a socket shows)."""
        from emud.monitor.render_text import render, render_error

        try:
            cmd, data = await self.run_line(line)
        except CommandError as e:
            return render_error(e)
        return render(cmd.name, data)

    def run_text_sync(self, line: str) -> str:
        from emud.monitor.render_text import render, render_error

        try:
            inv = self.parse(line)
            if inv.command.is_async:
                raise CommandError("'%s' waits for the machine and cannot run here; use the console, QMP or gdb's own run control"
                                   % inv.command.name)
            coro = self.execute(inv)
            try:
                coro.send(None)
            except StopIteration as done:
                return render(inv.command.name, done.value)
            coro.close()
            raise CommandError("'%s' cannot run here" % inv.command.name)
        except CommandError as e:
            return render_error(e)


def _internal_error(where: str, exc: Exception) -> CommandError:
    return CommandError("internal error: %s" % report_internal_error(where, exc))


def _first_hart(target: Any) -> int:
    try:
        harts = target.hart_ids()
        return harts[0] if harts else 0
    except (DebugError, NotImplementedError):   # a target without harts yet: hart 0
        return 0
