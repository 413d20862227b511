"""M-profile exception numbers and fault status bits (ARMv7-M ARM B1.5.2, B3.2.15)."""
from __future__ import annotations

RESET, NMI, HARD_FAULT, MEM_MANAGE, BUS_FAULT, USAGE_FAULT = 1, 2, 3, 4, 5, 6
SVCALL, DEBUG_MONITOR, PENDSV, SYSTICK = 11, 12, 14, 15
FIRST_IRQ = 16

NAMES = {RESET: "Reset", NMI: "NMI", HARD_FAULT: "HardFault", MEM_MANAGE: "MemManage",
         BUS_FAULT: "BusFault", USAGE_FAULT: "UsageFault", SVCALL: "SVCall",
         DEBUG_MONITOR: "DebugMonitor", PENDSV: "PendSV", SYSTICK: "SysTick"}

# CFSR: MMFSR (bits 7:0), BFSR (15:8), UFSR (31:16)
CFSR_IACCVIOL = 1 << 0
CFSR_DACCVIOL = 1 << 1
CFSR_MUNSTKERR = 1 << 3
CFSR_MSTKERR = 1 << 4
CFSR_MMARVALID = 1 << 7
CFSR_IBUSERR = 1 << 8
CFSR_PRECISERR = 1 << 9
CFSR_UNSTKERR = 1 << 11
CFSR_STKERR = 1 << 12
CFSR_BFARVALID = 1 << 15
CFSR_UNDEFINSTR = 1 << 16
CFSR_INVSTATE = 1 << 17
CFSR_INVPC = 1 << 18
CFSR_NOCP = 1 << 19
CFSR_UNALIGNED = 1 << 24
CFSR_DIVBYZERO = 1 << 25

HFSR_VECTTBL = 1 << 1
HFSR_FORCED = 1 << 30
HFSR_DEBUGEVT = 1 << 31

DFSR_BKPT = 1 << 1


def fault_of(cfsr_bits: int) -> int:
    """The configurable fault that reports these CFSR bits."""
    if cfsr_bits & 0xFF:
        return MEM_MANAGE
    if cfsr_bits & 0xFF00:
        return BUS_FAULT
    return USAGE_FAULT


def name(exc: int) -> str:
    if exc >= FIRST_IRQ:
        return "IRQ%d" % (exc - FIRST_IRQ)
    return NAMES.get(exc, "exception %d" % exc)
