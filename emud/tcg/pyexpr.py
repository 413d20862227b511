"""Python expressions for the IR's pure value ops.

One table serves two users: the back end pastes these expressions into the
generated TB source, and the optimizer folds constant operands by evaluating
the very same expression, so folding can never disagree with execution.
"""
from __future__ import annotations

import platform
import re
import struct
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


_PACK_U64 = struct.Struct("<Q").pack
_UNPACK_S64 = struct.Struct("<q").unpack


def wrap64(v: int) -> int:
    """``v`` modulo 2^64 as a signed 64-bit value (the slow path of the
    signed forms). Through struct, because on PyPy arithmetic on a big
    integer gives a big integer even where the value would fit a word, and
    a big integer in a register would keep every later op off the fast path."""
    return _UNPACK_S64(_PACK_U64(v & 0xFFFFFFFFFFFFFFFF))[0]


def u64(v: int) -> int:
    """A signed 64-bit value as the unsigned value of the same bits."""
    return v if v >= 0 else v + 0x10000000000000000


def shr64(a: int, n: int) -> int:
    """Logical right shift of a signed 64-bit value, in a word."""
    return (a >> n) & (0x7FFFFFFFFFFFFFFF >> (n - 1)) if n else a


#: Names the expressions may use besides their operands.
RUNTIME: Dict[str, Callable] = {"sdiv": sdiv, "srem": srem, "WRAP64": wrap64, "U64": u64, "SHR64": shr64}

#: The signed 64-bit range as literals that are machine words on PyPy.
MIN64 = "-0x8000000000000000"
MAX64 = "0x7fffffffffffffff"


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


_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPS = {"eq": "==", "ne": "!=", "ltu": "<", "geu": ">=", "gtu": ">", "leu": "<=",
        "lt": "<", "ge": ">=", "gt": ">", "le": "<="}


def _cmp_signed64(cond: str, a: str, b: str) -> str:
    op = _OPS[cond]
    if cond not in ("ltu", "geu", "gtu", "leu"):
        return "%s %s %s" % (a, op, b)
    k = _literal(b)
    if k is not None and k >= 0 and cond in ("ltu", "leu"):
        return "0 <= %s %s %s" % (a, op, b)      # a negative a is above any such k
    if k is not None and k >= 0 and _SIMPLE.match(a):
        return "(%s < 0 or %s %s %s)" % (a, a, op, b)
    if _SIMPLE.match(a) and _SIMPLE.match(b):
        # same sign: the signed order; different signs: the other way round
        return "(%s %s %s) == ((%s ^ %s) >= 0)" % (a, op, b, a, b)
    # unsigned order == signed order with the sign bit flipped
    return "(%s ^ %s) %s (%s ^ %s)" % (a, MIN64, op, b, MIN64)


def condition(cond: str, a: str, b: str, w: int, signed64: bool = False) -> str:
    """A Python boolean expression for ``a <cond> b`` at width w (``signed64``:
    64-bit operands held as signed values, see :func:`signed64_expr`)."""
    if signed64 and w == 64:
        return _cmp_signed64(cond, a, b)
    return _cmp(cond, a, b, w)


def wrapped64(expr: str, direction: int = 0) -> str:
    """``expr`` (an exact integer result) reduced to the signed 64-bit range.
    When it is already in range (the JIT proves it from the overflow check
    of the add or multiply) this costs a compare or two; otherwise WRAP64.
    ``direction``: the result can only overflow upwards (1) or downwards (-1)."""
    if direction > 0:
        return "(_w if (_w := %s) <= %s else WRAP64(_w))" % (expr, MAX64)
    if direction < 0:
        return "(_w if (_w := %s) >= %s else WRAP64(_w))" % (expr, MIN64)
    return "(_w if %s <= (_w := %s) <= %s else WRAP64(_w))" % (MIN64, expr, MAX64)


def _literal(text: Optional[str]) -> Optional[int]:
    try:
        return int(text.strip("()"), 0) if text is not None else None
    except ValueError:
        return None


