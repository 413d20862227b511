"""The Thumb front end: decode one instruction, run its translator, and
apply the IT block around it.

Translators live one file per group (insn_dp, insn_bits, insn_mul, insn_ldst,
insn_branch, insn_sys) as ``trans_<name>(ctx, args)``.

IT blocks, as QEMU does them: the IT state at a TB's start comes from the
TB flags (bits 0-7, cpu.tb_flags); inside the TB the translator knows it
for every instruction, skips a failing one with a forward branch, writes
the ITSTATE global when it changes, and makes every exit leave the state
of the instruction that comes next (gen.it_exit).
"""
from __future__ import annotations

from typing import Callable, Optional

from ...tcg.translator import DisasContext
from ..frontend_util import TableFrontend, collect_translators
from . import excnum as X
from . import insn_bits, insn_branch, insn_dp, insn_ldst, insn_mul, insn_sys
from .cpu import FLAG_HANDLER, FLAG_MPU, FLAG_NOT_THUMB, MPU_VIEW_SHIFT, V7M
from .decode import ThumbDecoder, insn_length
from .gen import gen_skip_unless, gen_trap, gen_undef
from .helpers import HELPERS
from .mpu import view_by_id
from .regs import ITSTATE, M32, it_advance


TRANSLATORS = collect_translators(insn_dp, insn_bits, insn_mul, insn_ldst, insn_branch, insn_sys)

#: not allowed inside an IT block (UNPREDICTABLE; QEMU and we take the UsageFault)
NOT_IN_IT = frozenset(("it", "cbz"))


class ThumbFrontend(TableFrontend):
    name = "arm"
    xlen = 32
    insn_length_rule = staticmethod(insn_length)
    # compiled at once, and a bridge after 50 failures of its guard instead of
    # 200 (PyPy cold, the Cortex-M twins: matmul 106-135 -> 162-171 MIPS, dhry
    # 103-117 -> 129-143; RISC-V's code measured slower so: crc32, and dhry-rv32
    # fell to 40 MIPS in a third of its cold runs)
    pypy_tier_up = 0
    pypy_jit_params = "trace_eagerness=50"

    def __init__(self, profile: str = V7M) -> None:
        self.profile = profile
        # decode(insn, length): ``insn`` is a halfword, or the two halfwords as ``hw1 << 16 | hw2``
        self.setup(ThumbDecoder(profile), HELPERS)

    # -- the MPU (cpu.tb_flags, mpu.py) ----------------------------------------------------------
    def checks_memory(self, flags: int) -> bool:
        return bool(flags & FLAG_MPU)

    def fetch_allowed(self, flags: int) -> Optional[Callable[[int, int], bool]]:
        """Under the MPU, each instruction fetched is checked as the TB's view says;
        with it off, a fetch only fails where nothing is (cpu.fetch_fault tells IACCVIOL)."""
        if not flags & FLAG_MPU:
            return None
        return view_by_id(flags >> MPU_VIEW_SHIFT).fetch_allowed

    def translate_insn(self, ctx: DisasContext) -> None:
        flags = ctx.flags
        it = getattr(ctx, "arm_it", flags & 0xFF)
        insn = ctx.insn
        if ctx.length == 4:           # fetched little-endian: hw2 in the high half
            insn = ((insn & 0xFFFF) << 16) | (insn >> 16)
        d = self.decode(insn, ctx.length)
        ctx.it = it
        ctx.it_next = (d.args.cond << 4 | d.args.mask) if d is not None and d.trans == "it" else it_advance(it)
        ctx.tbflags_handler = bool(flags & FLAG_HANDLER)
        ctx.arm_it = ctx.it_next
        if flags & FLAG_NOT_THUMB:
            gen_trap(ctx, X.USAGE_FAULT, X.CFSR_INVSTATE)
            return
        skip = None
        if it and it >> 4 != 14:
            skip = gen_skip_unless(ctx, it >> 4)
        if d is None or (it and d.trans in NOT_IN_IT) or TRANSLATORS[d.trans](ctx, d.args) is False:
            gen_undef(ctx)
        b = ctx.b
        if skip is not None:
            b.set_label(skip)
            if ctx.ended:     # the instruction left the TB; when skipped, fall through
                if ctx.it_next != it:
                    b.mov(b.reg(ITSTATE), ctx.it_next)
                b.goto_tb(0, ctx.next_pc & M32)
                return
        if not ctx.ended and ctx.it_next != it:
            b.mov(b.reg(ITSTATE), ctx.it_next)

    def make_capstone(self):
        import capstone
        return capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
