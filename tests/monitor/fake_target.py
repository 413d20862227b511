"""A small fake DebugTarget for unit tests of the monitor's pure layers
(parser, registry, renderers, QMP protocol). Its "CPU" just advances the pc
by 4 per instruction; continuing runs to the first software breakpoint or
stays running until request_stop(). End-to-end tests use the real machine.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, List, Optional, Sequence

import capstone
import trio

from emud.debug import (CONTINUE, Breakpoint, DebugError, DebugTarget, Event, EventBus, MemoryRange, RegisterInfo,
                        ResumeAction, StopEvent)

ABI = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1"] + ["a%d" % i for i in range(8)] + \
      ["s%d" % i for i in range(2, 12)] + ["t%d" % i for i in range(3, 7)]
RAM_BASE = 0x80000000
RAM_SIZE = 0x10000

# addi a0,a0,1 ; nop ; ... : simple code so capstone has something to show
CODE = bytes.fromhex("13051500") + bytes.fromhex("13000000") * 63


class FakeTarget(DebugTarget):
    arch_name = "riscv:rv32"
    xlen = 32

    def __init__(self, harts: int = 1) -> None:
        self.events = EventBus()
        self.ram = bytearray(RAM_SIZE)
        self.ram[0:len(CODE)] = CODE
        self.ram[0x100:0x106] = b"hello\0"
        self.regs = [{n: 0 for n in ABI + ["pc", "mstatus", "mepc"]} for _ in range(harts)]
        for r in self.regs:
            r["pc"] = RAM_BASE
        self.icount = [0] * harts
        self.symbols = {"_start": RAM_BASE, "main": RAM_BASE + 0x10, "msg": RAM_BASE + 0x100}
        self._bps: List[Breakpoint] = []
        self._next_bp = 1
        self._state = "stopped"
        self._last: Optional[StopEvent] = StopEvent("interrupt", pc=RAM_BASE)
        self._stopped = trio.Event()
        self._stopped.set()
        self._listeners: List[Any] = []
        self._log: List[str] = []
        self.stats = {"tb_count": 5, "code_bytes": 1234, "translations": 5, "invalidations": 0, "flushes": 0,
                      "chain_hits": 10, "jump_cache_hits": 3}
        self.resumes: List[Any] = []
        self.quit_code: Optional[int] = None
        self._md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV32 | capstone.CS_MODE_RISCVC)

    # description
    def registers(self) -> Sequence[RegisterInfo]:
        out = [RegisterInfo(n, 32, i, "general", aliases=("x%d" % i,)) for i, n in enumerate(ABI)]
        out.append(RegisterInfo("pc", 32, 32, "general", "code_ptr"))
        out.append(RegisterInfo("mstatus", 32, 0x300 + 65, "csr"))
        out.append(RegisterInfo("mepc", 32, 0x341 + 65, "csr"))
        return out

    def memory_map(self) -> Sequence[MemoryRange]:
        return [MemoryRange(0x10000000, 8, "io", "uart"), MemoryRange(RAM_BASE, RAM_SIZE, "ram", "ram")]

    def hart_ids(self) -> List[int]:
        return list(range(len(self.regs)))

    def hart_description(self, hart: int) -> str:
        return "rv32 hart %d" % hart

    def qmp_cpu_info(self, hart: int) -> Dict[str, Any]:
        return {"qom-path": "/machine/soc0/harts[%d]" % hart, "props": {"core-id": hart}, "target": "riscv32"}

    # state
    def _reg_name(self, reg: Any) -> str:
        if isinstance(reg, int):
            return (ABI + ["pc"])[reg]
        if reg.startswith("x") and reg[1:].isdigit() and int(reg[1:]) < 32:
            return ABI[int(reg[1:])]
        if reg == "fp":
            return "s0"
        return reg

    def read_register(self, hart: int, reg: Any) -> int:
        name = self._reg_name(reg)
        if name not in self.regs[hart]:
            raise DebugError("unknown register %s" % reg)
        return self.regs[hart][name]

    def write_register(self, hart: int, reg: Any, value: int) -> None:
        self.regs[hart][self._reg_name(reg)] = value & 0xFFFFFFFF

    def read_memory(self, addr: int, length: int) -> bytes:
        if not (RAM_BASE <= addr and addr + length <= RAM_BASE + RAM_SIZE):
            raise DebugError("cannot access memory at 0x%x" % addr)
        return bytes(self.ram[addr - RAM_BASE:addr - RAM_BASE + length])

    def write_memory(self, addr: int, data: bytes) -> None:
        self.read_memory(addr, len(data))
        self.ram[addr - RAM_BASE:addr - RAM_BASE + len(data)] = data

    def symbolize(self, addr: int) -> Optional[tuple]:
        best = None
        for name, a in self.symbols.items():
            if a <= addr < a + 0x40 and (best is None or a > best[1]):
                best = (name, a)
        return (best[0], addr - best[1]) if best else None

    def lookup_symbol(self, name: str) -> Optional[int]:
        return self.symbols.get(name)

    def disassemble(self, addr: int, count: int) -> List[tuple]:
        data = self.read_memory(addr, min(4 * count, RAM_BASE + RAM_SIZE - addr))
        return [(i.address, bytes(i.bytes), i.mnemonic, i.op_str) for i in self._md.disasm(data, addr, count)]

    # breakpoints
    def add_breakpoint(self, kind: str, addr: int, length: int = 1, temporary: bool = False,
                       after_access: bool = False) -> Breakpoint:
        if kind not in ("sw", "hw", "write", "read", "access"):
            raise DebugError("bad kind %s" % kind)
        bp = Breakpoint(self._next_bp, kind, addr, length, temporary, after_access)
        self._next_bp += 1
        self._bps.append(bp)
        return bp

    def remove_breakpoint(self, kind: str, addr: int, length: int = 1) -> bool:
        for b in self._bps:
            if b.kind == kind and b.addr == addr:
                self._bps.remove(b)
                return True
        return False

    def delete_breakpoint(self, number: int) -> bool:
        for b in self._bps:
            if b.number == number:
                self._bps.remove(b)
                return True
        return False

    def breakpoints(self) -> List[Breakpoint]:
        return list(self._bps)

    # run control
    @property
    def run_state(self) -> str:
        return self._state

    def _stop(self, ev: StopEvent) -> None:
        self._state = "exited" if ev.reason == "exited" else "stopped"
        self._last = ev
        self.events.publish(Event("STOP", {"reason": ev.reason, "pc": ev.pc, "hart": ev.hart}, icount=self.icount[0]))
        self._stopped.set()

    def _advance(self, hart: int, n: int) -> None:
        self.regs[hart]["pc"] += 4 * n
        self.icount[hart] += n

    def resume(self, actions: Optional[Dict[int, ResumeAction]] = None, default: ResumeAction = CONTINUE) -> None:
        if self._state != "stopped":
            raise DebugError("machine is %s" % self._state)
        self.resumes.append((actions, default))
        self._stopped = trio.Event()
        self._state = "running"
        self.events.publish(Event("RESUME", {}, icount=self.icount[0]))
        act = (actions or {}).get(0, default)
        if act.kind == "step":
            self._advance(0, act.count)
            self._stop(StopEvent("step", pc=self.regs[0]["pc"]))
        elif act.kind == "continue":
            pc = self.regs[0]["pc"]
            ahead = sorted(b.addr for b in self._bps if b.kind in ("sw", "hw") and b.addr > pc)
            if ahead:
                self._advance(0, (ahead[0] - pc) // 4)
                for b in list(self._bps):
                    if b.addr == ahead[0] and b.temporary:
                        self._bps.remove(b)
                self._stop(StopEvent("breakpoint", pc=ahead[0]))

    def request_stop(self) -> None:
        if self._state == "running":
            self._stop(StopEvent("interrupt", pc=self.regs[0]["pc"]))

    async def wait_for_stop(self) -> StopEvent:
        await self._stopped.wait()
        assert self._last is not None
        return self._last

    def last_stop(self) -> Optional[StopEvent]:
        return self._last

    def reset(self) -> None:
        for r in self.regs:
            r["pc"] = RAM_BASE
        self.events.publish(Event("RESET", {}))

    def instructions_retired(self, hart: int) -> int:
        return self.icount[hart]

    def request_quit(self, exit_code: Optional[int] = None) -> None:
        self.quit_code = 0 if exit_code is None else exit_code   # (no guest exit code here)

    # translator
    def flush_code_cache(self) -> None:
        self.stats["flushes"] += 1
        self.stats["tb_count"] = 0
        self.events.publish(Event("TB_FLUSH", {}))

    def invalidate_code(self, addr: int, length: int) -> None:
        self.stats["invalidations"] += 1

    def statistics(self) -> Dict[str, Any]:
        return dict(self.stats)

    def set_log_items(self, items: Sequence[str]) -> None:
        for i in items:
            if i not in ("in_asm", "op", "op_opt", "out_asm", "exec", "int", "nochain"):
                raise DebugError("unknown log item '%s'" % i)
        self._log = list(items)

    def log_items(self) -> List[str]:
        return list(self._log)

    # machine
    def devices(self) -> List[Dict[str, Any]]:
        return [{"name": "uart0", "type": "ns16550a", "base": 0x10000000, "size": 8, "irq": 10}]

    def save_snapshot(self) -> Any:
        return copy.deepcopy({"ram": bytes(self.ram), "regs": self.regs, "icount": self.icount})

    def restore_snapshot(self, snapshot: Any) -> None:
        self.ram[:] = snapshot["ram"]
        self.regs = copy.deepcopy(snapshot["regs"])
        self.icount = list(snapshot["icount"])

    def uart_listeners(self) -> List[Any]:
        return self._listeners

    def emit_uart(self, data: bytes) -> None:
        for fn in list(self._listeners):
            fn(data)
        self.events.publish(Event("UART", {"data": data}, icount=self.icount[0]))
