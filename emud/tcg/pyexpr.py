"""Python expressions for the IR's pure value ops.

One table serves two users: the back end pastes these expressions into the
generated TB source, and the optimizer folds constant operands by evaluating
the very same expression, so folding can never disagree with execution.
"""
from __future__ import annotations

import platform
from typing import Callable, Dict, Optional

#: PyPy keeps an int in a machine word only while it fits 64 signed bits; a
#: wider intermediate (a 32x32-bit unsigned product reaches 2^64) becomes a
#: big integer, ~10x slower in JIT-compiled code. On PyPy the multiplies are
#: written so every intermediate stays in a word; CPython keeps the plain
#: forms (fewer operations, and its ints are arbitrary-precision anyway).
WORD_SAFE = platform.python_implementation() == "PyPy"


def sdiv(a: int, b: int) -> int:
    """Signed division truncating toward zero (C and RISC-V semantics)."""
    q = abs(a) // abs(b)
    return -q if (a < 0) != (b < 0) else q


def srem(a: int, b: int) -> int:
    """Signed remainder with the sign of the dividend."""
    return a - b * sdiv(a, b)


#: Names the expressions may use besides their operands.
RUNTIME: Dict[str, Callable] = {"sdiv": sdiv, "srem": srem}


def signed(a: str, w: int) -> str:
    s = 1 << (w - 1)
    return "((%s ^ %s) - %s)" % (a, hex(s), hex(s))


def _cmp(cond: str, a: str, b: str, w: int) -> str:
    s = hex(1 << (w - 1))
    ops = {"eq": "==", "ne": "!=", "ltu": "<", "geu": ">=", "gtu": ">", "leu": "<=",
           "lt": "<", "ge": ">=", "gt": ">", "le": "<="}
    if cond in ("lt", "ge", "gt", "le"):
        # two's-complement order == unsigned order with the sign bit flipped
        a, b = "(%s ^ %s)" % (a, s), "(%s ^ %s)" % (b, s)
    return "%s %s %s" % (a, ops[cond], b)


def condition(cond: str, a: str, b: str, w: int) -> str:
    """A Python boolean expression for ``a <cond> b`` at width w."""
    return _cmp(cond, a, b, w)


def _signed32(a: str) -> str:
    """``signed(a, 32)``, computed here when ``a`` is a literal."""
    try:
        v = int(a, 0)
    except ValueError:
        return signed(a, 32)
    v = ((v ^ 0x80000000) - 0x80000000)
    return str(v) if v >= 0 else "(%d)" % v


def _word_safe_expr(opc: str, w: int, a: str, b: Optional[str]) -> Optional[str]:
    """The same value as the plain form, with every intermediate in
    (-2^63, 2^63) for w=32 operands (None: the plain form already is, or
    no such form here)."""
    if w != 32:
        return None
    if opc == "mul":
        # the low 32 bits of a product do not depend on the operands'
        # signedness; signed 32-bit factors give |product| <= 2^62
        return "(%s * %s) & 0xffffffff" % (_signed32(a), _signed32(b))
    if opc == "mulhu":
        # a*b = a*hi(b)*2^16 + a*lo(b): each partial product < 2^48
        return "(%s * (%s >> 16) + ((%s * (%s & 0xffff)) >> 16)) >> 16" % (a, b, a, b)
    return None


