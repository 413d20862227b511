"""IR optimizer (QEMU's tcg/optimize.c, in small).

Passes, in order:
1. forward: constant and copy propagation, constant folding (through the
   back end's own expressions, see ``pyexpr``), algebraic identities, and
   removal of masks that cannot change a value (known-bits tracking);
2. backward: dead-code removal of pure ops whose result is never used.

Guest globals are live at every exit; knowledge about them is dropped at
labels, where paths merge.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from .ir import Op, Temp
from .pyexpr import PURE_VALUE_OPS, evaluate

EXIT_OPS = frozenset(("goto_tb", "exit_indirect", "exit_tb"))


def _bits(v: int) -> int:
    return v.bit_length()


class _Forward:
    def __init__(self) -> None:
        self.const: Dict[Temp, int] = {}     # temp -> known constant
        self.copy: Dict[Temp, object] = {}   # global -> the temp/const it equals
        self.width: Dict[Temp, int] = {}     # temp -> max significant bits
        # local temp -> (source, k, w) of the ``shl source, k`` that made it:
        # ``shr`` by the same k is then a mask (RV64's zero-extension idiom)
        self.shifted: Dict[Temp, tuple] = {}

    def resolve(self, v):
        if isinstance(v, Temp):
            if v in self.const:
                return self.const[v]
            c = self.copy.get(v)
            if c is not None:
                return c
        return v

    def known_bits(self, v) -> int:
        if isinstance(v, int):
            return _bits(v)
        return self.width.get(v, 64)

    def forget_global(self, g: Temp) -> None:
        self.const.pop(g, None)
        self.copy.pop(g, None)
        self.width.pop(g, None)
        # any global that was a copy of g is no longer
        for k in [k for k, c in self.copy.items() if c is g]:
            del self.copy[k]
        for k in [k for k, s in self.shifted.items() if s[0] is g]:
            del self.shifted[k]

    def at_label(self) -> None:
        for g in [t for t in list(self.const) if t.is_global]:
            del self.const[g]
        for g in [t for t in list(self.width) if t.is_global]:
            del self.width[g]
        self.copy.clear()
        self.shifted.clear()


def _result_bits(op: Op, f: _Forward) -> int:
    opc, a = op.opc, op.args
    if opc in ("setcond",):
        return 1
    if opc == "ld":
        return 8 * a[2] if not a[3] else op.w
    if opc in ("ext8u", "ext16u", "ext32u"):
        return min(int(opc[3:-1]), f.known_bits(a[1]))
    if opc == "and":
        return min(f.known_bits(a[1]), f.known_bits(a[2]))
    if opc in ("or", "xor"):
        return max(f.known_bits(a[1]), f.known_bits(a[2]))
    if opc == "shr" and isinstance(a[2], int):
        return max(0, f.known_bits(a[1]) - a[2])
    if opc == "mov":
        return f.known_bits(a[1])
    return op.w


def _simplify(op: Op, f: _Forward) -> Op:
    """Algebraic identities that turn an op into a mov (or keep it)."""
    opc, a, w = op.opc, op.args, op.w
    if len(a) != 3 or opc not in PURE_VALUE_OPS:
        if opc in ("ext8u", "ext16u", "ext32u") and f.known_bits(a[1]) <= int(opc[3:-1]):
            return Op("mov", [a[0], a[1]], w)
        return op
    d, x, y = a
    if isinstance(x, int) and opc in ("add", "mul", "and", "or", "xor"):
        x, y = y, x  # constants to the right for commutative ops
        op = Op(opc, [d, x, y], w)
    if isinstance(y, int):
        if y == 0 and opc in ("add", "sub", "or", "xor", "shl", "shr", "sar"):
            return Op("mov", [d, x], w)
        shifted = f.shifted.get(x) if opc == "shr" else None
        if shifted is not None and shifted[1:] == (y, w):
            # (src << k) >> k: the low w-k bits of src
            return Op("and", [d, shifted[0], (1 << (w - y)) - 1], w)
        if y == 1 and opc in ("mul", "divu", "div"):
            return Op("mov", [d, x], w)
        if opc == "and" and (y + 1) & y == 0 and f.known_bits(x) <= _bits(y):
            # a low-bits mask wider than the value: nothing to clear
            return Op("mov", [d, x], w)
        if y == 0 and opc in ("and", "mul"):
            return Op("mov", [d, 0], w)
    return op


def optimize(ops: List[Op]) -> List[Op]:
    f = _Forward()
    out: List[Op] = []
    skip_to_label = None   # an always-taken branch makes the fall-through dead
    for op in ops:
        op = Op(op.opc, list(op.args), op.w)
        if skip_to_label is not None:
            if op.opc == "set_label" and op.args[0] == skip_to_label:
                skip_to_label = None   # the label's code now simply follows
            continue
        if op.opc == "set_label":
            f.at_label()
            out.append(op)
            continue
        op.replace_inputs(f.resolve)
        if op.opc in PURE_VALUE_OPS:
            op = _simplify(op, f)
            d = op.args[0]
            if all(isinstance(v, int) for v in op.inputs()):
                value = evaluate(op)
                if value is not None:
                    op = Op("mov", [d, value], op.w)
            if d.is_global:
                f.forget_global(d)
            elif op.opc == "shl" and isinstance(op.args[2], int) and 0 < op.args[2] < op.w:
                f.shifted[d] = (op.args[1], op.args[2], op.w)
            src = op.args[1] if op.opc == "mov" else None
            if op.opc == "mov" and isinstance(src, int):
                f.const[d] = src
            elif op.opc == "mov" and isinstance(src, Temp) and d.is_global and not src.is_global:
                f.copy[d] = src
            f.width[d] = _result_bits(op, f)
        elif op.opc == "call" and "rw" in op.args[3]:
            # the helper may have changed any guest register
            for g in [t for t in list(f.const) if t.is_global]:
                del f.const[g]
            for g in [t for t in list(f.width) if t.is_global]:
                del f.width[g]
            f.copy.clear()
            if op.args[0] is not None:
                f.width[op.args[0]] = op.w
        else:
            d = op.dest
            if d is not None:
                if d.is_global:
                    f.forget_global(d)
                f.width[d] = _result_bits(op, f)
        if op.opc == "brcond" and all(isinstance(v, int) for v in op.inputs()):
            taken = evaluate(Op("setcond", [Temp("_"), op.args[0], op.args[1], op.args[2]], op.w))
            if not taken:
                continue  # never taken: drop the branch (its label, if only an exit path follows it)
            skip_to_label = op.args[3]
            continue
        out.append(op)
    out = _drop_unreachable(out)
    return _coalesce_moves(_eliminate_dead(out))


def _coalesce_moves(ops: List[Op]) -> List[Op]:
    """``t = expr; mov rN, t`` with t used nowhere else -> ``rN = expr``:
    one store instead of two in the generated code."""
    uses: Dict[Temp, int] = {}
    for op in ops:
        for v in op.inputs():
            if isinstance(v, Temp):
                uses[v] = uses.get(v, 0) + 1
    out: List[Op] = []
    for op in ops:
        prev = out[-1] if out else None
        if (op.opc == "mov" and prev is not None and isinstance(op.args[1], Temp)
                and not op.args[1].is_global and prev.dest is op.args[1]
                and uses.get(op.args[1]) == 1 and prev.w == op.w
                and (prev.opc in PURE_VALUE_OPS or prev.opc == "ld")):
            prev.args[0] = op.args[0]
            continue
        out.append(op)
    return out


def _drop_unreachable(ops: List[Op]) -> List[Op]:
    """Remove code after an unconditional exit that no branch leads to, and
    labels no brcond targets any more. A label no branch targets is still
    reached by falling into it: Arm's IT blocks skip a conditional
    instruction to a label that the unconditional code goes on from (a
    brcond folded as never taken leaves it so)."""
    targets = {op.args[3] for op in ops if op.opc == "brcond"}
    out: List[Op] = []
    dead = False
    for op in ops:
        if op.opc == "set_label":
            if op.args[0] not in targets:
                continue            # live or dead as the code falling into it
            dead = False
        if dead:
            continue
        out.append(op)
        if op.opc in EXIT_OPS or (op.opc == "call" and "noreturn" in op.args[3]):
            dead = True
    return out


def _eliminate_dead(ops: List[Op]) -> List[Op]:
    all_globals = set()
    for op in ops:
        for v in list(op.inputs()) + [op.dest]:
            if isinstance(v, Temp) and v.is_global:
                all_globals.add(v)
    # the instruction boundaries after an instruction with a store: a store
    # that asks for an exit (ExitRequest) followed by more ops of its
    # instruction exits there (ir.deferred_stores), with what the whole
    # instruction wrote (its base writeback, SC's rd) in the guest registers
    store_ends = set()
    stored = False
    for i, op in enumerate(ops):
        if op.opc == "insn_start":
            if stored:
                store_ends.add(i)
            stored = False
        elif op.opc == "st":
            stored = True
    live: set = set()
    keep: List[Optional[Op]] = [None] * len(ops)
    for i in range(len(ops) - 1, -1, -1):
        op = ops[i]
        if op.opc in EXIT_OPS or op.opc == "set_label" or (op.opc == "call" and "noreturn" in op.args[3]) \
                or i in store_ends:
            # guest registers are live at every exit and wherever paths merge
            live |= all_globals
        d = op.dest
        removable = op.opc in PURE_VALUE_OPS or (op.opc == "call" and "pure" in op.args[3])
        if removable and d is not None and d not in live:
            continue
        if d is not None:
            live.discard(d)
        if op.opc in ("brcond", "ld", "st") or (op.opc == "call" and "pure" not in op.args[3]):
            # a branch may reach a label, a memory access or a helper may
            # raise a trap: guest registers must be right at that point
            live |= all_globals
        for v in op.inputs():
            if isinstance(v, Temp):
                live.add(v)
        keep[i] = op
    return [op for op in keep if op is not None]
