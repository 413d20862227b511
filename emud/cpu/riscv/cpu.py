"""A RISC-V hart: integer registers, machine-mode CSRs, traps and interrupts.

Privilege levels M and U (no S-mode, no MMU). Trap entry, MRET and interrupt
selection follow the privileged spec; visible CSR values follow QEMU 7.2's
``virt`` where the spec leaves room (see csr.py).

Device-facing: :meth:`set_irq` (mip bits 3 MSIP, 7 MTIP, 11 MEIP),
``read_time`` (a callable the machine sets; the ``time`` CSR), ``semihosting``
(an object with ``handle(op, param, cpu)`` or None) and ``machine`` (for
``flush_code_cache_for_fence()`` on FENCE.I).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from ...tcg.translator import GuestTrap
from ..base import CPUState
from . import csr as C
from .pmp import rules_for
from .triggers import CAUSE_BREAKPOINT, Triggers
from .registers import (ABI_NAMES, GPR_NUMBERS, debug_register_infos)

PRV_U, PRV_M = 0, 3
#: tb_flags bits above the privilege (see RiscvCPU.tb_flags)
FLAG_DATA_CHECKED = 1 << 2
FLAG_FETCH_CHECKED = 1 << 3
FLAG_RULES_SHIFT = 4
M64 = (1 << 64) - 1

# Trap causes
CAUSE_FETCH_ACCESS = 1
CAUSE_ILLEGAL = 2
CAUSE_LOAD_MISALIGNED = 4
CAUSE_LOAD_ACCESS = 5
CAUSE_STORE_MISALIGNED = 6
CAUSE_STORE_ACCESS = 7

#: Interrupts in the order they are taken (highest priority first): the
#: privileged spec's MEI > MSI > MTI. (QEMU 7.2 without AIA takes the lowest
#: number first, MSI > MTI > MEI: docs/COMPATIBILITY.md.)
IRQ_PRIORITY = (C.IRQ_MEI, C.IRQ_MSI, C.IRQ_MTI)


#: trap names as QEMU's -d int prints them (target/riscv/cpu.c)
EXCEPTION_NAMES = (
    "misaligned_fetch", "fault_fetch", "illegal_instruction", "breakpoint", "misaligned_load",
    "fault_load", "misaligned_store", "fault_store", "user_ecall", "supervisor_ecall",
    "hypervisor_ecall", "machine_ecall", "exec_page_fault", "load_page_fault", "reserved",
    "store_page_fault", "reserved", "reserved", "reserved", "reserved", "guest_exec_page_fault",
    "guest_load_page_fault", "reserved", "guest_store_page_fault")
INTERRUPT_NAMES = (
    "u_software", "s_software", "vs_software", "m_software", "u_timer", "s_timer", "vs_timer",
    "m_timer", "u_external", "s_external", "vs_external", "m_external")


class RiscvCPU(CPUState):
    arch = "riscv"

    def __init__(self, hart_id: int = 0, xlen: int = 32) -> None:
        if xlen not in (32, 64):
            raise ValueError("xlen must be 32 or 64")
        self.xlen = xlen
        self.mask = (1 << xlen) - 1
        super().__init__(hart_id)
        self.csrs = C.csr_table(xlen)
        self.read_time: Callable[[], int] = lambda: 0
        self.semihosting: Any = None
        self.mip = 0  # wires: devices drive it through set_irq
        self.triggers = Triggers(xlen)
        self._reset_state()

    # -- state ------------------------------------------------------------------------
    def _reset_state(self) -> None:
        self.x = [0] * 32
        self.priv = PRV_M
        self.mstatus = 0
        self.mie = 0
        self.mtvec = 0
        self.mepc = 0
        self.mcause = 0
        self.mtval = 0
        self.mscratch = 0
        self.mcounteren = 0
        self.mcountinhibit = 0
        self.menvcfg = 0
        self.pmpcfg = [0] * 16
        self.pmpaddr = [0] * 16
        self.pmp_changed()
        self.triggers.reset()
        self.triggers_changed = True
        self.res_addr = -1     # LR reservation (-1: none)
        self.res_value = 0
        self.halted = False
        # counters restart from 0: value = retired + offset, or frozen
        now = self.instructions_retired()
        self.counter_offset = {"cycle": -now, "instret": -now}
        self.counter_frozen: Dict[str, Optional[int]] = {"cycle": None, "instret": None}

    def reset(self) -> None:
        """Reset as QEMU does: M-mode, mstatus/mie/mcause 0, registers 0.
        pc is left for the machine to set; mip mirrors device lines and is
        not touched (devices lower their lines on their own reset)."""
        self._reset_state()

    def pmp_changed(self) -> None:
        """pmpcfg/pmpaddr were written: the rules that checks use from the next TB on."""
        self.pmp = rules_for(self.pmpcfg, self.pmpaddr)

    def tb_flags(self) -> int:
        """The privilege (bits 0-1); when PMP applies, FLAG_DATA_CHECKED (loads
        and stores take the slow path, which calls ``data_guard``),
        FLAG_FETCH_CHECKED (the translator checks each instruction fetch) and
        the rules' id from bit 4. Plain M-mode, the usual firmware, is 3:
        unchecked, with the inline RAM path. Keeps ``data_guard`` current."""
        p = self.priv
        rules = self.pmp
        if p == PRV_M and not (self.mstatus & C.MSTATUS_MPRV or rules.locked):
            self.data_guard = None
            return PRV_M
        data_priv = p
        if p == PRV_M and self.mstatus & C.MSTATUS_MPRV:
            data_priv = (self.mstatus & C.MSTATUS_MPP) >> C.MSTATUS_MPP_SHIFT
        flags = p | (rules.id << FLAG_RULES_SHIFT)
        if data_priv == PRV_M and not rules.locked:
            self.data_guard = None          # MPRV with MPP = M
        else:
            self.data_guard = rules.guards[data_priv == PRV_M]
            flags |= FLAG_DATA_CHECKED
        if p != PRV_M or rules.locked:
            flags |= FLAG_FETCH_CHECKED
        return flags

    # -- counters -----------------------------------------------------------------------
    def counter(self, kind: str) -> int:
        """mcycle/minstret as seen by the current instruction. Both count
        retired instructions (one cycle per instruction)."""
        frozen = self.counter_frozen[kind]
        if frozen is not None:
            return frozen
        return (self.instructions_retired() + self.counter_offset[kind]) & M64

    def set_counter(self, kind: str, value: int) -> None:
        """A CSR write: the next instruction reads ``value`` (the writing
        instruction's own retirement does not count)."""
        value &= M64
        if self.counter_frozen[kind] is not None:
            self.counter_frozen[kind] = value
        else:
            self.counter_offset[kind] = value - (self.instructions_retired() + 1)

    def set_countinhibit(self, value: int) -> None:
        for kind, bit in (("cycle", C.MCOUNTINHIBIT_CY), ("instret", C.MCOUNTINHIBIT_IR)):
            frozen = self.counter_frozen[kind]
            if value & bit and frozen is None:
                self.counter_frozen[kind] = (self.counter(kind) + 1) & M64
            elif not value & bit and frozen is not None:
                self.counter_frozen[kind] = None
                self.counter_offset[kind] = frozen - (self.instructions_retired() + 1)
        self.mcountinhibit = value

    # -- debug triggers (triggers.py) ----------------------------------------------------
    def note_triggers_changed(self) -> None:
        self.triggers_changed = True
        self.exit_request = True      # the engine picks them up before the next TB

    def armed_triggers(self):
        return self.triggers.armed()

    def trigger_trap(self, kind: str, pc: int, addr: int = 0, size: int = 0) -> Optional[GuestTrap]:
        t = self.triggers
        if kind == "exec":
            hit = t.fires_on_exec(pc, self.priv)
        else:
            hit = t.fires_on_access(addr, size, kind != "store", kind != "load", self.priv)
        return GuestTrap(pc, CAUSE_BREAKPOINT, 0) if hit else None

    # -- traps ---------------------------------------------------------------------------
    def _enter_trap(self, cause: int, tval: int, pc: int) -> None:
        s = self.mstatus
        mie = s & C.MSTATUS_MIE
        s &= ~(C.MSTATUS_MPIE | C.MSTATUS_MIE | C.MSTATUS_MPP)
        s |= (C.MSTATUS_MPIE if mie else 0) | (self.priv << C.MSTATUS_MPP_SHIFT)
        self.mstatus = s
        self.mepc = pc & self.mask & ~1
        self.mcause = cause & self.mask
        self.mtval = tval & self.mask
        self.priv = PRV_M
        self.res_addr = -1
        self.halted = False

    def do_exception(self, trap) -> None:
        """Synchronous trap: always to the mtvec base, even in vectored mode."""
        self._enter_trap(trap.cause, trap.tval, trap.pc)
        self.pc = self.mtvec & ~3

    def do_mret(self) -> int:
        """MRET: MIE <- MPIE, MPIE <- 1, priv <- MPP, MPP <- U. Returns mepc."""
        s = self.mstatus
        mpp = (s & C.MSTATUS_MPP) >> C.MSTATUS_MPP_SHIFT
        s &= ~(C.MSTATUS_MIE | C.MSTATUS_MPP)
        if s & C.MSTATUS_MPIE:
            s |= C.MSTATUS_MIE
        s |= C.MSTATUS_MPIE
        if mpp != PRV_M:
            s &= ~C.MSTATUS_MPRV
        self.mstatus = s
        self.priv = mpp
        self.res_addr = -1
        return self.mepc

    def fetch_fault(self, pc: int) -> GuestTrap:
        return GuestTrap(pc, CAUSE_FETCH_ACCESS, pc)

    def mem_fault(self, kind: str, addr: int, pc: int, misaligned: bool = False) -> GuestTrap:
        if kind == "load":
            cause = CAUSE_LOAD_MISALIGNED if misaligned else CAUSE_LOAD_ACCESS
        else:  # "store", "amo"
            cause = CAUSE_STORE_MISALIGNED if misaligned else CAUSE_STORE_ACCESS
        return GuestTrap(pc, cause, addr & self.mask)

    # -- interrupts ----------------------------------------------------------------------
    def set_irq(self, bit: int, level: bool) -> None:
        """A device drives mip bit ``bit`` (3 MSIP, 7 MTIP, 11 MEIP)."""
        if level:
            self.mip |= 1 << bit
        else:
            self.mip &= ~(1 << bit)
        if self.mip & self.mie:
            self.exit_request = True

    def interrupt_pending(self) -> bool:
        return bool(self.mip & self.mie)

    def take_interrupt(self) -> Optional[int]:
        pending = self.mip & self.mie
        if not pending:
            return None
        if self.priv == PRV_M and not self.mstatus & C.MSTATUS_MIE:
            return None
        for irq in IRQ_PRIORITY:
            if pending & (1 << irq):
                break
        else:
            return None
        cause = irq | (1 << (self.xlen - 1))
        self._enter_trap(cause, 0, self.pc)
        base = self.mtvec & ~3
        self.pc = base + 4 * irq if self.mtvec & 3 == 1 else base
        return cause

    def trap_log_line(self, cause: int) -> str:
        """The ``-d int`` line for the trap just taken (``cause`` as written
        to mcause), in QEMU's riscv_cpu_do_interrupt format so that log
        readers work on both."""
        interrupt = cause >> (self.xlen - 1) & 1
        code = cause & ~(1 << (self.xlen - 1))
        names = INTERRUPT_NAMES if interrupt else EXCEPTION_NAMES
        desc = names[code] if code < len(names) else "reserved"
        w = self.xlen // 4
        return ("riscv_cpu_do_interrupt: hart:%d, async:%d, cause:%0*x, epc:0x%0*x, tval:0x%0*x, desc=%s\n"
                % (self.hart_id, interrupt, w, code, w, self.mepc, w, self.mtval, desc))

    # -- debugger access -------------------------------------------------------------------
    def register_names(self) -> List[str]:
        return list(ABI_NAMES) + ["pc"] + [self.csrs[n].name for n in sorted(self.csrs)] + ["priv"]

    def _csr_by_name(self, name: str):
        num = C.CSR_NUMBERS.get(name)
        if num is None and name.startswith("csr"):
            try:
                num = int(name[3:], 0)
            except ValueError:
                num = None
        if num is None or num not in self.csrs:
            return None
        return self.csrs[num]

    def _unknown(self, name: str):
        from ...debug import DebugError
        return DebugError("unknown register '%s'" % name)

    def get_register(self, name: str) -> int:
        name = name.lower()
        if name in GPR_NUMBERS:
            return self.reg(GPR_NUMBERS[name])
        if name == "pc":
            return self.pc
        if name == "priv":
            return self.priv
        reg = self._csr_by_name(name)
        if reg is None:
            raise self._unknown(name)
        return reg.read(self) & self.mask

    def set_register(self, name: str, value: int) -> None:
        name = name.lower()
        value &= self.mask
        if name in GPR_NUMBERS:
            n = GPR_NUMBERS[name]
            if n:
                self.set_reg(n, value)
            return
        if name == "pc":
            self.pc = value & ~1
            return
        if name == "priv":
            self.priv = PRV_M if value >= PRV_M else PRV_U  # only M and U exist
            return
        reg = self._csr_by_name(name)
        if reg is None:
            raise self._unknown(name)
        if reg.write is not None:  # read-only CSRs ignore debugger writes, as QEMU
            reg.write(self, value)

    def debug_registers(self):
        return debug_register_infos(self.xlen, list(self.csrs), {n: d.name for n, d in self.csrs.items()})

    # -- snapshots ------------------------------------------------------------------------------
    _SAVED = ("pc", "priv", "mstatus", "mie", "mip", "mtvec", "mepc", "mcause", "mtval", "mscratch",
              "mcounteren", "mcountinhibit", "menvcfg", "res_addr", "res_value", "halted")

    def save_state(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {k: getattr(self, k) for k in self._SAVED}
        state["xlen"] = self.xlen
        state["x"] = [self.reg(n) for n in range(32)]     # unsigned: the same on every runtime
        state["pmpcfg"] = list(self.pmpcfg)
        state["pmpaddr"] = list(self.pmpaddr)
        state["retired"] = self.instructions_retired()
        state["charged"] = self.charged
        state["counters"] = {k: self.counter(k) for k in ("cycle", "instret")}
        state["counter_frozen"] = dict(self.counter_frozen)
        state["triggers"] = self.triggers.save()
        return state

    def load_state(self, state: Dict[str, Any]) -> None:
        if state.get("xlen", self.xlen) != self.xlen:
            raise ValueError("snapshot is for a %d-bit hart" % state["xlen"])
        for k in self._SAVED:
            setattr(self, k, state[k])
        for n, value in enumerate(state["x"]):
            self.set_reg(n, value)
        self.pmpcfg = list(state["pmpcfg"])
        self.pmpaddr = list(state["pmpaddr"])
        self.pmp_changed()
        self.retired = state["retired"]
        self.charged = state.get("charged", 0)
        self.quantum = self.budget = 0
        self.counter_frozen = dict(state["counter_frozen"])
        if "triggers" in state:
            self.triggers.load(state["triggers"])
        else:
            self.triggers.reset()
        self.triggers_changed = True
        for kind, value in state["counters"].items():
            self.counter_offset[kind] = value - self.retired
