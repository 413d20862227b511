"""emud.monitor: one command registry, three front ends.

* ``registry`` + ``commands_*``: the commands, as data-returning handlers;
* ``render_text`` / ``render_rich``: text for sockets and pipes, rich for terminals;
* ``console``: the text console (``-monitor``), ``qmp``: QEMU's JSON protocol (``-qmp``);
* ``emud.client``: the Python API over QMP or in-process.

For the CLI and the gdb stub: :func:`context_for` gives the one shared
:class:`MonitorContext` of a machine; :func:`command_runner` gives gdb's
``monitor ...`` handler (it returns an awaitable of the plain text).
"""
from __future__ import annotations

import functools
import weakref
from typing import Any, Awaitable, Callable

_contexts: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


def context_for(target: Any) -> Any:
    """The shared MonitorContext of a target (made on first use)."""
    from emud.monitor.context import MonitorContext

    ctx = _contexts.get(target)
    if ctx is None:
        ctx = MonitorContext(target)
        ctx.start_gdbserver = functools.partial(_start_gdbserver, ctx)
        _contexts[target] = ctx
    return ctx


def command_runner(target: Any) -> Callable[[str], Awaitable[str]]:
    """gdb's ``monitor CMD`` (qRcmd): run CMD through the registry, return
    (an awaitable of) its plain text."""
    ctx = context_for(target)
    return ctx.run_command_async


def _device(server: Any, spec: str) -> str:
    address = getattr(server, "address", spec)
    if isinstance(address, tuple):
        address = "tcp:%s:%d" % address[:2]
    return str(address)


async def _start_gdbserver(ctx: Any, spec: str) -> str:
    """Start the gdb stub at run time (the `gdbserver` command). One stub
    per machine: asked again for the same device it says where it waits,
    for another it refuses (a second stub would be a second debugger)."""
    from emud.gdbstub.server import gdb_stubs, serve_gdb
    from emud.monitor.errors import CommandError

    running = gdb_stubs(ctx.target)
    if running:
        device = _device(running[0], running[0].spec)
        if spec in (running[0].spec, device):
            return "Waiting for gdb connection on device '%s'" % device
        raise CommandError("gdbserver: the gdb stub already waits on %s (one per machine)" % device)
    nursery = ctx.nursery or getattr(ctx.target, "nursery", None)
    if nursery is None:
        raise CommandError("gdbserver: no running machine to attach the stub to")
    server = await nursery.start(functools.partial(serve_gdb, ctx.target, spec, run_command=command_runner(ctx.target)))
    return "Waiting for gdb connection on device '%s'" % _device(server, spec)
