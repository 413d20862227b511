"""Declarative instruction tables, shared by every guest (QEMU's decodetree, in small).

Theory of operation
-------------------
A row says how one instruction is encoded: ``insn & mask == match`` selects
it, a *format* turns the encoding into an :class:`Args` of operand fields (or
None: a reserved, UNDEFINED encoding), and ``trans`` names the translator
that emits its IR. A guest writes rows either with explicit mask/match
(RISC-V's tables) or from a bit pattern string (:func:`pattern`, Arm's
tables), where ``0``/``1`` are fixed bits, ``-`` is ignored and a letter is a
field bit: the letters of one field are gathered most significant first, so
``"i"`` spread over three places reads back as ``i:imm3:imm8``.

:class:`PatternTable` is the dispatcher: rows bucketed by the bits under a
key mask (each bucket computed the first time an encoding needs it), the
most specific row (most mask bits) first, table order breaking ties. That
is how overlapping patterns resolve (``mov`` before ``orr`` when Rn is all
ones), as decodetree's groups do.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple


class Args:
    """The operand fields of one decoded instruction (rd, rs1, imm...)."""

    def __init__(self, **fields: int) -> None:
        self.__dict__.update(fields)

    def fields(self) -> Dict[str, int]:
        return dict(self.__dict__)

    def __eq__(self, other) -> bool:
        return isinstance(other, Args) and self.__dict__ == other.__dict__

    def __repr__(self) -> str:
        return "Args(%s)" % ", ".join("%s=%d" % kv for kv in sorted(self.__dict__.items()))


class Decoded:
    __slots__ = ("name", "trans", "args")

    def __init__(self, name: str, trans: str, args: Args) -> None:
        self.name = name      # the assembler mnemonic of the row ("c.addi")
        self.trans = trans    # the translator it runs ("addi")
        self.args = args

    def __repr__(self) -> str:
        return "Decoded(%s -> %s, %r)" % (self.name, self.trans, self.args)


def bits(insn: int, hi: int, lo: int) -> int:
    return (insn >> lo) & ((1 << (hi - lo + 1)) - 1)


def sext(value: int, width: int) -> int:
    sign = 1 << (width - 1)
    return (value & (sign - 1)) - (value & sign)


# -- bit patterns ------------------------------------------------------------------------

#: a field's runs: (lowest insn bit, width) from the most significant run down
FieldRuns = Tuple[Tuple[int, int], ...]


class Pattern:
    """A compiled bit pattern: ``mask``/``match`` and the letter fields."""

    __slots__ = ("mask", "match", "fields")

    def __init__(self, mask: int, match: int, fields: Dict[str, FieldRuns]) -> None:
        self.mask = mask
        self.match = match
        self.fields = fields

    def extract(self, insn: int) -> Dict[str, int]:
        out: Dict[str, int] = {}
        for name, runs in self.fields.items():
            v = 0
            for lo, width in runs:
                v = (v << width) | ((insn >> lo) & ((1 << width) - 1))
            out[name] = v
        return out


def pattern(text: str) -> Pattern:
    """Compile ``"0100 00 oooo mmm ddd"`` (spaces ignored) into a :class:`Pattern`."""
    spec = text.replace(" ", "")
    width = len(spec)
    mask = match = 0
    runs: Dict[str, List[List[int]]] = {}
    prev = None
    for i, ch in enumerate(spec):
        bit = width - 1 - i
        if ch in "01":
            mask |= 1 << bit
            match |= int(ch) << bit
        elif ch != "-":
            field = runs.setdefault(ch, [])
            if prev == ch and field and field[-1][0] == bit + 1:
                field[-1][0] = bit          # extends the run downwards
                field[-1][1] += 1
            else:
                field.append([bit, 1])
        prev = ch
    return Pattern(mask, match, {k: tuple((lo, w) for lo, w in v) for k, v in runs.items()})


# -- the dispatcher ---------------------------------------------------------------------------

#: (name, mask, match, decode(insn) -> Args or None, translator name)
Row = Tuple[str, int, int, Callable[[int], Optional[Args]], str]


class PatternTable:
    """Rows bucketed by ``insn & key_mask``; a bucket is built on first use."""

    def __init__(self, rows: Sequence[Row], key_mask: int) -> None:
        for name, mask, match, _, _ in rows:
            assert match & ~mask == 0, name
        # most specific first; sorted() is stable, so table order breaks ties
        self.rows = sorted(rows, key=lambda r: -bin(r[1]).count("1"))
        self.key_mask = key_mask
        self._buckets: Dict[int, List[Row]] = {}

    def _bucket(self, key: int) -> List[Row]:
        km = self.key_mask
        rows = [r for r in self.rows if (key ^ r[2]) & r[1] & km == 0]
        self._buckets[key] = rows
        return rows

    def lookup(self, insn: int) -> Optional[Row]:
        key = insn & self.key_mask
        rows = self._buckets.get(key)
        if rows is None:
            rows = self._bucket(key)
        for row in rows:
            if insn & row[1] == row[2]:
                return row
        return None

    def decode(self, insn: int) -> Optional[Decoded]:
        """The first matching row decides: its format's None is UNDEFINED."""
        row = self.lookup(insn)
        if row is None:
            return None
        args = row[3](insn)
        if args is None:
            return None
        return Decoded(row[0], row[4], args)
