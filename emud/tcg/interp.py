"""An interpreter for IR op lists: the executable spec of ir.py, and tier 0.

It runs the ops of one TB directly on a CPU state, one op at a time, with
every value masked to its op's width. It is simple on purpose: the real
back end (backend_py) is cross-checked against it, front-end tests use it to
run guest code without depending on the back end, and the execution engine
runs a block through it until the block is hot enough to be worth compiling
(tiering, exec.TIER_UP_CALLS): most blocks run only a few times.

Semantics beyond the op table:
* value operands are masked to the op's width before use (a 32-bit op on a
  64-bit register value sees its low 32 bits);
* undefined cases (division by zero, shift count >= width, a value out of
  range, falling off the end of the ops) raise :class:`IRError`: they are
  front-end bugs, never guest behaviour;
* globals are read from and written to ``cpu.x`` directly, so helpers always
  see current registers (what the "rw" flag asks a back end to guarantee),
  in its representation (``cpu.signed_regs``: 64-bit values held signed);
* a store whose ``store`` raises :class:`ExitRequest` (after writing) still
  completes its instruction: the request is raised again at the end of the
  instruction (the next ``insn_start``, or an exit to the next pc; an exit
  elsewhere just returns, ``cpu.exit_request`` still set), so the ops after
  the store (STM's later stores and writeback, SC's rd) are not lost;
* ``cpu.budget`` is decremented once per retired guest instruction, and
  ``cpu.pc`` is set on every exit (for a completed TBExit, to the next
  instruction; otherwise to the raising instruction);
* memory goes through the caller's ``load``/``store`` (the engine's slow
  paths, with watchpoints and code invalidation; or :func:`bus_access`,
  where a failing access, a BusError, raises
  ``cpu.mem_fault(kind, addr, pc_of_insn)``).
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..memory import BusError
from .ir import Op, Temp
from .translator import (MAX_TB_INSNS, ExitRequest, GuestTrap, TBExit, TranslationFault, guarded_fetch,
                         translate_block)


class IRError(Exception):
    """The op list broke the IR's rules (a front-end or optimizer bug)."""


def _signed(v: int, w: int) -> int:
    return v - (1 << w) if v >> (w - 1) else v


#: condition -> test(a, b, w) on w-bit values (unsigned, or signed for lt/ge/gt/le)
CMP: Dict[str, Callable[[int, int, int], bool]] = {
    "eq": lambda a, b, w: a == b,
    "ne": lambda a, b, w: a != b,
    "ltu": lambda a, b, w: a < b,
    "geu": lambda a, b, w: a >= b,
    "gtu": lambda a, b, w: a > b,
    "leu": lambda a, b, w: a <= b,
    "lt": lambda a, b, w: _signed(a, w) < _signed(b, w),
    "ge": lambda a, b, w: _signed(a, w) >= _signed(b, w),
    "gt": lambda a, b, w: _signed(a, w) > _signed(b, w),
    "le": lambda a, b, w: _signed(a, w) <= _signed(b, w),
}


def _cmp(cond: str, a: int, b: int, w: int) -> bool:
    test = CMP.get(cond)
    if test is None:
        raise IRError("unknown condition %r" % cond)
    return test(a, b, w)


def _div(a: int, b: int, w: int) -> int:
    if b == 0:
        raise IRError("div by zero")
    sa, sb = _signed(a, w), _signed(b, w)
    q = abs(sa) // abs(sb)
    return -q if (sa < 0) != (sb < 0) else q   # MIN/-1 wraps to MIN after masking


def _rem(a: int, b: int, w: int) -> int:
    if b == 0:
        raise IRError("rem by zero")
    sa, sb = _signed(a, w), _signed(b, w)
    r = abs(sa) % abs(sb)
    return -r if sa < 0 else r


def _udiv(a, b, w):
    if b == 0:
        raise IRError("divu by zero")
    return a // b


def _urem(a, b, w):
    if b == 0:
        raise IRError("remu by zero")
    return a % b


def _shift_count(b: int, w: int) -> int:
    if not 0 <= b < w:
        raise IRError("shift count %d out of range for width %d" % (b, w))
    return b


def _sext(bits: int):
    def f(a, w):
        a &= (1 << bits) - 1
        return a - (1 << bits) if a >> (bits - 1) else a
    return f