def signed64_expr(opc: str, a: str, b: Optional[str] = None, c: Optional[str] = None,
                  e: Optional[str] = None, cond: Optional[str] = None) -> Optional[str]:
    """The form of a 64-bit op whose operands and result are held as signed
    64-bit values (-2^63..2^63-1) rather than unsigned ones: the same bits,
    but a value with the top bit set (every negative number) is a machine
    word instead of a big integer, which on PyPy is the difference between
    a register and a heap object. None for the ops whose w=64 form is the
    same in both representations."""
    if opc in ("add", "sub"):
        # adding a constant (addi, address offsets) overflows one way only
        k = _literal(b)
        direction = 0 if k is None else (1 if (k >= 0) == (opc == "add") else -1)
        return wrapped64("%s %s %s" % (a, "+" if opc == "add" else "-", b), direction)
    if opc == "mul":
        return wrapped64("%s * %s" % (a, b))
    if opc == "neg":
        return wrapped64("-%s" % a)
    if opc == "not":
        return "~%s" % a
    if opc == "shl":
        return wrapped64("%s << %s" % (a, b))
    if opc == "shr":
        n = _literal(b)
        if n is None:
            return "SHR64(%s, %s)" % (a, b)
        return "(%s >> %d) & %s" % (a, n, hex((1 << (64 - n)) - 1)) if n else a
    if opc == "sar":
        return "%s >> %s" % (a, b)
    if opc == "mulh":
        return "WRAP64((%s * %s) >> 64)" % (a, b)
    if opc == "mulhu":
        return "WRAP64((U64(%s) * U64(%s)) >> 64)" % (a, b)
    if opc == "mulhsu":
        return "WRAP64((%s * U64(%s)) >> 64)" % (a, b)
    if opc == "div":
        return "WRAP64(sdiv(%s, %s))" % (a, b)       # MIN / -1 overflows to MIN
    if opc == "rem":
        return "srem(%s, %s)" % (a, b)
    if opc == "divu":
        return "WRAP64(U64(%s) // U64(%s))" % (a, b)
    if opc == "remu":
        return "WRAP64(U64(%s) %% U64(%s))" % (a, b)
    if opc in ("ext8s", "ext16s", "ext32s"):
        bits = int(opc[3:-1])
        s = 1 << (bits - 1)
        return "((%s & %s) ^ %s) - %s" % (a, hex((1 << bits) - 1), hex(s), hex(s))
    if opc == "setcond":
        return "1 if %s else 0" % _cmp_signed64(cond, a, b)
    if opc == "movcond":
        return "%s if %s else %s" % (c, _cmp_signed64(cond, a, b), e)
    return None   # mov, and, or, xor, ext*u: the same either way


def _signed32(a: str) -> str:
    """The low 32 bits of ``a`` as a signed value (-2^31..2^31-1), computed
    here when ``a`` is a literal. The mask matters where a 32-bit op reads a
    64-bit register held signed (RV64's mulw): without it a negative value
    would not fit the range and its product would not fit a word."""
    try:
        v = int(a, 0)
    except ValueError:
        return signed("(%s & 0xffffffff)" % a, 32)
    v = (((v & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000)
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
               word_safe: Optional[bool] = None, signed64: bool = False) -> str:
    """The expression computing ``opc`` on operand expressions a, b (c, e).
    ``word_safe`` (default: on PyPy) picks forms whose intermediates fit a
    machine word; both forms compute exactly the same value. ``signed64``:
    64-bit values are held signed (:func:`signed64_expr`)."""
    if signed64 and w == 64:
        form = signed64_expr(opc, a, b, c, e, cond)
        if form is not None:
            return form
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


def op_expr(op, operand: Callable, signed64: bool = False) -> str:
    """Expression for a pure value op, rendering operands with ``operand``."""
    args = op.args
    if op.opc == "setcond":
        return value_expr("setcond", op.w, operand(args[1]), operand(args[2]), cond=args[3], signed64=signed64)
    if op.opc == "movcond":
        return value_expr("movcond", op.w, operand(args[1]), operand(args[2]),
                          operand(args[3]), operand(args[4]), cond=args[5], signed64=signed64)
    if len(args) == 2:
        return value_expr(op.opc, op.w, operand(args[1]), signed64=signed64)
    return value_expr(op.opc, op.w, operand(args[1]), operand(args[2]), signed64=signed64)


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
