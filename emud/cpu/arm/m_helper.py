"""M-profile exception entry and return (QEMU's target/arm/m_helper.c), outside
the translator, following the ARMv7-M ARM's pseudocode (B1.5.6-B1.5.8):
``ExceptionEntry`` = ``PushStack`` + ``ExceptionTaken``, ``ExceptionReturn``
with ``PopStack``, the execution priority (B1.5.4) and the escalation of
faults to HardFault (B1.5.9), up to lockup.

Where QEMU and the manual differ, we do what the manual says unless QEMU's
choice is observable by firmware and the manual leaves it open; the choices:

* R0-R3, R12 and the APSR are UNKNOWN after entry: kept, as QEMU keeps them.
* Tail-chaining: an exception return with a pending exception that preempts
  the context returned to takes it at once, without unstacking (R0-R3, R12,
  APSR as the last handler left them, LR its EXC_RETURN), as QEMU's
  do_v7m_exception_exit does; a debugger's single step of the return ends in
  the new handler (the engine reports it through ``cpu.tail_chain``).
* Late arrival: not modelled (QEMU neither); an exception pended while
  stacking is taken after the entry, at the next instruction boundary.
* A synchronous exception is made pending and then the highest-priority
  pending exception is taken, which is the fault unless a higher one is
  pending (late arrival), as QEMU's armv7m_nvic_acknowledge_irq does.
* A fault while stacking (STKERR, or MSTKERR when the MPU refuses the write
  for the interrupted context) stops the stacking at that word and makes
  BusFault/MemManage pending (escalated against the priority before entry),
  then the highest-priority pending exception is taken: the derived fault
  if it outranks the original, which then stays pending (QEMU's
  v7m_push_stack + v7m_exception_taken, "overridden exceptions pended").
* A fault while unstacking (UNSTKERR, or MUNSTKERR under the MPU of the
  context returned to) stops at that word (the registers read before it are
  loaded, as QEMU's reads go straight to them), leaves SP and the frame, and
  takes the fault on the existing frame, LR = EXC_RETURN.
* Vector reads ignore the MPU (QEMU's arm_v7m_load_vector reads physically).
* ``-d int``: QEMU's CPU_LOG_INT lines, written as the steps happen
  (cpu.log_int).

The vCPU (cpu.py) owns registers and masks, the NVIC (devices/armv7m_nvic.py)
owns the per-exception enabled/pending/active/priority state and the fault
status registers; these functions work on both.
"""
from __future__ import annotations

from typing import Optional

from ...memory import BusError
from . import excnum as X
from .regs import LR, M32, SP

EXC_RETURN_HANDLER = 0xFFFFFFF1
EXC_RETURN_THREAD_MSP = 0xFFFFFFF9
EXC_RETURN_THREAD_PSP = 0xFFFFFFFD
LOCKUP_PC = 0xFFFFFFFE


def execution_priority(cpu) -> int:
    """ExecutionPriority(): the highest active group priority, boosted by
    PRIMASK (0), BASEPRI and FAULTMASK (-1)."""
    nvic = cpu.nvic
    highest = nvic.active_group_priority()
    boosted = 256
    if cpu.primask:
        boosted = 0
    if cpu.basepri:
        boosted = min(boosted, nvic.group_priority_of(cpu.basepri))
    if cpu.faultmask:
        boosted = -1
    return min(highest, boosted)


# -- stacking ----------------------------------------------------------------------------------

def _write_frame(cpu, frame: int, values, view) -> int:
    """Store the eight words under the MPU ``view`` (None: unchecked); the CFSR
    bits of the first failed store (0: none), the words after it not written."""
    for i, v in enumerate(values):
        addr = (frame + 4 * i) & M32
        if view is not None and not view.allows(addr, 2):       # W
            cpu.log_int("...MemManageFault with CFSR.MSTKERR\n")
            return X.CFSR_MSTKERR
        try:
            cpu.bus.write(addr, 4, v & M32)
        except BusError:
            cpu.log_int("...BusFault with BFSR.STKERR\n")
            return X.CFSR_STKERR
    return 0


def push_stack(cpu, ret_addr: int) -> int:
    """PushStack(): the frame on the current stack, LR = EXC_RETURN.
    Returns the CFSR bits of a stacking fault (0: none)."""
    align = cpu.nvic.ccr_stkalign()
    sp = cpu.x[SP]
    frameptralign = (sp >> 2) & 1 & align
    sp = ((sp - 0x20) & M32) & ~(frameptralign << 2)
    cpu.x[SP] = sp
    psr = (cpu.xpsr() & ~(1 << 9)) | (frameptralign << 9)
    x = cpu.x
    view = cpu.mpu_view(not cpu.ipsr and cpu.control & 1, cpu.negpri())   # the interrupted context's
    fault = _write_frame(cpu, sp, (x[0], x[1], x[2], x[3], x[12], x[LR], ret_addr & ~1, psr), view)
    if cpu.handler_mode():
        x[LR] = EXC_RETURN_HANDLER
    else:
        x[LR] = EXC_RETURN_THREAD_PSP if cpu.control & 2 else EXC_RETURN_THREAD_MSP
    return fault


