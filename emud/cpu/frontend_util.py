"""Pieces every guest front end needs: its translator table, a decode cache,
and instruction listings through capstone (never on the hot path)."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

from ..tcg.translator import Frontend

_DECODE_CACHE_MAX = 1 << 16


def collect_translators(*modules) -> Dict[str, Callable]:
    """``trans_<name>`` functions of the modules, by name."""
    table: Dict[str, Callable] = {}
    for mod in modules:
        for attr, fn in vars(mod).items():
            if attr.startswith("trans_"):
                table[attr[len("trans_"):]] = fn
    return table


class DecodeCache:
    """decode(insn, length) memoized (bounded: cleared when full)."""

    def __init__(self, decode: Callable[[int, int], Any]) -> None:
        self._decode = decode
        self._cache: Dict[Tuple[int, int], Any] = {}

    def __call__(self, insn: int, length: int) -> Any:
        key = (insn, length)
        try:
            return self._cache[key]
        except KeyError:
            pass
        if len(self._cache) >= _DECODE_CACHE_MAX:
            self._cache.clear()
        d = self._cache[key] = self._decode(insn, length)
        return d


def capstone_listing(cs, code: bytes, pc: int,
                     insn_length: Callable[[int], int]) -> List[Tuple[int, int, str, str]]:
    """[(address, size, mnemonic, operands)]; what capstone does not know
    (or bytes that end mid-instruction) is listed as ``.insn 0x...``."""
    out: List[Tuple[int, int, str, str]] = []
    pos = 0
    while pos + 2 <= len(code):
        size = insn_length(code[pos] | (code[pos + 1] << 8))
        chunk = code[pos:pos + size]
        insn: Optional[Any] = next(cs.disasm(chunk, pc + pos, 1), None)
        if insn is not None and insn.size == size:
            out.append((insn.address, insn.size, insn.mnemonic, insn.op_str))
        else:
            word = int.from_bytes(chunk, "little")
            out.append((pc + pos, len(chunk), ".insn", "0x%0*x" % (2 * len(chunk), word)))
        pos += size
    return out


class TableFrontend(Frontend):
    """What a front end driven by decode tables shares: the memoized
    decoder, the instruction-length rule, and capstone listings. A subclass
    sets ``insn_length_rule`` and calls :meth:`setup`; it opens capstone in
    :meth:`make_capstone` and translates in ``translate_insn``."""

    #: first halfword -> instruction length in bytes (the guest's rule)
    insn_length_rule: Callable[[int], int] = staticmethod(lambda hw: 4)

    def setup(self, decoder: Any, helpers: Dict[str, Any]) -> None:
        self.helpers = dict(helpers)
        self.decoder = decoder
        self._decode = DecodeCache(decoder.decode)
        self._cs = None

    def insn_length(self, first_halfword: int) -> int:
        return self.insn_length_rule(first_halfword)

    def decode(self, insn: int, length: int) -> Any:
        return self._decode(insn, length)

    # -- listings (never on the hot path) ---------------------------------------------
    def make_capstone(self) -> Any:
        raise NotImplementedError

    def disassemble(self, code: bytes, pc: int) -> List[Tuple[int, int, str, str]]:
        if self._cs is None:
            self._cs = self.make_capstone()
        return capstone_listing(self._cs, code, pc, self.insn_length_rule)
