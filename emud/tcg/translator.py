"""The generic translator loop and the contract between it and a guest front end.

As QEMU's ``translator_loop()`` (accel/tcg/translator.c): the loop owns the
TB's shape (where it starts, when it must stop: size cap, page boundary,
breakpoint, an instruction that wants a TB of its own) and the front end owns
one instruction at a time (:meth:`Frontend.translate_insn`).

Non-local exits from a running TB are Python exceptions derived from
:class:`TBExit`; the TB's generated code catches them only to write its
register locals back, then re-raises to the execution loop.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

from .ir import IRBuilder

PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PAGE_MASK = ~(PAGE_SIZE - 1)

#: The most guest instructions in one TB. The execution loop relies on it:
#: a chained exit is taken only while the budget exceeds it, so a quantum or
#: a `step N` never overshoots.
MAX_TB_INSNS = 64


class TBExit(Exception):
    """Leave the running TB. ``pc`` is the instruction that raised;
    ``completed`` says whether that instruction retired (execution resumes
    after it) or not (it is re-executed, or a trap is taken at it)."""

    completed = False

    def __init__(self, pc: int) -> None:
        super().__init__(pc)
        self.pc = pc


class GuestTrap(TBExit):
    """A synchronous exception the guest sees (the front end's cause codes).
    ``charged``: QEMU's icount counts its instruction as executed although it
    did not retire (CPUState.charged): an exception the translated code raises
    itself (QEMU's generate_exception: RISC-V's ecall, ebreak, an instruction
    it cannot decode), not a fault that a helper or an access finds."""

    def __init__(self, pc: int, cause: int, tval: int = 0, charged: bool = False) -> None:
        super().__init__(pc)
        self.cause = cause
        self.tval = tval
        self.charged = charged

    def __repr__(self) -> str:
        return "GuestTrap(pc=0x%x, cause=%d, tval=0x%x)" % (self.pc, self.cause, self.tval)


class ExitRequest(TBExit):
    """The instruction at ``pc`` completed, but the TB must not go on: an
    interrupt may now be pending, code was overwritten, a watchpoint hit.
    Raised by a store (st_slow) with more ops of its instruction after it
    (ir.deferred_stores), it is caught and taken at the end of the instruction."""

    completed = True


class DebugStop(TBExit):
    """Stop for the debugger before executing ``pc`` (a breakpoint)."""


class TranslationFault(Exception):
    """Raised by fetch when the first instruction of a TB cannot be fetched;
    the execution loop turns it into the front end's fetch fault."""

    def __init__(self, pc: int) -> None:
        super().__init__(pc)
        self.pc = pc


def guarded_fetch(fetch: Callable[[int, int], int],
                  allowed: Optional[Callable[[int, int], bool]]) -> Callable[[int, int], int]:
    """``fetch`` behind the front end's fetch check (``Frontend.fetch_allowed``):
    a denied fetch is a fetch fault like one from unmapped memory."""
    if allowed is None:
        return fetch

    def checked_fetch(addr: int, size: int) -> int:
        if not allowed(addr, size):
            raise TranslationFault(addr)
        return fetch(addr, size)
    return checked_fetch


class DisasContext:
    """State of one TB under translation, handed to the front end per insn."""

    def __init__(self, builder: IRBuilder, pc_first: int, flags, fetch: Callable[[int, int], int]) -> None:
        self.b = builder
        self.pc_first = pc_first
        self.flags = flags
        self.fetch = fetch      # fetch(addr, size) -> little-endian int
        self.pc = pc_first      # the instruction being translated
        self.insn = 0           # its raw encoding
        self.length = 0         # its length in bytes
        self.next_pc = pc_first
        self.ended = False      # set by the front end when the insn ended the TB
        self.num_insns = 0

    def end_tb(self) -> None:
        self.ended = True


class Frontend:
    """What a guest architecture provides to the translator.

    * ``helpers``: name -> callable(cpu, *args) for ``call`` ops.
    * :meth:`insn_length`: the instruction length from its first 16 bits.
    * :meth:`starts_tb`: True for instructions that must be the first of
      their TB (so the counters they read or the state they change are exact,
      e.g. CSR accesses); the loop ends the previous TB before them.
    * :meth:`translate_insn`: emit the IR for ``ctx.insn``; if it changes
      control flow it emits the exit itself and calls ``ctx.end_tb()``.
    * :meth:`disassemble`: text for ``-d in_asm`` and the monitor.
    * :meth:`checks_memory`, :meth:`fetch_allowed`: memory protection, as
      the TB flags say it applies (the defaults: none).
    """

    name = "generic"
    xlen = 64
    helpers: Dict[str, Callable] = {}
    #: On PyPy, the engine's tier-up default for this guest's code (None:
    #: exec.TIER_UP_CALLS) and the JIT parameters the engine sets (none: PyPy's own):
    #: how PyPy's JIT warms up depends on the shape of the generated code,
    #: so these are measured per guest (docs/PERFORMANCE.md, eleventh pass)
    pypy_tier_up: Optional[int] = None
    pypy_jit_params = ""
    #: On PyPy, the compiled TBs after which the engine starts over with
    #: regions (several guest blocks per TB function; None: never): once
    #: dispatch goes opaque, every TB boundary is a residual call, and fewer,
    #: longer functions pay (TBEngine.regions_after)
    pypy_regions_after: Optional[int] = None

    def insn_length(self, first_halfword: int) -> int:
        raise NotImplementedError

    def starts_tb(self, ctx: DisasContext) -> bool:
        return False

    def translate_insn(self, ctx: DisasContext) -> None:
        raise NotImplementedError

    def disassemble(self, code: bytes, pc: int) -> List[Tuple[int, int, str, str]]:
        """[(address, size, mnemonic, op_str)] for the bytes given."""
        raise NotImplementedError

    # memory protection: what translation under ``flags`` must check
    def checks_memory(self, flags) -> bool:
        """True: loads and stores must not take the inline RAM path."""
        return False

    def fetch_allowed(self, flags) -> Optional[Callable[[int, int], bool]]:
        """None, or allowed(addr, size) for each instruction fetched."""
        return None


def translate_block(frontend: Frontend, fetch: Callable[[int, int], int], pc: int, flags,
                    max_insns: int = MAX_TB_INSNS, breakpoints=frozenset(),
                    ignore_bp_at_start: bool = False,
                    debug_stop_helper: str = "debug_stop") -> Tuple[IRBuilder, List[Tuple[int, int]]]:
    """Translate one TB. Returns the builder (its ``ops``) and the list of
    (pc, length) of the guest instructions it covers.

    A TB never spans a page boundary except for the instruction that starts
    on the page; it stops before a breakpoint so that the breakpoint's own TB
    can stop the machine on entry.
    """
    b = IRBuilder(frontend.xlen)
    insns: List[Tuple[int, int]] = []

    if pc in breakpoints and not ignore_bp_at_start:
        b.insn_start(pc, 0)
        b.call(debug_stop_helper, pc, flags="noreturn")
        return b, insns

    ctx = DisasContext(b, pc, flags, fetch)
    page = pc & PAGE_MASK
    while True:
        try:
            first = fetch(pc, 2)
            length = frontend.insn_length(first)
            insn = first if length == 2 else fetch(pc, length)
        except TranslationFault:
            if not insns:
                raise
            b.goto_tb(0, pc)
            break
        ctx.pc, ctx.insn, ctx.length, ctx.next_pc = pc, insn, length, pc + length
        if insns and frontend.starts_tb(ctx):
            b.goto_tb(0, pc)
            break
        b.insn_start(pc, length)
        insns.append((pc, length))
        ctx.num_insns = len(insns)
        frontend.translate_insn(ctx)
        if ctx.ended:
            break
        pc += length
        if len(insns) >= max_insns or (pc & PAGE_MASK) != page or pc in breakpoints:
            b.goto_tb(0, pc)
            break
    return b, insns
