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
    trap requested by a front end).
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

    name: str                      # "STOP", "RESUME", "BREAKPOINT", "WATCHPOINT", "TRAP", "UART", "SHUTDOWN", "TB_FLUSH", "RESET"
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