BINARY: Dict[str, Callable[[int, int, int], int]] = {
    "add": lambda a, b, w: a + b,
    "sub": lambda a, b, w: a - b,
    "mul": lambda a, b, w: a * b,
    "mulh": lambda a, b, w: (_signed(a, w) * _signed(b, w)) >> w,
    "mulhu": lambda a, b, w: (a * b) >> w,
    "mulhsu": lambda a, b, w: (_signed(a, w) * b) >> w,
    "div": _div,
    "divu": _udiv,
    "rem": _rem,
    "remu": _urem,
    "and": lambda a, b, w: a & b,
    "or": lambda a, b, w: a | b,
    "xor": lambda a, b, w: a ^ b,
    "shl": lambda a, b, w: a << _shift_count(b, w),
    "shr": lambda a, b, w: a >> _shift_count(b, w),
    "sar": lambda a, b, w: _signed(a, w) >> _shift_count(b, w),
}

UNARY: Dict[str, Callable[[int, int], int]] = {
    "mov": lambda a, w: a,
    "neg": lambda a, w: -a,
    "not": lambda a, w: ~a,
    "ext8s": _sext(8),
    "ext16s": _sext(16),
    "ext32s": _sext(32),
    "ext8u": lambda a, w: a & 0xFF,
    "ext16u": lambda a, w: a & 0xFFFF,
    "ext32u": lambda a, w: a & 0xFFFFFFFF,
}


Load = Callable[..., int]     # load(cpu, addr, size, signed=False, kind, pc) -> unsigned value
Store = Callable[..., None]   # store(cpu, addr, value, size, kind, pc)


def bus_access(memory) -> Tuple[Load, Store]:
    """load/store for run_ops straight on a bus: a BusError is the guest's
    access fault (the execution engine passes its own slow paths instead,
    which add watchpoints and code invalidation)."""
    def load(cpu, addr: int, size: int, signed: bool, kind: str, pc: int) -> int:
        if cpu.data_guard is not None:
            cpu.data_guard(cpu, addr, size, kind, pc)
        try:
            return memory.read(addr, size)
        except BusError:
            trap = cpu.mem_fault(kind, addr, pc, False)
            if trap is not None:
                raise trap from None
            return 0                    # the board ignores transaction failures

    def store(cpu, addr: int, value: int, size: int, kind: str, pc: int) -> None:
        if cpu.data_guard is not None:
            cpu.data_guard(cpu, addr, size, kind, pc)
        try:
            memory.write(addr, size, value)
        except BusError:
            trap = cpu.mem_fault(kind, addr, pc, False)
            if trap is not None:
                raise trap from None
    return load, store


