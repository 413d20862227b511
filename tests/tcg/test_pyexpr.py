"""pyexpr's word-safe forms (used on PyPy) compute exactly what the plain forms do.

The optimizer folds constants with whichever form the runtime uses and the
back end emits the same one, so a disagreement between the forms would make
PyPy and CPython run the same guest code differently.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emud.tcg.pyexpr import RUNTIME, _word_safe_expr, condition, value_expr

WORD = (1 << 63) - 1
CHANGED_OPS = ("mul", "mulhu")
ALL_BINARY = ("add", "sub", "mul", "mulh", "mulhu", "mulhsu", "and", "or", "xor")

EDGES = [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff, 0x10000,
         (1 << 63) - 1, 1 << 63, (1 << 64) - 1]


def _eval(expr: str, a: int, b: int) -> int:
    return eval(expr, dict(RUNTIME), {"a": a, "b": b})  # noqa: S307


def operands(w: int):
    return st.one_of(st.sampled_from([v for v in EDGES if v < 1 << w]), st.integers(0, (1 << w) - 1))


@settings(max_examples=300)
@given(st.sampled_from(ALL_BINARY), st.sampled_from((32, 64)), st.data())
def test_word_safe_form_equals_plain_form(opc, w, data):
    a = data.draw(operands(w))
    b = data.draw(operands(w))
    plain = _eval(value_expr(opc, w, "a", "b", word_safe=False), a, b)
    safe = _eval(value_expr(opc, w, "a", "b", word_safe=True), a, b)
    assert safe == plain
    assert 0 <= plain < 1 << w


@settings(max_examples=300)
@given(st.sampled_from(ALL_BINARY), st.sampled_from((32, 64)), st.data())
def test_word_safe_form_with_a_literal_operand(opc, w, data):
    # a constant operand is pasted as a literal (and pre-signed by the word-safe mul)
    a = data.draw(operands(w))
    k = data.draw(operands(w))
    lit = hex(k) if k > 9 else str(k)
    for x, y, va, vb in (("a", lit, a, k), (lit, "a", k, a)):
        plain = eval(value_expr(opc, w, x, y, word_safe=False), dict(RUNTIME), {"a": a})  # noqa: S307
        safe = eval(value_expr(opc, w, x, y, word_safe=True), dict(RUNTIME), {"a": a})  # noqa: S307
        assert safe == plain == _eval(value_expr(opc, w, "a", "b", word_safe=False), va, vb)


class _Tracing(int):
    """An int that records the magnitude of every value computed from it."""

    biggest = 0

    def _wrap(self, v):
        _Tracing.biggest = max(_Tracing.biggest, abs(int(v)))
        return _Tracing(v)


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__and__",
              "__rand__", "__xor__", "__rxor__", "__rshift__", "__lshift__", "__or__", "__ror__"):
    def _op(self, other, _m=getattr(int, _name)):
        return self._wrap(_m(int(self), int(other)))
    setattr(_Tracing, _name, _op)


@settings(max_examples=300)
@given(st.sampled_from(CHANGED_OPS), operands(32), operands(32))
def test_word_safe_intermediates_fit_a_machine_word(opc, a, b):
    expr = _word_safe_expr(opc, 32, "a", "b")
    assert expr is not None
    _Tracing.biggest = 0
    _eval(expr, _Tracing(a), _Tracing(b))
    assert _Tracing.biggest <= WORD


def test_plain_mul_would_not_fit():
    # what the word-safe form is for: the plain form's product passes 2^63
    assert 0xffffffff * 0xffffffff > WORD


# -- 64-bit values held signed (pyexpr.signed64_expr) ---------------------------------------------

SIGNED_BINARY = ("add", "sub", "mul", "mulh", "mulhu", "mulhsu", "div", "divu", "rem", "remu",
                 "and", "or", "xor", "shl", "shr", "sar")
SIGNED_UNARY = ("mov", "neg", "not", "ext8s", "ext16s", "ext32s", "ext8u", "ext16u", "ext32u")
CONDS = ("eq", "ne", "lt", "ge", "gt", "le", "ltu", "geu", "gtu", "leu")


def _s64(v: int) -> int:
    return v - (1 << 64) if v >> 63 else v


def _check_signed(expr_plain: str, expr_signed: str, env_plain: dict, env_signed: dict) -> None:
    plain = eval(expr_plain, dict(RUNTIME), env_plain)  # noqa: S307
    got = eval(expr_signed, dict(RUNTIME), env_signed)  # noqa: S307
    assert -(1 << 63) <= got < 1 << 63
    assert got == _s64(plain)


@settings(max_examples=600)
@given(st.sampled_from(SIGNED_BINARY), operands(64), operands(64), st.booleans())
def test_signed64_forms_hold_the_same_bits(opc, a, b, literal_b):
    if opc in ("shl", "shr", "sar"):
        b &= 63
    elif opc in ("div", "divu", "rem", "remu") and b == 0:
        b = 1    # the front end guards division by zero
    # a constant operand is pasted as a literal (signed when its top bit is set)
    sb = _s64(b)
    b_text = ("(%d)" % sb if sb < 0 else str(sb)) if literal_b else "b"
    _check_signed(value_expr(opc, 64, "a", "b", word_safe=False),
                  value_expr(opc, 64, "a", b_text, signed64=True),
                  {"a": a, "b": b}, {"a": _s64(a), "b": sb})


@settings(max_examples=300)
@given(st.sampled_from(SIGNED_UNARY), operands(64))
def test_signed64_unary_forms_hold_the_same_bits(opc, a):
    _check_signed(value_expr(opc, 64, "a", word_safe=False), value_expr(opc, 64, "a", signed64=True),
                  {"a": a}, {"a": _s64(a)})


def _text(name: str, value: int, how: str) -> str:
    """An operand as the back end may paste it: a name, an expression, a literal."""
    if how == "literal":
        s = _s64(value)
        return "(%d)" % s if s < 0 else str(s)
    return name if how == "name" else "(%s + 0)" % name


@settings(max_examples=600)
@given(st.sampled_from(CONDS), operands(64), operands(64), operands(64), operands(64),
       st.sampled_from(("name", "expr")), st.sampled_from(("name", "expr", "literal")))
def test_signed64_conditions_agree(cond, a, b, c, e, how_a, how_b):
    env, senv = {"a": a, "b": b, "c": c, "e": e}, {"a": _s64(a), "b": _s64(b), "c": _s64(c), "e": _s64(e)}
    ta, tb = _text("a", a, how_a), _text("b", b, how_b)
    for opc in ("setcond", "movcond"):
        _check_signed(value_expr(opc, 64, "a", "b", "c", "e", cond=cond, word_safe=False),
                      value_expr(opc, 64, ta, tb, "c", "e", cond=cond, signed64=True), env, senv)
    assert eval(condition(cond, ta, tb, 64, signed64=True), {}, senv) == \
        eval(condition(cond, "a", "b", 64), {}, env)  # noqa: S307


def test_signed64_overflow_wraps_to_a_machine_word():
    # the wrapped result must not stay a big integer (on PyPy that would keep
    # every later op off the fast path): it is made through struct
    top = (1 << 63) - 1
    assert eval(value_expr("add", 64, "a", "b", signed64=True), dict(RUNTIME), {"a": top, "b": 1}) == -(1 << 63)
    assert eval(value_expr("mul", 64, "a", "a", signed64=True), dict(RUNTIME), {"a": -(1 << 40)}) == 0
