"""The gdb command dispatcher: packet payloads in, reply payloads and
transport actions out. No I/O: the trio transport (server.py) feeds it.

Theory of operation
-------------------
One :class:`Dispatcher` serves one gdb session. Its state, as in the Rust
gdbstub crate::

    IDLE --c/s/vCont--> RUNNING --Ctrl-C--> CTRLC_INTERRUPT
      ^                    |                      |
      +---- on_stop() -----+----------------------+
    any --D/k/connection lost--> DISCONNECTED

In IDLE, :meth:`handle_packet` routes a payload through one table (longest
prefix first) to a small handler that acts on the :class:`DebugTarget`
synchronously and returns a list of actions for the transport:
:class:`Reply` (send this payload), :class:`WaitForStop` (the target was
resumed: await ``target.wait_for_stop()`` and give the event to
:meth:`on_stop`), :class:`StartNoAck`, :class:`Detach`, :class:`Kill`,
:class:`AwaitMonitor`. In RUNNING, gdb only sends Ctrl-C
(:meth:`handle_interrupt`).

Optional features are ``support_*()`` checks on what the target implements;
the qSupported reply and the routing table are both built from them, so the
stub never advertises a packet it does not route.

Reverse execution: ``bs`` and ``bc`` are routed when the target has time
travel (``reverse_resume``) and answered with an E reply while it is not
recording; qSupported offers ReverseStep+/ReverseContinue+ while it records.
A stop at the start of history carries ``replaylog:begin`` (gdb prints "No
more reverse-execution history"); watchpoints found backwards are reported
past their access, so gdb's own step back over them lands on the access.

Threads are harts: thread id = hart id + 1 (thread 0 and -1 mean "any" and
"all" in the protocol). Run control is all-stop. As QEMU's stub, it takes
gdb's multiprocess extensions when offered: thread ids are then ``p1.TID``
(the one process is 1; gdb shows "Thread 1.1" and "process 1") and gdb
kills with ``vKill;1``.
"""
from __future__ import annotations

import dataclasses
import inspect
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from emud.debug import (CONTINUE, STAY, STEP, DebugError, DebugTarget, RegisterInfo,
                        ResumeAction, StopEvent)
from emud.gdbstub import xmldesc
from emud.gdbstub.builtin_monitor import run_builtin
from emud.internal import report_internal_error

IDLE, RUNNING, CTRLC_INTERRUPT, DISCONNECTED = "Idle", "Running", "CtrlCInterrupt", "Disconnected"

PACKET_SIZE = 0x4000

# QEMU's qqemu.sstep bits (gdbstub/internals.h) and its default.
SSTEP_ENABLE, SSTEP_NOIRQ, SSTEP_NOTIMER = 0x1, 0x2, 0x4
SSTEP_DEFAULT = SSTEP_ENABLE | SSTEP_NOIRQ | SSTEP_NOTIMER

SIGINT, SIGTRAP = 2, 5

PROCESS_ID = 1      # the one process of the multiprocess extensions (QEMU's too)

# errno values gdb's own stubs use in E NN replies
EINVAL, EFAULT, ENOENT, EPERM = 0x16, 0x0E, 0x02, 0x01


# -- actions for the transport ----------------------------------------------------


@dataclass(frozen=True)
class Reply:
    payload: bytes


@dataclass(frozen=True)
class WaitForStop:
    """The target was resumed; await its next stop and pass it to on_stop()."""


@dataclass(frozen=True)
class StartNoAck:
    """Switch the packet layer to no-ack mode (after sending the OK before it)."""


@dataclass(frozen=True)
class Detach:
    """End the session; the machine was left running."""


@dataclass(frozen=True)
class Kill:
    """gdb's 'k': end the session; the transport applies its kill policy."""


@dataclass(frozen=True)
class AwaitMonitor:
    """An async monitor command: await ``result``, then send
    ``dispatcher.monitor_output(text)``."""

    result: Awaitable[Any]


Action = Any


def _implements(target: Any, name: str) -> bool:
    """Whether ``target`` really provides ``name`` (not the contract's stub)."""
    attr = getattr(type(target), name, None)
    if attr is None:
        return callable(getattr(target, name, None))
    return attr is not getattr(DebugTarget, name, None)


