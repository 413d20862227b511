"""The time-travel engine of one machine: record, replay, seek.

Theory of operation
-------------------
A *position* is the machine's global instruction count: the instructions
all its harts retired, plus an offset that keeps positions growing when a
snapshot load puts the harts' counters back. The *canonical* state at a
position is the state right after that many retirements, before anything
else (a pending interrupt is taken at the start of the next quantum).

While recording, guest time is the instruction count (a fixed ``-icount``
shift), the harts run in turns from one task (scheduler.py), and everything
from outside goes through the input log (inputlog.py) at the position it
arrived. So history is a pure function of the first checkpoint and the log:
any position can be reached again by restoring the nearest checkpoint at or
before it (history.py) and running forward with the log's inputs fed back.

Modes:

* ``record``: at the present (the end of history), live. Inputs are logged
  as they arrive; a checkpoint is taken every ``interval`` instructions.
* ``replay``: behind the present. Inputs come from the log, live ones are
  held back (a UART's gate says it has no room) and guest output already
  seen is muted; at each checkpoint passed the harts' digest is compared with
  the recorded one, and a mismatch stops the machine with reason
  "divergence" at once, naming the instruction count and pc. Reaching the
  present switches to ``record`` (live), or stops with "history-end" when
  ``stop_at_end`` is set.

Reverse execution (reverse.py) is built from :meth:`TimeTravel.seek_state`
and :meth:`TimeTravel.replay` (a silent run: no events, breakpoints and
watchpoints only counted as *hits*).
"""
from __future__ import annotations

import hashlib
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

import trio

from .history import DEFAULT_SIZE_LIMIT, Checkpoint, History
from ..semihosting import ReplayedFile
from .inputlog import Divergence, InputLog
from .scheduler import TurnState

#: -icount shift while recording when the command line gave none (or gave
#: shift=auto, which is not deterministic): 2**4 = 16 ns per instruction,
#: a 62.5 MHz guest clock (about CPython's pace on light code)
DEFAULT_ICOUNT_SHIFT = 4
#: the most instructions between checkpoints. A reverse-stepi replays up to
#: a whole gap from the checkpoint before (CPython ~25 MIPS on light code:
#: ~40 ms); each checkpoint costs ~0.2 ms, the harts' and devices' state and
#: the chunks written (docs: emud/timetravel/measure.py)
DEFAULT_INTERVAL = 1_000_000
#: ... and the most CPU seconds of guest execution between them: a gap's
#: replay costs about what recording it did (measured: 0.4-1.13x on
#: rtos-mix), and code heavy in traps and interrupts runs 1M instructions
#: in 0.1 s on CPython, so the gaps are cut by time too: a reverse-stepi
#: then replays at most about this long, wherever it is (docs/PERFORMANCE.md)
CHECKPOINT_SECONDS = 0.03
#: fewest instructions between two checkpoints taken for time (a cold
#: quantum spent translating, a debugger's single steps)
MIN_CHECKPOINT_GAP = 10_000


class Hit:
    """A breakpoint or watchpoint a silent replay ran into."""
    __slots__ = ("position", "ordinal", "kind", "hart", "pc", "watch_kind", "watch_addr", "bp_kind")

    def __init__(self, position: int, ordinal: int, kind: str, hart: int, pc: int,
                 watch_kind: Optional[str] = None, watch_addr: Optional[int] = None,
                 bp_kind: str = "sw") -> None:
        self.position, self.ordinal, self.kind, self.hart, self.pc = position, ordinal, kind, hart, pc
        self.watch_kind, self.watch_addr, self.bp_kind = watch_kind, watch_addr, bp_kind


class _MutedOutput:
    """A UART's chardev while time travels: output the user has already seen
    (replaying history) is dropped; everything else passes through."""

    def __init__(self, tt: "TimeTravel", chardev: Any) -> None:
        self._tt = tt
        self._chardev = chardev

    def write(self, data: bytes) -> None:
        if not self._tt.output_muted():
            self._chardev.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chardev, name)


