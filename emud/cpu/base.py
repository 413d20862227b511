"""The architecture-neutral part of a vCPU's state (QEMU's CPUState).

The execution loop (``emud.tcg.exec``) and the code it generates touch only
what is defined here; everything else (CSRs, privilege, trap entry) lives in
the architecture's subclass.

Contract with generated code:
* ``x`` is the list of integer registers; IR global ``reg(n)`` is ``x[n]``.
  A 64-bit hart holds them as signed values (``signed_regs``: the top bit
  set is a negative number), which keeps them machine words on PyPy; use
  :meth:`reg` / :meth:`set_reg` for the unsigned architectural value.
* ``pc`` is valid whenever the TB is left.
* ``budget`` is how many more instructions this quantum may retire; every TB
  exit subtracts what it retired. ``retired`` accumulates completed quanta so
  :meth:`instructions_retired` is exact at any TB boundary. ``charged``
  counts the instructions whose exception QEMU's icount counts as executed
  (an ecall): icount time is retired + charged. With ``ends_quantum_on_charge``
  (the machine sets it under icount) such a trap also ends the quantum, whose
  budget was the instructions left to the next timer deadline.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional


class CPUState:
    arch = "generic"
    xlen = 64
    num_regs = 32

    def __init__(self, hart_id: int = 0) -> None:
        self.hart_id = hart_id
        self.x: List[int] = [0] * self.num_regs
        self.pc = 0
        self.budget = 0
        self.quantum = 0          # the budget this quantum started with
        self.retired = 0          # instructions retired before this quantum
        # instructions that raised an exception QEMU's icount counts as
        # executed (GuestTrap.charged): part of icount time, not retired
        self.charged = 0
        self.halted = False       # waiting for an interrupt (WFI)
        self.exit_request = False  # leave the running TB chain at the next chance
        self.stop_request = False  # ...and leave the execution loop (the machine wants control)
        self.watch_hit = None      # (kind, watch address, access address) of a watchpoint hit
        self.skip_breakpoint_at: Optional[int] = None  # resume over the breakpoint at this pc once
        self.skip_watch_at: Optional[int] = None  # ...over the access a watchpoint stopped before
        self.machine: Any = None   # the machine, for helpers that touch devices
        self.ends_quantum_on_charge = False

    @property
    def signed_regs(self) -> bool:
        # the same rule as backend_py.CodegenConfig.signed64
        return self.xlen == 64

    def reg(self, n: int) -> int:
        """Register ``n`` as the unsigned value of its bits."""
        v = self.x[n]
        return v + (1 << 64) if v < 0 else v

    def set_reg(self, n: int, value: int) -> None:
        """Set register ``n`` from an unsigned (or any) value of its width."""
        value &= (1 << self.xlen) - 1
        if self.signed_regs and value >> 63:
            value -= 1 << 64
        self.x[n] = value

    # -- instruction counting ------------------------------------------------
    def instructions_retired(self) -> int:
        return self.retired + (self.quantum - self.budget)

    def begin_quantum(self, budget: int) -> None:
        self.retired += self.quantum - self.budget
        self.quantum = self.budget = budget

    def end_quantum(self) -> None:
        self.retired += self.quantum - self.budget
        self.quantum = self.budget = 0

    # -- what the architecture provides ----------------------------------------
    #: the guest's own debug triggers changed (the engine re-reads armed_triggers())
    triggers_changed = False
    #: the exception an exception return tail-chained into (M-profile), not
    #: yet reported by the engine (0: none); a single step stops in its handler
    tail_chain = 0

    def armed_triggers(self):
        """(execute addresses, [(address, length, "read"/"write"/"access")]) of the
        guest's debug triggers that may fire; the engine sends those
        instructions and accesses to :meth:`trigger_trap`."""
        return set(), []

    def trigger_trap(self, kind: str, pc: int, addr: int = 0, size: int = 0):
        """The trap a trigger raises at the instruction at ``pc`` before it
        runs (``kind`` "exec") or before its access ("load", "store", "amo"), or None."""
        return None

    #: None, or guard(cpu, addr, size, kind, pc) that the slow path of loads
    #: and stores calls first (memory protection); kept current by tb_flags()
    data_guard: Any = None

    def tb_flags(self) -> Any:
        """Hashable state that changes how code is translated (privilege...)."""
        return 0

    def reset(self) -> None:
        raise NotImplementedError

    def do_exception(self, trap) -> None:
        """Take a synchronous trap (a GuestTrap): update state, set pc."""
        raise NotImplementedError

    def fetch_fault(self, pc: int):
        """The GuestTrap for an instruction fetch that failed at pc."""
        raise NotImplementedError

    def mem_fault(self, kind: str, addr: int, pc: int, misaligned: bool = False):
        """The GuestTrap for a data access that failed, or None when the
        machine ignores the failure (the load reads 0, the store is dropped)."""
        raise NotImplementedError

    def interrupt_pending(self) -> bool:
        """An interrupt is pending and enabled in mie (wakes WFI even when
        globally disabled)."""
        return False

    def take_interrupt(self) -> Optional[int]:
        """If an interrupt can be taken now, take it and return its cause."""
        return None

    # -- debugger access ------------------------------------------------------------
    def register_names(self) -> List[str]:
        raise NotImplementedError

    def get_register(self, name: str) -> int:
        raise NotImplementedError

    def set_register(self, name: str, value: int) -> None:
        raise NotImplementedError

    def save_state(self) -> Dict[str, Any]:
        raise NotImplementedError

    def load_state(self, state: Dict[str, Any]) -> None:
        raise NotImplementedError
