"""Which extension an instruction emud's harts do not implement belongs to,
so that the illegal-instruction trap it raises can be explained to the user
once: firmware built for QEMU's default `virt` CPU (rv32/rv64 with F and D)
traps at its first floating-point instruction on emud, as it does on QEMU
with ``-cpu rv32,f=false,d=false``, and then usually hangs in silence."""
from __future__ import annotations

from typing import Optional

# 32-bit major opcodes of the F/D/Q extensions: LOAD-FP, STORE-FP, the four
# fused multiply-adds, OP-FP
_FP_OPCODES = {0x07, 0x27, 0x43, 0x47, 0x4B, 0x4F, 0x53}
_FP_CSRS = {0x001, 0x002, 0x003}        # fflags, frm, fcsr
_SYSTEM = 0x73
# compressed loads and stores of FP registers: (quadrant, funct3) on both
# XLENs (C.FLD, C.FSD, C.FLDSP, C.FSDSP), and those RV64 uses for C.LD/C.SD
_C_FP_BOTH = {(0, 1), (0, 5), (2, 1), (2, 5)}
_C_FP_RV32 = {(0, 3), (0, 7), (2, 3), (2, 7)}   # C.FLW, C.FSW, C.FLWSP, C.FSWSP


def missing_extension(insn: int, xlen: int) -> Optional[str]:
    """"F/D" when ``insn`` (as mtval holds it after an illegal-instruction
    trap) is a floating-point instruction or an access to an FP CSR; None
    for anything else."""
    if insn & 3 != 3:
        key = (insn & 3, (insn >> 13) & 7)
        if key in _C_FP_BOTH or (xlen == 32 and key in _C_FP_RV32):
            return "F/D"
        return None
    opcode = insn & 0x7F
    if opcode in _FP_OPCODES:
        return "F/D"
    if opcode == _SYSTEM and (insn >> 12) & 7 and (insn >> 20) in _FP_CSRS:
        return "F/D"
    return None
