"""The back end: one TB's IR -> the source of one Python function -> compile().

Shape of a generated TB (``-d out_asm`` prints it)::

    def tb_80000010(cpu):
        x = cpu.x
        r10 = x[10]; r11 = x[11]          # every guest register the TB uses
        b = cpu.budget                    # instructions this quantum may still retire
        try:
            while True:                   # only when the TB branches to itself
                ...                       # one block of statements per guest insn
                x[10] = r10               # write back what this path changed
                cpu.pc = 0x80000018
                cpu.budget = b = b - 3
                return C0 if b > MAX else None
        except TBExit as e:               # a trap or an early exit: write back, account, re-raise
            ...

Chaining: ``C0``/``C1`` are globals of the function. They start as link stubs
(``exec.TBEngine`` makes them) that find or translate the successor and patch
the global to the successor's function, so from then on this TB returns its
successor directly and the execution loop just calls whatever it is given.
A TB only hands over to a successor while the budget exceeds the largest TB,
so a quantum (or a `step N`) never overshoots. An indirect exit looks the
target up in the jump cache (``JC``) itself, QEMU's lookup_and_goto_ptr.

RAM is accessed inline through memoryview casts of each RAM region's bytearray
(on PyPy: struct unpack_from/pack_into on the bytearray, see STRUCT_MEMORY_DEFAULT)
with one range-and-alignment check per window (a mapping of a RAM or ROM
region, ``CodegenConfig.windows``): an access tries the windows its
instruction was seen to use (the engine's hints), in turn; anything else
(MMIO, misaligned, unmapped, another window, a store to a chunk holding
translated code, a store to ROM) takes the slow path, a call into the
execution engine.
"""
from __future__ import annotations

import platform
import struct
import sys
import types
from bisect import bisect_right
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from .ir import Op, Temp, deferred_stores
from .pyexpr import PURE_VALUE_OPS, RUNTIME, condition, op_expr, wrapped64
from .tb import CHUNK_SHIFT
from .translator import MAX_TB_INSNS, ExitRequest, TBExit

EXIT_OPS = ("goto_tb", "exit_indirect", "exit_tb")
VIEW_CODES = {1: "B", 2: "H", 4: "I", 8: "Q"}
LITTLE_ENDIAN_HOST = sys.byteorder == "little"
#: On PyPy (7.3.11) indexing a memoryview cast builds a bytes object and runs
#: the struct unpacker per access (~120 ns); struct.Struct.unpack_from and
#: pack_into on the bytearray itself, and bytearray indexing, compile to
#: plain loads and stores (~1 ns). CPython is the other way round.
PYPY = platform.python_implementation() == "PyPy"
STRUCT_MEMORY_DEFAULT = PYPY


#: a guest register write that only a fault could see (see _plan_deferral)
#: is made on the slow paths of at most this many accesses, else at once
MAX_DEFERRED_POINTS = 3

#: a window of the inline RAM path: (guest base, size, the suffix of its
#: region's names in generated code - U4<sfx>, CP<sfx>, WL<sfx>, RAM<sfx> -,
#: writable: False for ROM, whose stores always take the slow path)
Window = Tuple[int, int, str, bool]


class CodegenConfig:
    """What the back end needs to know besides the ops."""

    def __init__(self, xlen: int, ram_base: Optional[int] = None, ram_size: int = 0,
                 fast_memory: bool = True, chaining: bool = True, watch_loads: bool = False,
                 count_execs: bool = False, log_exec: bool = False,
                 struct_memory: Optional[bool] = None, windows: Optional[Sequence[Window]] = None) -> None:
        self.xlen = xlen
        if windows is None:
            windows = () if ram_base is None else ((ram_base, ram_size, "", True),)
        # in the order an access with several candidates tries them
        self.windows: Tuple[Window, ...] = tuple(windows)
        self.ram_base = self.windows[0][0] if self.windows else None
        self.ram_size = self.windows[0][1] if self.windows else 0
        self.fast_memory = fast_memory and bool(self.windows) and LITTLE_ENDIAN_HOST
        self.chaining = chaining
        # a read or access watchpoint exists: the inline load path also checks
        # WL, the map of watched RAM chunks (stores always check CP, which marks them too)
        self.watch_loads = watch_loads
        self.count_execs = count_execs
        self.log_exec = log_exec
        # inline RAM accesses through struct (RAM, LD*/ST*) instead of memoryview casts (U*/S*)
        self.struct_memory = STRUCT_MEMORY_DEFAULT if struct_memory is None else struct_memory
        # 64-bit values (and the register file, cpu.x) held as signed values:
        # see pyexpr.signed64_expr and CPUState.signed_regs
        self.signed64 = xlen == 64

    def key(self) -> Tuple[Any, ...]:
        """Everything here that the generated code depends on (the translation cache's key)."""
        return (self.xlen, self.windows, self.fast_memory, self.chaining,
                self.watch_loads, self.count_execs, self.log_exec, self.struct_memory, self.signed64)


