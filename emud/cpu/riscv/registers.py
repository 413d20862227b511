"""Register names and gdb's register numbering for RISC-V.

gdb numbers x0..x31 as 0..31 and pc as 32 (the 'g' packet order), the FPU as
33..64 (absent here), CSRs as 65 + csr number and the virtual ``priv``
register as 65 + 4096 = 4161, as QEMU's riscv-*-cpu.xml / csr / virtual
features do.
"""
from __future__ import annotations

from typing import Dict, List

ABI_NAMES = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "fp", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
]

#: Any accepted name of an integer register -> its number.
GPR_NUMBERS: Dict[str, int] = {}
for _n, _name in enumerate(ABI_NAMES):
    GPR_NUMBERS[_name] = _n
    GPR_NUMBERS["x%d" % _n] = _n
GPR_NUMBERS["s0"] = 8

REGNUM_PC = 32
REGNUM_CSR_BASE = 65
REGNUM_PRIV = REGNUM_CSR_BASE + 4096

FEATURE_CPU = "org.gnu.gdb.riscv.cpu"
FEATURE_CSR = "org.gnu.gdb.riscv.csr"
FEATURE_VIRTUAL = "org.gnu.gdb.riscv.virtual"

# Types as QEMU's riscv-32bit-cpu.xml gives them.
GDB_TYPES = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "tp": "data_ptr", "pc": "code_ptr"}


def gpr_aliases(n: int) -> tuple:
    if n == 8:
        return ("x8", "s0")
    return ("x%d" % n,)


def debug_register_infos(xlen: int, csr_numbers: List[int], csr_names: Dict[int, str]):
    from ...debug import RegisterInfo  # the debug interface's type; imported late (trio)

    regs = []
    for n, name in enumerate(ABI_NAMES):
        regs.append(RegisterInfo(name, xlen, n, "general", GDB_TYPES.get(name, "int"),
                                 FEATURE_CPU, True, gpr_aliases(n)))
    regs.append(RegisterInfo("pc", xlen, REGNUM_PC, "general", "code_ptr", FEATURE_CPU, True))
    for num in sorted(csr_numbers):
        regs.append(RegisterInfo(csr_names[num], xlen, REGNUM_CSR_BASE + num, "csr", "int", FEATURE_CSR))
    regs.append(RegisterInfo("priv", xlen, REGNUM_PRIV, "virtual", "int", FEATURE_VIRTUAL))
    return regs
