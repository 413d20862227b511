"""The RISC-V front end: decode one instruction, run its translator.

Translators live one file per extension (insn_rvi, insn_rvm, insn_rva,
insn_zicsr, insn_priv) as ``trans_<name>(ctx, args)``; compressed
instructions reuse the translator of the instruction they expand to.
"""
from __future__ import annotations

from typing import Callable, Optional

from ...tcg.translator import DisasContext
from ..frontend_util import TableFrontend, collect_translators
from . import insn_priv, insn_rva, insn_rvi, insn_rvm, insn_zicsr
from .decode import Decoder, insn_length
from .gen import gen_illegal
from .cpu import FLAG_DATA_CHECKED, FLAG_FETCH_CHECKED, FLAG_RULES_SHIFT, PRV_M
from .helpers import HELPERS
from .pmp import X, rules_by_id


TRANSLATORS = collect_translators(insn_rvi, insn_rvm, insn_rva, insn_zicsr, insn_priv)

#: Instructions that must be first in their TB: CSR accesses (exact counters),
#: and the ones that change state the dispatcher must look at.
STARTS_TB = frozenset(("csrrw", "csrrs", "csrrc", "csrrwi", "csrrsi", "csrrci", "mret", "wfi", "fence_i"))


class RiscvFrontend(TableFrontend):
    name = "riscv"
    insn_length_rule = staticmethod(insn_length)
    # regions once a program has more hot blocks than the integer workloads'
    # 15-32 (rtos-mix, PyPy: cold 9.4-10.3 -> ~11, steady 35 -> 55-60 MIPS;
    # crc32 to dhry never get there: regions from the start halved sieve's
    # cold run, all translation; docs/PERFORMANCE.md, thirteenth pass)
    pypy_regions_after = 48

    def __init__(self, xlen: int = 32) -> None:
        if xlen not in (32, 64):
            raise ValueError("xlen must be 32 or 64")
        self.xlen = xlen
        self.setup(Decoder(xlen), HELPERS)

    def starts_tb(self, ctx: DisasContext) -> bool:
        d = self.decode(ctx.insn, ctx.length)
        return d is not None and d.trans in STARTS_TB

    # -- PMP (see RiscvCPU.tb_flags) ------------------------------------------------------------
    def checks_memory(self, flags: int) -> bool:
        return bool(flags & FLAG_DATA_CHECKED)

    def fetch_allowed(self, flags: int) -> Optional[Callable[[int, int], bool]]:
        if not flags & FLAG_FETCH_CHECKED:
            return None
        allows = rules_by_id(flags >> FLAG_RULES_SHIFT).allows
        machine = flags & 3 == PRV_M
        return lambda addr, size: allows(addr, size, X, machine)

    def translate_insn(self, ctx: DisasContext) -> None:
        d = self.decode(ctx.insn, ctx.length)
        if d is None or TRANSLATORS[d.trans](ctx, d.args) is False:
            gen_illegal(ctx)

    def make_capstone(self):
        import capstone
        mode = capstone.CS_MODE_RISCV32 if self.xlen == 32 else capstone.CS_MODE_RISCV64
        return capstone.Cs(capstone.CS_ARCH_RISCV, mode | capstone.CS_MODE_RISCVC)
