"""Pieces every guest front end needs: its translator table, a decode cache,
and instruction listings through capstone (never on the hot path)."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

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
