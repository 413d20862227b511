"""Where the ARM vCPU keeps its state in ``cpu.x`` (the IR globals).

r0-r14 are ``x[0..14]`` (``x[13]`` is the current stack pointer: MSP or PSP,
the other one waits in ``cpu.other_sp``); the pc lives in ``cpu.pc``, so
``x[15]`` is unused. The condition flags are four globals of their own, as
QEMU's NF/ZF/CF/VF, so that the optimizer drops the ones nobody reads:

* ``NF``: a 32-bit value whose bit 31 is N;
* ``ZF``: a 32-bit value that is zero when Z is set;
* ``CF``, ``VF``, ``QF``: 0 or 1.

``ITSTATE`` holds EPSR.IT (``firstcond[3:1]:mask`` as the manual's ITSTATE
bits 7:0) for the instruction about to run: translated code writes it as an
IT block advances, and its value at a TB's start is part of the TB flags.
"""
from __future__ import annotations

SP, LR, PC = 13, 14, 15
NF, ZF, CF, VF, ITSTATE, QF = 16, 17, 18, 19, 20, 21
NUM_REGS = 22
M32 = 0xFFFFFFFF


def it_advance(state: int) -> int:
    """ITAdvance(): the IT state of the next instruction."""
    if state & 7 == 0:
        return 0
    return (state & 0xE0) | ((state << 1) & 0x1F)


def it_cond(state: int) -> int:
    """The condition of the instruction running under ``state`` (nonzero)."""
    return state >> 4