def exception_taken(cpu, exc: int) -> None:
    """ExceptionTaken(): Handler mode on the main stack, the vector's pc."""
    nvic = cpu.nvic
    cpu.log_int("...taking pending nonsecure exception %d\n", exc)
    table = (nvic.vtor & ~0x7F) + 4 * exc
    cpu.log_int("...loading from element %d of non-secure vector table at 0x%x\n", exc, table)
    try:
        vector = cpu.bus.read(table, 4)
        cpu.log_int("...loaded new PC 0x%x\n", vector)
    except BusError:
        vector = 0
        nvic.hfsr |= X.HFSR_VECTTBL
    cpu.set_mode(handler=True, spsel=False)
    cpu.ipsr = exc
    cpu.set_itstate(0)
    cpu.thumb = vector & 1
    cpu.pc = vector & ~1 & M32
    nvic.activate(exc)
    cpu.clear_exclusive()
    cpu.halted = False
    cpu.exit_request = True


def exception_entry(cpu, exc: int, ret_addr: int) -> None:
    """ExceptionEntry(): stack the context and take ``exc``, or the derived
    fault of a failed stacking when that one outranks it (QEMU's choice)."""
    fault = push_stack(cpu, ret_addr)
    if fault:
        pend_fault(cpu, fault)          # escalated against the priority before entry
        if cpu.lockup:
            return
        pending = cpu.nvic.pending_exception()
        if pending is not None:
            exc = pending
    exception_taken(cpu, exc)


# -- synchronous exceptions and escalation -------------------------------------------------------

def pend_fault(cpu, cfsr_bits: int, address: Optional[int] = None) -> None:
    """A configurable fault with these CFSR bits, pending (escalated when it cannot be taken)."""
    nvic = cpu.nvic
    nvic.cfsr |= cfsr_bits
    if address is not None:
        if cfsr_bits & X.CFSR_BFARVALID:
            nvic.bfar = address & M32
        if cfsr_bits & X.CFSR_MMARVALID:
            nvic.mmfar = address & M32
    pend_sync(cpu, X.fault_of(cfsr_bits))


def pend_sync(cpu, exc: int) -> None:
    """Make a synchronous exception pending, escalating it to HardFault when it
    is disabled or cannot preempt (B1.5.9), or locking up when HardFault cannot."""
    nvic = cpu.nvic
    prio = execution_priority(cpu)
    if exc != X.HARD_FAULT and exc != X.NMI:
        # QEMU 7.2's escalation sets FORCED for every exception, a BKPT's DebugMonitor
        # too (never enabled: no DEMCR), where the architecture says DEBUGEVT (B1.5.9)
        if not nvic.exception_enabled(exc) or nvic.group_priority(exc) >= prio:
            nvic.hfsr |= X.HFSR_FORCED
            exc = X.HARD_FAULT
    if exc == X.HARD_FAULT and prio <= -1:
        lockup(cpu)
        return
    nvic.set_pending(exc)


def lockup(cpu) -> None:
    """A fault at priority -1 or -2: the core stops at 0xFFFFFFFE until reset or NMI."""
    cpu.lockup = True
    cpu.pc = LOCKUP_PC
    cpu.halted = True


def take_exception(cpu, ret_addr: int) -> Optional[int]:
    """Take the highest-priority pending exception if it preempts; its number."""
    exc = cpu.nvic.pending_exception()
    if exc is None or cpu.nvic.group_priority(exc) >= execution_priority(cpu):
        return None
    cpu.lockup = False
    exception_entry(cpu, exc, ret_addr)
    return exc


# -- return ------------------------------------------------------------------------------------

def _return_fault(cpu, exc_return: int, returning: int) -> int:
    """An illegal return: INVPC UsageFault taken from the handler (LR = 0xF0000000 + EXC_RETURN)."""
    nvic = cpu.nvic
    nvic.deactivate(returning)
    cpu.x[LR] = (0xF0000000 + (exc_return & 0x0FFFFFFF)) & M32
    nvic.cfsr |= X.CFSR_INVPC
    pend_sync(cpu, X.USAGE_FAULT)
    cpu.log_int("...taking UsageFault on existing stackframe: failed exception return integrity check\n")
    _take_now(cpu, stack=False)
    return cpu.pc


