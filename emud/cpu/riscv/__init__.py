"""emud.cpu.riscv: the RISC-V guest (RV32/RV64 IMAC + Zicsr + Zifencei, M and U modes)."""
from __future__ import annotations

from .cpu import RiscvCPU
from .csr import CSR_NAMES, CSR_NUMBERS
from .frontend import RiscvFrontend

__all__ = ["RiscvCPU", "RiscvFrontend", "CSR_NAMES", "CSR_NUMBERS"]