def _hex(data: bytes) -> bytes:
    return data.hex().encode()


_HEX_DIGITS = re.compile(rb"[0-9a-fA-F]+\Z")


def _parse_hex(text: bytes) -> int:
    # int(text, 16) also takes signs, spaces and underscores ("-1", " 8", "8_0"):
    # gdb sends none of them, and a negative address must not reach the target.
    if not _HEX_DIGITS.match(text):
        raise ProtocolError("expected a hex number, got %r" % text[:20].decode("ascii", "replace"))
    return int(text, 16)


def _parse_hex_bytes(text: bytes) -> bytes:
    if len(text) % 2 or (text and not _HEX_DIGITS.match(text)):
        raise ProtocolError("expected hex bytes")
    return bytes.fromhex(text.decode("ascii"))


def _parse_addr_len(text: bytes) -> Tuple[int, int]:
    addr, length = text.split(b",", 1)
    return _parse_hex(addr), _parse_hex(length)


_SEPARATORS = (b":", b",", b";", b"=")


class ProtocolError(Exception):
    """A packet we route but cannot parse: answered with E22."""


class Dispatcher:
    def __init__(self, target: DebugTarget, run_command: Optional[Callable[[str], Any]] = None,
                 packet_size: int = PACKET_SIZE,
                 report: Callable[[str, BaseException], str] = report_internal_error) -> None:
        self.target = target
        # report(where, exc) -> one line: gets every exception a packet raised
        # that is a bug of ours, which gdb gets as an E reply; the default
        # logs it (the traceback when EMUD_DEBUG is set)
        self.report = report
        self.run_command = run_command
        self.packet_size = packet_size
        self.state = IDLE
        self.sstep_flags = SSTEP_DEFAULT
        self.phy_mem_mode = 0
        # what gdb told us in qSupported
        self.client_features: Dict[str, str] = {}
        self.error_messages = False   # client accepts E.text
        self.multiprocess = False     # thread ids as pPID.TID (qSupported)
        harts = self._harts()
        first = harts[0] if harts else 0
        stop = self._last_stop()
        self.g_hart = stop.hart if stop is not None and stop.hart in harts else first
        self.c_hart = self.g_hart
        # breakpoints this session inserted: (kind, addr, length)
        self.inserted: Dict[Tuple[str, int, int], Any] = {}
        self._thread_cursor = False
        self._regs: Optional[List[RegisterInfo]] = None
        self._xfer_cache: Dict[Tuple[str, str], bytes] = {}
        self._step_fields = {f.name for f in dataclasses.fields(ResumeAction)}
        self.stats = {"packets": 0, "unknown": 0, "errors": 0, "stops": 0, "internal_errors": 0}
        self._routes = self._build_routes()
        self._apply_step_policy()       # each session starts from QEMU's default

    # -- features (qSupported is built from these) -------------------------------

    def support_target_description(self) -> bool:
        return _implements(self.target, "registers")

    def support_memory_map(self) -> bool:
        return _implements(self.target, "memory_map")

    def support_breakpoints(self) -> bool:
        return _implements(self.target, "add_breakpoint") and _implements(self.target, "remove_breakpoint")

    def support_threads(self) -> bool:
        return _implements(self.target, "hart_ids")

    def support_range_step(self) -> bool:
        return True   # ResumeAction("range") is part of the contract

    def support_reverse(self) -> bool:
        """Reverse execution (bs, bc): a target with time travel, recording."""
        if not _implements(self.target, "reverse_resume"):
            return False
        try:
            return self.target.record_info().get("mode", "off") != "off"
        except NotImplementedError:
            return False

    def supported_features(self) -> List[str]:
        features = ["PacketSize=%x" % self.packet_size, "QStartNoAckMode+"]
        if self.support_breakpoints():
            features += ["swbreak+", "hwbreak+"]
        if self.support_target_description():
            features.append("qXfer:features:read+")
        if self.support_memory_map():
            features.append("qXfer:memory-map:read+")
        if self.support_threads():
            features.append("qXfer:threads:read+")
        features += ["vContSupported+", "error-message+", "binary-upload+"]
        if self.multiprocess:
            features.append("multiprocess+")
        if self.support_reverse():
            features += ["ReverseStep+", "ReverseContinue+"]
        return features

    def vcont_actions(self) -> bytes:
        actions = [b"c", b"C", b"s", b"S", b"t"]
        if self.support_range_step():
            actions.append(b"r")
        return b"vCont;" + b";".join(actions)

    # -- routing ------------------------------------------------------------------

    def _build_routes(self) -> List[Tuple[bytes, Callable[[bytes], Any]]]:
        routes: Dict[bytes, Callable[[bytes], Any]] = {
            b"qSupported": self._q_supported,
            b"QStartNoAckMode": self._start_no_ack,
            b"vMustReplyEmpty": lambda a: b"",
            b"?": self._stop_status,
            b"g": self._read_registers,
            b"G": self._write_registers,
            b"p": self._read_register,
            b"P": self._write_register,
            b"m": self._read_memory,
            b"M": self._write_memory,
            b"X": self._write_memory_binary,
            b"x": self._read_memory_binary,
            b"c": self._continue,
            b"C": self._continue_signal,
            b"s": self._step,
            b"S": self._step_signal,
            b"vCont?": lambda a: self.vcont_actions(),
            b"vCont;": self._vcont,
            b"H": self._set_thread,
            b"T": self._thread_alive,
            b"qC": self._current_thread,
            b"qfThreadInfo": self._thread_info_first,
            b"qsThreadInfo": self._thread_info_next,
            b"qThreadExtraInfo,": self._thread_extra_info,
            b"qAttached": lambda a: b"1",
            b"qOffsets": lambda a: b"Text=0;Data=0;Bss=0",
            b"qSymbol": lambda a: b"OK",
            b"qRcmd,": self._monitor,
            b"D": self._detach,
            b"k": self._kill,
            b"vKill;": self._vkill,
            b"qqemu.sstepbits": lambda a: b"ENABLE=%x,NOIRQ=%x,NOTIMER=%x" % (
                SSTEP_ENABLE, SSTEP_NOIRQ, SSTEP_NOTIMER),
            b"qqemu.sstep": self._get_sstep,
            b"Qqemu.sstep=": self._set_sstep,
            b"qqemu.PhyMemMode": lambda a: b"%d" % self.phy_mem_mode,
            b"Qqemu.PhyMemMode:": self._set_phy_mem_mode,
        }
        if _implements(self.target, "reverse_resume"):
            # routed whenever the target can: recording may start after qSupported
            routes[b"bs"] = self._reverse_step
            routes[b"bc"] = self._reverse_continue
        if self.support_breakpoints():
            routes[b"Z"] = self._insert_breakpoint
            routes[b"z"] = self._remove_breakpoint
        if self.support_target_description():
            routes[b"qXfer:features:read:"] = lambda a: self._xfer("features", a)
        if self.support_memory_map():
            routes[b"qXfer:memory-map:read:"] = lambda a: self._xfer("memory-map", a)
        if self.support_threads():
            routes[b"qXfer:threads:read:"] = lambda a: self._xfer("threads", a)
        return sorted(routes.items(), key=lambda kv: len(kv[0]), reverse=True)

    def route(self, payload: bytes) -> Optional[Tuple[bytes, Callable[[bytes], Any]]]:
        for prefix, handler in self._routes:
            if payload.startswith(prefix):
                # A named packet ("qC", "qAttached") must not swallow a longer
                # name it prefixes ("qCRC"): after a name comes nothing or a separator.
                if len(prefix) > 1 and prefix[-1:] not in _SEPARATORS:
                    rest = payload[len(prefix):len(prefix) + 1]
                    if rest and rest not in _SEPARATORS:
                        continue
                return prefix, handler
        return None

    def handle_packet(self, payload: bytes) -> List[Action]:
        """Everything to do in answer to one packet (in IDLE state)."""
        self.stats["packets"] += 1
        found = self.route(payload)
        if found is None:
            self.stats["unknown"] += 1
            return [Reply(b"")]
        prefix, handler = found
        try:
            result = handler(payload[len(prefix):])
        except DebugError as exc:
            result = self._error(EFAULT, str(exc))
        except (ProtocolError, ValueError, IndexError) as exc:
            result = self._error(EINVAL, "malformed %r packet: %s" % (prefix.decode(), exc))
        except Exception as exc:        # a bug: answer it, never let one packet end the session
            self.stats["internal_errors"] += 1
            line = self.report("gdb packet %r" % payload[:40].decode("ascii", "replace"), exc)
            result = self._error(EFAULT, "emud: internal error: %s" % line)
        if isinstance(result, (bytes, bytearray)):
            return [Reply(bytes(result))]
        return list(result)

    def handle_malformed(self, reason: str) -> List[Action]:
        return [Reply(self._error(EINVAL, reason))]

    def handle_interrupt(self) -> List[Action]:
        """Ctrl-C from gdb. Only meaningful while the target runs."""
        if self.state == RUNNING:
            self.target.request_stop()
            self.state = CTRLC_INTERRUPT
        return []

    def on_stop(self, event: StopEvent) -> List[Action]:
        """The target stopped after a resume: the stop reply gdb waits for."""
        self.stats["stops"] += 1
        self.state = IDLE
        harts = self._harts()
        if event.reason != "exited" and event.hart in harts:
            self.g_hart = self.c_hart = event.hart
        return [Reply(self.stop_reply(event))]

    def on_disconnect(self) -> None:
        self.state = DISCONNECTED

    # -- errors -------------------------------------------------------------------

    def _error(self, code: int, text: str) -> bytes:
        self.stats["errors"] += 1
        if self.error_messages:
            # one line, and short enough for gdb's packet buffer
            return b"E." + " ".join(text.split()).encode("utf-8", "replace")[:min(200, self.packet_size - 8)]
        return b"E%02x" % code

    # -- helpers on the target ----------------------------------------------------

    def _harts(self) -> List[int]:
        if self.support_threads():
            return list(self.target.hart_ids())
        return [0]

    def _last_stop(self) -> Optional[StopEvent]:
        try:
            return self.target.last_stop()
        except NotImplementedError:
            return None

    def registers(self) -> List[RegisterInfo]:
        if self._regs is None:
            self._regs = sorted(self.target.registers(), key=lambda r: r.regnum)
        return self._regs

    def _g_registers(self) -> List[RegisterInfo]:
        regs = [r for r in self.registers() if r.in_g_packet]
        return regs or [r for r in self.registers() if r.group == "general"]

    def _register_by_num(self, regnum: int) -> RegisterInfo:
        for r in self.registers():
            if r.regnum == regnum:
                return r
        raise DebugError("no register number %d" % regnum)

    def _register_named(self, name: str) -> Optional[RegisterInfo]:
        for r in self.registers():
            if r.name == name or name in r.aliases:
                return r
        return None

    def _byte_order(self) -> str:
        return getattr(self.target, "byte_order", "little")

    def _encode_reg(self, reg: RegisterInfo, hart: int) -> bytes:
        size = reg.bitsize // 8
        try:
            value = self.target.read_register(hart, reg.name)
        except DebugError:
            return b"xx" * size        # "unavailable": gdb shows <unavailable>
        return _hex((value & ((1 << reg.bitsize) - 1)).to_bytes(size, self._byte_order()))

    def _decode_reg(self, reg: RegisterInfo, data: bytes) -> int:
        return int.from_bytes(_parse_hex_bytes(data), self._byte_order())

    def _thread_of(self, tid: bytes) -> Optional[int]:
        """Hart for a thread id; None for 0/-1 ("any"/"all")."""
        if tid.startswith(b"p"):              # multiprocess form pPID.TID
            tid = tid.split(b".", 1)[1] if b"." in tid else b"-1"
        if tid in (b"-1", b"0", b""):
            return None
        hart = _parse_hex(tid) - 1
        if hart not in self._harts():
            raise DebugError("no thread %s" % tid.decode())
        return hart

    # -- stop replies -------------------------------------------------------------

    def stop_reply(self, event: Optional[StopEvent], initial: bool = False) -> bytes:
        if event is None:
            event = StopEvent("interrupt", hart=self.g_hart)
        if event.reason == "exited":
            return b"W%02x" % ((event.exit_code or 0) & 0xFF)
        # A stop the user asked for is SIGINT, as QEMU reports it; but the
        # status of a machine gdb just attached to is a plain SIGTRAP (QEMU too).
        signal = SIGINT if event.reason == "interrupt" and not initial else SIGTRAP
        parts = [b"T%02x" % signal]
        if self.support_threads():
            parts.append(b"thread:%s;" % self._thread_id(event.hart))
        hart = event.hart
        for name in ("pc", "sp", "fp", "ra"):
            reg = self._register_named(name)
            if reg is not None:
                parts.append(b"%x:%s;" % (reg.regnum, self._encode_reg(reg, hart)))
        parts.append(self._stop_reason(event))
        return b"".join(parts)

    def _stop_reason(self, event: StopEvent) -> bytes:
        if event.reason == "history-begin":
            return b"replaylog:begin;"       # gdb: "No more reverse-execution history."
        if event.reason == "history-end":
            return b"replaylog:end;"
        if event.reason == "breakpoint" and "swbreak" in self.client_features:
            return b"swbreak:;"
        if event.reason == "hw-breakpoint" and "hwbreak" in self.client_features:
            return b"hwbreak:;"
        if event.reason == "watchpoint" and event.watch_addr is not None:
            key = {"write": b"watch", "read": b"rwatch", "access": b"awatch"}.get(event.watch_kind or "write", b"watch")
            return b"%s:%x;" % (key, event.watch_addr)
        return b""

    def _stop_status(self, args: bytes) -> bytes:
        if self.target.run_state == "exited":
            stop = self._last_stop()
            code = stop.exit_code if stop is not None and stop.exit_code is not None else 0
            return b"W%02x" % (code & 0xFF)
        stop = self._last_stop()
        return self.stop_reply(stop, initial=stop is None or stop.reason == "interrupt")

    # -- session --------------------------------------------------------------------

    def _q_supported(self, args: bytes) -> bytes:
        for item in args.lstrip(b":").split(b";"):
            item_s = item.decode("ascii", "replace")
            if not item_s:
                continue
            if item_s.endswith(("+", "-", "?")):
                self.client_features[item_s[:-1]] = item_s[-1]
            elif "=" in item_s:
                name, value = item_s.split("=", 1)
                self.client_features[name] = value
        # only "+" counts as announced
        self.client_features = {k: v for k, v in self.client_features.items() if v != "-"}
        self.error_messages = self.client_features.get("error-message") == "+"
        self.multiprocess = self.client_features.get("multiprocess") == "+"
        return ";".join(self.supported_features()).encode()

    def _start_no_ack(self, args: bytes) -> List[Action]:
        return [Reply(b"OK"), StartNoAck()]

    def _detach(self, args: bytes) -> List[Action]:
        self.remove_all_breakpoints()
        if self.target.run_state == "stopped":
            self.target.resume(None, CONTINUE)
        self.state = DISCONNECTED
        return [Reply(b"OK"), Detach()]

    def _kill(self, args: bytes) -> List[Action]:
        self.remove_all_breakpoints()
        self.state = DISCONNECTED
        return [Kill()]

    def _vkill(self, args: bytes) -> List[Action]:
        # gdb's kill under the multiprocess extensions: "OK", then as 'k'
        if _parse_hex(args) != PROCESS_ID:
            raise DebugError("no process %s" % args.decode())
        return [Reply(b"OK")] + self._kill(b"")

    def remove_all_breakpoints(self) -> None:
        for (kind, addr, length) in list(self.inserted):
            try:
                self.target.remove_breakpoint(kind, addr, length)
            except DebugError:
                pass
        self.inserted.clear()

    # -- registers ------------------------------------------------------------------

    def _read_registers(self, args: bytes) -> bytes:
        return b"".join(self._encode_reg(r, self.g_hart) for r in self._g_registers())

    def _write_registers(self, args: bytes) -> bytes:
        # decode every value before writing any: a bad packet changes nothing
        pos, values = 0, []
        for reg in self._g_registers():
            width = reg.bitsize // 4
            chunk = args[pos:pos + width]
            if len(chunk) < width:
                break
            pos += width
            if b"x" in chunk:
                continue
            values.append((reg, self._decode_reg(reg, chunk)))
        for reg, value in values:
            self.target.write_register(self.g_hart, reg.name, value)
        return b"OK"

    def _read_register(self, args: bytes) -> bytes:
        reg = self._register_by_num(_parse_hex(args))
        return self._encode_reg(reg, self.g_hart)

    def _write_register(self, args: bytes) -> bytes:
        num, value = args.split(b"=", 1)
        reg = self._register_by_num(_parse_hex(num))
        if len(value) != reg.bitsize // 4:
            raise ProtocolError("register %s takes %d hex digits" % (reg.name, reg.bitsize // 4))
        self.target.write_register(self.g_hart, reg.name, self._decode_reg(reg, value))
        return b"OK"

    # -- memory ----------------------------------------------------------------------

    def _max_read(self) -> int:
        return (self.packet_size - 8) // 2

    def _read_memory(self, args: bytes) -> bytes:
        addr, length = _parse_addr_len(args)
        length = min(length, self._max_read())
        return _hex(self.target.read_memory(addr, length))

    def _read_memory_binary(self, args: bytes) -> bytes:
        addr, length = _parse_addr_len(args)
        if length == 0:
            return b"b"
        # escaping can double each byte: stay within PacketSize
        length = min(length, self._max_read())
        return b"b" + self.target.read_memory(addr, length)

    def _write(self, addr: int, data: bytes) -> bytes:
        if data:
            self.target.write_memory(addr, data)
            # write_memory should already drop stale translations; being
            # explicit costs little and a stale TB after 'load' costs hours.
            if _implements(self.target, "invalidate_code"):
                self.target.invalidate_code(addr, len(data))
        return b"OK"

    def _write_memory(self, args: bytes) -> bytes:
        where, data = args.split(b":", 1)
        addr, length = _parse_addr_len(where)
        raw = _parse_hex_bytes(data)
        if len(raw) != length:
            raise ProtocolError("length %d but %d bytes of data" % (length, len(raw)))
        return self._write(addr, raw)

    def _write_memory_binary(self, args: bytes) -> bytes:
        where, data = args.split(b":", 1)
        addr, length = _parse_addr_len(where)
        if len(data) != length:
            raise ProtocolError("length %d but %d bytes of data" % (length, len(data)))
        return self._write(addr, data)

    # -- breakpoints --------------------------------------------------------------------

    _Z_KINDS = {b"0": "sw", b"1": "hw", b"2": "write", b"3": "read", b"4": "access"}

    def _parse_z(self, args: bytes) -> Tuple[str, int, int]:
        fields = args.split(b";", 1)[0].split(b",")
        kind = self._Z_KINDS.get(fields[0])
        if kind is None or len(fields) < 3:
            raise ProtocolError("unknown breakpoint type")
        return kind, _parse_hex(fields[1]), _parse_hex(fields[2])

    def _insert_breakpoint(self, args: bytes) -> bytes:
        if args[:1] not in self._Z_KINDS:
            return b""
        key = self._parse_z(args)
        if key in self.inserted:            # Z is idempotent
            return b"OK"
        kind, addr, length = key
        self.inserted[key] = self.target.add_breakpoint(kind, addr, length)
        return b"OK"

    def _remove_breakpoint(self, args: bytes) -> bytes:
        if args[:1] not in self._Z_KINDS:
            return b""
        key = self._parse_z(args)
        kind, addr, length = key
        self.inserted.pop(key, None)
        self.target.remove_breakpoint(kind, addr, length)
        return b"OK"

    # -- run control ---------------------------------------------------------------------

    def step_action(self, kind: str = "step", **kw: Any) -> ResumeAction:
        """A step or range step carrying the qqemu.sstep policy, if the
        contract's ResumeAction has room for it."""
        extra: Dict[str, Any] = {}
        if "step_into_interrupts" in self._step_fields:
            extra["step_into_interrupts"] = not (self.sstep_flags & SSTEP_NOIRQ)
        if "step_timers" in self._step_fields:
            extra["step_timers"] = not (self.sstep_flags & SSTEP_NOTIMER)
        return ResumeAction(kind, **kw, **extra)

    def _resume(self, actions: Optional[Dict[int, ResumeAction]], default: ResumeAction) -> List[Action]:
        if self.target.run_state == "exited":
            return [Reply(self._stop_status(b""))]
        self.target.resume(actions, default)
        self.state = RUNNING
        return [WaitForStop()]

    def _set_pc_from(self, args: bytes, hart: int) -> None:
        if args:
            self.target.write_register(hart, "pc", _parse_hex(args))

    def _continue(self, args: bytes) -> List[Action]:
        self._set_pc_from(args, self.c_hart)
        return self._resume(None, CONTINUE)

    def _continue_signal(self, args: bytes) -> List[Action]:
        sig, _, addr = args.partition(b";")
        action = ResumeAction("continue", signal=_parse_hex(sig))
        self._set_pc_from(addr, self.c_hart)
        return self._resume(None, action)

    def _step(self, args: bytes) -> List[Action]:
        # The stepped hart runs one instruction; the others stay put, so a
        # step is deterministic (QEMU lets them run; gdb cannot tell).
        self._set_pc_from(args, self.c_hart)
        return self._resume({self.c_hart: self.step_action()}, STAY)

    def _step_signal(self, args: bytes) -> List[Action]:
        sig, _, addr = args.partition(b";")
        action = self.step_action(signal=_parse_hex(sig))
        self._set_pc_from(addr, self.c_hart)
        return self._resume({self.c_hart: action}, STAY)

    def _reverse(self, action: ResumeAction) -> List[Action]:
        if not self.support_reverse():
            return [Reply(self._error(EPERM, "reverse execution needs a recording: monitor record start"))]
        if self.target.run_state == "exited" and not _implements(self.target, "seek"):
            return [Reply(self._stop_status(b""))]
        self.target.reverse_resume(action, hart=self.c_hart)
        self.state = RUNNING
        return [WaitForStop()]

    def _reverse_step(self, args: bytes) -> List[Action]:
        # gdb's reverse-stepi, and every step of its reverse-step/next/finish
        return self._reverse(STEP)

    def _reverse_continue(self, args: bytes) -> List[Action]:
        return self._reverse(CONTINUE)

    def _parse_vcont_action(self, text: bytes) -> ResumeAction:
        op = text[:1]
        if op == b"c":
            return CONTINUE
        if op == b"C":
            return ResumeAction("continue", signal=_parse_hex(text[1:]))
        if op == b"s":
            return self.step_action()
        if op == b"S":
            return self.step_action(signal=_parse_hex(text[1:]))
        if op == b"t":
            return STAY
        if op == b"r":
            start, end = _parse_addr_len(text[1:])
            return self.step_action("range", start=start, end=end)
        raise ProtocolError("unknown vCont action %r" % text.decode())

    def _vcont(self, args: bytes) -> List[Action]:
        per_hart: Dict[int, ResumeAction] = {}
        default: Optional[ResumeAction] = None
        # The leftmost action that matches a thread applies to it.
        for item in args.split(b";"):
            if not item:
                continue
            text, _, tid = item.partition(b":")
            action = self._parse_vcont_action(text)
            hart = self._thread_of(tid) if tid else None
            if hart is None:
                if default is None:
                    default = action
            elif hart not in per_hart:
                per_hart[hart] = action
        if default is not None:
            for hart in self._harts():
                per_hart.setdefault(hart, default)
        return self._resume(per_hart, STAY)

    # -- threads -----------------------------------------------------------------------------

    def _set_thread(self, args: bytes) -> bytes:
        op, tid = args[:1], args[1:]
        hart = self._thread_of(tid)
        if op == b"g":
            if hart is not None:
                self.g_hart = hart
        elif op == b"c":
            if hart is not None:
                self.c_hart = hart
        else:
            raise ProtocolError("H%s" % op.decode())
        return b"OK"

    def _thread_alive(self, args: bytes) -> bytes:
        self._thread_of(args)
        return b"OK"

    def _thread_id(self, hart: int) -> bytes:
        """How a hart's thread is named in a reply (QEMU's form)."""
        if self.multiprocess:
            return b"p%02x.%02x" % (PROCESS_ID, hart + 1)
        return b"%x" % (hart + 1)

    def _current_thread(self, args: bytes) -> bytes:
        return b"QC" + self._thread_id(self.g_hart)

    def _thread_info_first(self, args: bytes) -> bytes:
        return b"m" + b",".join(self._thread_id(h) for h in self._harts())

    def _thread_info_next(self, args: bytes) -> bytes:
        return b"l"

    def _describe(self, hart: int) -> str:
        # gdb's own words for a thread (qThreadExtraInfo) where the target has
        # them, else what the monitor says of the hart
        if _implements(self.target, "thread_extra_info"):
            return self.target.thread_extra_info(hart)
        if _implements(self.target, "hart_description"):
            return self.target.hart_description(hart)
        return "hart %d" % hart

    def _thread_name(self, hart: int) -> Optional[str]:
        # a target may name its CPUs its own way, or not at all (Cortex-M, as QEMU)
        if _implements(self.target, "thread_name"):
            return self.target.thread_name(hart)
        return "hart %d" % hart

    def _thread_extra_info(self, args: bytes) -> bytes:
        hart = self._thread_of(args)
        return _hex(self._describe(self.g_hart if hart is None else hart).encode())

    # -- qXfer ----------------------------------------------------------------------------------

    def _document(self, obj: str, annex: str) -> Optional[bytes]:
        if obj == "features":
            if annex != "target.xml":
                return None
            return xmldesc.target_description(self.target.arch_name, self.registers()).encode()
        if obj == "memory-map":
            if annex != "":
                return None
            return xmldesc.memory_map(self.target.memory_map(), self.target.xlen).encode()
        if obj == "threads":
            return xmldesc.thread_list(self._harts(), self._describe, self._thread_name,
                                       lambda hart: self._thread_id(hart).decode()).encode() \
                if annex == "" else None
        return None

    def _xfer(self, obj: str, args: bytes) -> bytes:
        annex, _, where = args.rpartition(b":")
        offset, length = _parse_addr_len(where)
        key = (obj, annex.decode())
        # Build once per read sequence (offset 0), so the chunks of one
        # document always come from the same version of it.
        if offset == 0 or key not in self._xfer_cache:
            doc = self._document(obj, key[1])
            if doc is None:
                return self._error(ENOENT, "no %s annex %r" % (obj, key[1]))
            self._xfer_cache[key] = doc
        doc = self._xfer_cache[key]
        length = min(length, (self.packet_size - 8) // 2)   # escaping may double it
        chunk = doc[offset:offset + length]
        return (b"l" if offset + length >= len(doc) else b"m") + chunk

    # -- QEMU compatibility -------------------------------------------------------------------

    def _get_sstep(self, args: bytes) -> bytes:
        return b"0x%x" % self.sstep_flags

    def _set_sstep(self, args: bytes) -> bytes:
        # QEMU parses it with strtoul base 16, so "0x5" (its docs' spelling) is taken too
        flags = _parse_hex(args[2:] if args[:2].lower() == b"0x" else args)
        if flags & ~SSTEP_DEFAULT:
            return self._error(EINVAL, "qqemu.sstep: unknown flags 0x%x" % flags)
        self.sstep_flags = flags
        self._apply_step_policy()
        return b"OK"

    def _apply_step_policy(self) -> None:
        # The machine keeps the policy as an attribute (not yet in the
        # DebugTarget contract); ResumeAction fields are used when they exist.
        if hasattr(self.target, "step_allows_irq"):
            self.target.step_allows_irq = not (self.sstep_flags & SSTEP_NOIRQ)

    def _set_phy_mem_mode(self, args: bytes) -> bytes:
        mode = _parse_hex(args)
        if mode not in (0, 1):
            return self._error(EINVAL, "PhyMemMode is 0 or 1")
        self.phy_mem_mode = mode     # bare metal: physical == virtual either way
        return b"OK"

    # -- monitor ---------------------------------------------------------------------------------

    def _monitor(self, args: bytes) -> List[Action]:
        text = _parse_hex_bytes(args).decode("utf-8", "replace")
        try:
            if self.run_command is not None:
                result = self.run_command(text)
            else:
                result = run_builtin(self.target, self.g_hart, text)
        except DebugError as exc:
            result = "error: %s\n" % exc
        if inspect.isawaitable(result):
            return [AwaitMonitor(result)]
        return self.monitor_output(result)

    def monitor_output(self, text: Any) -> List[Action]:
        """Console output as O packets, then the OK that ends qRcmd."""
        text = "" if text is None else str(text)
        if text and not text.endswith("\n"):
            text += "\n"
        data = text.encode("utf-8", "replace")
        step = (self.packet_size - 8) // 2
        actions: List[Action] = [Reply(b"O" + _hex(data[i:i + step])) for i in range(0, len(data), step)]
        actions.append(Reply(b"OK"))
        return actions
