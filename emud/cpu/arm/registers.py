"""Register names and gdb's numbering for M-profile cores, as QEMU 7.2 serves them.

``org.gnu.gdb.arm.m-profile``: r0-r12, sp, lr, pc as 0-15 and xpsr as 25
(gdb's arm-m-profile.xml; 16-24 were the FPA registers and are absent, so
the 'g' packet is r0..pc then xpsr). ``org.gnu.gdb.arm.m-system``: msp, psp,
primask, basepri, faultmask, control from 26 on (QEMU numbers its dynamic
m-system feature right after the core registers).
"""
from __future__ import annotations

FEATURE_CORE = "org.gnu.gdb.arm.m-profile"
FEATURE_SYSTEM = "org.gnu.gdb.arm.m-system"

CORE = ["r%d" % n for n in range(13)] + ["sp", "lr", "pc"]
REGNUM_XPSR = 25
SYSTEM = ["msp", "psp", "primask", "basepri", "faultmask", "control"]
REGNUM_SYSTEM_BASE = 26

REGISTER_NAMES = CORE + ["xpsr"] + SYSTEM

GDB_TYPES = {"sp": "data_ptr", "lr": "int", "pc": "code_ptr", "msp": "data_ptr", "psp": "data_ptr"}
ALIASES = {"sp": ("r13",), "lr": ("r14",), "pc": ("r15",)}


def debug_register_infos():
    from ...debug import RegisterInfo  # the debug interface's type; imported late (trio)

    regs = [RegisterInfo(name, 32, n, "general", GDB_TYPES.get(name, "int"), FEATURE_CORE, True,
                         ALIASES.get(name, ())) for n, name in enumerate(CORE)]
    regs.append(RegisterInfo("xpsr", 32, REGNUM_XPSR, "general", "int", FEATURE_CORE, True))
    for i, name in enumerate(SYSTEM):
        regs.append(RegisterInfo(name, 32, REGNUM_SYSTEM_BASE + i, "system", GDB_TYPES.get(name, "int"),
                                 FEATURE_SYSTEM))
    return regs