def run_ops(ops: Sequence[Op], cpu, load: Load, store: Store, helpers: Dict[str, Callable]) -> int:
    """Execute one TB's ops. Returns the next guest pc (also left in cpu.pc).
    Guest traps and other TBExits propagate after cpu.pc and cpu.budget are
    brought up to date. Memory goes through ``load``/``store`` (unsigned
    values; see :func:`bus_access`)."""
    labels = {op.args[0]: i for i, op in enumerate(ops) if op.opc == "set_label"}
    temps: Dict[Temp, int] = {}
    x = cpu.x
    signed_regs = cpu.signed_regs    # x holds 64-bit registers as signed values
    pc = length = 0
    started = False
    pending: Optional[ExitRequest] = None   # an exit request a store raised

    def get(v, w: int) -> int:
        if isinstance(v, Temp):
            if v.is_global:
                val = x[v.reg]
                if val < 0 and signed_regs:
                    val += 1 << 64
            else:
                try:
                    val = temps[v]
                except KeyError:
                    raise IRError("temp %s read before written" % v) from None
        elif isinstance(v, int) and not isinstance(v, bool):
            val = v
        else:
            raise IRError("bad operand %r" % (v,))
        if val < 0:
            raise IRError("negative value %r for %r" % (val, v))
        return val & ((1 << w) - 1)

    def put(d: Temp, val: int, w: int) -> None:
        val &= (1 << w) - 1
        if d.is_global:
            x[d.reg] = val - (1 << 64) if signed_regs and val >> 63 else val
        else:
            temps[d] = val

    def leave(next_pc: int) -> int:
        if started:
            cpu.budget -= 1
        cpu.pc = next_pc
        return next_pc

    i = 0
    n = len(ops)
    try:
        while i < n:
            op = ops[i]
            opc, args, w = op.opc, op.args, op.w
            i += 1
            if opc in BINARY:
                put(args[0], BINARY[opc](get(args[1], w), get(args[2], w), w), w)
            elif opc in UNARY:
                put(args[0], UNARY[opc](get(args[1], w), w), w)
            elif opc == "insn_start":
                if pending is not None:
                    raise pending     # a store's exit request: its instruction is done
                if started:
                    cpu.budget -= 1   # the previous instruction retired
                started = True
                pc, length = args[0], args[1]
            elif opc == "setcond":
                put(args[0], 1 if _cmp(args[3], get(args[1], w), get(args[2], w), w) else 0, w)
            elif opc == "movcond":
                d, a, b, c, e, cond = args
                put(d, get(c, w) if _cmp(cond, get(a, w), get(b, w), w) else get(e, w), w)
            elif opc == "ld":
                d, a, size, signed, kind = args
                val = load(cpu, get(a, w), size, False, kind, pc)
                if signed:
                    val = _sext(8 * size)(val, w)
                put(d, val, w)
            elif opc == "st":
                a, v, size, kind = args
                try:
                    store(cpu, get(a, w), get(v, w) & ((1 << (8 * size)) - 1), size, kind, pc)
                except ExitRequest as e:
                    pending = e       # taken at the end of the instruction
            elif opc == "call":
                d, name, call_args, flags = args
                result = helpers[name](cpu, *[get(a, w) for a in call_args])
                if "noreturn" in flags:
                    raise IRError("noreturn helper %s returned" % name)
                if d is not None:
                    if not isinstance(result, int):
                        raise IRError("helper %s returned %r" % (name, result))
                    put(d, result, w)
            elif opc == "brcond":
                a, b, cond, label = args
                if _cmp(cond, get(a, w), get(b, w), w):
                    target = labels.get(label)
                    if target is None or target < i:
                        raise IRError("brcond to a missing or backward label %r" % label)
                    i = target
            elif opc == "set_label":
                pass
            elif opc in ("goto_tb", "exit_indirect", "exit_tb"):
                target = args[1] if opc == "goto_tb" else get(args[0], w)
                if pending is not None and target == pc + length:
                    raise pending
                # (with a store's exit request pending, the caller sees cpu.exit_request)
                return leave(target)
            else:
                raise IRError("unknown op %r" % opc)
        raise IRError("fell off the end of the TB")
    except TBExit as e:
        if e.completed and started:
            cpu.budget -= 1
            cpu.pc = pc + length
        else:
            cpu.pc = e.pc
        raise


# -- a reference execution loop (tests, cross-checks) ------------------------------------

def make_fetch(memory) -> Callable[[int, int], int]:
    def fetch(addr: int, size: int) -> int:
        try:
            return memory.read(addr, size)
        except BusError:
            raise TranslationFault(addr) from None
    return fetch


def execute_tb(cpu, frontend, memory, max_insns: int = MAX_TB_INSNS) -> Optional[TBExit]:
    """Translate the TB at cpu.pc and run it. A guest trap is taken
    (cpu.do_exception) and returned; so is any other TBExit."""
    flags = cpu.tb_flags()
    fetch = guarded_fetch(make_fetch(memory), frontend.fetch_allowed(flags))
    try:
        builder, _ = translate_block(frontend, fetch, cpu.pc, flags, max_insns=max_insns)
    except TranslationFault as e:
        trap = cpu.fetch_fault(e.pc)
        cpu.do_exception(trap)
        return trap
    try:
        load, store = bus_access(memory)
        run_ops(builder.ops, cpu, load, store, frontend.helpers)
    except GuestTrap as trap:
        cpu.do_exception(trap)
        return trap
    except (ExitRequest, TBExit) as e:
        return e
    return None


def run(cpu, frontend, memory, max_insns: int, until_pc: Optional[int] = None) -> List[TBExit]:
    """Run up to ``max_insns`` instructions (stopping early when the hart
    halts in WFI or reaches ``until_pc``), taking interrupts between TBs as
    the real execution loop does. Returns the traps and exits seen."""
    events: List[TBExit] = []
    cpu.begin_quantum(max_insns)
    rounds = 4 * max_insns + 16   # traps retire nothing: bound a trap storm
    try:
        while cpu.budget > 0 and cpu.pc != until_pc and rounds > 0:
            rounds -= 1
            cpu.exit_request = False
            if cpu.take_interrupt() is not None:
                continue
            if cpu.halted:
                break
            exit_ = execute_tb(cpu, frontend, memory, max_insns=min(MAX_TB_INSNS, cpu.budget))
            if exit_ is not None:
                events.append(exit_)
    finally:
        cpu.end_quantum()
    return events
