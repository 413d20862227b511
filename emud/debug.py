"""The narrow debug interface between front ends (gdb stub, monitor, Python
API) and a running machine.

Front ends never reach into the translator, the CPU classes or the devices:
everything they do goes through :class:`DebugTarget`, which
``emud.machines.base.Machine`` implements. That is what lets the same stub and
monitor serve every guest architecture and every accelerator.

Run control is all-stop: when one hart stops (breakpoint, watchpoint, step
done, user interrupt), every hart stops, and one :class:`StopEvent` is
published. ``resume()`` starts them again with a per-hart action.

Events (stop, resume, trap, UART output, shutdown, TB flush) are published on
the machine's :class:`EventBus`; subscribers get a trio receive channel.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import trio


class DebugError(Exception):
    """A user-facing error: bad address, unknown register, and so on. The
    message is one clear line for the user."""


# -- description of the target ----------------------------------------------------

@dataclass(frozen=True)
class RegisterInfo:
    name: str              # "pc", "a0", "mstatus"
    bitsize: int           # 32 or 64
    regnum: int            # gdb register number (the order of the 'g' packet for core regs)
    group: str             # "general", "csr", "virtual"
    gdb_type: str = "int"  # "int", "code_ptr", "data_ptr"
    feature: str = ""      # XML feature it belongs to ("org.gnu.gdb.riscv.cpu", ...)
    in_g_packet: bool = False
    aliases: Tuple[str, ...] = ()   # "x10", "fp"


@dataclass(frozen=True)
class MemoryRange:
    start: int
    size: int
    kind: str      # "ram", "rom", "io"
    name: str


# -- run control ------------------------------------------------------------------------

@dataclass(frozen=True)
class ResumeAction:
    """What one hart does on resume.

    kind: "continue", "step" (``count`` instructions), "range" (step while
    ``start <= pc < end``, gdb's range stepping) or "stay" (remain stopped).
    ``signal`` is accepted for gdb's C/S packets and ignored by bare-metal
    guests. Whether a step may enter a pending interrupt's handler is the
    target's ``step_allows_irq`` (off by default, as QEMU's qqemu.sstep).
    """

    kind: str = "continue"
    count: int = 1
    start: int = 0
    end: int = 0
    signal: int = 0


CONTINUE = ResumeAction("continue")
STEP = ResumeAction("step")
STAY = ResumeAction("stay")


@dataclass
class StopEvent:
    """Why the machine stopped.

    reason: "breakpoint" (sw), "hw-breakpoint", "watchpoint", "step" (a step
    or range step finished), "interrupt" (stop() / Ctrl-C), "prelaunch" (held
    by -S before the first instruction), "reset" (a reset while stopped),
    "exited" (guest exit; ``exit_code`` set), "trap" (a stop on a
    trap requested by a front end); with time travel (see
    :meth:`DebugTarget.record_start`): "history-begin" (a reverse run reached
    the start of history: gdb's ``replaylog:begin``), "history-end" (a
    forward replay reached the present with ``stop_at_history_end`` set:
    ``replaylog:end``), "divergence" (a replay did not match its recording;
    ``detail`` names the instruction count and pc), "seek" (``seek()``).

    ``direction`` is "reverse" for the stops of :meth:`DebugTarget.reverse_resume`.
    A watchpoint found in reverse is reported after its access
    (``access_done``, pc past the accessing instruction), so that gdb's own
    step back over it lands on that instruction.
    """

    reason: str
    hart: int = 0
    pc: int = 0
    watch_kind: Optional[str] = None   # "write", "read", "access"
    watch_addr: Optional[int] = None
    exit_code: Optional[int] = None
    detail: str = ""
    # a watchpoint set with after_access: the access is done (pc is past
    # it), and the watched bytes before and after
    access_done: bool = False
    old_value: Optional[bytes] = None
    new_value: Optional[bytes] = None
    direction: str = "forward"


def watch_values(ev: StopEvent) -> Dict[str, int]:
    """{"old", "new"}: an after-access watchpoint stop's values, as
    little-endian numbers (both guests are little-endian); {} otherwise."""
    return {name: int.from_bytes(value, "little")
            for name, value in (("old", ev.old_value), ("new", ev.new_value)) if value is not None}


@dataclass(frozen=True)
class Breakpoint:
    number: int
    kind: str       # "sw", "hw", "write", "read", "access"
    addr: int
    length: int = 1
    temporary: bool = False
    # a watchpoint's stop: before the access, at the accessing instruction
    # (gdb's, as QEMU's stub: gdb steps over it itself), or after it, the
    # access done and pc at the next instruction (the monitor's, which
    # remove_breakpoint leaves alone: delete it by number)
    after_access: bool = False


# -- events --------------------------------------------------------------------------------

@dataclass
class Event:
    """A machine event for QMP and other subscribers."""

    name: str                      # "STOP", "RESUME", "BREAKPOINT", "WATCHPOINT", "TRAP", "UART", "SHUTDOWN", "TB_FLUSH", "RESET", "HISTORY" (emud/timetravel)
    data: Dict[str, Any] = field(default_factory=dict)
    timestamp: float = field(default_factory=time.time)
    icount: int = 0


class EventBus:
    """Fan-out of machine events to any number of subscribers (non-blocking)."""

    def __init__(self) -> None:
        self._subscribers: List[trio.MemorySendChannel] = []
        self.hooks: List[Any] = []  # plain callables(event), called synchronously

    def subscribe(self, max_buffer: float = 1000) -> trio.MemoryReceiveChannel:
        send, recv = trio.open_memory_channel(max_buffer)
        self._subscribers.append(send)
        return recv

    def has_subscribers(self) -> bool:
        return bool(self._subscribers or self.hooks)

    def publish(self, event: Event) -> None:
        for hook in list(self.hooks):
            hook(event)
        alive = []
        for send in self._subscribers:
            try:
                send.send_nowait(event)
                alive.append(send)
            except trio.WouldBlock:
                alive.append(send)  # a slow subscriber loses events, not the machine
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
        self._subscribers = alive


class DebugTarget:
    """The interface front ends use. All methods are synchronous except the
    waits; they act on a stopped machine unless said otherwise.

    Addresses are guest virtual = physical (bare metal, no MMU).
    Errors the user can cause raise :class:`DebugError`.
    """

    # description
    arch_name: str          # "riscv:rv32" / "riscv:rv64"
    xlen: int
    def registers(self) -> Sequence[RegisterInfo]: raise NotImplementedError
    def memory_map(self) -> Sequence[MemoryRange]: raise NotImplementedError
    def hart_ids(self) -> List[int]: raise NotImplementedError
    def hart_description(self, hart: int) -> str: raise NotImplementedError
    def thread_name(self, hart: int) -> Optional[str]:
        """gdb's name of the hart's thread (qXfer:threads); None: no name."""
        raise NotImplementedError
    def thread_extra_info(self, hart: int) -> str:
        """What gdb's info threads shows in parentheses (qThreadExtraInfo)."""
        raise NotImplementedError
    def qmp_cpu_info(self, hart: int) -> Dict[str, Any]:
        """QEMU's query-cpus-fast entry for this CPU beside cpu-index and
        thread-id: its QOM path, props where the board has them, target."""
        raise NotImplementedError

    # state
    def read_register(self, hart: int, reg: Any) -> int: raise NotImplementedError   # reg: name or gdb regnum
    def write_register(self, hart: int, reg: Any, value: int) -> None: raise NotImplementedError
    def read_memory(self, addr: int, length: int) -> bytes: raise NotImplementedError
    def write_memory(self, addr: int, data: bytes) -> None: raise NotImplementedError
    def symbolize(self, addr: int) -> Optional[Tuple[str, int]]: raise NotImplementedError   # (symbol, offset)
    def lookup_symbol(self, name: str) -> Optional[int]: raise NotImplementedError
    def disassemble(self, addr: int, count: int) -> List[Tuple[int, bytes, str, str]]: raise NotImplementedError

    # breakpoints and watchpoints (gdb's Z0-Z4 kinds: "sw", "hw", "write", "read", "access")
    def add_breakpoint(self, kind: str, addr: int, length: int = 1, temporary: bool = False,
                       after_access: bool = False) -> Breakpoint: raise NotImplementedError
    def remove_breakpoint(self, kind: str, addr: int, length: int = 1) -> bool: raise NotImplementedError
    def delete_breakpoint(self, number: int) -> bool: raise NotImplementedError
    def breakpoints(self) -> List[Breakpoint]: raise NotImplementedError

    # run control
    @property
    def run_state(self) -> str: raise NotImplementedError        # "stopped", "running", "exited"
    def resume(self, actions: Optional[Dict[int, ResumeAction]] = None, default: ResumeAction = CONTINUE) -> None: raise NotImplementedError
    def request_stop(self) -> None: raise NotImplementedError     # async completion: a StopEvent("interrupt")
    async def wait_for_stop(self) -> StopEvent: raise NotImplementedError
    def last_stop(self) -> Optional[StopEvent]: raise NotImplementedError
    def reset(self) -> None: raise NotImplementedError
    step_allows_irq: bool = False   # steps take pending interrupts (gdb's qqemu.sstep without NOIRQ)

    def instructions_retired(self, hart: int) -> int: raise NotImplementedError
    # end emud; exit_code None: the guest's exit code if it exited, else 0
    def request_quit(self, exit_code: Optional[int] = None) -> None: raise NotImplementedError

    # translator control and statistics (accelerator-neutral names)
    def flush_code_cache(self) -> None: raise NotImplementedError
    def invalidate_code(self, addr: int, length: int) -> None: raise NotImplementedError
    def statistics(self) -> Dict[str, Any]: raise NotImplementedError   # {"tb_count", "code_bytes", "translations", "invalidations", "flushes", "chain_hits", "jump_cache_hits", ...}
    def set_log_items(self, items: Sequence[str]) -> None: raise NotImplementedError   # the -d items ("in_asm", "op", "op_opt", "out_asm", "exec", "int", "nochain"); [] = none
    def log_items(self) -> List[str]: raise NotImplementedError

    # machine
    events: EventBus
    def devices(self) -> List[Dict[str, Any]]: raise NotImplementedError     # [{"name", "type", "base", "size", "irq"...}]
    def save_snapshot(self) -> Any: raise NotImplementedError               # plain data: dict, list, int, str, bool, None, bytes (CPUs, RAM, devices, clock)
    def restore_snapshot(self, snapshot: Any) -> None: raise NotImplementedError
    def uart_listeners(self) -> List[Any]: raise NotImplementedError        # append callables(bytes) to see UART output
    def screendump(self) -> bytes: raise NotImplementedError                 # the display as QEMU's screendump writes it (a binary PPM); DebugError without one

    # -- time travel ------------------------------------------------------------------------
    # A *position* is the machine's instruction count over all harts (the
    # sum of their retired instructions, kept growing across snapshot
    # loads). History is the span of positions from its first checkpoint to
    # the present (the furthest position reached). Every method raises
    # DebugError with one line for the user when it cannot act (not
    # recording, the machine running, a position outside history).

    def record_start(self, size_limit: Optional[int] = None) -> None:
        """Start recording at the current position. From here guest time is
        the instruction count (the machine's ``-icount shift=N`` if it has a
        fixed one, else ``emud.timetravel.DEFAULT_ICOUNT_SHIFT``; a
        ``shift=auto`` is pinned at its current shift), several harts run in
        fixed turns, every input from outside is logged at its position, and
        a checkpoint (harts, devices, clock and the RAM chunks written since
        the previous one) is taken every ``emud.timetravel.DEFAULT_INTERVAL``
        instructions. ``size_limit``: bytes history may use (default
        ``emud.timetravel.DEFAULT_SIZE_LIMIT``, 512 MiB); beyond it history
        is thinned, then its oldest part goes. Works stopped or running;
        recording again restarts history here."""
        raise NotImplementedError

    def record_stop(self) -> None:
        """Stop recording and forget history; the machine stays where it is
        (in the past, that is the new present: what followed is dropped) and
        guest time goes back to the clock mode the machine had."""
        raise NotImplementedError

    def record_info(self) -> Dict[str, Any]:
        """{"mode": "off" | "record" | "replay", "begin": first position of
        history, "end": the present, "position": now, "begin_ns"/"end_ns":
        guest time at both ends, "span_ns", "checkpoints", "bytes" (memory
        history uses), "limit" (its size limit), "interval" (the most instructions
        between checkpoints), "checkpoint_seconds" (the most CPU seconds of
        guest execution between them), "icount_shift", "inputs" (logged inputs),
        "diverged" (None or the divergence's line)}. "record" is at the
        present, "replay" behind it. Off, or a target without time travel:
        {"mode": "off"} only."""
        return {"mode": "off"}

    def history_position(self) -> int:
        """The current position (the instruction count over all harts)."""
        raise NotImplementedError

    def reverse_resume(self, action: "ResumeAction" = CONTINUE, hart: Optional[int] = None) -> None:
        """Run backwards (stopped machine, recording on); completes through
        :meth:`wait_for_stop` like :meth:`resume`, with a StopEvent whose
        ``direction`` is "reverse". ``action.kind`` "step": back ``count``
        instructions of ``hart`` (default the first hart): the state just
        before it retired them, every hart shown as it was then.
        "continue": back to the last breakpoint or watchpoint hit before
        now (as exact as forward: a breakpoint stops at its pc, not yet
        executed; a watchpoint stops past its access, see StopEvent). Either
        stops at the start of history with reason "history-begin".
        :meth:`request_stop` ends a reverse-continue where it started
        (reason "interrupt"). Forward :meth:`resume` from the past replays
        history (its inputs fed back, live input held) up to the present and
        goes on live."""
        raise NotImplementedError

    def seek(self, position: int) -> None:
        """Go to ``position`` (between the first position of history and the
        present), synchronously, in its canonical state: right after that
        many instructions retired, before anything else happens (an
        interrupt pending there is taken when the machine resumes)."""
        raise NotImplementedError

    def export_recording(self) -> Dict[str, Any]:
        """History as plain data (dicts with str keys, lists, int, str,
        bytes, bool, None: what emud.snapshot_file can store): {"format": 1,
        "machine", "harts", "icount_shift", "interval", "turn", "begin",
        "end", "initial": the state at ``begin`` (Machine.save_snapshot's
        dict: "machine", "cpus", "memory" [(base, bytes)...], "devices",
        "clock", "exit_code"; plus "timetravel": {"turns", "pos_offset",
        "semihosting"}), "log": {"pushed": [[position, kind, data]...],
        "pulled": [...]}, "checks": [[position, pc of the first hart,
        digest]...] (the harts' state digest at each checkpoint)}. Input
        kinds: pushed "serial" [uart index, bytes], "reg" [hart, name,
        value], "mem" [addr, bytes], "reset" [], "snapshot" (a snapshot
        dict); pulled "host-clock" (int ns), "semihosting" (a dict)."""
        raise NotImplementedError

    def start_replay(self, recording: Dict[str, Any]) -> None:
        """Replay a recording (what :meth:`export_recording` gave, possibly
        from another process or runtime) on this stopped machine, built
        with the same machine options: the machine takes the recording's
        initial state and position, and each resume runs it exactly, its
        inputs fed back at their positions and live input held back, checking
        the recorded digests (a mismatch: a "divergence" stop and a
        HISTORY event at once). Guest output is produced as in the recording.
        At its end the machine goes on live, recording (or stops there with
        "history-end" when ``stop_at_history_end`` is set). History builds
        as it replays, so reverse execution works within it. A recording
        for another machine or hart count is refused (DebugError)."""
        raise NotImplementedError

    #: a forward run replaying history stops at the present ("history-end")
    #: instead of going on live
    stop_at_history_end: bool = False
