"""savevm, loadvm, delvm, info snapshots.

Snapshots live in memory (the context's dict) and, with ``file=PATH``, in a
data-only file (:mod:`emud.snapshot_file`) whose state is checked against
this machine's before anything is restored (:mod:`emud.snapshot_check`).
The machine is paused while a snapshot is taken or restored and resumed
afterwards if it was running (QEMU does the same).
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional

from emud import __version__, snapshot_check, snapshot_file
from emud.debug import CONTINUE
from emud.monitor.context import SnapshotRecord
from emud.monitor.errors import CommandError
from emud.monitor.registry import Option, Registry, Str
from emud.monitor.runctl import stop_machine
from emud.snapshot_file import SnapshotFileError


def register(reg: Registry) -> None:
    @reg.command("savevm", Str("name", optional=True, metavar="NAME"), Option("file", Str("path", metavar="PATH")),
                 group="snapshots")
    async def savevm(session: Any, name: Optional[str], file: Optional[str]) -> Dict[str, Any]:
        """Save the machine (CPUs, RAM, devices, instruction count) as NAME; file=PATH also writes it to a file."""
        t = session.target
        if name is None and file is None:
            raise CommandError("savevm needs a NAME or file=PATH")
        name = name or file
        was_running = t.run_state == "running"
        await stop_machine(t)
        try:
            rec = SnapshotRecord(name, t.save_snapshot(), t.instructions_retired(session.hart), session.pc(), time.time(), file)
        finally:
            if was_running:
                t.resume(None, default=CONTINUE)
        if file is not None:
            meta = {"name": rec.name, "icount": rec.icount, "pc": rec.pc, "created": rec.created, "emud": __version__}
            meta.update(snapshot_check.describe(t))
            try:
                snapshot_file.write(file, meta, rec.state)
            except OSError as e:
                raise CommandError("cannot write %s: %s" % (file, e.strerror or e))
        session.context.snapshots[name] = rec
        return _record(rec)

    @reg.command("loadvm", Str("name", optional=True, metavar="NAME"), Option("file", Str("path", metavar="PATH")),
                 group="snapshots")
    async def loadvm(session: Any, name: Optional[str], file: Optional[str]) -> Dict[str, Any]:
        """Restore snapshot NAME (or the one in file=PATH) exactly."""
        t = session.target
        if file is not None:
            rec = _load_file(t, file)
            session.context.snapshots[name or rec.name] = rec
        elif name is not None:
            rec = session.context.snapshots.get(name)
            if rec is None:
                raise CommandError("no snapshot named '%s' (see 'info snapshots')" % name)
        else:
            raise CommandError("loadvm needs a NAME or file=PATH")
        was_running = t.run_state == "running"
        await stop_machine(t)
        t.restore_snapshot(rec.state)
        if was_running:
            t.resume(None, default=CONTINUE)
        out = _record(rec)
        out["restored_pc"] = session.pc()
        return out

    @reg.command("delvm", Str("name", metavar="NAME"), group="snapshots")
    def delvm(session: Any, name: str) -> Dict[str, Any]:
        """Forget snapshot NAME (a file it was written to stays)."""
        if session.context.snapshots.pop(name, None) is None:
            raise CommandError("no snapshot named '%s'" % name)
        return {"deleted": name}

    @reg.command("info snapshots", group="info")
    def info_snapshots(session: Any) -> List[Dict[str, Any]]:
        """List the snapshots."""
        return [_record(r) for r in session.context.snapshots.values()]


def _record(rec: SnapshotRecord) -> Dict[str, Any]:
    return {"name": rec.name, "icount": rec.icount, "pc": rec.pc, "created": rec.created, "file": rec.path}


def _load_file(t: Any, path: str) -> SnapshotRecord:
    """Read and check the snapshot in PATH; the machine is not touched."""
    template = t.save_snapshot()      # what this machine's state looks like
    try:
        meta, state = snapshot_file.read(path, snapshot_check.byte_budget(template),
                                         lambda meta: snapshot_check.check_machine(meta, t))
        state = snapshot_check.conform(state, template)
    except OSError as e:
        raise CommandError("cannot read %s: %s" % (path, e.strerror or e))
    except SnapshotFileError as e:
        raise CommandError("loadvm: %s: %s" % (path, e))
    return SnapshotRecord(meta["name"], state, meta["icount"], meta["pc"], meta["created"], path)
