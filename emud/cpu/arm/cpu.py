"""An ARMv7-M (Cortex-M3) or ARMv6-M (Cortex-M0) vCPU: registers, special
registers, the exclusive monitor, and the hooks the execution loop calls.

Device-facing: ``nvic`` (the NVIC/SCS device, which sets itself here when
built with this CPU), ``bus`` (the address space: stacking and vector
reads), ``semihosting`` (an object with ``handle(op, param, cpu)`` or None).
Exception entry and return are in m_helper.py; the register layout of
``x`` in regs.py.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ...memory import BusError
from ...tcg.translator import GuestTrap, TranslationFault
from ..base import CPUState
from . import excnum as X
from . import m_helper
from . import mpu as MPU
from .registers import REGISTER_NAMES, debug_register_infos
from .regs import CF, ITSTATE, LR, M32, NF, NUM_REGS, QF, SP, VF, ZF

V7M, V6M = "v7m", "v6m"

#: tb_flags: bits 0-7 ITSTATE, then:
FLAG_HANDLER = 1 << 8        # Handler mode: EXC_RETURN checks on BX-style branches
FLAG_UNALIGN_TRP = 1 << 9    # CCR.UNALIGN_TRP
FLAG_DIV0_TRP = 1 << 10      # CCR.DIV_0_TRP
FLAG_NOT_THUMB = 1 << 11     # EPSR.T clear: every instruction faults (INVSTATE)
FLAG_MPU = 1 << 12           # the MPU applies: loads and stores take the slow path (data_guard)
MPU_VIEW_SHIFT = 16          # ... and the MpuView's id from here (fetch checks at translation)

#: QEMU's exception indexes and arm_log_exception names, for -d int
QEMU_EXCP = {"udef": (1, "Undefined Instruction"), "svc": (2, "SVC"), "pabort": (3, "Prefetch Abort"),
             "dabort": (4, "Data Abort"), "irq": (5, "IRQ"), "bkpt": (7, "Breakpoint"),
             "exit": (8, "QEMU v7M exception exit"), "semihost": (16, "Semihosting call"),
             "nocp": (17, "v7M NOCP UsageFault"), "invstate": (18, "v7M INVSTATE UsageFault"),
             "divbyzero": (23, "v7M DIVBYZERO UsageFault")}


class ArmTrap(GuestTrap):
    """A synchronous exception raised at the instruction at ``pc``: ``exc``,
    the CFSR bits it reports, the return address it stacks (the next
    instruction for SVC, the target of a BX that left Thumb state), and a
    fault address for BFAR/MMFAR. ``charged``: see GuestTrap (SVC, BKPT, UDF,
    INVSTATE: the exceptions QEMU's translated code raises itself)."""

    def __init__(self, pc: int, exc: int, cfsr: int = 0, ret: Optional[int] = None,
                 address: Optional[int] = None, charged: bool = False) -> None:
        super().__init__(pc, exc, address or 0, charged=charged)
        self.exc = exc
        self.cfsr = cfsr
        self.ret = pc if ret is None else ret
        self.address = address

    def __repr__(self) -> str:
        return "ArmTrap(pc=0x%x, %s, cfsr=0x%x)" % (self.pc, X.name(self.exc), self.cfsr)


class ArmCPU(CPUState):
    arch = "arm"
    xlen = 32
    num_regs = NUM_REGS

    def __init__(self, hart_id: int = 0, profile: str = V7M) -> None:
        if profile not in (V7M, V6M):
            raise ValueError("unknown M profile %r" % profile)
        self.profile = profile
        super().__init__(hart_id)
        self.nvic: Any = None
        self.bus: Any = None
        self.semihosting: Any = None
        self.ccr_flags = 0      # FLAG_UNALIGN_TRP / FLAG_DIV0_TRP, kept by the NVIC
        # the board's QEMU ignore_memory_transaction_failures: mem_fault() gives None for
        # a bus error (the load reads 0, the store is dropped); stacking and vector
        # reads still fault (QEMU checks those transactions itself)
        self.ignore_memory_transaction_failures = False
        self.log: Any = None    # the -d log (QEMU's CPU_LOG_INT lines go there as they happen)
        self.mpu: Optional[MPU.MpuConfig] = None    # None: the MPU is off
        self.scs_user = False   # set by the data guard just before an unprivileged SCS access
        self._reset_state()

    # -- state -----------------------------------------------------------------------------
    def _reset_state(self) -> None:
        x = self.x = [0] * NUM_REGS
        x[LR] = M32             # as QEMU (the manual: UNKNOWN)
        x[ZF] = 0               # QEMU resets with Z set (xPSR 0x40000000)
        self.pc = 0
        self.other_sp = 0       # the stack pointer not in x[SP] (PSP in Handler mode...)
        self.control = 0
        self.primask = self.faultmask = self.basepri = 0
        self.ipsr = 0
        self.thumb = 1
        self.lockup = False
        self.excl_addr = -1
        self.excl_value = 0
        self.halted = False

    def reset(self) -> None:
        """Reset as QEMU's arm_cpu_reset: registers, then SP and PC (with the
        Thumb bit) from the vector table at VTOR."""
        self._reset_state()
        self.load_vector_table()

    def load_vector_table(self) -> None:
        if self.bus is None:
            return
        base = self.nvic.vtor if self.nvic is not None else 0
        try:
            sp, pc = self.bus.read(base, 4), self.bus.read(base + 4, 4)
        except Exception:       # no memory at the table: QEMU starts from zeros
            sp = pc = 0
        self.log_int("Loaded reset SP 0x%x PC 0x%x from vector table\n", sp, pc)
        self.x[SP] = sp & ~3
        self.pc = pc & ~1
        self.thumb = pc & 1

    def log_int(self, text: str, *args: Any) -> None:
        """A QEMU CPU_LOG_INT line (-d int), written as it happens (``text % args``,
        formatted only when the log is on: exception entry and return call this)."""
        log = self.log
        if log is not None and log.enabled("int"):
            log.write(text % args if args else text)

    def log_exception(self, kind: str) -> None:
        """QEMU's arm_log_exception line."""
        log = self.log
        if log is not None and log.enabled("int"):
            n, what = QEMU_EXCP[kind]
            log.write("Taking exception %d [%s] on CPU %d\n" % (n, what, self.hart_id))

    def handler_mode(self) -> bool:
        return self.ipsr != 0

    def tb_flags(self) -> int:
        """ITSTATE, mode and CCR bits; with the MPU on, FLAG_MPU and the view's id.
        Keeps ``data_guard`` current: the view's check, or in unprivileged Thread
        mode the SCS check (QEMU's NVIC refuses unprivileged accesses)."""
        f = self.x[ITSTATE] | self.ccr_flags
        if self.ipsr:
            f |= FLAG_HANDLER
        if not self.thumb:
            f |= FLAG_NOT_THUMB
        user = not self.ipsr and self.control & 1
        cfg = self.mpu
        view = None if cfg is None else cfg.views[(bool(user), self.negpri())]
        if view is None:
            self.data_guard = MPU.user_guard if user else None
            return f
        self.data_guard = view.guard
        return f | FLAG_MPU | (view.id << MPU_VIEW_SHIFT)

    # -- the MPU (mpu.py) ------------------------------------------------------------------
    def negpri(self) -> bool:
        """QEMU's armv7m_nvic_neg_prio_requested: FAULTMASK set, or HardFault or NMI active."""
        if self.faultmask:
            return True
        active = self.nvic.active if self.nvic is not None else None
        return bool(active and (active[X.HARD_FAULT] or active[X.NMI]))

    def mpu_changed(self) -> None:
        """The NVIC's MPU registers were written: the rules from the next TB on."""
        nvic = self.nvic
        # (Cortex-M0 has no regions, as QEMU's: its MPU_CTRL still turns the background fault on)
        self.mpu = MPU.config_for(nvic.mpu_ctrl, nvic.mpu_rbar, nvic.mpu_rasr)
        self.exit_request = True

    def mpu_view(self, user: bool, negpri: bool) -> Optional[MPU.MpuView]:
        """The MPU as an access of this kind sees it (None: the default map)."""
        cfg = self.mpu
        return None if cfg is None else cfg.views[(bool(user), bool(negpri))]

    def current_mpu_view(self) -> Optional[MPU.MpuView]:
        return self.mpu_view(not self.ipsr and self.control & 1, self.negpri())

    def mpu_fault(self, pc: int, addr: int) -> ArmTrap:
        """A data access the MPU refused: MemManage DACCVIOL with MMFAR."""
        return ArmTrap(pc, X.MEM_MANAGE, X.CFSR_DACCVIOL | X.CFSR_MMARVALID, address=addr & M32)

    def privileged(self) -> bool:
        return bool(self.ipsr) or not self.control & 1

    # -- stack pointers -------------------------------------------------------------------
    def _on_psp(self, handler: bool) -> bool:
        return not handler and bool(self.control & 2)

    def set_mode(self, handler: bool, spsel: bool) -> None:
        """Change mode and CONTROL.SPSEL, swapping the banked stack pointers."""
        before = self._on_psp(self.handler_mode())
        self.control = (self.control & ~2) | (2 if spsel else 0)
        if before != self._on_psp(handler):
            self.x[SP], self.other_sp = self.other_sp, self.x[SP]
        if not handler and self.ipsr:
            self.ipsr = 0

    def msp(self) -> int:
        return self.other_sp if self._on_psp(self.handler_mode()) else self.x[SP]

    def psp(self) -> int:
        return self.x[SP] if self._on_psp(self.handler_mode()) else self.other_sp

    def set_msp(self, v: int) -> None:
        if self._on_psp(self.handler_mode()):
            self.other_sp = v & ~3 & M32
        else:
            self.x[SP] = v & ~3 & M32

    def set_psp(self, v: int) -> None:
        if self._on_psp(self.handler_mode()):
            self.x[SP] = v & ~3 & M32
        else:
            self.other_sp = v & ~3 & M32

    def set_control(self, v: int) -> None:
        """MSR CONTROL: nPRIV always, SPSEL only in Thread mode."""
        handler = self.handler_mode()
        spsel = bool(v & 2) if not handler else bool(self.control & 2)
        self.control = (self.control & ~1) | (v & 1)
        if self.profile == V6M:
            self.control &= ~1      # ARMv6-M without the unprivileged extension
        self.set_mode(handler, spsel)

    # -- program status --------------------------------------------------------------------
    def xpsr(self) -> int:
        x = self.x
        it = x[ITSTATE]
        return ((x[NF] & 0x80000000) | ((x[ZF] == 0) << 30) | (x[CF] << 29) | (x[VF] << 28)
                | (x[QF] << 27) | ((it & 3) << 25) | (self.thumb << 24) | ((it >> 2) << 10) | self.ipsr)

    def set_apsr(self, psr: int, q: bool = True) -> None:
        x = self.x
        x[NF] = psr & 0x80000000
        x[ZF] = 0 if psr >> 30 & 1 else 1
        x[CF] = psr >> 29 & 1
        x[VF] = psr >> 28 & 1
        if q:
            x[QF] = psr >> 27 & 1

    def set_itstate(self, it: int) -> None:
        self.x[ITSTATE] = it & 0xFF

    def set_xpsr(self, psr: int) -> None:
        """From an exception frame: APSR, IPSR and EPSR (T, IT)."""
        self.set_apsr(psr)
        self.set_itstate(((psr >> 25) & 3) | (((psr >> 10) & 0x3F) << 2))
        self.thumb = psr >> 24 & 1
        self.ipsr = psr & 0x1FF

    # -- exclusive monitor --------------------------------------------------------------------
    def clear_exclusive(self) -> None:
        self.excl_addr = -1

    # -- traps and interrupts (the execution loop's hooks) ------------------------------------
    def do_exception(self, trap) -> None:
        """A synchronous exception (an ArmTrap): status bits, escalation, entry."""
        if not isinstance(trap, ArmTrap):
            trap = ArmTrap(trap.pc, trap.cause)
        if self.log is not None and self.log.enabled("int"):
            self._log_trap(trap)
        if trap.cfsr:
            m_helper.pend_fault(self, trap.cfsr, trap.address)
        else:
            # (a BKPT's DebugMonitor: QEMU 7.2 leaves DFSR.BKPT clear, the architecture sets it)
            m_helper.pend_sync(self, trap.exc)
        self.pc = trap.ret & ~1 & M32
        if self.lockup:
            self.pc = m_helper.LOCKUP_PC
            return
        m_helper.take_exception(self, trap.ret)

    def _log_trap(self, trap: ArmTrap) -> None:
        """QEMU's lines for a synchronous exception, as arm_v7m_cpu_do_interrupt logs them."""
        cfsr = trap.cfsr
        if trap.exc == X.SVCALL:
            self.log_exception("svc")
        elif trap.exc == X.DEBUG_MONITOR:
            self.log_exception("bkpt")
        elif cfsr & (X.CFSR_IBUSERR | X.CFSR_IACCVIOL):
            self.log_exception("pabort")
            self.log_int("...at fault address 0x%x\n", trap.pc & M32)
            self.log_int("...with CFSR.%s\n", "IBUSERR" if cfsr & X.CFSR_IBUSERR else "IACCVIOL")
        elif cfsr & (X.CFSR_PRECISERR | X.CFSR_DACCVIOL):
            self.log_exception("dabort")
            self.log_int("...at fault address 0x%x\n", trap.address or 0)
            if cfsr & X.CFSR_PRECISERR:
                self.log_int("...with CFSR.PRECISERR and BFAR 0x%x\n", trap.address or 0)
            else:
                self.log_int("...with CFSR.DACCVIOL and MMFAR 0x%x\n", trap.address or 0)
        elif cfsr & X.CFSR_UNALIGNED:
            # QEMU: generic code's alignment check, a Data Abort (its address is not kept here)
            self.log_exception("dabort")
            self.log_int("...really UsageFault with UFSR.UNALIGNED\n")
        elif cfsr & X.CFSR_DIVBYZERO:
            self.log_exception("divbyzero")
        elif cfsr & X.CFSR_INVSTATE:
            self.log_exception("invstate")
        elif cfsr & X.CFSR_NOCP:
            self.log_exception("nocp")
        else:
            self.log_exception("udef")

    def io_fetch(self, addr: int, size: int) -> int:
        """An instruction fetch outside RAM and ROM (the engine's one-instruction TB
        there), as QEMU 7.2 makes it: through the bus a halfword at a time (a
        placeholder gives zeros, `movs r0, r0`); where execution is forbidden, or the
        bus fails and the board does not ignore it, a fetch fault (TranslationFault)."""
        view = self.current_mpu_view()
        allowed = view.fetch_allowed if view is not None else MPU.default_fetch_allowed
        if not allowed(addr, size):
            raise TranslationFault(addr)
        value = 0
        for half in range(0, size, 2):
            try:
                value |= self.bus.read((addr + half) & M32, 2) << (8 * half)
            except BusError:
                # lm3s6965evb: the failed read gives zeros (the bus logged it)
                if not self.ignore_memory_transaction_failures:
                    raise TranslationFault(addr) from None
        return value

    def fetch_fault(self, pc: int) -> ArmTrap:
        """An instruction fetch that failed at ``pc``: IACCVIOL when the MPU (or,
        with it off, the default map's execute-never regions) forbids it, else IBUSERR."""
        view = self.current_mpu_view()
        allowed = view.fetch_allowed if view is not None else MPU.default_fetch_allowed
        size = 2
        # (nothing at pc: no second halfword to look at, and no second guest-error line)
        if allowed(pc, 2) and self.bus.find(pc) is not None:
            try:
                if (self.bus.read(pc, 2) >> 11) in (0x1D, 0x1E, 0x1F):
                    size = 4            # a 32-bit instruction: its second halfword may be the one
            except Exception:
                pass
        if not allowed(pc, size):
            return ArmTrap(pc, X.MEM_MANAGE, X.CFSR_IACCVIOL)
        return ArmTrap(pc, X.BUS_FAULT, X.CFSR_IBUSERR)

    def mem_fault(self, kind: str, addr: int, pc: int, misaligned: bool = False) -> Optional[ArmTrap]:
        """A data access the bus refused: a precise BusFault with BFAR, as QEMU reports it
        (None on a board that ignores transaction failures: the caller reads 0 or drops the store)."""
        if misaligned:
            return ArmTrap(pc, X.USAGE_FAULT, X.CFSR_UNALIGNED)
        if self.ignore_memory_transaction_failures:
            return None
        return ArmTrap(pc, X.BUS_FAULT, X.CFSR_PRECISERR | X.CFSR_BFARVALID, address=addr & M32)

    def interrupt_pending(self) -> bool:
        """An exception is pending that would preempt were it not for PRIMASK
        (what wakes WFI); in lockup only NMI."""
        nvic = self.nvic
        if nvic is None:
            return False
        exc = nvic.pending_exception()
        if exc is None:
            return False
        if self.lockup:
            return exc == X.NMI
        saved = self.primask
        self.primask = 0
        try:
            return nvic.group_priority(exc) < m_helper.execution_priority(self)
        finally:
            self.primask = saved

    def take_interrupt(self) -> Optional[int]:
        nvic = self.nvic
        if nvic is None or nvic.pending_exception() is None:
            return None
        if self.lockup and nvic.pending_exception() != X.NMI:
            return None
        exc = nvic.pending_exception()
        if exc is None or nvic.group_priority(exc) >= m_helper.execution_priority(self):
            return None
        self.log_exception("irq")
        return m_helper.take_exception(self, self.pc)

    def trap_log_line(self, cause: int) -> str:
        """Nothing: QEMU's -d int lines were written as the exception was taken (log_int)."""
        return ""

    # -- debugger access ---------------------------------------------------------------------
    def register_names(self) -> List[str]:
        return list(REGISTER_NAMES)

    def _unknown(self, name: str):
        from ...debug import DebugError
        return DebugError("unknown register '%s'" % name)

    def get_register(self, name: str) -> int:
        name = name.lower()
        getter = _GETTERS.get(name)
        if getter is None:
            raise self._unknown(name)
        return getter(self) & M32

    def set_register(self, name: str, value: int) -> None:
        name = name.lower()
        setter = _SETTERS.get(name)
        if setter is None:
            raise self._unknown(name)
        setter(self, value & M32)

    def debug_registers(self):
        return debug_register_infos()

    # -- snapshots ------------------------------------------------------------------------------
    _SAVED = ("pc", "other_sp", "control", "primask", "faultmask", "basepri", "ipsr", "thumb",
              "lockup", "excl_addr", "excl_value", "halted", "profile")
    # (the MPU's registers are the NVIC's; its load_state calls mpu_changed)

    def save_state(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {k: getattr(self, k) for k in self._SAVED}
        state["xlen"] = self.xlen
        state["x"] = list(self.x)
        state["retired"] = self.instructions_retired()
        state["charged"] = self.charged
        return state

    def load_state(self, state: Dict[str, Any]) -> None:
        if state.get("profile", self.profile) != self.profile:
            raise ValueError("snapshot is for an %s core" % state["profile"])
        for k in self._SAVED:
            setattr(self, k, state[k])
        self.x = [v & M32 for v in state["x"]]
        self.retired = state["retired"]
        self.charged = state.get("charged", 0)
        self.quantum = self.budget = 0


def _gpr(n: int):
    return (lambda cpu: cpu.x[n]), (lambda cpu, v: cpu.x.__setitem__(n, v))


def _set_sp(cpu, v: int) -> None:
    # SP[1:0] are zero on M-profile: QEMU's gdb write of r13 clears them too
    cpu.x[SP] = v & ~3


def _set_pc(cpu, v: int) -> None:
    cpu.pc = v & ~1


def _set_xpsr(cpu, v: int) -> None:
    cpu.set_apsr(v)
    cpu.set_itstate(((v >> 25) & 3) | (((v >> 10) & 0x3F) << 2))
    cpu.thumb = v >> 24 & 1


_GETTERS: Dict[str, Any] = {}
_SETTERS: Dict[str, Any] = {}
for _n in range(13):
    _GETTERS["r%d" % _n], _SETTERS["r%d" % _n] = _gpr(_n)
for _name, _n in (("sp", SP), ("r13", SP), ("lr", LR), ("r14", LR)):
    _GETTERS[_name], _SETTERS[_name] = _gpr(_n)
_SETTERS["sp"] = _SETTERS["r13"] = _set_sp
_GETTERS.update({
    "pc": lambda c: c.pc, "r15": lambda c: c.pc, "xpsr": ArmCPU.xpsr, "cpsr": ArmCPU.xpsr,
    "msp": ArmCPU.msp, "psp": ArmCPU.psp, "primask": lambda c: c.primask,
    "basepri": lambda c: c.basepri, "faultmask": lambda c: c.faultmask, "control": lambda c: c.control,
})
_SETTERS.update({
    "pc": _set_pc, "r15": _set_pc, "xpsr": _set_xpsr, "cpsr": _set_xpsr,
    "msp": ArmCPU.set_msp, "psp": ArmCPU.set_psp,
    "primask": lambda c, v: setattr(c, "primask", v & 1),
    "basepri": lambda c, v: setattr(c, "basepri", c.nvic.mask_priority(v & 0xFF) if c.nvic else v & 0xFF),
    "faultmask": lambda c, v: setattr(c, "faultmask", v & 1),
    "control": ArmCPU.set_control,
})
