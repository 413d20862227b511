"""Run-time helpers called from translated code: ``helper(cpu, *args)``.

The names here are what the translators emit in ``call`` ops; the front
end exposes this table as its ``helpers``. Helpers that trap raise
:class:`GuestTrap` with the pc of the instruction, passed as a constant.
"""
from __future__ import annotations

from typing import Callable, Dict

from ...tcg.translator import GuestTrap
from .csr import CAUSE_ILLEGAL, check_access

CAUSE_BREAKPOINT = 3


def raise_exception(cpu, pc: int, cause: int, tval: int) -> None:
    # (gen_exception's: what QEMU's icount charges, see GuestTrap)
    raise GuestTrap(pc, cause, tval, charged=True)


def check_aligned(cpu, addr: int, align_mask: int, pc: int, cause: int) -> None:
    """LR/SC/AMO need natural alignment (plain loads and stores do not)."""
    if addr & align_mask:
        raise GuestTrap(pc, cause, addr)


def lr_reserve(cpu, addr: int, value: int) -> None:
    cpu.res_addr = addr
    cpu.res_value = value


def sc_reserved(cpu, addr: int) -> int:
    """1 if ``addr`` is the reserved address; else the SC fails here
    (without touching memory) and the reservation is gone."""
    if cpu.res_addr == addr:
        return 1
    cpu.res_addr = -1
    return 0


def sc_check(cpu, addr: int, current: int) -> int:
    """1 if the SC may store (QEMU's rule: same address, memory unchanged);
    the reservation is gone either way."""
    ok = cpu.res_addr == addr and cpu.res_value == current
    cpu.res_addr = -1
    return 1 if ok else 0


def _csr_op(combine: Callable[[int, int], int]) -> Callable:
    def helper(cpu, csr: int, value: int, write: int, pc: int, insn: int) -> int:
        if not check_access(cpu, csr, bool(write)):
            raise GuestTrap(pc, CAUSE_ILLEGAL, insn)
        reg = cpu.csrs[csr]
        old = reg.read(cpu)
        if write and reg.write is not None:
            reg.write(cpu, combine(old, value) & cpu.mask)
        return old & cpu.mask
    return helper


csrrw = _csr_op(lambda old, v: v)
csrrs = _csr_op(lambda old, v: old | v)
csrrc = _csr_op(lambda old, v: old & ~v)


def mret(cpu) -> int:
    return cpu.do_mret()


def wfi(cpu, pc: int) -> None:
    if not cpu.interrupt_pending():
        cpu.halted = True


def fence_i(cpu, pc: int) -> None:
    machine = cpu.machine
    if machine is not None:
        machine.flush_code_cache_for_fence()


def semihost(cpu, pc: int) -> None:
    """The ``slli/ebreak/srai`` sequence: a semihosting call if the machine
    enabled semihosting, else an ordinary breakpoint."""
    if cpu.semihosting is None:
        raise GuestTrap(pc, CAUSE_BREAKPOINT, 0, charged=True)     # an ebreak's, as QEMU translates it
    cpu.set_reg(10, cpu.semihosting.handle(op=cpu.reg(10), param=cpu.reg(11), cpu=cpu))


HELPERS: Dict[str, Callable] = {
    "raise_exception": raise_exception,
    "check_aligned": check_aligned,
    "lr_reserve": lr_reserve,
    "sc_reserved": sc_reserved,
    "sc_check": sc_check,
    "csrrw": csrrw,
    "csrrs": csrrs,
    "csrrc": csrrc,
    "mret": mret,
    "wfi": wfi,
    "fence_i": fence_i,
    "semihost": semihost,
}
