"""The translator and the machine: info tb/jit, tb flush/invalidate, log,
info mtree, info devices, screendump, info chardev, gdbserver."""
from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional

from emud.monitor.errors import CommandError
from emud.monitor.registry import Address, Int, Registry, Str, Words


def register(reg: Registry) -> None:
    @reg.command("info tb", aliases=("info jit",), group="info")
    def info_tb(session: Any) -> Dict[str, Any]:
        """Translation-block cache statistics (TB count, code size, translations, chaining...)."""
        return dict(session.target.statistics())

    @reg.command("tb flush", aliases=("tb-flush", "tb_flush"), group="tb")
    def tb_flush(session: Any) -> Dict[str, Any]:
        """Drop every translated block."""
        t = session.target
        before = t.statistics().get("tb_count")
        t.flush_code_cache()
        return {"flushed": before}

    @reg.command("tb invalidate", Address("addr"), Int("length", optional=True, default=4, minimum=1, metavar="LEN"),
                 aliases=("tb-invalidate",), group="tb")
    def tb_invalidate(session: Any, addr: int, length: int) -> Dict[str, Any]:
        """Drop the blocks translated from guest code in [ADDR, ADDR+LEN)."""
        session.target.invalidate_code(addr, length)
        return {"addr": addr, "length": length}

    @reg.command("log", Words("items", optional=True, metavar="ITEM[,ITEM...]|none"), group="general")
    def log(session: Any, items: Optional[List[str]]) -> Dict[str, Any]:
        """Set the -d log items at run time (in_asm, op, op_opt, out_asm, exec, int, nochain); 'none' turns logging off."""
        t = session.target
        if items:
            t.set_log_items([] if items == ["none"] else items)
        return {"items": list(t.log_items())}

    @reg.command("info mtree", group="info")
    def info_mtree(session: Any) -> List[Dict[str, Any]]:
        """The memory map."""
        return [{"start": r.start, "end": r.start + r.size - 1, "size": r.size, "kind": r.kind, "name": r.name}
                for r in sorted(session.target.memory_map(), key=lambda r: r.start)]

    @reg.command("info devices", aliases=("info qtree",), group="info")
    def info_devices(session: Any) -> List[Dict[str, Any]]:
        """The devices, their addresses and interrupt lines."""
        return [dict(d) for d in session.target.devices()]

    @reg.command("screendump", Str("filename", metavar="FILENAME"), group="general")
    def screendump(session: Any, filename: str) -> Dict[str, Any]:
        """Save the display as a PPM image, as QEMU's screendump (lm3s6965evb: its OLED)."""
        data = session.target.screendump()
        try:
            with open(filename, "wb") as f:
                f.write(data)
        except OSError as e:
            raise CommandError("failed to open file '%s': %s" % (filename, e.strerror or e))
        return {}                       # as QEMU's QMP screendump answers

    @reg.command("info chardev", group="info")
    def info_chardev(session: Any) -> List[Dict[str, Any]]:
        """The UART's character device (QEMU's serial0) and its byte counts: written by the guest,
        dropped (a full buffer or no client), received (delivered to the guest)."""
        chardev = getattr(session.target, "serial", None)
        if chardev is None:
            return []
        spec = chardev.spec
        out: Dict[str, Any] = {"label": "serial0", "filename": spec.describe() if spec is not None else chardev.kind,
                               "frontend-open": chardev.frontend is not None}
        out.update(chardev.statistics())
        return [out]

    @reg.command("gdbserver", Str("device", optional=True, default="tcp::1234", metavar="[PORT|DEVICE]"), group="general")
    async def gdbserver(session: Any, device: str) -> Dict[str, Any]:
        """Start the gdb stub (default tcp::1234); PORT alone means tcp::PORT."""
        start = session.context.start_gdbserver
        if start is None:
            raise CommandError("gdbserver is not available here")
        spec = "tcp::%s" % device if device.isdigit() else device
        if device == "none":
            raise CommandError("stopping the gdb stub is not supported")
        result = start(spec)
        if inspect.isawaitable(result):
            result = await result
        session.context.gdbserver_specs.append(spec)
        return {"device": spec, "message": result if isinstance(result, str) else
                "Waiting for gdb connection on device '%s'" % spec}
