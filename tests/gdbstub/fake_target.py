"""A small in-memory DebugTarget for unit tests of the stub's pure layers and
transport (not a CPU: every "instruction" is 4 bytes and only moves pc).

Memory: ROM at 0x1000 (4 KiB), RAM at 0x80000000 (64 KiB). Harts run from
a trio task (``nursery.start(target.run)``) so resume/stop/Ctrl-C behave like
the real machine's: asynchronously, with checkpoints. ``stores`` maps a pc
to an address written when that "instruction" runs, to exercise watchpoints;
reaching ``exit_pc`` ends the firmware with ``exit_code``.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import trio

from emud.debug import (CONTINUE, Breakpoint, DebugError, DebugTarget, EventBus,
                        MemoryRange, RegisterInfo, ResumeAction, StopEvent)

ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
       "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
       "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
       "t3", "t4", "t5", "t6"]
CSRS = {"mstatus": 0x300, "misa": 0x301, "mie": 0x304, "mtvec": 0x305, "mscratch": 0x340,
        "mepc": 0x341, "mcause": 0x342, "mtval": 0x343, "mip": 0x344, "mhartid": 0xF14}

ROM = MemoryRange(0x1000, 0x1000, "rom", "mrom")
RAM = MemoryRange(0x80000000, 0x10000, "ram", "ram")
UART = MemoryRange(0x10000000, 0x100, "io", "uart")


def rv_registers(xlen: int) -> List[RegisterInfo]:
    regs = []
    for i, name in enumerate(ABI):
        aliases = ("x%d" % i,) + (("s0",) if name == "fp" else ())
        gdb_type = "code_ptr" if name == "ra" else "data_ptr" if name in ("sp", "gp", "tp", "fp") else "int"
        regs.append(RegisterInfo(name, xlen, i, "general", gdb_type, "org.gnu.gdb.riscv.cpu", True, aliases))
    regs.append(RegisterInfo("pc", xlen, 32, "general", "code_ptr", "org.gnu.gdb.riscv.cpu", True))
    for name, num in CSRS.items():
        regs.append(RegisterInfo(name, xlen, 65 + num, "csr", "int", "org.gnu.gdb.riscv.csr"))
    regs.append(RegisterInfo("priv", 8, 65 + 4096, "virtual", "int", "org.gnu.gdb.riscv.virtual"))
    return regs


class FakeTarget(DebugTarget):
    def __init__(self, harts: int = 1, xlen: int = 32, entry: int = 0x80000000) -> None:
        self.arch_name = "riscv:rv%d" % xlen
        self.xlen = xlen
        self.events = EventBus()
        self._regs = rv_registers(xlen)
        self._by_name = {}
        for r in self._regs:
            self._by_name[r.name] = r
            for a in r.aliases:
                self._by_name[a] = r
        self.entry = entry
        self.nharts = harts
        self.mem = {ROM.name: bytearray(ROM.size), RAM.name: bytearray(RAM.size), UART.name: bytearray(UART.size)}
        self.bps: Dict[Tuple[str, int, int], Breakpoint] = {}
        self._next_bp = 1
        self.stores: Dict[int, int] = {}
        self.exit_pc: Optional[int] = None
        self.exit_code = 0
        self.resume_log: List[Tuple[Dict[int, ResumeAction], ResumeAction]] = []
        self.invalidated: List[Tuple[int, int]] = []
        self.resets = 0
        self.quit_code: Optional[int] = None
        self._reset_state()
        self._state = "stopped"
        self._last: Optional[StopEvent] = StopEvent("interrupt", 0, self.entry)
        self._stopped = trio.Event()
        self._kick = trio.Event()
        self._actions: Dict[int, ResumeAction] = {}
        self._progress: Dict[int, int] = {}
        self._stop_requested = False

    def _reset_state(self) -> None:
        self.values = [{r.name: 0 for r in self._regs} for _ in range(self.nharts)]
        for hart, vals in enumerate(self.values):
            vals["pc"] = self.entry
            vals["mhartid"] = hart
            vals["misa"] = 0x40001105 if self.xlen == 32 else 0x8000000000001105
            vals["priv"] = 3
            vals["sp"] = RAM.start + RAM.size - 16 - 0x100 * hart

    # -- description ---------------------------------------------------------------
    def registers(self) -> Sequence[RegisterInfo]:
        return list(self._regs)

    def memory_map(self) -> Sequence[MemoryRange]:
        return [ROM, RAM, UART]

    def hart_ids(self) -> List[int]:
        return list(range(self.nharts))

    def hart_description(self, hart: int) -> str:
        return "hart %d (%s)" % (hart, self._state)

    # -- state -----------------------------------------------------------------------
    def _reg(self, reg: Any) -> RegisterInfo:
        if isinstance(reg, int):
            for r in self._regs:
                if r.regnum == reg:
                    return r
        elif reg in self._by_name:
            return self._by_name[reg]
        raise DebugError("unknown register %r" % (reg,))

    def read_register(self, hart: int, reg: Any) -> int:
        r = self._reg(reg)
        if r.name == "mtval" and getattr(self, "mtval_unavailable", False):
            raise DebugError("mtval unavailable")
        return self.values[hart][r.name]

    def write_register(self, hart: int, reg: Any, value: int) -> None:
        r = self._reg(reg)
        if r.name == "zero":
            return
        self.values[hart][r.name] = value & ((1 << r.bitsize) - 1)

    def _region(self, addr: int, length: int) -> Tuple[MemoryRange, int]:
        for r in (ROM, RAM, UART):
            if r.start <= addr and addr + length <= r.start + r.size:
                return r, addr - r.start
        raise DebugError("cannot access memory at 0x%x" % addr)

    def read_memory(self, addr: int, length: int) -> bytes:
        r, off = self._region(addr, length)
        return bytes(self.mem[r.name][off:off + length])

    def write_memory(self, addr: int, data: bytes) -> None:
        r, off = self._region(addr, len(data))
        if r.kind == "rom":
            raise DebugError("cannot write ROM at 0x%x" % addr)
        self.mem[r.name][off:off + len(data)] = data

    def invalidate_code(self, addr: int, length: int) -> None:
        self.invalidated.append((addr, length))

    # -- breakpoints -------------------------------------------------------------------
    def add_breakpoint(self, kind: str, addr: int, length: int = 1, temporary: bool = False) -> Breakpoint:
        if kind == "hw" and sum(1 for k in self.bps if k[0] == "hw") >= 2:
            raise DebugError("no free hardware breakpoint")
        bp = Breakpoint(self._next_bp, kind, addr, length, temporary)
        self._next_bp += 1
        self.bps[(kind, addr, length)] = bp
        return bp

    def remove_breakpoint(self, kind: str, addr: int, length: int = 1) -> bool:
        return self.bps.pop((kind, addr, length), None) is not None

    def breakpoints(self) -> List[Breakpoint]:
        return list(self.bps.values())

    # -- run control ------------------------------------------------------------------------
    @property
    def run_state(self) -> str:
        return self._state

    def resume(self, actions: Optional[Dict[int, ResumeAction]] = None, default: ResumeAction = CONTINUE) -> None:
        if self._state == "running":
            raise DebugError("already running")
        if self._state == "exited":
            raise DebugError("the firmware has exited")
        actions = dict(actions or {})
        self.resume_log.append((actions, default))
        self._actions = {h: actions.get(h, default) for h in range(self.nharts)}
        self._progress = {h: 0 for h in range(self.nharts)}
        self._state = "running"
        self._stop_requested = False
        self._stopped = trio.Event()
        self._kick.set()

    def request_stop(self) -> None:
        self._stop_requested = True

    async def wait_for_stop(self) -> StopEvent:
        if self._state != "running":
            assert self._last is not None
            return self._last
        await self._stopped.wait()
        assert self._last is not None
        return self._last

    def last_stop(self) -> Optional[StopEvent]:
        return self._last

    def reset(self) -> None:
        self.resets += 1
        self._reset_state()
        if self._state == "exited":
            self._state = "stopped"
        self._last = StopEvent("reset", 0, self.entry)

    def request_quit(self, exit_code: Optional[int] = None) -> None:
        self.quit_code = 0 if exit_code is None else exit_code   # (no guest exit code here)

    def flush_code_cache(self) -> None:
        self.invalidated.append((0, -1))

    def stop(self, reason: str, hart: int = 0, **kw: Any) -> None:
        self._last = StopEvent(reason, hart, self.values[hart]["pc"], **kw)
        self._state = "exited" if reason == "exited" else "stopped"
        self._stopped.set()

    async def run(self, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """The harts' task: executes while running, 64 instructions a checkpoint."""
        task_status.started()
        while True:
            await self._kick.wait()
            self._kick = trio.Event()
            while self._state == "running":
                await trio.sleep(0)
                for _ in range(64):
                    if self._stop_requested:
                        self.stop("interrupt", 0)
                        break
                    if self._tick():
                        break

    def _tick(self) -> bool:
        """One instruction on every hart that moves; True when the machine stopped."""
        for hart, action in self._actions.items():
            if action.kind == "stay":
                continue
            vals = self.values[hart]
            pc = vals["pc"]
            if action.kind == "continue" and self._progress[hart] > 0:
                for kind in ("sw", "hw"):
                    if any(k[0] == kind and k[1] == pc for k in self.bps):
                        self.stop("breakpoint" if kind == "sw" else "hw-breakpoint", hart)
                        return True
            if self.exit_pc is not None and pc == self.exit_pc:
                self.stop("exited", hart, exit_code=self.exit_code)
                return True
            self._progress[hart] += 1
            target = self.stores.get(pc)
            npc = pc + 4
            if npc >= RAM.start + RAM.size:
                npc = RAM.start
            vals["pc"] = npc
            if target is not None:
                for (kind, addr, length) in self.bps:
                    if kind in ("write", "access") and addr <= target < addr + length:
                        self.stop("watchpoint", hart, watch_kind=kind, watch_addr=target)
                        return True
            if action.kind == "step" and self._progress[hart] >= action.count:
                self.stop("step", hart)
                return True
            if action.kind == "range" and not (action.start <= npc < action.end):
                self.stop("step", hart)
                return True
        return False