def ram_views(data: bytearray, suffix: str = "") -> Dict[str, Any]:
    """Typed views of a RAM region used by the fast path: memoryview casts
    (unsigned U*, signed S*, indexed by offset / size) and struct accessors
    on the bytearray ``RAM`` (LDU*/LDS* unpack_from, ST* pack_into, by byte
    offset; shared by every region). ``suffix`` tells regions apart (U4_1...)."""
    mv = memoryview(data)
    views: Dict[str, Any] = {"U1" + suffix: data, "S1" + suffix: mv.cast("b"), "RAM" + suffix: data}
    for size, code in VIEW_CODES.items():
        if size > 1 and len(data) % size == 0:
            views["U%d%s" % (size, suffix)] = mv.cast(code)
            views["S%d%s" % (size, suffix)] = mv.cast(code.lower())
        views["LDU%d" % size] = struct.Struct("<" + code).unpack_from
        views["LDS%d" % size] = struct.Struct("<" + code.lower()).unpack_from
        views["ST%d" % size] = struct.Struct("<" + code).pack_into
        views["STS%d" % size] = struct.Struct("<" + code.lower()).pack_into
    return views


def _ram_load(view: str, size: int, offset: str, struct_memory: bool, sfx: str = "") -> str:
    """The fast-path load of ``size`` bytes at byte offset ``offset`` of the
    RAM region named by ``sfx``."""
    if not struct_memory:
        shift = {1: "", 2: " >> 1", 4: " >> 2", 8: " >> 3"}[size]
        return "%s%s[%s%s]" % (view, sfx, offset, shift)
    if view == "U1":
        return "RAM%s[%s]" % (sfx, offset)
    return "LD%s(RAM%s, %s)[0]" % (view, sfx, offset)


def _ram_store(size: int, offset: str, value: str, struct_memory: bool, signed: bool = False,
               sfx: str = "") -> str:
    """The fast-path store (``signed``: of a value held signed, a full 64-bit one)."""
    if not struct_memory:
        shift = {1: "", 2: " >> 1", 4: " >> 2", 8: " >> 3"}[size]
        return "%s%d%s[%s%s] = %s" % ("S" if signed else "U", size, sfx, offset, shift, value)
    if size == 1:
        return "RAM%s[%s] = %s" % (sfx, offset, value)
    return "ST%s%d(RAM%s, %s, %s)" % ("S" if signed else "", size, sfx, offset, value)


def _lit(v: int) -> str:
    return hex(v) if v > 9 else str(v)


def _plus(a: str, k: int) -> str:
    if k == 0:
        return a
    return "%s %s %s" % (a, "+" if k > 0 else "-", _lit(abs(k)))