def _take_now(cpu, stack: bool) -> bool:
    """Take the pending synchronous exception at once (no new frame when
    ``stack`` is False: the handler's frame is still on the stack)."""
    if cpu.lockup:
        return False
    exc = cpu.nvic.pending_exception()
    if exc is None:
        return False
    if stack:
        exception_entry(cpu, exc, cpu.pc)
    else:
        exception_taken(cpu, exc)
    return True


def exception_return(cpu, exc_return: int) -> int:
    """ExceptionReturn(): a BX/POP/LDM/LDR of 0xFxxxxxxx in Handler mode.
    Returns the pc to go on at."""
    nvic = cpu.nvic
    returning = cpu.ipsr
    cpu.log_exception("exit")
    cpu.log_int("Exception return: magic PC %x previous exception %d\n", exc_return & M32, returning)
    nested = nvic.active_count()
    if not nvic.is_active(returning) or (exc_return & 0x0FFFFFF0) != 0x0FFFFFF0:
        return _return_fault(cpu, exc_return, returning)
    kind = exc_return & 0xF
    if kind == 0x1:
        to_handler, spsel = True, False
    elif kind in (0x9, 0xD):
        if nested != 1 and not nvic.ccr & 1:      # CCR.NONBASETHRDENA
            return _return_fault(cpu, exc_return, returning)
        to_handler, spsel = False, kind == 0xD
    else:
        return _return_fault(cpu, exc_return, returning)
    nvic.deactivate(returning)
    if returning != X.NMI:
        cpu.faultmask = 0
    pending = nvic.pending_exception()
    if pending is not None and nvic.group_priority(pending) < execution_priority(cpu):
        # tail-chaining: the pending exception preempts what we return to (the
        # execution priority is already that one's); its handler runs on the
        # same frame, nothing unstacked, LR this EXC_RETURN (QEMU: the same)
        cpu.log_int("...tailchaining to pending exception\n")
        cpu.x[LR] = exc_return & M32
        exception_taken(cpu, pending)
        cpu.tail_chain = pending
        return cpu.pc
    # the frame is read as the context returned to reads memory (QEMU's mmu_idx)
    view = cpu.mpu_view(not to_handler and cpu.control & 1, cpu.negpri())
    cpu.set_mode(handler=to_handler, spsel=spsel)
    fault = pop_stack(cpu, view)
    if fault:
        nvic.cfsr |= fault
        pend_sync(cpu, X.fault_of(fault))
        cpu.log_int("...derived exception on unstacking\n")
        if _take_now(cpu, stack=False):
            cpu.x[LR] = exc_return | 0xFF000000
        return cpu.pc
    if to_handler == (cpu.ipsr == 0):
        # the frame's IPSR contradicts the mode: INVPC, with the frame pushed again
        nvic.cfsr |= X.CFSR_INVPC
        pend_sync(cpu, X.USAGE_FAULT)
        cpu.log_int("...taking UsageFault on new stackframe: failed exception return integrity check\n")
        if _take_now(cpu, stack=True):
            cpu.x[LR] = (0xF0000000 + (exc_return & 0x0FFFFFFF)) & M32
        return cpu.pc
    cpu.clear_exclusive()
    cpu.exit_request = True
    cpu.log_int("...successful exception return\n")
    return cpu.pc


#: the frame's words in order: r0 r1 r2 r3 r12 lr pc xpsr
_FRAME_REGS = (0, 1, 2, 3, 12, LR)


def pop_stack(cpu, view=None) -> int:
    """PopStack(): registers, pc and xPSR from the frame under the MPU ``view``.
    The CFSR bits of the first failed read (0: none); the registers read
    before it are loaded, SP, pc and xPSR are not."""
    sp = cpu.x[SP]
    x = cpu.x
    words = []
    for i in range(8):
        addr = (sp + 4 * i) & M32
        if view is not None and not view.allows(addr, 1):       # R
            cpu.log_int("...MemManageFault with CFSR.MUNSTKERR\n")
            return X.CFSR_MUNSTKERR
        try:
            w = cpu.bus.read(addr, 4)
        except BusError:
            cpu.log_int("...BusFault with BFSR.UNSTKERR\n")
            return X.CFSR_UNSTKERR
        if i < 6:
            x[_FRAME_REGS[i]] = w
        words.append(w)
    psr = words[7]
    x[SP] = ((sp + 0x20) | ((psr >> 9 & 1 & cpu.nvic.ccr_stkalign()) << 2)) & M32
    cpu.pc = words[6] & ~1
    cpu.set_xpsr(psr)
    return 0
