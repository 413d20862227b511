"""pyexpr's word-safe forms (used on PyPy) compute exactly what the plain forms do.

The optimizer folds constants with whichever form the runtime uses and the
back end emits the same one, so a disagreement between the forms would make
PyPy and CPython run the same guest code differently.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from emud.tcg.pyexpr import RUNTIME, _word_safe_expr, value_expr

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
