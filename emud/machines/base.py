"""A machine: memory map, devices, harts, an accelerator, and run control.

The machine owns the vCPU tasks (one trio task per hart, each running a
bounded quantum of guest instructions and then yielding) and implements the
debug interface (``emud.debug.DebugTarget``) that the gdb stub, the monitor
and the Python API use. Board files (``virt.py``) only build the map and wire
devices; everything here is architecture-neutral.

Run control is all-stop and single-threaded: vCPUs only run between trio
checkpoints, so stopping "all harts" is just a state change seen at the next
quantum.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import trio

from ..clock import VirtualClock
from ..debug import (CONTINUE, Breakpoint, DebugError, DebugTarget, Event, EventBus, MemoryRange,
                     RegisterInfo, ResumeAction, StopEvent, watch_values)
from ..loader import Image, SymbolTable
from ..memory import AddressSpace, BusError, RamRegion
from .pacing import QuantumPacer

PAGE = 4096

#: stops that QEMU's CPUs report with EXCP_DEBUG (see Machine._warp_at_debug_stop)
DEBUG_STOPS = ("breakpoint", "hw-breakpoint", "watchpoint", "step")


class _HartRun:
    """What one hart is doing in the current resume."""

    __slots__ = ("action", "remaining", "done")

    def __init__(self, action: ResumeAction) -> None:
        self.action = action
        self.remaining = action.count if action.kind == "step" else 0
        self.done = action.kind == "stay"


class Machine(DebugTarget):
    """Subclasses build ``bus``, ``cpus``, ``devices`` and ``accel`` and call
    :meth:`finish_init`."""

    name = "machine"

    def __init__(self, icount_shift: Optional[int] = None, icount_adaptive: bool = False,
                 icount_sleep: bool = True) -> None:
        self.bus = AddressSpace()
        self.cpus: List[Any] = []
        self.devices_by_name: Dict[str, Tuple[Any, int, int]] = {}   # name -> (device, base, size)
        self.clock = VirtualClock(icount_shift, retired=self._clock_instructions,
                                  adaptive=icount_adaptive, sleep=icount_sleep)
        self.clock.on_timer_added = self._timer_added
        self.pacer = QuantumPacer()
        self.events = EventBus()
        self.accel: Any = None
        self.frontend: Any = None
        self.image: Optional[Image] = None
        self.symbols = SymbolTable([])
        self.exit_code: Optional[int] = None
        self._state = "stopped"
        self._runs: Dict[int, _HartRun] = {}
        # as QEMU: a machine held before its first instruction (-S) is in "prelaunch"
        self._last_stop: Optional[StopEvent] = StopEvent("prelaunch")
        self._stopped = trio.Event()
        self._stopped.set()
        self._changed = trio.Event()     # replaced and set on every run-state change
        self._quit_event = trio.Event()
        self._kick = trio.Event()
        self._bp_number = 0
        self._breakpoints: Dict[int, Breakpoint] = {}
        self._uart_listeners: List[Callable[[bytes], None]] = []
        self.step_allows_irq = False    # gdb's qqemu.sstep NOIRQ is the default
        self.trap_listeners: List[Callable[[int, int, int, bool], None]] = []
        self.reset_hooks: List[Callable[[], None]] = []
        self._reload_segments: List[Tuple[int, bytes]] = []
        # async callables(task_status=...) the machine starts in its nursery
        # before the vCPUs: chardev backends, the gdb stub, the monitor
        self.services: List[Callable[..., Any]] = []
        self.nursery: Optional[trio.Nursery] = None
        self._running_cpu = None      # the hart inside accel.execute, if any
        self._stop_pending = False    # request_stop() arrived during a quantum
        self._pending_reset = False   # the guest asked for a reset (sifive_test 0x7777)
        # time travel (emud/timetravel): the recorder while recording or replaying
        self.timetravel: Any = None
        self._reversing = False       # a reverse run's task is working

    # -- construction helpers ----------------------------------------------------
    def map_device(self, name: str, base: int, device, size: Optional[int] = None) -> None:
        from ..memory import MmioRegion
        size = size or device.size
        self.bus.map(base, MmioRegion(name, size, device))
        self.devices_by_name[name] = (device, base, size)

    def _total_retired(self) -> int:
        # (a loop, not sum() over a generator: this runs a few times per
        # quantum, and PyPy traced sum's generator into traces too long to keep)
        total = 0
        for cpu in self.cpus:
            total += cpu.instructions_retired()
        return total

    def _clock_instructions(self) -> int:
        """icount time. The instruction in flight (one accessing a device or
        reading the time CSR) is already charged: QEMU charges a TB's
        instructions when the TB starts and ends a TB at an I/O access, so
        the device sees the time just after that instruction. So are the
        ecalls (CPUState.charged): QEMU raises their exception without
        giving the instruction back."""
        running = self._running_cpu
        total = self._total_retired() + (1 if running is not None and running.quantum else 0)
        for cpu in self.cpus:
            total += cpu.charged
        return total

    def _timer_added(self, deadline_ns: int) -> None:
        """A timer armed by the running hart (e.g. a guest write to
        mtimecmp) ends its quantum after this instruction, so the next
        quantum is capped at the new deadline (QEMU kicks the vCPU out of its
        TB loop to recompute its instruction budget)."""
        cpu = self._running_cpu
        if cpu is not None:
            cpu.exit_request = cpu.stop_request = True

    def finish_init(self) -> None:
        for cpu in self.cpus:
            cpu.machine = self
        self.accel.flush_listeners.append(lambda: self._publish("TB_FLUSH", {}))
        self.accel.trap_listeners.append(self._trap_taken)

    # -- images ------------------------------------------------------------------------
    def load_image(self, image: Image) -> None:
        """Copy an image's segments into memory (remembered for reset, as
        QEMU's ROM blobs are re-copied on system reset)."""
        for seg in image.segments:
            data = seg.data + bytes(seg.memsz - len(seg.data))
            self._check_fits(image.path, seg.addr, len(data))
            self.bus.write_bytes(seg.addr, data)
            self._reload_segments.append((seg.addr, data))
        self.image = image
        if len(image.symbols):
            self.symbols = image.symbols

    def _check_fits(self, path: str, addr: int, length: int) -> None:
        from ..loader import LoaderError
        end = addr + length
        pos = addr
        while pos < end:
            hit = self.bus.find(pos)
            if hit is None or not isinstance(hit[0], RamRegion):
                raise LoaderError("%s: segment at 0x%x-0x%x does not fit in the machine's memory "
                                  "(RAM is 0x%x-0x%x)" % (path, addr, end - 1, self.ram_base,
                                                          self.ram_base + self.ram_size - 1))
            pos += hit[2]

    # -- events -----------------------------------------------------------------------------
    def _publish(self, name: str, data: Dict[str, Any]) -> None:
        self.events.publish(Event(name, data, icount=self._total_retired()))

    def uart_output(self, data: bytes) -> None:
        """Called by the board's UART output hook."""
        tt = self.timetravel
        if tt is not None and tt.output_muted():
            return      # replaying history: the user saw this output already
        for listener in list(self._uart_listeners):
            listener(data)

    def uart_listeners(self) -> List[Callable[[bytes], None]]:
        return self._uart_listeners

    def _trap_taken(self, cpu, cause: int, epc: Optional[int], is_interrupt: bool) -> None:
        pc = epc if epc is not None else cpu.pc
        self.notify_trap(cpu.hart_id, cause, pc, is_interrupt)

    def notify_trap(self, hart: int, cause: int, pc: int, is_interrupt: bool) -> None:
        """A hart took a trap (pc: the trapping instruction, or where an
        interrupt arrived): TRAP events and `run until trap`."""
        if self.timetravel is not None and self.timetravel.silent:
            return
        for listener in list(self.trap_listeners):
            listener(hart, cause, pc, is_interrupt)
        if self.events.has_subscribers():
            self._publish("TRAP", {"hart": hart, "cause": cause, "pc": pc, "interrupt": is_interrupt})

    # -- guest-initiated machine events ------------------------------------------------------------
    def kick(self) -> None:
        """Wake harts waiting for an interrupt (called when an IRQ line changes)."""
        self._kick.set()

    def request_shutdown(self, exit_code: int) -> None:
        """The guest asked to exit (sifive_test, semihosting)."""
        if self.exit_code is None:
            self.exit_code = exit_code
        for cpu in self.cpus:
            cpu.exit_request = True
            cpu.stop_request = True

    def request_guest_reset(self) -> None:
        self._pending_reset = True
        for cpu in self.cpus:
            cpu.exit_request = True
            cpu.stop_request = True

    def flush_code_cache_for_fence(self) -> None:
        """FENCE.I: our TB cache tracks code writes itself, but a guest that
        asks gets a fresh view anyway (cheap, and it is what QEMU does)."""
        self.accel.flush_code_cache()

    # -- the vCPU loop -----------------------------------------------------------------------------------
    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> Optional[int]:
        """Run the vCPUs until the guest exits or :meth:`request_quit`.
        Returns the exit code."""
        async with trio.open_nursery() as nursery:
            self.nursery = nursery
            for service in self.services:
                await nursery.start(service)
            for cpu in self.cpus:
                nursery.start_soon(self._vcpu_loop, cpu)
            task_status.started()
            await self._quit_event.wait()
            nursery.cancel_scope.cancel()
        return self.exit_code

    def request_quit(self, exit_code: Optional[int] = None) -> None:
        """End :meth:`run` (the monitor's `quit`, gdb's `k`, the guest's exit)
        with ``exit_code``; without one, with the guest's exit code if it
        has exited, else 0."""
        if exit_code is not None:
            self.exit_code = exit_code
        elif self.exit_code is None:
            self.exit_code = 0
        self._quit_event.set()
        self._kick.set()

    def _notify_change(self) -> None:
        old, self._changed = self._changed, trio.Event()
        old.set()
        if self.timetravel is not None:
            self._kick.set()     # (time travel's idle wait ends too: a seek may have moved the machine)

    async def _vcpu_loop(self, cpu) -> None:
        hart = cpu.hart_id
        while True:
            tt = self.timetravel
            if tt is not None:
                # recording or replaying: the first hart's task runs every
                # hart, in the fixed turns of emud/timetravel/scheduler.py
                if cpu is not self.cpus[0] or self._state != "running" or not self._runs:
                    await self._changed.wait()
                else:
                    await tt.drive()
                continue
            run = self._runs.get(hart)
            if self._state != "running" or run is None or run.done:
                await self._changed.wait()
                continue
            if cpu.halted:
                if cpu.interrupt_pending():
                    cpu.halted = False
                else:
                    await self._idle(cpu)
                    continue
            if self.timetravel is not None:
                continue
            self._run_quantum(cpu, run)
            await trio.lowlevel.checkpoint()

    def _run_quantum(self, cpu, run: _HartRun) -> None:
        clock = self.clock
        action = run.action
        if clock.icount:
            budget = self.pacer.budget(len(self.cpus))
        else:
            # end by the next timer: when the host clock gets there and, at
            # the earliest, once enough instructions ran (clock.py)
            budget = self.pacer.budget(len(self.cpus), clock.host_seconds_until_deadline(),
                                       clock.min_insns_until_deadline())
        single = False
        allow_irq = True
        if action.kind == "step":
            budget = min(budget, run.remaining)
            single = True
            allow_irq = self.step_allows_irq
        elif action.kind == "range":
            budget, single, allow_irq = 1, True, self.step_allows_irq
        cap = clock.insns_until_deadline()
        if cap is not None:
            budget = max(1, min(budget, cap))
        clock.run_quantum()
        before = cpu.instructions_retired()
        self._running_cpu = cpu
        cpu.ends_quantum_on_charge = clock.icount
        started = time.perf_counter()
        try:
            # a plain quantum may end a few instructions late (its last TB
            # runs whole); steps and icount deadlines end exactly
            reason = self.accel.execute(cpu, budget, single, allow_irq, exact=single or cap is not None)
        finally:
            self._running_cpu = None
        retired = cpu.instructions_retired() - before
        if reason == "budget" and not single:
            self.pacer.ran(retired, time.perf_counter() - started)
        clock.run_expired()
        if cpu.stop_request or reason in ("exit", "debug"):
            if self._handle_exit(cpu, reason):
                return
        if action.kind == "step":
            run.remaining -= retired + (1 if reason == "trap" else 0)
            if run.remaining <= 0:
                self._stop(StopEvent("step", cpu.hart_id, cpu.pc))
        elif action.kind == "range":
            if reason == "trap" or not (action.start <= cpu.pc < action.end):
                self._stop(StopEvent("step", cpu.hart_id, cpu.pc))

    def _exact_quantum(self, cpu, budget: int, single: bool) -> str:
        """Run exactly ``budget`` instructions at most (fewer up to the next
        timer), interrupts taken: the time-travel quanta."""
        clock = self.clock
        cap = clock.insns_until_deadline()
        if cap is not None:
            budget = max(1, min(budget, cap))
        clock.run_quantum()
        self._running_cpu = cpu
        cpu.ends_quantum_on_charge = clock.icount
        try:
            reason = self.accel.execute(cpu, budget, single, True, exact=True)
        finally:
            self._running_cpu = None
        clock.run_expired()
        return reason

    def _tt_quantum(self, cpu, run: Optional[_HartRun], budget: int) -> int:
        """One quantum of a recorded or replayed run (emud/timetravel): an
        exact budget; steps take pending interrupts, as free runs do (QEMU's
        stub in replay mode offers no NOIRQ either), and a step is done when
        its hart retired an instruction, so that every step stops at a
        position's canonical state. Returns the instructions retired."""
        action = run.action if run is not None else CONTINUE
        kind = action.kind
        single = kind in ("step", "range") and not run.done
        if single:
            budget = min(budget, run.remaining) if kind == "step" else 1
        before = cpu.instructions_retired()
        reason = self._exact_quantum(cpu, budget, single)
        if cpu.stop_request or reason in ("exit", "debug"):
            if self._handle_exit(cpu, reason):
                return cpu.instructions_retired() - before
        retired = cpu.instructions_retired() - before
        if retired and single:
            if kind == "step":
                run.remaining -= retired
                if run.remaining <= 0:
                    self._stop(StopEvent("step", cpu.hart_id, cpu.pc))
            elif not (action.start <= cpu.pc < action.end):
                self._stop(StopEvent("step", cpu.hart_id, cpu.pc))
        return retired

    def _silent_quantum(self, cpu, budget: int) -> str:
        """One quantum of a silent replay (seek, reverse search): no events,
        no stops; returns "watch" or "debug" at a watchpoint or breakpoint
        (the hart left there, as a forward stop leaves it), "exited",
        "reset", or the engine's reason."""
        reason = self._exact_quantum(cpu, budget, False)
        if cpu.stop_request or reason in ("exit", "debug"):
            cpu.stop_request = cpu.exit_request = False
            self._stop_pending = False
            if self.exit_code is not None:
                return "exited"
            if self._pending_reset:
                self._pending_reset = False
                self._do_reset(keep_running=True)
                return "reset"
            if cpu.watch_hit is not None:
                return "watch"
            if reason == "debug":
                return "debug"
        return reason

    def _handle_exit(self, cpu, reason: str) -> bool:
        """True when the run ended or stopped here; False when the quantum
        was only cut short (a new icount deadline): the run goes on."""
        cpu.stop_request = False
        cpu.exit_request = False
        if self.exit_code is not None:
            self._state = "exited"
            self._publish("SHUTDOWN", {"exit_code": self.exit_code, "reason": "guest-shutdown"})
            self._stop(StopEvent("exited", cpu.hart_id, cpu.pc, exit_code=self.exit_code), state="exited")
            return True
        if self._pending_reset:
            self._pending_reset = False
            self._do_reset(keep_running=True)
            return True
        if self._stop_pending:
            self._stop_pending = False
            self._stop(StopEvent("interrupt", cpu.hart_id, cpu.pc))
            return True
        if cpu.watch_hit is not None:
            kind, waddr, _ = cpu.watch_hit
            cpu.watch_hit = None
            event = StopEvent("watchpoint", cpu.hart_id, cpu.pc, watch_kind=kind, watch_addr=waddr)
            watch = self._watch_after_access(kind, waddr)
            if watch is not None:
                event = self._finish_watched_access(cpu, watch, event)
                if self.exit_code is not None:     # the access ended the guest
                    return self._handle_exit(cpu, "exit")
            self._publish("WATCHPOINT", {"hart": cpu.hart_id, "pc": event.pc, "kind": kind, "addr": waddr,
                                         **watch_values(event)})
            self._stop(event)
            return True
        if reason == "debug":
            bp = self._breakpoint_at(cpu.pc)
            kind = "hw-breakpoint" if bp is not None and bp.kind == "hw" else "breakpoint"
            if bp is not None and bp.temporary:
                self.delete_breakpoint(bp.number)
            self._publish("BREAKPOINT", {"hart": cpu.hart_id, "pc": cpu.pc, "number": bp.number if bp else None})
            self._stop(StopEvent(kind, cpu.hart_id, cpu.pc))
            return True
        return False

    def _watch_after_access(self, kind: str, addr: int) -> Optional[Breakpoint]:
        """The hit watchpoint when it reports after the access; None when one
        that stops before it (gdb's) watches there too: that one wins."""
        hits = [bp for bp in self._breakpoints.values() if bp.kind == kind and bp.addr == addr]
        return hits[0] if hits and all(bp.after_access for bp in hits) else None

    def _finish_watched_access(self, cpu, watch: Breakpoint, event: StopEvent) -> StopEvent:
        """Run the accessing instruction the hart stopped before, unwatched and
        alone (no interrupt, no other hart), and report the stop after it."""
        old = self._peek(watch.addr, watch.length)
        cpu.skip_watch_at = cpu.pc
        self.accel.execute(cpu, 1, True, False, exact=True)
        cpu.skip_watch_at = None
        # as a quantum ending here would: a timer due after this instruction
        # fires now (a replay, which runs it inside a quantum, fires it here)
        self.clock.run_expired()
        return dataclasses.replace(event, pc=cpu.pc, access_done=True, old_value=old,
                                   new_value=self._peek(watch.addr, watch.length))

    def _peek(self, addr: int, length: int) -> Optional[bytes]:
        try:
            return self.bus.read_bytes(addr, length)
        except BusError:      # a watched device window that cannot be read back
            return None

    async def _idle(self, cpu) -> None:
        """A hart waits for an interrupt (WFI)."""
        clock = self.clock
        self._kick = trio.Event() if self._kick.is_set() else self._kick
        kick = self._kick
        all_idle = all((c.halted and not c.interrupt_pending()) or self._runs.get(c.hart_id) is None
                       or self._runs[c.hart_id].done for c in self.cpus)
        deadline = clock.next_deadline()
        if clock.icount and all_idle and deadline is not None and not clock.icount_sleep:
            clock.warp_to(deadline)   # -icount sleep=off: skip the idle period
            clock.run_expired()
            await trio.lowlevel.checkpoint()
            return
        if all_idle:
            clock.idle()              # time flows with the host (realtime: lag made up; icount: sleep=on)
            if clock.run_expired():
                await trio.lowlevel.checkpoint()
                return
        timeout = clock.seconds_until_deadline()
        with trio.move_on_after(timeout if timeout is not None else 3600):
            await kick.wait()
        clock.run_expired()

    # -- run control (DebugTarget) --------------------------------------------------------------------------
    @property
    def run_state(self) -> str:
        return self._state

    def resume(self, actions: Optional[Dict[int, ResumeAction]] = None, default: ResumeAction = CONTINUE) -> None:
        if self._reversing:
            raise DebugError("a reverse run is under way (stop it first)")
        if self._state == "exited":
            tt = self.timetravel
            if tt is None or tt.mode != "replay":
                raise DebugError("the guest has exited")
            # replaying history past an exit the user reset or reloaded from
        actions = actions or {}
        self._runs = {}
        for cpu in self.cpus:
            action = actions.get(cpu.hart_id, default)
            self._runs[cpu.hart_id] = _HartRun(action)
            last = self._last_stop
            # continuing from a breakpoint: execute its instruction once; a step
            # executes its first instruction whatever breakpoint is there, as
            # QEMU 7.2's single-step overrides breakpoints (gdb's stepi after
            # `set $pc` onto one runs it)
            if self._breakpoint_at(cpu.pc) is not None and (action.kind == "step" or (
                    last is not None and last.reason in ("breakpoint", "hw-breakpoint")
                    and last.hart == cpu.hart_id and cpu.pc == last.pc)):
                cpu.skip_breakpoint_at = cpu.pc
            # from a watchpoint stop (before the access): do that access, unwatched
            if last is not None and last.reason == "watchpoint" and last.hart == cpu.hart_id and cpu.pc == last.pc \
                    and not last.access_done:
                cpu.skip_watch_at = cpu.pc
        if all(r.done for r in self._runs.values()):
            raise DebugError("nothing to resume: every hart was told to stay")
        self._state = "running"
        self._stopped = trio.Event()
        self.clock.start()
        self._notify_change()
        self._publish("RESUME", {})

    def _stop(self, event: StopEvent, state: str = "stopped") -> None:
        if self._state != "running" and state != "exited":
            return
        if event.reason in DEBUG_STOPS and event.direction == "forward":
            self._warp_at_debug_stop(event.hart)
        self._state = state
        self._runs = {}
        self._stop_pending = False
        self.clock.stop()
        for cpu in self.cpus:
            cpu.skip_breakpoint_at = cpu.skip_watch_at = None
        self._last_stop = event
        if event.reason != "exited":
            self._publish("STOP", {"reason": event.reason, "hart": event.hart, "pc": event.pc,
                                   "direction": event.direction})
        self._stopped.set()
        self._notify_change()

    def _warp_at_debug_stop(self, hart: int) -> None:
        """-icount sleep=off: QEMU 7.2 moves virtual time on to the next
        timer's deadline at a breakpoint, watchpoint or single-step stop
        when every other CPU waits for an interrupt. The CPU leaving with
        EXCP_DEBUG counts as idle before the main loop stops the machine,
        and the main loop's icount_start_warp_timer() sees every CPU idle,
        the machine still running: a stop for the rest, such as Ctrl-C, comes
        from the main loop and sees it stopped. The timer then fires
        (mip.MTIP is set before gdb reads it), and the guest takes it when
        it runs on. Not while recording or replaying: a replay's stops
        are not the recording's."""
        clock = self.clock
        if not clock.icount or clock.icount_sleep or self.timetravel is not None:
            return
        if not all(c.hart_id == hart or (c.halted and not c.interrupt_pending()) for c in self.cpus):
            return
        deadline = clock.next_deadline()
        if deadline is not None:
            clock.warp_to(deadline)
            clock.run_expired()

    def request_stop(self) -> None:
        """Stop every hart. Between quanta that is immediate; from inside a
        quantum (a UART or trap listener) the running hart leaves its TB at
        the next boundary and the stop reports the pc it reached there."""
        if self._state != "running":
            return
        if self._reversing:
            self.timetravel.abort = True     # the reverse run ends where it started
            return
        if self._running_cpu is not None:
            self._stop_pending = True
            cpu = self._running_cpu
            cpu.exit_request = cpu.stop_request = True
            return
        self._stop(StopEvent("interrupt", self.cpus[0].hart_id, self.cpus[0].pc))

    async def wait_for_stop(self) -> StopEvent:
        await self._stopped.wait()
        assert self._last_stop is not None
        return self._last_stop

    def last_stop(self) -> Optional[StopEvent]:
        return self._last_stop

    def reset(self, keep_running: bool = False) -> None:
        """System reset: harts, devices, the loaded image re-copied, code cache flushed."""
        if self.timetravel is not None:
            self.timetravel.user_input("reset", [])
        self._do_reset(keep_running)

    def _do_reset(self, keep_running: bool = False) -> None:
        silent = self.timetravel is not None and self.timetravel.silent
        for addr, data in self._reload_segments:
            self.bus.write_bytes(addr, data)
        for dev, _, _ in self.devices_by_name.values():
            dev.reset()
        for cpu in self.cpus:
            cpu.reset()
            cpu.halted = False
            cpu.exit_request = cpu.stop_request = False
        self.board_reset()
        self.accel.flush_code_cache()
        if not silent:
            self._publish("RESET", {})
        if not keep_running and self._state == "exited":
            self._state = "stopped"
            self.exit_code = None
        if self._state != "running":
            # what `info status` and gdb's `?` report now: the reset, not the stop before it
            self._last_stop = StopEvent("reset", self.cpus[0].hart_id, self.cpus[0].pc)

    def board_reset(self) -> None:
        """Board-specific reset state (reset vector, ROM)."""

    # -- state access (DebugTarget) ------------------------------------------------------------------------
    def _cpu(self, hart: int):
        for cpu in self.cpus:
            if cpu.hart_id == hart:
                return cpu
        raise DebugError("no hart %d (harts: %s)" % (hart, ", ".join(str(c.hart_id) for c in self.cpus)))

    def hart_ids(self) -> List[int]:
        return [cpu.hart_id for cpu in self.cpus]

    def hart_description(self, hart: int) -> str:
        cpu = self._cpu(hart)
        state = "halted (wfi)" if cpu.halted else self._state
        return "hart %d (%s)" % (hart, state)

    # gdb's view of the CPUs, as QEMU 7.2's stub gives it: no thread names,
    # info threads shows "Thread 1.1 (CPU#0 [running])"
    def thread_name(self, hart: int) -> None:
        return None

    def thread_extra_info(self, hart: int) -> str:
        # the CPU's own halted state (WFI), "halted " padded to the width of "running"
        return "CPU#%d [%s]" % (hart, "halted " if self._cpu(hart).halted else "running")

    def registers(self) -> Sequence[RegisterInfo]:
        return self.cpus[0].debug_registers()

    def _reg_name(self, reg: Any) -> str:
        if isinstance(reg, int):
            for info in self.registers():
                if info.regnum == reg:
                    return info.name
            raise DebugError("no register number %d" % reg)
        return str(reg)

    def read_register(self, hart: int, reg: Any) -> int:
        try:
            return self._cpu(hart).get_register(self._reg_name(reg))
        except KeyError:
            raise DebugError("unknown register %r" % (reg,)) from None

    def write_register(self, hart: int, reg: Any, value: int) -> None:
        try:
            cpu = self._cpu(hart)
            name = self._reg_name(reg)
            if self.timetravel is not None:
                cpu.get_register(name)        # (an unknown name is refused before it is logged)
                self.timetravel.user_input("reg", [hart, name, int(value)])
            cpu.set_register(name, value)
        except KeyError:
            raise DebugError("unknown register %r" % (reg,)) from None

    def read_memory(self, addr: int, length: int) -> bytes:
        try:
            return self.bus.read_bytes(addr, length)
        except BusError as e:
            raise DebugError("cannot access memory at 0x%x" % e.addr) from None

    def write_memory(self, addr: int, data: bytes) -> None:
        try:
            if self.timetravel is not None:
                self.bus.read_bytes(addr, len(data))     # (unmapped: refused before it is logged)
                self.timetravel.user_input("mem", [addr, bytes(data)])
            self.bus.write_bytes(addr, bytes(data))
        except BusError as e:
            raise DebugError("cannot access memory at 0x%x" % e.addr) from None

    def memory_map(self) -> Sequence[MemoryRange]:
        return [MemoryRange(start, end - start + 1, kind, name) for start, end, kind, name in self.bus.describe()]

    def symbolize(self, addr: int) -> Optional[Tuple[str, int]]:
        return self.symbols.symbolize(addr)

    def lookup_symbol(self, name: str) -> Optional[int]:
        return self.symbols.lookup(name)

    def disassemble(self, addr: int, count: int) -> List[Tuple[int, bytes, str, str]]:
        out: List[Tuple[int, bytes, str, str]] = []
        pc = addr
        while len(out) < count:
            try:
                code = self.bus.read_bytes(pc, 4)
            except BusError:
                try:
                    code = self.bus.read_bytes(pc, 2)
                except BusError:
                    if not out:
                        raise DebugError("cannot access memory at 0x%x" % pc) from None
                    break
            lines = self.frontend.disassemble(code, pc)
            if not lines:
                size = self.frontend.insn_length(int.from_bytes(code[:2], "little"))
                out.append((pc, code[:size], ".insn", "0x%x" % int.from_bytes(code[:size], "little")))
                pc += size
                continue
            a, size, mnem, ops = lines[0]
            out.append((a, code[:size], mnem, ops))
            pc += size
        return out

    def instructions_retired(self, hart: int) -> int:
        return self._cpu(hart).instructions_retired()

    # -- breakpoints (DebugTarget) --------------------------------------------------------------------------
    def add_breakpoint(self, kind: str, addr: int, length: int = 1, temporary: bool = False,
                       after_access: bool = False) -> Breakpoint:
        if kind not in ("sw", "hw", "write", "read", "access"):
            raise DebugError("unknown breakpoint kind %r" % kind)
        after_access = after_access and kind in ("write", "read", "access")
        for bp in self._breakpoints.values():
            if bp.kind == kind and bp.addr == addr and bp.length == length and bp.after_access == after_access:
                return bp
        self._bp_number += 1
        bp = Breakpoint(self._bp_number, kind, addr, length, temporary, after_access)
        self._breakpoints[bp.number] = bp
        self._sync_breakpoints()
        return bp

    def remove_breakpoint(self, kind: str, addr: int, length: int = 1) -> bool:
        for num, bp in list(self._breakpoints.items()):
            if bp.kind == kind and bp.addr == addr and (kind in ("sw", "hw") or bp.length == length) \
                    and not bp.after_access:      # (those go by number: gdb's z2 never removes the monitor's)
                del self._breakpoints[num]
                self._sync_breakpoints()
                return True
        return False

    def delete_breakpoint(self, number: int) -> bool:
        if self._breakpoints.pop(number, None) is None:
            return False
        self._sync_breakpoints()
        return True

    def breakpoints(self) -> List[Breakpoint]:
        return sorted(self._breakpoints.values(), key=lambda b: b.number)

    def _breakpoint_at(self, pc: int) -> Optional[Breakpoint]:
        for bp in self._breakpoints.values():
            if bp.kind in ("sw", "hw") and bp.addr == pc:
                return bp
        return None

    def _sync_breakpoints(self) -> None:
        pcs = {bp.addr for bp in self._breakpoints.values() if bp.kind in ("sw", "hw")}
        self.accel.set_breakpoints(pcs)
        self.accel.set_watchpoints([bp for bp in self._breakpoints.values() if bp.kind in ("write", "read", "access")])

    # -- translator control (DebugTarget) -------------------------------------------------------------------------
    def flush_code_cache(self) -> None:
        self.accel.flush_code_cache()

    def invalidate_code(self, addr: int, length: int) -> None:
        self.accel.invalidate_code(addr, length)

    def statistics(self) -> Dict[str, Any]:
        stats = dict(self.accel.statistics())
        stats["instructions"] = self._total_retired()
        return stats

    def set_log_items(self, items: Sequence[str]) -> None:
        from ..log import parse_items
        parse_items(",".join(items) if items else "none")
        self.accel.set_log_items(list(items))

    def log_items(self) -> List[str]:
        log = getattr(self.accel, "log", None)
        return sorted(log.items) if log is not None else []

    # -- devices and snapshots ---------------------------------------------------------------------------------------
    #: the board's display, something with ``screendump_ppm()``; None: none
    display: Any = None

    def screendump(self) -> bytes:
        if self.display is None:
            raise DebugError("%s has no display to take a screendump from" % self.name)
        return self.display.screendump_ppm()

    def devices(self) -> List[Dict[str, Any]]:
        out = []
        for name, (dev, base, size) in sorted(self.devices_by_name.items(), key=lambda kv: kv[1][1]):
            info = dict(dev.info()) if hasattr(dev, "info") else {}
            info.update({"name": name, "type": type(dev).__name__, "base": base, "size": size})
            out.append(info)
        return out

    def save_snapshot(self) -> Dict[str, Any]:
        return {
            "machine": self.name,
            "cpus": [cpu.save_state() for cpu in self.cpus],
            "memory": [(base, bytes(region.data)) for base, region in self.bus.ram_regions()],
            "devices": {name: dev.save_state() for name, (dev, _, _) in self.devices_by_name.items()},
            "clock": self.clock.save_state(),
            "exit_code": self.exit_code,
        }

    def restore_snapshot(self, snapshot: Dict[str, Any]) -> None:
        tt = self.timetravel
        if tt is None:
            self._restore_snapshot_now(snapshot)
            return
        self._check_snapshot(snapshot)
        tt.user_input("snapshot", snapshot)
        before = self._total_retired()
        self._restore_snapshot_now(snapshot)
        tt.pos_offset += before - self._total_retired()

    def _check_snapshot(self, snapshot: Dict[str, Any]) -> None:
        if snapshot.get("machine") != self.name:
            raise DebugError("snapshot is for machine %r, not %r" % (snapshot.get("machine"), self.name))
        # check everything before changing anything: a refused snapshot leaves the machine as it was
        if len(snapshot["cpus"]) != len(self.cpus):
            raise DebugError("snapshot has %d harts, this machine %d" % (len(snapshot["cpus"]), len(self.cpus)))
        for cpu, state in zip(self.cpus, snapshot["cpus"]):
            if state.get("xlen", cpu.xlen) != cpu.xlen:
                raise DebugError("snapshot is for %d-bit harts, this machine has %d-bit ones" % (state["xlen"], cpu.xlen))
        regions = dict(self.bus.ram_regions())
        for base, data in snapshot["memory"]:
            region = regions.get(base)
            if region is None or region.size != len(data):
                raise DebugError("snapshot memory layout does not match this machine")

    def _restore_snapshot_now(self, snapshot: Dict[str, Any]) -> None:
        self._check_snapshot(snapshot)
        regions = dict(self.bus.ram_regions())
        for base, data in snapshot["memory"]:
            self._restore_region(base, regions[base], data)
        for cpu, state in zip(self.cpus, snapshot["cpus"]):
            cpu.load_state(state)
            cpu.exit_request = cpu.stop_request = False
        self.clock.load_state(snapshot["clock"])   # first: devices re-arm timers against it
        for name, state in snapshot["devices"].items():
            if name in self.devices_by_name:
                self.devices_by_name[name][0].load_state(state)
        self.exit_code = snapshot.get("exit_code")
        if self._state == "exited" and self.exit_code is None:
            self._state = "stopped"

    def _restore_region(self, base: int, region: RamRegion, data: bytes) -> None:
        """Copy a snapshot's RAM back, invalidating translated code only on
        the pages that differ."""
        cur = memoryview(region.data)
        new = memoryview(data)
        for off in range(0, region.size, PAGE):
            if cur[off:off + PAGE] != new[off:off + PAGE]:
                region.data[off:off + PAGE] = new[off:off + PAGE]
                self.accel.invalidate_code(base + off, PAGE)
                if self.timetravel is not None:      # the dirty log sees it
                    for listener in self.bus.ram_write_listeners:
                        listener(base + off, PAGE)

    # -- time travel (DebugTarget; emud/timetravel does the work) -------------------------------------------
    def _recorder(self):
        tt = self.timetravel
        if tt is None:
            raise DebugError("not recording (start with: record start)")
        return tt

    def _require_stopped(self, what: str) -> None:
        if self._state == "running":
            raise DebugError("%s: the machine is running (stop it first)" % what)

    def record_start(self, size_limit: Optional[int] = None, interval: Optional[int] = None) -> None:
        from ..timetravel import DEFAULT_INTERVAL, TimeTravel
        if size_limit is not None and size_limit < (1 << 20):
            raise DebugError("record size must be at least 1 MiB")
        if not getattr(self.accel, "dirty_chunk_shift", 0):
            raise DebugError("recording needs an accelerator with dirty logging (tcg)")
        if self.timetravel is not None:
            self.record_stop()
        tt = TimeTravel(self, size_limit, interval or DEFAULT_INTERVAL)
        self.timetravel = tt
        tt.start(None)
        self._publish("HISTORY", {"what": "record-start", "position": tt.position()})
        self._notify_change()

    def record_stop(self) -> None:
        tt = self._recorder()
        if self._reversing:
            raise DebugError("record stop: a reverse run is under way (stop it first)")
        if tt.mode == "replay":
            tt.truncate_here()
        tt.stop()
        self.timetravel = None
        self._publish("HISTORY", {"what": "record-stop", "position": self._total_retired()})
        self._notify_change()

    def record_info(self) -> Dict[str, Any]:
        tt = self.timetravel
        if tt is None:
            return {"mode": "off"}
        history = tt.history
        begin_ns = history.first.state["clock"]["accumulated_ns"]
        end_ns = self.clock.now_ns() if tt.mode == "record" else tt.end_ns
        return {
            "mode": tt.mode, "begin": history.first.position, "end": tt.end, "position": tt.position(),
            "begin_ns": begin_ns, "end_ns": end_ns, "span_ns": end_ns - begin_ns,
            "checkpoints": len(history.checkpoints), "bytes": history.nbytes() + tt.log.nbytes(),
            "limit": history.size_limit, "interval": tt.interval, "checkpoint_seconds": tt.checkpoint_seconds,
            "icount_shift": self.clock.icount_shift,
            "inputs": len(tt.log.pushed) + len(tt.log.pulled), "diverged": tt.diverged,
        }

    def history_position(self) -> int:
        tt = self.timetravel
        return tt.position() if tt is not None else self._total_retired()

    def reverse_resume(self, action: ResumeAction = CONTINUE, hart: Optional[int] = None) -> None:
        from ..timetravel import reverse
        tt = self._recorder()
        self._require_stopped("reverse")
        kind = action.kind if isinstance(action, ResumeAction) else str(action)
        cpu = self._cpu(self.cpus[0].hart_id if hart is None else hart)
        if kind == "step":
            work = reverse.reverse_step(tt, cpu, action.count if isinstance(action, ResumeAction) else 1)
        elif kind == "continue":
            work = reverse.reverse_continue(tt, cpu.hart_id)
        else:
            raise DebugError("reverse %s: only step and continue run backwards" % kind)
        if self._state == "exited":
            self._state = "stopped"
        self._state = "running"
        self._runs = {}
        self._stopped = trio.Event()
        self._reversing = True
        tt.abort = False
        self._notify_change()
        self._publish("RESUME", {"direction": "reverse"})
        if self.nursery is not None:
            self.nursery.start_soon(self._reverse_task, work)
            return
        from ..timetravel import Divergence
        try:
            event = self._run_work(work)
        except Divergence as e:
            self._reversing = False
            tt.report_divergence(str(e))
            return
        self._finish_reverse(event)

    @staticmethod
    def _run_work(work) -> StopEvent:
        while True:
            try:
                next(work)
            except StopIteration as done:
                return done.value

    async def _reverse_task(self, work) -> None:
        from ..timetravel import Divergence
        event: Optional[StopEvent] = None
        try:
            while True:
                try:
                    next(work)
                except StopIteration as done:
                    event = done.value
                    break
                await trio.lowlevel.checkpoint()
        except Divergence as e:
            self._reversing = False
            self.timetravel.report_divergence(str(e))
            return
        except Exception as exc:    # a bug of ours: one line, and the machine stays usable
            from ..internal import report_internal_error
            report_internal_error("reverse execution", exc)
            cpu = self.cpus[0]
            event = StopEvent("interrupt", cpu.hart_id, cpu.pc, detail="internal error", direction="reverse")
        self._finish_reverse(event)

    def _finish_reverse(self, event: StopEvent) -> None:
        self._reversing = False
        tt = self.timetravel
        self.clock.stop()
        if self._state != "running":
            return      # (a divergence stopped it, reported)
        if event.reason == "history-begin" and tt is not None:
            self._publish("HISTORY", {"what": "begin", "position": tt.position()})
        self._stop(event)

    def seek(self, position: int) -> None:
        tt = self._recorder()
        self._require_stopped("seek")
        position = int(position)
        first, end = tt.history.first.position, tt.end
        if not first <= position <= end:
            raise DebugError("position %d is outside history (%d-%d)" % (position, first, end))
        from ..timetravel import Divergence
        try:
            tt.seek_state(position)
        except Divergence as e:
            tt.report_divergence(str(e))
            raise DebugError(tt.diverged) from None
        self.clock.stop()
        if self._state == "exited" and self.exit_code is None:
            self._state = "stopped"
        cpu = self.cpus[0]
        self._last_stop = StopEvent("seek", cpu.hart_id, cpu.pc)
        self._notify_change()

    def export_recording(self) -> Dict[str, Any]:
        from ..timetravel.recording import export
        return export(self._recorder())

    def start_replay(self, recording: Dict[str, Any]) -> None:
        from ..timetravel.recording import start_replay
        self._require_stopped("replay")
        start_replay(self, recording)
        self._notify_change()