class TimeTravel:
    """Attached to a machine as ``machine.timetravel`` by ``record_start``
    or ``start_replay``; the machine's DebugTarget methods call it."""

    def __init__(self, machine, size_limit: Optional[int] = None, interval: int = DEFAULT_INTERVAL) -> None:
        self.m = machine
        self.interval = max(1000, int(interval))
        self.history = History(machine.bus, machine.accel.dirty_chunk_shift,
                               DEFAULT_SIZE_LIMIT if size_limit is None else int(size_limit))
        self.log = InputLog()
        self.turns = TurnState()
        self.pos_offset = 0
        self.mode = "record"
        self.end = 0                     # the present: the last position of history
        self.end_ns = 0                  # guest time there
        self.output_mark = 0             # guest output was shown up to here
        self.synced = 0                  # RAM = history at this position + the dirty log
        self.checks: Dict[int, int] = {}  # a loaded recording's digests to check, by position
        self.cost = 0.0                  # CPU seconds the harts ran since the last checkpoint (or restore)
        self._checked = -1               # the position of checks last compared
        self._due: Optional[int] = None  # a checkpoint due for time goes here
        self._entered: Optional[Tuple[int, int]] = None   # (position, hart): a quantum there only entered a handler
        self.silent = False              # a seek or reverse search runs: no events, no output
        self.abort = False               # request_stop() during a reverse search
        self.diverged: Optional[str] = None
        self._quantum_pos = 0
        self._frontends: List[Any] = []  # (uart, real chardev) with gates, in a fixed order
        self._held: Set[int] = set()     # frontends whose input waits for the present
        self._clock_saved: Any = None
        self._rtc_saved: List[Tuple[Any, Callable[[], int]]] = []
        self._semihosting: List[Any] = []
        self._host_fds: Set[int] = set()  # host files this process opened for the guest while recording, open still
        self._names: Dict[int, str] = {}
        self._applying = False

    # -- starting and stopping -------------------------------------------------------------
    def start(self, shift: Optional[int]) -> None:
        m = self.m
        clock = m.clock
        if shift is None:
            shift = clock.icount_shift if clock.icount_shift is not None else DEFAULT_ICOUNT_SHIFT
        self._clock_saved = clock.pin_icount(shift)
        m.accel.dirty_log("start")
        self._attach_inputs()
        pos = self.position()
        self.end = self.output_mark = self.synced = pos
        self.end_ns = clock.now_ns()
        self.history.begin(self._checkpoint(pos))

    def stop(self) -> None:
        m = self.m
        try:
            m.accel.dirty_log("stop")
        except NotImplementedError:
            pass
        self._detach_inputs()
        if self._clock_saved is not None:
            m.clock.unpin_icount(self._clock_saved)
            self._clock_saved = None
        for fe in list(self._held):
            self._release(fe)

    def _attach_inputs(self) -> None:
        m = self.m
        for name in sorted(m.devices_by_name):
            dev = m.devices_by_name[name][0]
            if hasattr(dev, "can_receive") and hasattr(dev, "receive"):
                chardev = getattr(dev, "chardev", None)
                index = len(self._frontends)
                self._frontends.append((dev, chardev))
                dev.input_gate = _Gate(self, index)
                if chardev is not None and not isinstance(chardev, _MutedOutput):
                    dev.chardev = _MutedOutput(self, chardev)
            if hasattr(dev, "host_ns") and getattr(dev, "clock_source", "") == "host":
                original = dev.host_ns
                self._rtc_saved.append((dev, original))
                dev.host_ns = self.pulled_source("host-clock", original)
        for cpu in m.cpus:
            service = getattr(cpu, "semihosting", None)
            if service is not None and service not in self._semihosting:
                self._semihosting.append(service)
                service.time_travel = self

    def _detach_inputs(self) -> None:
        for dev, chardev in self._frontends:
            dev.input_gate = None
            if isinstance(getattr(dev, "chardev", None), _MutedOutput):
                dev.chardev = chardev
        for dev, original in self._rtc_saved:
            dev.host_ns = original
        for service in self._semihosting:
            service.time_travel = None
        self._rtc_saved = []
        self._semihosting = []

    # -- positions and state -------------------------------------------------------------------
    def position(self) -> int:
        return self.m._total_retired() + self.pos_offset

    def capture(self) -> Dict[str, Any]:
        """The machine's state without RAM, as plain data."""
        m = self.m
        return {
            "cpus": [cpu.save_state() for cpu in m.cpus],
            "devices": {name: dev.save_state() for name, (dev, _, _) in m.devices_by_name.items()},
            "clock": m.clock.save_state(),
            "exit_code": m.exit_code,
            "turns": self.turns.save(),
            "pos_offset": self.pos_offset,
            "semihosting": [s.save_state() for s in self._semihosting],
            "timers": [[d, self._timer_key(cb)] for d, cb in m.clock.timers()],
        }

    def _timer_key(self, callback: Callable[[], None]) -> str:
        """Who armed a timer, the same in every process: the callback's
        qualified name, the device it belongs to and what it closes over."""
        names = self._names
        if not names:
            names.update({id(dev): name for name, (dev, _, _) in self.m.devices_by_name.items()})
            names.update({id(cpu): "hart%d" % cpu.hart_id for cpu in self.m.cpus})
        func = getattr(callback, "__func__", callback)
        parts = [getattr(func, "__qualname__", type(callback).__name__)]
        owner = getattr(callback, "__self__", None)
        if owner is not None:
            parts.append(names.get(id(owner), type(owner).__name__))
        parts.append(repr(getattr(func, "__defaults__", None)))
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                value = None
            if isinstance(value, (int, str, bool, type(None))):
                parts.append(repr(value))
            else:
                parts.append(names.get(id(value), type(value).__name__))
        return "|".join(parts)

    def apply(self, state: Dict[str, Any]) -> None:
        self._applying = True        # (a device reading the host clock as it loads: not the guest's read)
        try:
            self._apply(state)
        finally:
            self._applying = False

    def _apply(self, state: Dict[str, Any]) -> None:
        m = self.m
        for cpu, cs in zip(m.cpus, state["cpus"]):
            cpu.load_state(cs)
            cpu.exit_request = cpu.stop_request = False
            cpu.watch_hit = None
            cpu.skip_breakpoint_at = cpu.skip_watch_at = None
        m.clock.load_state(state["clock"])
        for name, ds in state["devices"].items():
            if name in m.devices_by_name:
                m.devices_by_name[name][0].load_state(ds)
        m.clock.retime([(int(d), str(k)) for d, k in state.get("timers", [])], self._timer_key)
        m.exit_code = state["exit_code"]
        m._pending_reset = False
        m._stop_pending = False
        self.turns.load(state["turns"])
        self.pos_offset = state["pos_offset"]
        for service, ss in zip(self._semihosting, state.get("semihosting", [])):
            service.load_state(ss)
            self.hide_host_files(service)

    def digest(self) -> int:
        """A digest of every hart's architectural state (replay checks it)."""
        text = repr([cpu.save_state() for cpu in self.m.cpus])
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")

    def _checkpoint(self, pos: int) -> Checkpoint:
        return Checkpoint(pos, self.capture(), {}, self.digest(), self.log.cursors())

    def _take_checkpoint(self, pos: int) -> None:
        chunks = self.history.canonical(self.m.accel.dirty_log("take"))
        cp = self._checkpoint(pos)
        cp.chunks = {c: self.history.read_chunk(c) for c in chunks}
        cp.cost, self.cost = self.cost, 0.0
        self._due = None
        self.history.add(cp)
        self.synced = pos
        dropped = self.history.enforce_limit(self.interval, self.log.nbytes())
        if dropped:
            first = self.history.first
            push, pull = self.log.drop_before(first.cursors)
            for c in self.history.checkpoints:
                c.cursors = (c.cursors[0] - push, c.cursors[1] - pull)
            self.m._publish("HISTORY", {"what": "trimmed", "begin": first.position})

    @property
    def checkpoint_seconds(self) -> float:
        return CHECKPOINT_SECONDS

    def next_checkpoint(self, pos: int) -> int:
        """The next checkpoint's position after ``pos``: every ``interval``
        instructions, or sooner once the harts ran CHECKPOINT_SECONDS of CPU
        time since the last one (arrive sets ``_due``)."""
        nxt = (pos // self.interval + 1) * self.interval
        due = self._due
        return due if due is not None and pos < due < nxt else nxt

    def restore(self, cp: Checkpoint) -> None:
        """Put the whole machine back to checkpoint ``cp``."""
        m = self.m
        history = self.history
        written = history.canonical(m.accel.dirty_log("take"))
        lo, hi = min(self.synced, cp.position), max(self.synced, cp.position)
        written |= history.chunks_between(lo, hi)
        history.restore_ram(cp, written, m.accel.invalidate_code)
        self.synced = cp.position
        self.cost = 0.0
        self._due = None
        self._checked = -1
        self.apply(cp.state)
        self.log.seek(cp.cursors)
        self._set_mode(cp.position)

    def _set_mode(self, pos: int) -> None:
        self.mode = "replay" if pos < self.end else "record"

    # -- output and input -------------------------------------------------------------------------
    def output_muted(self) -> bool:
        return self.silent or (self.mode == "replay" and self._quantum_pos < self.output_mark)

    def _release(self, index: int) -> None:
        self._held.discard(index)
        dev, chardev = self._frontends[index]
        accept = getattr(chardev, "accept_input", None)
        if accept is not None:
            accept()

    def release_held_input(self) -> None:
        if self._held and self.mode == "record":
            for index in sorted(self._held):
                self._release(index)

    def pulled_source(self, kind: str, source: Callable[[], Any]) -> Callable[[], Any]:
        """``source`` (a host value the guest reads) through the log."""
        def read() -> Any:
            return self.pulled(kind, source)
        return read

    def pulled(self, kind: str, source: Callable[[], Any]) -> Any:
        """A value from the host the guest asks for now: logged while
        recording, the logged one in replay."""
        if self._applying:
            return source()
        pos = self.position()
        if self.mode == "replay":
            try:
                return self.log.pull_replay(kind, pos)
            except Divergence as e:
                self.report_divergence(str(e))
                value = source()
                self.log.pull_record(pos, kind, value)
                return value
        value = source()
        self.log.pull_record(pos, kind, value)
        return value

    def semihosting_call(self, service, op: int, run: Callable[[], int]) -> int:
        """A semihosting call that touches the host: run and logged (its
        result, errno, what it wrote to guest memory, the host files it
        opened and closed) while recording; in replay those come from the
        log and the host is left alone."""
        pos = self.position()
        if self.mode == "replay":
            try:
                entry = self.log.pull_replay("semihosting", pos)
                if entry["op"] != op:
                    raise Divergence("the guest makes semihosting call 0x%x at instruction %d, the "
                                     "recording has 0x%x" % (op, pos, entry["op"]))
            except Divergence as e:
                self.report_divergence(str(e))
            else:
                for addr, data in entry["writes"]:
                    service.write_memory(int(addr), bytes(data))
                service.errno = entry["errno"]
                for fd, hostfd in entry["opened"]:
                    # no host file behind it: a replay never touches one
                    service.files[int(fd)] = ReplayedFile(int(hostfd))
                for fd in entry["closed"]:
                    service.files.pop(int(fd), None)
                return entry["result"]
        writes: List[Any] = []
        original = service.write_memory

        def capture(addr: int, data: bytes) -> None:
            writes.append([addr, bytes(data)])
            original(addr, data)
        self._revive_host_files(service)
        before = dict(service.files)
        service.write_memory = capture
        try:
            result = run()
        finally:
            service.write_memory = original
        opened = [[fd, f] for fd, f in service.files.items() if isinstance(f, int) and before.get(fd) is not f]
        closed = [fd for fd in before if fd not in service.files]
        self._host_fds.update(f for _, f in opened)
        self._host_fds.difference_update(f for fd, f in before.items() if fd in closed and isinstance(f, int))
        self.log.pull_record(pos, "semihosting", {"op": op, "result": result, "errno": service.errno,
                                                  "writes": writes, "opened": opened, "closed": closed})
        return result

    def _revive_host_files(self, service) -> None:
        """Live again: a file replayed as opened is this process's own host
        file while this process opened it and has not closed it (back in
        its own history); any other stays a placeholder (EBADF)."""
        for fd, f in list(service.files.items()):
            if isinstance(f, ReplayedFile) and f.hostfd in self._host_fds:
                service.files[fd] = f.hostfd

    def hide_host_files(self, service) -> None:
        """Host descriptors in a state being loaded that are not this
        process's open files (a loaded recording's, or closed since) become
        placeholders, so that nothing reaches a host file by their number."""
        for fd, f in list(service.files.items()):
            if isinstance(f, int) and f not in self._host_fds:
                service.files[fd] = ReplayedFile(f)

    def _note_entry(self, cpu, pos: int, pc0: int, retired: int) -> None:
        # a quantum that moved the hart without retiring anything entered a
        # handler (and stopped at a breakpoint on its first instruction)
        self._entered = (pos, cpu.hart_id) if retired == 0 and cpu.pc != pc0 else None

    def user_input(self, kind: str, data: Any) -> None:
        """A write from a debugger, a reset or a snapshot load the user asks
        for now, at a stopped machine's position: in the past, history from
        here on is dropped (the present begins here); then it is logged.
        Stopped right after an interrupt entry (nothing retired since the
        position began), the entry is logged first: a replay applies the
        inputs due at a position before its quantum runs, so it takes the
        interrupt there, then the input, as the user did."""
        pos = self.position()
        if self.mode == "replay":
            self.truncate_here()
        entered = self._entered
        if entered is not None and entered[0] == pos:
            self.log.push(pos, "entry", [entered[1]])
            self._entered = None
        self.log.push(pos, kind, data)

    def truncate_here(self) -> None:
        pos = self.position()
        self.history.truncate_after(pos)
        self.log.truncate()
        self.checks = {k: v for k, v in self.checks.items() if k <= pos}
        self.end = pos
        self.end_ns = self.m.clock.now_ns()
        self.mode = "record"
        self.m._publish("HISTORY", {"what": "truncated", "end": pos})

    def _apply_push(self, kind: str, data: Any) -> None:
        m = self.m
        if kind == "serial":
            dev = self._frontends[int(data[0])][0]
            dev.receive(bytes(data[1]))
        elif kind == "reg":
            m._cpu(int(data[0])).set_register(str(data[1]), int(data[2]))
        elif kind == "mem":
            m.bus.write_bytes(int(data[0]), bytes(data[1]))
            m.accel.invalidate_code(int(data[0]), len(data[1]))
        elif kind == "reset":
            m._do_reset()
            m.exit_code = None       # (a reset of an exited guest revived it)
        elif kind == "entry":
            if m._cpu(int(data[0])).take_interrupt() is None:
                raise Divergence("the recording entered an interrupt handler here; no interrupt is pending")
        elif kind == "snapshot":
            before = m._total_retired()
            m._restore_snapshot_now(data)
            self.pos_offset += before - m._total_retired()
        else:
            raise Divergence("the recording has an input of unknown kind %r" % kind)

    # -- arriving at a position (every quantum starts here) ------------------------------------------
    def arrive(self, pos: int) -> None:
        """Before running at ``pos``: check and pass a checkpoint, apply the
        inputs due, take a new checkpoint, notice the present. Raises
        Divergence."""
        history = self.history
        if self.mode == "replay" and pos > self.synced:
            cp = history.after(self.synced)
            if cp is not None and cp.position == pos:
                for _, kind, data in self._pushes_until(cp.cursors[0]):
                    self._apply_push(kind, data)
                if self.digest() != cp.digest:
                    raise Divergence("the harts' state differs from the recording's")
                self.m.accel.dirty_log("take")
                self.synced = pos
        if pos in self.checks and pos != self._checked:
            # once: a checkpoint taken where every hart waits for an interrupt
            # holds the state before the timer's warp; arriving there again
            # after it (the idle wait's next turn) is not a difference
            self._checked = pos
            if self.digest() != self.checks[pos]:
                raise Divergence("the harts' state differs from the recording's")
        if self.mode == "replay" or self.log.next_push_position() is not None:
            for _, kind, data in self.log.due_pushes(pos):
                self._apply_push(kind, data)
        if pos > history.last.position and pos >= self.next_checkpoint(history.last.position) \
                and not self.silent_past(pos):
            self._take_checkpoint(pos)
        elif self._due is None and self.cost >= CHECKPOINT_SECONDS and pos >= history.last.position:
            # due for time: where a quantum ends by its budget, as a replay's
            # ends there (a quantum that ended for its own reason may have
            # entered an interrupt handler without retiring anything: a
            # state at that position a replay capped there does not have)
            self._due = max(pos + 1, history.last.position + MIN_CHECKPOINT_GAP)
        self._notice_end(pos)

    def _notice_end(self, pos: int) -> None:
        """A replay at the end of history is at the present (recording again)."""
        if self.mode == "replay" and pos >= self.end:
            self.mode = "record"
            if not self.silent:
                self.m._publish("HISTORY", {"what": "present", "position": pos})
        if self.mode == "record":
            if pos >= self.end:
                self.end = pos
                self.end_ns = self.m.clock.now_ns()

    def silent_past(self, pos: int) -> bool:
        return False

    def _pushes_until(self, cursor: int) -> List[Tuple[int, str, Any]]:
        out = []
        log = self.log
        while log.push_cursor < cursor:
            out.append(log.pushed[log.push_cursor])
            log.push_cursor += 1
        return out

    def limit(self, pos: int, budget: int) -> int:
        """The most a quantum starting at ``pos`` may run: to the next
        checkpoint, the next logged input, the present."""
        cap = self.next_checkpoint(pos) - pos if pos >= self.history.last.position else budget
        nxt = self.log.next_push_position()
        if nxt is not None and nxt > pos:
            cap = min(cap, nxt - pos)
        if self.mode == "replay" and self.end > pos:
            cap = min(cap, self.end - pos)
        if self.mode == "replay" and self.output_mark > pos:
            # output is shown from the mark on: a quantum does not straddle it
            cap = min(cap, self.output_mark - pos)
        for p in self.checks:
            if p > pos:
                cap = min(cap, p - pos)
                break
        # passing a checkpoint in replay: stop there to check it
        if self.mode == "replay":
            cp = self.history.after(pos)
            if cp is not None:
                cap = min(cap, cp.position - pos)
        return max(1, min(budget, cap))

    def report_divergence(self, why: str) -> None:
        """A replay does not match its recording: say so at once (an event, a
        stderr line, a stop with reason "divergence"), and make here the
        present so that the run goes on live."""
        from ..debug import StopEvent
        from ..internal import stderr_line
        m = self.m
        pos = self.position()
        cpu = m.cpus[0]
        text = "replay diverged at instruction %d (pc 0x%x): %s" % (pos, cpu.pc, why)
        self.diverged = text
        stderr_line(text)
        m._publish("HISTORY", {"what": "divergence", "position": pos, "pc": cpu.pc, "detail": why})
        self.truncate_here()
        self.checks = {}
        if m._state == "running":
            m._stop(StopEvent("divergence", cpu.hart_id, cpu.pc, detail=text))

    # -- the deterministic vCPU loop -----------------------------------------------------------
    async def drive(self) -> None:
        """Run the harts for one slice while the machine runs (forward):
        called over and over by the first hart's vCPU task."""
        m = self.m
        cpus = m.cpus
        started = time.perf_counter()
        ran = 0
        while m._state == "running":
            pos = self.position()
            try:
                self.arrive(pos)
            except Divergence as e:
                self.report_divergence(str(e))
                break
            if self.mode == "record" and self.m.stop_at_history_end and pos >= self.end and self._replayed:
                from ..debug import StopEvent
                self._replayed = False
                cpu = cpus[0]
                m._stop(StopEvent("history-end", cpu.hart_id, cpu.pc))
                break
            self.release_held_input()          # (at the present: what waited goes in now)
            cpu, room = self.turns.pick(cpus)
            if cpu is None:
                await self._idle(pos)
                return
            run = m._runs.get(cpu.hart_id)
            budget = room
            if len(cpus) == 1:
                budget = min(budget, m.pacer.budget(1))
            budget = self.limit(pos, budget)
            if self.mode == "replay":
                self._replayed = True
            self._quantum_pos = pos
            t0 = time.perf_counter()
            c0 = time.process_time()
            shown = not self.output_muted()
            pc0 = cpu.pc
            retired = m._tt_quantum(cpu, run, budget)
            self._note_entry(cpu, pos, pc0, retired)
            self.cost += time.process_time() - c0
            if m._state != "running":
                # (a replay that stopped at the recorded exit is at the present
                # now: no later quantum arrives there to notice it)
                self._notice_end(self.position())
            if self.mode == "record":
                self.end = self.output_mark = self.position()
                self.end_ns = m.clock.now_ns()
            elif shown:
                # a loaded recording replayed for the first time here showed
                # its output: going back and forward again does not repeat it
                self.output_mark = max(self.output_mark, self.position())
            self.turns.ran(cpus, cpu, retired)
            if retired == budget and retired >= 1000:
                m.pacer.ran(retired, time.perf_counter() - t0)
            self.release_held_input()
            ran += retired
            if len(cpus) == 1 or time.perf_counter() - started > 0.004:
                break
        await trio.lowlevel.checkpoint()

    _replayed = False

    async def _idle(self, pos: int) -> None:
        """Every hart waits for an interrupt. Replaying: the next timer's
        time comes at once. Recording: it comes when the host clock gets
        there, unless input arrives first (logged at this position)."""
        m = self.m
        clock = m.clock
        deadline = clock.next_deadline()
        if self.mode == "replay":
            if deadline is None:
                self.report_divergence("every hart waits for an interrupt and nothing is left to come")
                return
            clock.warp_to(deadline)
            clock.run_expired()
            await trio.lowlevel.checkpoint()
            return
        m._kick = trio.Event() if m._kick.is_set() else m._kick
        kick = m._kick
        timeout = clock.seconds_until_deadline()
        kicked = False
        with trio.move_on_after(timeout if timeout is not None else 3600):
            await kick.wait()
            kicked = True
        if not kicked and deadline is not None and self.position() == pos and m._state == "running":
            clock.warp_to(deadline)
            clock.run_expired()

    # -- silent replay (seek, reverse) -------------------------------------------------------------
    def replay(self, target: int, hart: Optional[Any] = None, hart_target: Optional[int] = None,
               hits: Optional[List[Hit]] = None, stop_at_hit: Optional[int] = None) -> Optional[Hit]:
        """Run forward silently until position ``target``, or until ``hart``
        is about to retire instruction number ``hart_target + 1``, or (with
        ``stop_at_hit`` n) at the n-th breakpoint or watchpoint hit, counted
        from 1 (the machine is left exactly as a forward stop there leaves
        it). Hits met on the way are appended to ``hits`` and passed over.
        Returns the hit stopped at, if any."""
        m = self.m
        cpus = m.cpus
        self.silent = True
        ordinal = 0
        try:
            while True:
                pos = self.position()
                self.arrive(pos)
                if pos >= target or m.exit_code is not None:
                    return None
                index, room = self.turns.choose(cpus)
                if index is None:
                    deadline = m.clock.next_deadline()
                    if deadline is None:
                        return None
                    m.clock.warp_to(deadline)
                    m.clock.run_expired()
                    continue
                if hart is not None and cpus[index] is hart and hart.instructions_retired() >= hart_target:
                    return None       # (as it was before this hart was chosen: not woken yet)
                cpu = self.turns.commit(cpus, index, room)
                budget = self.limit(pos, min(room, target - pos))
                if hart is not None and cpu is hart:
                    budget = min(budget, hart_target - cpu.instructions_retired())
                self._quantum_pos = pos
                before = cpu.instructions_retired()
                c0 = time.process_time()
                pc0 = cpu.pc
                reason = m._silent_quantum(cpu, budget)
                self.cost += time.process_time() - c0
                retired = cpu.instructions_retired() - before
                self._note_entry(cpu, pos, pc0, retired)
                self.turns.ran(cpus, cpu, retired)
                if reason in ("watch", "debug"):
                    ordinal += 1
                    hit = self._hit(cpu, reason, ordinal)
                    if stop_at_hit is not None and ordinal >= stop_at_hit:
                        return hit
                    if hits is not None:
                        hits.append(hit)
                    if reason == "watch":
                        cpu.skip_watch_at = cpu.pc
                    else:
                        cpu.skip_breakpoint_at = cpu.pc
        finally:
            self.silent = False
            m.clock.stop()

    def _hit(self, cpu, reason: str, ordinal: int) -> Hit:
        m = self.m
        pos = self.position()
        if reason == "watch":
            kind, waddr, _ = cpu.watch_hit
            cpu.watch_hit = None
            return Hit(pos, ordinal, "watchpoint", cpu.hart_id, cpu.pc, kind, waddr)
        bp = m._breakpoint_at(cpu.pc)
        return Hit(pos, ordinal, "breakpoint", cpu.hart_id, cpu.pc,
                   bp_kind=bp.kind if bp is not None else "sw")

    def seek_state(self, target: int) -> None:
        """Put the machine in the canonical state at position ``target``
        (within history): from here when that is nearer, else from the
        checkpoint at or before it."""
        pos = self.position()
        cp = self.history.at_or_before(target)
        if not (pos <= target and pos >= cp.position):
            self.restore(cp)
        self.replay(target)
        self._set_mode(self.position())


class _Gate:
    """A UART's input while time travels: logged at the position it arrives
    (between quanta only: input offered while a quantum runs waits for its
    end), held back while history replays."""

    def __init__(self, tt: TimeTravel, index: int) -> None:
        self.tt = tt
        self.index = index

    def can_receive(self, fe) -> int:
        tt = self.tt
        if tt.mode != "record" or tt.silent or tt.m._running_cpu is not None:
            tt._held.add(self.index)
            return 0
        return fe.can_receive()

    def receive(self, fe, data: bytes) -> None:
        tt = self.tt
        tt.log.push(tt.position(), "serial", [self.index, bytes(data)])
        fe.receive(data)
