"""Address expressions, as typed after `x/4wx`, `break`, `disas`...

``parse_expr(text)`` is pure: it gives a small tree, or raises
:class:`CommandError`. ``evaluate(tree, resolver)`` turns the tree into an
int, asking the resolver for ``$registers`` and symbols, so the parser never
needs a machine.

Grammar (QEMU's HMP expressions, minus the rarely used operators)::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/' | '%') unary)*     ('/' only inside parentheses-free text)
    unary  := '-' unary | '~' unary | atom
    atom   := NUMBER | '$' NAME | SYMBOL | '(' expr ')'

NUMBER is 0x.., 0o.., 0b.. or decimal; SYMBOL is a C identifier (dots
allowed, as in ``.L1`` or ``foo.part.0``).

Limits keep the recursive parser and evaluator far from Python's recursion
limit whatever a client types: at most MAX_TOKENS tokens, MAX_NESTING
levels of parentheses and unary operators, numbers of at most MAX_DIGITS.
"""
from __future__ import annotations

import re
from typing import Any, Callable, List, Optional, Tuple

from emud.monitor.errors import CommandError

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|[0-9][0-9_]*)
    | (?P<reg>\$[A-Za-z_][A-Za-z0-9_]*)
    | (?P<sym>[A-Za-z_.][A-Za-z0-9_.$@]*)
    | (?P<op>[-+*/%~()])
    )""", re.VERBOSE)

MAX_TOKENS = 256
MAX_NESTING = 64
MAX_DIGITS = 100

# tree nodes: ("num", int) ("reg", name) ("sym", name) ("neg", t) ("not", t) ("bin", op, l, r)
Tree = Tuple[Any, ...]


def _tokenize(text: str) -> List[Tuple[str, str]]:
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise CommandError("bad expression %r: unexpected %r" % (text.strip(), text[pos:].strip()[:10]))
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        if len(out) > MAX_TOKENS:
            raise CommandError("expression too long (more than %d tokens)" % MAX_TOKENS)
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text.strip()
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> Optional[Tuple[str, str]]:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise CommandError("bad expression %r: unexpected end" % self.text)
        self.i += 1
        return tok

    def expr(self) -> Tree:
        left = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            left = ("bin", op, left, self.term())
        return left

    def term(self) -> Tree:
        left = self.unary()
        while self.peek() in (("op", "*"), ("op", "/"), ("op", "%")):
            op = self.take()[1]
            left = ("bin", op, left, self.unary())
        return left

    def unary(self) -> Tree:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise CommandError("bad expression: nested deeper than %d" % MAX_NESTING)
        try:
            tok = self.peek()
            if tok == ("op", "-"):
                self.take()
                return ("neg", self.unary())
            if tok == ("op", "~"):
                self.take()
                return ("not", self.unary())
            return self.atom()
        finally:
            self.depth -= 1

    def atom(self) -> Tree:
        kind, val = self.take()
        if kind == "num":
            return ("num", _number(val))
        if kind == "reg":
            return ("reg", val[1:])
        if kind == "sym":
            return ("sym", val)
        if val == "(":
            inner = self.expr()
            if self.take() != ("op", ")"):
                raise CommandError("bad expression %r: missing ')'" % self.text)
            return inner
        raise CommandError("bad expression %r: unexpected %r" % (self.text, val))


def _number(val: str) -> int:
    if len(val) > MAX_DIGITS:
        raise CommandError("number too long: %s..." % val[:20])
    digits = val.replace("_", "")
    try:
        # int("010", 0) is an error in Python; users mean decimal 10
        return int(digits, 10) if digits.isdigit() else int(digits, 0)
    except ValueError:       # "0x_", "0b"
        raise CommandError("bad number %r" % val) from None


def parse_expr(text: str) -> Tree:
    """Parse an address expression; raises CommandError with one line."""
    if not text or not text.strip():
        raise CommandError("missing expression")
    p = _Parser(text)
    tree = p.expr()
    if p.peek() is not None:
        raise CommandError("bad expression %r: unexpected %r" % (p.text, p.peek()[1]))
    return tree


def parse_int(text: str) -> int:
    """A plain integer literal (no symbols or registers), e.g. a count."""
    tree = parse_expr(text)
    return evaluate(tree, _no_names)


def _no_names(kind: str, name: str) -> int:
    raise CommandError("expected a number, got %s%s" % ("$" if kind == "reg" else "", name))


def evaluate(tree: Tree, resolve: Callable[[str, str], int]) -> int:
    """Evaluate a tree; ``resolve(kind, name)`` with kind "reg" or "sym"."""
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind in ("reg", "sym"):
        return resolve(kind, tree[1])
    if kind == "neg":
        return -evaluate(tree[1], resolve)
    if kind == "not":
        return ~evaluate(tree[1], resolve)
    op, a, b = tree[1], evaluate(tree[2], resolve), evaluate(tree[3], resolve)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise CommandError("division by zero")
    return a // b if op == "/" else a % b


def names_in(tree: Tree) -> List[Tuple[str, str]]:
    """The registers and symbols an expression mentions."""
    if tree[0] in ("reg", "sym"):
        return [(tree[0], tree[1])]
    out: List[Tuple[str, str]] = []
    for sub in tree[1:]:
        if isinstance(sub, tuple):
            out.extend(names_in(sub))
    return out
