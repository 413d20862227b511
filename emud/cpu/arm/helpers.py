"""Run-time helpers called from translated ARM code: ``helper(cpu, *args)``.

The names are what the translators emit in ``call`` ops; the front end
exposes this table as its ``helpers``. Exceptions are raised as
:class:`~emud.cpu.arm.cpu.ArmTrap` with the pc of the instruction (a constant).
"""
from __future__ import annotations

from typing import Callable, Dict

from . import excnum as X
from . import m_helper
from .cpu import V6M, ArmTrap
from .regs import M32


def raise_exc(cpu, pc: int, exc: int, cfsr: int, ret: int) -> None:
    """A fault found while the instruction runs (unaligned, divide by zero)."""
    raise ArmTrap(pc, exc, cfsr, ret)


def raise_insn_exc(cpu, pc: int, exc: int, cfsr: int, ret: int) -> None:
    """An exception the instruction itself is (SVC, UDF, INVSTATE): QEMU
    7.2 raises those from its translated code (gen_exception_insn), and its
    icount counts the instruction as executed (GuestTrap.charged)."""
    raise ArmTrap(pc, exc, cfsr, ret, charged=True)


def invstate(cpu, pc: int, target: int) -> None:
    """A BX to an address with bit 0 clear: the branch happens and the
    instruction there takes INVSTATE (stacked return address: the target)."""
    cpu.thumb = 0
    raise ArmTrap(pc, X.USAGE_FAULT, X.CFSR_INVSTATE, ret=target & ~1)


def exception_return(cpu, exc_return: int) -> int:
    return m_helper.exception_return(cpu, exc_return)


# -- exclusive monitor ------------------------------------------------------------------------

def excl_set(cpu, addr: int, value: int, size: int) -> None:
    cpu.excl_addr = addr
    cpu.excl_value = value


def excl_check(cpu, addr: int, current: int, size: int) -> int:
    """1 if STREX may store (QEMU's rule: same address, memory unchanged);
    the monitor is open no more either way."""
    ok = cpu.excl_addr == addr and cpu.excl_value == current
    cpu.excl_addr = -1
    return 1 if ok else 0


def excl_clear(cpu) -> None:
    cpu.excl_addr = -1


# -- bit operations ----------------------------------------------------------------------------

def clz(cpu, v: int) -> int:
    return 32 - v.bit_length()


def rbit(cpu, v: int) -> int:
    return int("{:032b}".format(v)[::-1], 2)


# -- special registers ----------------------------------------------------------------------------

def mrs(cpu, sysm: int) -> int:
    """MRS (B5.2.2): EPSR reads as zero; SP_main/SP_process and the masks
    read as zero when unprivileged."""
    if sysm < 8:
        value = 0
        if sysm & 1:
            value |= cpu.ipsr
        if not sysm & 4:
            value |= cpu.xpsr() & 0xF8000000
        return value
    if sysm in (8, 9, 16, 17, 18, 19) and not cpu.privileged():
        return 0
    if sysm == 8:
        return cpu.msp()
    if sysm == 9:
        return cpu.psp()
    if sysm == 16:
        return cpu.primask
    if sysm in (17, 18) and cpu.profile != V6M:
        return cpu.basepri
    if sysm == 19 and cpu.profile != V6M:
        return cpu.faultmask
    if sysm == 20:
        return cpu.control
    return 0


def msr(cpu, sysm: int, mask: int, value: int) -> None:
    """MSR (B5.2.3): the APSR at any privilege, the rest privileged only."""
    if sysm < 8:
        if not sysm & 4 and mask & 2:
            cpu.set_apsr(value, q=cpu.profile != V6M)
        return
    if not cpu.privileged():
        return
    if sysm == 8:
        cpu.set_msp(value)
    elif sysm == 9:
        cpu.set_psp(value)
    elif sysm == 16:
        cpu.primask = value & 1
    elif sysm == 20:
        cpu.set_control(value)
    elif cpu.profile == V6M:
        return
    elif sysm == 17:
        cpu.basepri = cpu.nvic.mask_priority(value & 0xFF)
    elif sysm == 18:
        v = cpu.nvic.mask_priority(value & 0xFF)
        if v and (v < cpu.basepri or not cpu.basepri):
            cpu.basepri = v
    elif sysm == 19:
        if m_helper.execution_priority(cpu) > -1 or not value & 1:
            cpu.faultmask = value & 1
    cpu.exit_request = True


def cps(cpu, disable: int, i: int, f: int) -> None:
    """CPSIE/CPSID i/f: privileged only; FAULTMASK not from priority -1."""
    if not cpu.privileged():
        return
    if i:
        cpu.primask = disable
    if f and cpu.profile != V6M:
        if not disable or m_helper.execution_priority(cpu) > -1:
            cpu.faultmask = disable
    cpu.exit_request = True


# -- hints, breakpoints, semihosting ----------------------------------------------------------

def wfi(cpu, pc: int) -> None:
    if not cpu.interrupt_pending():
        cpu.halted = True


def bkpt(cpu, pc: int) -> None:
    """BKPT without a debugger: a debug event, which with the debug monitor
    off escalates to HardFault (HFSR.DEBUGEVT, DFSR.BKPT), as QEMU (whose
    icount counts the instruction: GuestTrap.charged)."""
    raise ArmTrap(pc, X.DEBUG_MONITOR, charged=True)


def semihost(cpu, pc: int) -> None:
    """BKPT 0xAB: a semihosting call (r0 = operation, r1 = parameter,
    result in r0) if the machine enabled semihosting, else a breakpoint."""
    if cpu.semihosting is None:
        bkpt(cpu, pc)
    cpu.log_exception("semihost")
    cpu.log_int("...handling as semihosting call 0x%x\n", cpu.x[0])
    cpu.x[0] = cpu.semihosting.handle(op=cpu.x[0], param=cpu.x[1], cpu=cpu) & M32


HELPERS: Dict[str, Callable] = {
    "raise_exc": raise_exc,
    "raise_insn_exc": raise_insn_exc,
    "invstate": invstate,
    "exception_return": exception_return,
    "excl_set": excl_set,
    "excl_check": excl_check,
    "excl_clear": excl_clear,
    "clz": clz,
    "rbit": rbit,
    "mrs": mrs,
    "msr": msr,
    "cps": cps,
    "wfi": wfi,
    "bkpt": bkpt,
    "semihost": semihost,
}