class _Emitter:
    def __init__(self, ops: Sequence[Op], tb_pc: int, depth: Dict[int, int], cfg: CodegenConfig,
                 hints: Optional[Dict[int, int]] = None, default_mask: Optional[int] = None,
                 default_first: int = 0) -> None:
        self.cur_retired = 0   # instructions before the one being emitted (for slow paths)
        # guest pc -> bit mask of cfg.windows its accesses were seen to use;
        # an access with none tries ``default_mask`` (default: every window),
        # the window of bit ``default_first`` (the busiest) first
        self.hints = hints if hints is not None else {}
        self.default_mask = (1 << len(cfg.windows)) - 1 if default_mask is None else default_mask
        self.default_first = default_first
        # guest pc -> the windows its inline accesses try (the engine
        # retranslates the TB when that pc is seen to use another)
        self.window_masks: Dict[int, int] = {}
        self.ops = list(ops)
        self.tb_pc = tb_pc
        self.cfg = cfg
        self.index = depth                  # guest pc -> instructions retired before it
        self.lines: List[str] = []
        self.exits: List[int] = []          # chain slot k -> its constant target pc
        self.slot_of: Dict[int, int] = {}
        self.writebacks: List[Set[int]] = []  # per __WB<k>__ placeholder: what its path wrote
        self.loop_written: Set[int] = set()   # written on some path that loops back
        self.path_written: Set[int] = set()   # written so far on the path being emitted
        self.read_first: Set[int] = set()     # read before written on some path
        self.used_globals: Set[int] = set()
        self.written_globals: Set[int] = set()
        self.helpers: Set[str] = set()
        self.loops = False
        self.labels = {op.args[0]: i for i, op in enumerate(self.ops) if op.opc == "set_label"}
        self.inline: Dict[Temp, Op] = {}                  # temp -> its def, pasted into its one use
        self.addr_fold: Dict[Temp, Tuple[Temp, int]] = {}  # address temp -> (base, signed offset)
        # stores followed by more ops of their instruction: their slow path
        # catches an exit request (sets _e), taken at the instruction's end
        self.deferred = deferred_stores(self.ops)
        self.pending = False     # a deferred store on this path since the last boundary
        self.uses_e = False
        self._plan_inlining()
        # deferred register writes: op index -> made on the slow paths of these accesses
        self.defer_at: Dict[int, List[int]] = {}
        self.deferred_ops: Set[int] = set()
        # deferred op -> the globals it reads that change before its last
        # slow path, and the local holding the value they had at the op
        self.defer_copy: Dict[int, Dict[Temp, str]] = {}
        self.subst: Dict[Temp, str] = {}      # global -> local name, while one is made
        self.copied: Set[str] = set()         # copies made on the straight stretch being emitted
        self._plan_deferral()

    def _plan_inlining(self) -> None:
        """Single-use scratch temps are not assigned: their expression is
        pasted into the one op that reads them (fewer statements to compile
        and to run), when nothing between could change what it reads. An
        address ``base + imm`` read by one load/store folds into the access
        (``_o = base + (imm - RAM base)``; the slow path masks the address)."""
        ops = self.ops
        w = self.cfg.xlen
        use_at: Dict[Temp, int] = {}       # local temp -> where it is read (-1: more than once)
        def_at: Dict[Temp, List[int]] = {}  # temp -> where it is written
        barriers: List[int] = []           # ops nothing may move across, in order
        op_inputs: List[List[Any]] = []
        for i, op in enumerate(ops):
            ins = op.inputs()
            op_inputs.append(ins)
            for v in ins:
                if isinstance(v, Temp) and not v.is_global:
                    use_at[v] = -1 if v in use_at else i
            d = op.dest
            if d is not None:
                def_at.setdefault(d, []).append(i)
            opc = op.opc
            if opc in ("set_label", "brcond", "call") or opc in EXIT_OPS:
                barriers.append(i)
        reads: Dict[Temp, Set[Temp]] = {}   # inlined temp -> every temp its expression reads
        for d, i in ((d, at[0]) for d, at in def_at.items() if len(at) == 1 and not d.is_global):
            j = use_at.get(d, -1)
            op = ops[i]
            if j < 0 or op.opc not in PURE_VALUE_OPS:
                continue
            k = bisect_right(barriers, i)
            if k < len(barriers) and barriers[k] < j:
                continue            # a label, branch, call or exit in between
            inputs: Set[Temp] = set()
            for v in op_inputs[i]:
                if isinstance(v, Temp):
                    inputs.add(v)
                    inputs |= reads.get(v, set())
            if any(i < at < j for t in inputs for at in def_at.get(t, ())):
                continue            # what it reads changes before its use
            user = ops[j]
            if user.opc in ("ld", "st"):
                addr = user.args[1] if user.opc == "ld" else user.args[0]
                if addr is not d:
                    if user.opc == "st":   # the stored value: read once on either path
                        self.inline[d] = op
                        reads[d] = inputs
                elif (op.opc == "add" and op.w == w and isinstance(op.args[1], Temp)
                        and isinstance(op.args[2], int)):
                    imm = op.args[2]
                    if imm >> (w - 1):
                        imm -= 1 << w
                    self.addr_fold[d] = (op.args[1], imm)
                    reads[d] = inputs
            elif user.opc in PURE_VALUE_OPS or user.opc in ("brcond", "call", "exit_tb"):
                self.inline[d] = op
                reads[d] = inputs

    def _reads(self, op: Op) -> Set[Temp]:
        """The guest registers ``op`` reads, also through the temps pasted into it."""
        out: Set[Temp] = set()
        todo = list(op.inputs())
        while todo:
            v = todo.pop()
            if not isinstance(v, Temp):
                continue
            if v.is_global:
                out.add(v)
            elif v in self.inline:
                todo.extend(self.inline[v].inputs())
            elif v in self.addr_fold:
                todo.append(self.addr_fold[v][0])
        return out

    def _plan_deferral(self) -> None:
        """A pure op writing a guest register that the same straight stretch
        writes again with only memory accesses between (no read of it, no
        branch, label, call or exit): only a fault in one of those accesses
        could see the value (Arm's C and V of a flag setter whose flags the
        next one overwrites, with a load between). The op is then made on
        those accesses' slow paths only, the one place a fault comes from
        (QEMU computes such flags eagerly). What it reads that changes
        before the last of them (``adds r0, #24`` reads r0 and writes it) is
        copied to a local at the op."""
        ops = self.ops
        # one pass: per register, its last write still waiting for a next one
        # (None once read or crossed by a branch, label, call or exit), and
        # the accesses since; a pasted temp reads what its def op reads, so
        # reading the register through one shows at its def op or not at all
        # (the inlining plan pastes nothing across a write of what it reads)
        waiting: Dict[Temp, Tuple[int, int]] = {}   # register -> (op index, accesses before it)
        accesses: List[int] = []
        stored = False      # a store earlier in this instruction: its exit request
        for j, op in enumerate(ops):  # (at the instruction's end) would see the old value
            opc = op.opc
            if opc == "insn_start":
                stored = False
                continue
            if opc in ("set_label", "brcond", "call") or opc in EXIT_OPS:
                waiting.clear()
            for v in op.inputs():
                if isinstance(v, Temp) and v.is_global:
                    waiting.pop(v, None)
            if opc in ("ld", "st"):
                accesses.append(j)
                stored = stored or opc == "st"
            d = op.dest
            if d is None or not d.is_global:
                continue
            w = waiting.pop(d, None)
            if w is not None and 0 < len(accesses) - w[1] <= MAX_DEFERRED_POINTS:
                self._defer(w[0], accesses[w[1]:])
            if opc in PURE_VALUE_OPS and not stored:
                waiting[d] = (j, len(accesses))

    def _defer(self, i: int, points: List[int]) -> None:
        """Make op ``i`` on the slow paths of ``points`` instead of in place."""
        self.deferred_ops.add(i)
        for j in points:
            self.defer_at.setdefault(j, []).append(i)
        changed = set()
        for j in range(i + 1, points[-1]):
            d = self.ops[j].dest
            if d is not None and d.is_global:
                changed.add(d)
        # a copy per value, named after the write it comes from (or none: 0)
        self.defer_copy[i] = {g: "_d%d_%d" % (g.reg, self._last_write(g, i))
                              for g in self._reads(self.ops[i]) if g in changed}

    def _last_write(self, g: Temp, i: int) -> int:
        for j in range(i - 1, -1, -1):
            if self.ops[j].dest is g:
                return j
        return 0

    def deferred_writes(self, j: int) -> List[str]:
        """The statements of the deferred writes access ``j``'s slow path makes."""
        out = []
        for i in self.defer_at.get(j, ()):
            op = self.ops[i]
            self.subst = self.defer_copy[i]
            out.append("%s = %s" % (self.dst(op.args[0]), self.expr(op)))
        self.subst = {}
        return out

    # -- operands --------------------------------------------------------------
    def val(self, v) -> str:
        if isinstance(v, Temp):
            d = self.inline.get(v)
            if d is not None:
                return "(%s)" % self.expr(d)
            if v in self.subst:
                return self.subst[v]
            if v.is_global:
                self.used_globals.add(v.reg)
                if v.reg not in self.path_written:
                    self.read_first.add(v.reg)   # needs its value from cpu.x at entry
            return v.name
        if v >> 63 and self.cfg.signed64:
            return "(%d)" % (v - (1 << 64))      # a 64-bit constant with the top bit set
        return _lit(v)

    def unsigned(self, v) -> str:
        """An operand as the unsigned value of its bits (for helpers and the pc)."""
        if isinstance(v, int):
            return _lit(v)
        text = self.val(v)
        if not self.cfg.signed64:
            return text
        return "(_u if (_u := %s) >= 0 else _u + 0x10000000000000000)" % text

    def expr(self, op: Op) -> str:
        return op_expr(op, self.val, self.cfg.signed64)

    def address(self, addr, base: int) -> Tuple[str, str]:
        """The guest address as given to the slow path (which masks it) and
        the offset expression from ``base`` of the fast path."""
        fold = self.addr_fold.get(addr) if isinstance(addr, Temp) else None
        if fold is None:
            a = self.val(addr)
            return a, "%s - %s" % (a, hex(base))
        t, imm = fold
        a = self.val(t)
        return _plus(a, imm), _plus(a, imm - base)

    def chain(self, size: int, writes: bool) -> List[Window]:
        """The windows an access of the current instruction tries, in order
        (``writes``: not ROM)."""
        pc = self.cur_pc
        own = self.hints.get(pc, 0)
        mask = own or self.default_mask
        tried = [(k, w) for k, w in enumerate(self.cfg.windows) if mask >> k & 1 and (w[3] or not writes)
                 and w[1] >= size]
        if not own and self.default_first:
            # no hint yet (a block compiled before it ran): the busiest window
            # first, not the lowest (code and constants are seldom reached this way)
            tried.sort(key=lambda kw: 1 << kw[0] != self.default_first)
        self.window_masks[pc] = self.window_masks.get(pc, 0) | mask
        return [w for _, w in tried]

    def dst(self, t: Temp) -> str:
        if t.is_global:
            self.used_globals.add(t.reg)
            self.written_globals.add(t.reg)
        return t.name

    # -- emission ----------------------------------------------------------------
    def emit(self, indent: int, text: str) -> None:
        for line in text.split("\n"):
            self.lines.append("    " * indent + line)

    def writeback(self, indent: int, written: Set[int]) -> None:
        """A placeholder filled in by :meth:`generate`: in a looping TB, what
        earlier iterations wrote must be written back too."""
        self.emit(indent, "__WB%d__" % len(self.writebacks))
        self.writebacks.append(set(written))

    def slot(self, target: int) -> int:
        k = self.slot_of.get(target)
        if k is None:
            k = self.slot_of[target] = len(self.exits)
            self.exits.append(target)
        return k

    def exit_code(self, indent: int, op: Op, written: Set[int], retired: int, deferred: bool = False) -> None:
        # ``deferred``: a store of the exit's instruction may have asked for
        # an exit (_e): then go back to the dispatcher, not on to a successor
        go_on = "b > MAX and not _e" if deferred else "b > MAX"
        if op.opc == "goto_tb" and op.args[1] == self.tb_pc and self.cfg.chaining:
            # a branch back to this TB's start: loop in place while the budget lasts
            self.loops = True
            self.loop_written |= written
            self.emit(indent, "b -= %d" % retired)
            self.emit(indent, "if %s: continue" % go_on)
            self.writeback(indent, written)
            self.emit(indent, "cpu.pc = %s; cpu.budget = b" % _lit(self.tb_pc))
            self.emit(indent, "return None")
            return
        self.writeback(indent, written)
        if op.opc == "goto_tb" and self.cfg.chaining:
            # the chain slot's link stub knows the target: pc is stored only
            # when control goes back to the dispatcher
            self.emit(indent, "cpu.budget = b = b - %d" % retired)
            self.emit(indent, "if %s: return C%d" % (go_on, self.slot(op.args[1])))
            self.emit(indent, "cpu.pc = %s" % _lit(op.args[1]))
            self.emit(indent, "return None")
        elif op.opc == "goto_tb":
            self.emit(indent, "cpu.pc = %s; cpu.budget = b - %d" % (_lit(op.args[1]), retired))
            self.emit(indent, "return None")
        elif op.opc == "exit_indirect":
            target = self.unsigned(op.args[0])
            if self.cfg.chaining:
                self.emit(indent, "cpu.budget = b = b - %d" % retired)
                self.emit(indent, "_t = %s" % target)
                self.emit(indent, "if %s:" % go_on)
                self.emit(indent + 1, "f = JC.get(_t)")
                self.emit(indent + 1, "if f is not None: return f")
                self.emit(indent, "cpu.pc = _t")
            else:
                self.emit(indent, "cpu.pc = %s; cpu.budget = b - %d" % (target, retired))
            self.emit(indent, "return None")
        else:  # exit_tb
            self.emit(indent, "cpu.pc = %s" % self.unsigned(op.args[0]))
            self.emit(indent, "cpu.budget = b - %d" % retired)
            self.emit(indent, "return None")

    def _ram_const(self, addr, size: int, writes: bool) -> Optional[Tuple[Window, int]]:
        """The window and offset of a constant, aligned address inside one
        (``writes``: a writable one), or None."""
        cfg = self.cfg
        if not (cfg.fast_memory and isinstance(addr, int)):
            return None
        for w in cfg.windows:
            off = addr - w[0]
            if 0 <= off <= w[1] - size and not off & (size - 1) and (w[3] or not writes):
                return w, off
        return None

    def load(self, indent: int, op: Op, pc: int) -> None:
        d, addr, size, signed, kind = op.args
        dn = self.dst(d)
        cfg = self.cfg
        held_signed = cfg.signed64 and op.w == 64
        if signed and 8 * size >= op.w:
            signed = False   # a full-width load: the same bits either way
        # sign extension: a mask of the signed value to the op's width, unless
        # 64-bit values are held signed (then a full-width load is signed too)
        mask = " & %s" % hex((1 << op.w) - 1) if signed and not held_signed else ""
        view = ("S%d" if signed or (held_signed and 8 * size == 64) else "U%d") % size
        amo = kind == "amo"
        chain = self.chain(size, amo) if cfg.fast_memory and not isinstance(addr, int) else []
        a, o = self.address(addr, chain[0][0] if chain else 0)
        # the slow path may reach a device that reads the instruction count
        # (icount time): bring cpu.budget up to this instruction first
        call = "ld_slow(cpu, %s, %d, %s, %r, %s)" % (a, size, bool(signed), kind, _lit(pc))
        if held_signed and (signed or size == 8):
            call = "WRAP64(%s)" % call      # ld_slow answers unsigned
        slow = self._after_deferred("cpu.budget = b - %d; %s = %s" % (self.cur_retired, dn, call))
        const = self._ram_const(addr, size, amo)
        if const is not None:
            (_, _, sfx, _), off = const
            if cfg.struct_memory:
                fast = "%s = %s%s" % (dn, _ram_load(view, size, _lit(off), True, sfx), mask)
            else:
                fast = "%s = %s%s[%s]%s" % (dn, view, sfx, _lit(off // size), mask)
            chunk = _lit(off >> CHUNK_SHIFT)
            checks = ["WL%s[%s]" % (sfx, chunk)] if cfg.watch_loads else []
            if amo:
                checks.append("CP%s[%s]" % (sfx, chunk))
            if not checks:
                self.emit(indent, fast)
                return
            self.emit(indent, "if not (%s):" % " or ".join(checks))
            self.emit(indent + 1, fast)
            self.emit(indent, "else:")
            self.emit(indent + 1, slow)
            return
        if chain:
            self.emit(indent, "_o = %s" % o)
            prev = chain[0][0]
            for k, (base, wsize, sfx, _) in enumerate(chain):
                align = " and not _o & %d" % (size - 1) if size > 1 else ""
                if cfg.watch_loads:
                    align += " and not WL%s[_o >> %d]" % (sfx, CHUNK_SHIFT)
                if amo:
                    # the read of an AMO (or SC) is also its write: where a store
                    # would leave the inline path (a watched chunk), so does it
                    align += " and not CP%s[_o >> %d]" % (sfx, CHUNK_SHIFT)
                if k == 0:
                    self.emit(indent, "if 0 <= _o < %s%s:" % (hex(wsize - size + 1), align))
                else:
                    # the next window: the offset from its base
                    self.emit(indent, "elif 0 <= (_o := %s) < %s%s:" % (_plus("_o", prev - base),
                                                                          hex(wsize - size + 1), align))
                prev = base
                self.emit(indent + 1, "%s = %s%s" % (dn, _ram_load(view, size, "_o", cfg.struct_memory, sfx), mask))
            self.emit(indent, "else:")
            self.emit(indent + 1, slow)
        else:
            self.emit(indent, slow)

    def store(self, indent: int, op: Op, pc: int, deferred: bool = False) -> None:
        addr, value, size, kind = op.args
        cfg = self.cfg
        chain = self.chain(size, True) if cfg.fast_memory and not isinstance(addr, int) else []
        a, o = self.address(addr, chain[0][0] if chain else 0)
        v = self.val(value)
        if isinstance(value, int):
            v = _lit(value & ((1 << (8 * size)) - 1))
        fast_v = v
        if not isinstance(value, int) and 8 * size < op.w:
            fast_v = "%s & %s" % (v, hex((1 << (8 * size)) - 1))
        # a full 64-bit value held signed goes to RAM through a signed view
        signed_store = cfg.signed64 and size == 8 and not isinstance(value, int)
        slow = "cpu.budget = b - %d; st_slow(cpu, %s, %s, %d, %r, %s)" % (
            self.cur_retired, a, v, size, kind, _lit(pc))
        if deferred:
            # more ops of this instruction follow: an exit request waits for its end
            slow = "cpu.budget = b - %d\ntry: st_slow(cpu, %s, %s, %d, %r, %s)\nexcept ExitRequest: _e = 1" % (
                self.cur_retired, a, v, size, kind, _lit(pc))
            self.pending = self.uses_e = True
        slow = self._after_deferred(slow)
        const = self._ram_const(addr, size, True)
        if const is not None:
            (_, _, sfx, _), off = const
            self.emit(indent, "if not CP%s[%s]:" % (sfx, _lit(off >> CHUNK_SHIFT)))
            if cfg.struct_memory:
                self.emit(indent + 1, _ram_store(size, _lit(off), fast_v, True, signed_store, sfx))
            else:
                self.emit(indent + 1, "%s%d%s[%s] = %s" % ("S" if signed_store else "U", size, sfx,
                                                         _lit(off // size), fast_v))
            self.emit(indent, "else:")
            self.emit(indent + 1, slow)
        elif chain:
            self.emit(indent, "_o = %s" % o)
            prev = chain[0][0]
            for k, (base, wsize, sfx, _) in enumerate(chain):
                align = " and not _o & %d" % (size - 1) if size > 1 else ""
                test = "0 <= _o < %s%s and not CP%s[_o >> %d]" % (hex(wsize - size + 1), align, sfx, CHUNK_SHIFT)
                if k == 0:
                    self.emit(indent, "if %s:" % test)
                else:
                    self.emit(indent, "elif 0 <= (_o := %s) < %s:" % (_plus("_o", prev - base), test[len("0 <= _o < "):]))
                prev = base
                self.emit(indent + 1, _ram_store(size, "_o", fast_v, cfg.struct_memory, signed_store, sfx))
            self.emit(indent, "else:")
            self.emit(indent + 1, slow)
        else:
            self.emit(indent, slow)

    def _after_deferred(self, slow: str) -> str:
        """The slow path of the access being emitted, after the deferred
        register writes a fault there must see."""
        return "\n".join(self.deferred_writes(self.cur_index) + [slow])

    def call(self, indent: int, op: Op, written: Set[int], retired_before: int) -> None:
        d, name, args, flags = op.args
        self.helpers.add(name)
        argtext = "".join(", " + self.unsigned(a) for a in args)   # helpers see unsigned values
        if "rw" in flags:
            # the helper sees and may change guest registers: sync them
            self.writeback(indent, written)
        if "rw" in flags or "exit" in flags:
            # and the instruction count (a CSR read of minstret/mcycle inlined
            # into a region after other instructions must count them)
            self.emit(indent, "cpu.budget = b - %d" % retired_before)
        call = "h_%s(cpu%s)" % (name, argtext)
        if d is not None and self.cfg.signed64 and op.w == 64:
            call = wrapped64(call, direction=1)     # helpers answer unsigned: only too big
        target = "%s = " % self.dst(d) if d is not None else ""
        self.emit(indent, "%s%s" % (target, call))
        if "rw" in flags and "noreturn" not in flags:
            self.emit(indent, "__RELOAD__")

    # -- streams -------------------------------------------------------------------
    def stream(self, start: int, indent: int, written: Set[int], cur: int, stop: Optional[int] = None) -> bool:
        """Emit ops from ``start`` until an exit (returns True) or ``stop``."""
        i = start
        end = len(self.ops) if stop is None else stop
        while i < end:
            op = self.ops[i]
            self.path_written = written
            self.cur_index = i
            opc = op.opc
            if opc == "insn_start":
                if self.pending:
                    # the end of an instruction with a deferred store: its exit request now
                    self.emit(indent, "if _e: raise ExitRequest(%s)" % _lit(self.cur_pc))
                    self.pending = False
                # (a region's copy carries its own depth: a pc may sit at several)
                cur = op.args[2] if len(op.args) > 2 else self.index.get(op.args[0], cur)
                self.emit(indent, "# %s" % hex(op.args[0]))
                self.cur_pc = op.args[0]
            elif opc == "set_label":
                self.copied = set()
            elif opc in PURE_VALUE_OPS:
                if op.args[0] in self.inline or op.args[0] in self.addr_fold:
                    i += 1
                    continue      # pasted into its one use
                if i in self.deferred_ops:
                    # made on the slow paths that follow; keep what changes before them
                    for g, name in sorted(self.defer_copy[i].items(), key=lambda c: c[1]):
                        if name not in self.copied:
                            self.copied.add(name)
                            self.emit(indent, "%s = %s" % (name, self.val(g)))
                    i += 1
                    continue
                self.emit(indent, "%s = %s" % (self.dst(op.args[0]), self.expr(op)))
                if op.args[0].is_global:
                    written.add(op.args[0].reg)
            elif opc == "ld":
                self.cur_retired = cur
                self.load(indent, op, self.cur_pc)
                if op.args[0].is_global:
                    written.add(op.args[0].reg)
            elif opc == "st":
                self.cur_retired = cur
                self.store(indent, op, self.cur_pc, i in self.deferred)
            elif opc == "call":
                self.call(indent, op, written, cur)
                if op.args[0] is not None and op.args[0].is_global:
                    written.add(op.args[0].reg)
                if "noreturn" in op.args[3]:
                    self.pending = False
                    return True
            elif opc in EXIT_OPS:
                self.exit_code(indent, op, set(written), cur + 1, self.pending)
                self.pending = False
                return True
            elif opc == "brcond":
                self.copied = set()
                a, bb, cond, label = op.args
                j = self.labels[label]
                test = condition(cond, self.val(a), self.val(bb), op.w, self.cfg.signed64)
                skipped = self.ops[i + 1:j]
                if any(o.opc in EXIT_OPS or (o.opc == "call" and "noreturn" in o.args[3]) for o in skipped):
                    # the label's block is an exit path: emit it under the if
                    self.emit(indent, "if %s:" % test)
                    here, pending = self.cur_pc, self.pending
                    if not self.stream(j + 1, indent + 1, set(written), cur):
                        raise ValueError("label L%d block does not end in an exit" % label)
                    self.cur_pc, self.pending = here, pending
                    self.copied = set()
                else:
                    # a forward skip: run the skipped ops only when not taken
                    self.emit(indent, "if not (%s):" % test)
                    inner = set(written)
                    self.emit(indent + 1, "pass")
                    pending = self.pending
                    self.stream(i + 1, indent + 1, inner, cur, stop=j)
                    self.copied = set()
                    self.pending = self.pending or pending
                    # written only when not skipped: the other way they keep
                    # their value from entry, so it must be loaded
                    self.read_first |= inner - written
                    written |= inner
                    i = j
            else:
                raise ValueError("back end cannot emit op %r" % op)
            i += 1
        if stop is None:
            raise ValueError("TB falls off its end without an exit")
        return False

    def _fill(self, line: str, reload: str) -> str:
        text = line.lstrip()
        if text.startswith("__WB"):
            regs = self.writebacks[int(text[4:-2])] | self.loop_written
            if not regs:
                return ""
            # highest register first (and so at entry): PyPy's JIT then checks
            # the list's bounds once, not once per new highest index (measured:
            # dhry-mps2-an385, whose flags are x[16..19], 1.7x faster warm)
            return line[:len(line) - len(text)] + "; ".join("x[%d] = r%d" % (r, r) for r in sorted(regs, reverse=True))
        if text == "__RELOAD__":
            return line.replace("__RELOAD__", reload)
        return line

    def generate(self, name: str) -> str:
        self.cur_pc = self.tb_pc
        body_start = len(self.lines)
        self.stream(0, 3, set(), 0)
        body = self.lines[body_start:]
        reload = "; ".join("r%d = x[%d]" % (r, r) for r in sorted(self.used_globals)) or "pass"
        body = [self._fill(ln, reload) for ln in body]
        body = [ln for ln in body if ln.strip()]
        head = ["def %s(cpu):" % name, "    x = cpu.x"]
        # entry loads: what some path reads before writing it, and what a
        # loop-back carries (exits write it back even on a first iteration)
        entry = sorted(self.read_first | self.loop_written)
        if entry:
            head.append("    " + "; ".join("r%d = x[%d]" % (r, r) for r in reversed(entry)))
        head.append("    b = cpu.budget")
        if self.uses_e:
            head.append("    _e = 0")
        if self.cfg.log_exec:
            head.append("    LOG_EXEC(cpu, %s)" % _lit(self.tb_pc))
        head.append("    try:")
        if self.loops:
            head.append("        while True:")
            if self.cfg.count_execs:
                head.append("            STATS[0] += 1")
            inner = body
        else:
            if self.cfg.count_execs:
                head.append("        STATS[0] += 1")
            inner = [ln[4:] for ln in body]
        tail = ["    except TBExit as e:"]
        loaded = set(entry)
        sure = sorted(r for r in self.written_globals if r in loaded)
        if sure:
            tail.append("        " + "; ".join("x[%d] = r%d" % (r, r) for r in sure))
        for r in sorted(self.written_globals - loaded):
            # not loaded at entry: unbound if the trap came before its write
            tail.append("        try: x[%d] = r%d" % (r, r))
            tail.append("        except NameError: pass")
        tail += ["        UNWIND(cpu, e, b, INFO)", "        raise"]
        return "\n".join(head + inner + tail) + "\n"


def unwind(cpu, e: TBExit, b: int, info: Dict[int, Tuple[int, int]]) -> None:
    """A TB left by an exception at ``e.pc``: account the instructions
    retired before it (and it, if it completed) and set the pc to resume at."""
    n, nxt = info[e.pc]
    if e.completed:
        cpu.budget = b - n - 1
        cpu.pc = nxt
    else:
        cpu.budget = b - n
        cpu.pc = e.pc


class CompiledTB:
    """The product of the back end for one TB."""

    def __init__(self, fn, source: str, namespace: Dict[str, Any], exits: Sequence[int] = ()) -> None:
        self.fn = fn
        self.source = source
        self.namespace = namespace
        self.exits = list(exits)     # chain slot k (global Ck) -> its target pc


class TBCode:
    """One TB's compiled code before it is bound to an engine's runtime: what
    the translation cache keeps, so that retranslating the same guest code
    costs an exec() instead of the translator, the optimizer and compile()."""

    __slots__ = ("code", "source", "name", "helpers", "exits", "info", "windows")

    def __init__(self, code, source: str, name: str, helpers: Set[str], exits: List[int],
                 info: Dict[int, Tuple[int, int]], windows: Optional[Dict[int, int]] = None) -> None:
        self.code = code
        self.source = source
        self.name = name
        self.helpers = helpers
        self.exits = exits
        self.info = info
        # guest pc -> the windows (bits of CodegenConfig.windows) its inline accesses try
        self.windows = windows if windows is not None else {}


def _emitter(ops: Sequence[Op], tb_pc: int, insns: Sequence[Tuple[int, int]], cfg: CodegenConfig,
             depth: Optional[Dict[int, int]], hints: Optional[Dict[int, int]],
             default_mask: Optional[int], default_first: int = 0) -> Tuple[_Emitter, str]:
    if depth is None:
        depth = {pc: i for i, (pc, _) in enumerate(insns)}
    em = _Emitter(ops, tb_pc, depth, cfg, hints, default_mask, default_first)
    return em, em.generate("tb_%x" % tb_pc)


def generate_source(ops: Sequence[Op], tb_pc: int, insns: Sequence[Tuple[int, int]], cfg: CodegenConfig,
                    depth: Optional[Dict[int, int]] = None, hints: Optional[Dict[int, int]] = None,
                    default_mask: Optional[int] = None, default_first: int = 0) -> Tuple[str, Set[str], List[int]]:
    """The TB's source, the helpers it calls and its chain slots' target pcs.
    ``depth`` maps each guest pc to the instructions retired before it on
    any path through the TB (default: the position in ``insns``); ``hints``
    each guest pc to the windows its accesses were seen to use (bits of
    ``cfg.windows``; an access without one tries ``default_mask``, the
    window of bit ``default_first`` first)."""
    em, source = _emitter(ops, tb_pc, insns, cfg, depth, hints, default_mask, default_first)
    return source, em.helpers, em.exits


def build_tb_code(ops: Sequence[Op], tb_pc: int, insns: Sequence[Tuple[int, int]], cfg: CodegenConfig,
                  depth: Optional[Dict[int, int]] = None, hints: Optional[Dict[int, int]] = None,
                  default_mask: Optional[int] = None, default_first: int = 0) -> TBCode:
    """Generate and compile one TB (not yet bound to a runtime)."""
    if depth is None:
        depth = {pc: i for i, (pc, _) in enumerate(insns)}
    em, source = _emitter(ops, tb_pc, insns, cfg, depth, hints, default_mask, default_first)
    info = {pc: (depth[pc], pc + length) for pc, length in insns}
    info.setdefault(tb_pc, (0, tb_pc))
    code = compile(source, "<tb 0x%x>" % tb_pc, "exec")
    return TBCode(code, source, "tb_%x" % tb_pc, em.helpers, em.exits, info, em.window_masks)


def bind_tb(tb_code: TBCode, runtime: Dict[str, Any], helpers: Dict[str, Any]) -> CompiledTB:
    """Make the TB's function: its globals are the shared ``runtime`` (ld_slow,
    st_slow, RAM views U1..U8/S1..S8, CP code-chunk bitmap, JC jump cache,
    LOG_EXEC, STATS), the helpers it calls and its own INFO table."""
    namespace: Dict[str, Any] = {}
    if PYPY:
        # on PyPy only a module's dict makes global lookups constant-folded
        # in JIT traces (a plain dict is a hash lookup per use, ~15x slower)
        module = types.ModuleType(tb_code.name)
        namespace = module.__dict__
        namespace["__tb_module__"] = module   # keeps the dict's owner alive
    namespace.update(RUNTIME)
    namespace.update(runtime)
    namespace["TBExit"] = TBExit
    namespace["ExitRequest"] = ExitRequest
    namespace["MAX"] = MAX_TB_INSNS
    namespace["INFO"] = tb_code.info
    namespace["UNWIND"] = unwind
    for name in tb_code.helpers:
        namespace["h_" + name] = helpers[name]
    exec(tb_code.code, namespace)  # noqa: S102 - our own generated code
    return CompiledTB(namespace[tb_code.name], tb_code.source, namespace, tb_code.exits)


def compile_tb(ops: Sequence[Op], tb_pc: int, insns: Sequence[Tuple[int, int]], cfg: CodegenConfig,
               runtime: Dict[str, Any], helpers: Dict[str, Any],
               depth: Optional[Dict[int, int]] = None) -> CompiledTB:
    """Generate, compile and bind one TB."""
    return bind_tb(build_tb_code(ops, tb_pc, insns, cfg, depth), runtime, helpers)