def value_expr(opc: str, w: int, a: str, b: Optional[str] = None, c: Optional[str] = None,
               e: Optional[str] = None, cond: Optional[str] = None,
               word_safe: Optional[bool] = None) -> str:
    """The expression computing ``opc`` on operand expressions a, b (c, e).
    ``word_safe`` (default: on PyPy) picks forms whose intermediates fit a
    machine word; both forms compute exactly the same value."""
    if WORD_SAFE if word_safe is None else word_safe:
        safe = _word_safe_expr(opc, w, a, b)
        if safe is not None:
            return safe
    m = hex((1 << w) - 1)
    if opc == "mov":
        return a
    if opc == "add":
        return "(%s + %s) & %s" % (a, b, m)
    if opc == "sub":
        return "(%s - %s) & %s" % (a, b, m)
    if opc == "mul":
        return "(%s * %s) & %s" % (a, b, m)
    if opc == "mulhu":
        return "(%s * %s) >> %d" % (a, b, w)
    if opc == "mulh":
        return "((%s * %s) >> %d) & %s" % (signed(a, w), signed(b, w), w, m)
    if opc == "mulhsu":
        return "((%s * %s) >> %d) & %s" % (signed(a, w), b, w, m)
    if opc == "divu":
        return "%s // %s" % (a, b)
    if opc == "remu":
        return "%s %% %s" % (a, b)
    if opc == "div":
        return "sdiv(%s, %s) & %s" % (signed(a, w), signed(b, w), m)
    if opc == "rem":
        return "srem(%s, %s) & %s" % (signed(a, w), signed(b, w), m)
    if opc == "and":
        return "%s & %s" % (a, b)
    if opc == "or":
        return "%s | %s" % (a, b)
    if opc == "xor":
        return "%s ^ %s" % (a, b)
    if opc == "neg":
        return "-%s & %s" % (a, m)
    if opc == "not":
        return "%s ^ %s" % (a, m)
    if opc == "shl":
        return "(%s << %s) & %s" % (a, b, m)
    if opc == "shr":
        return "%s >> %s" % (a, b)
    if opc == "sar":
        return "(%s >> %s) & %s" % (signed(a, w), b, m)
    if opc in ("ext8s", "ext16s", "ext32s"):
        bits = int(opc[3:-1])
        s = 1 << (bits - 1)
        return "(((%s & %s) ^ %s) - %s) & %s" % (a, hex((1 << bits) - 1), hex(s), hex(s), m)
    if opc in ("ext8u", "ext16u", "ext32u"):
        bits = int(opc[3:-1])
        return "%s & %s" % (a, hex((1 << bits) - 1))
    if opc == "setcond":
        return "1 if %s else 0" % _cmp(cond, a, b, w)
    if opc == "movcond":
        return "%s if %s else %s" % (c, _cmp(cond, a, b, w), e)
    raise KeyError(opc)


PURE_VALUE_OPS = frozenset((
    "mov", "add", "sub", "mul", "mulh", "mulhu", "mulhsu", "div", "divu", "rem", "remu",
    "and", "or", "xor", "neg", "not", "shl", "shr", "sar",
    "ext8s", "ext16s", "ext32s", "ext8u", "ext16u", "ext32u", "setcond", "movcond",
))


def op_expr(op, operand: Callable) -> str:
    """Expression for a pure value op, rendering operands with ``operand``."""
    args = op.args
    if op.opc == "setcond":
        return value_expr("setcond", op.w, operand(args[1]), operand(args[2]), cond=args[3])
    if op.opc == "movcond":
        return value_expr("movcond", op.w, operand(args[1]), operand(args[2]),
                          operand(args[3]), operand(args[4]), cond=args[5])
    if len(args) == 2:
        return value_expr(op.opc, op.w, operand(args[1]))
    return value_expr(op.opc, op.w, operand(args[1]), operand(args[2]))


_FOLDERS: Dict[tuple, Callable] = {}


def _folder(op) -> Callable:
    """A function of the op's value operands computing the very expression
    the back end emits, compiled once per (opcode, width, condition): eval()
    of a fresh string for every fold costs a compile() each (slow on PyPy)."""
    cond = op.args[-1] if op.opc in ("setcond", "movcond") else None
    key = (op.opc, op.w, cond)
    fn = _FOLDERS.get(key)
    if fn is None:
        names: list = []

        def operand(_v) -> str:
            names.append("v%d" % len(names))
            return names[-1]

        expr = op_expr(op, operand)
        fn = _FOLDERS[key] = eval("lambda %s: %s" % (", ".join(names), expr), dict(RUNTIME))  # noqa: S307
    return fn


def evaluate(op) -> Optional[int]:
    """Fold a pure op whose value operands are all ints; None if it cannot
    be folded (e.g. a division by zero the front end failed to guard)."""
    try:
        return _folder(op)(*op.inputs())
    except ZeroDivisionError:
        return None
