"""Physical memory protection (privileged spec, "Physical Memory Protection").

Sixteen entries. Each pmpNcfg byte holds R (bit 0), W (1), X (2), the
address-matching mode A (bits 3-4: OFF, TOR, NA4, NAPOT) and L (7); pmpaddrN
holds an address shifted right by 2. The lowest-numbered entry that matches
any byte of an access decides: it must match all of them, and then an M-mode
access passes unless the entry is locked, any other needs the permission.
When no entry matches, M-mode passes and U-mode fails (entries are
implemented, so the spec's "at least one PMP entry is implemented" holds).

A configuration is compiled once into a :class:`PmpRules` and interned, so a
hart's TB flags can name it by a small number: TBs translated under one
configuration are reused whenever a hart (an RTOS switching tasks) returns
to it, and harts with different configurations never share checked TBs.
"""
from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from typing import Any, List, Sequence, Tuple

R, W, X = 1, 2, 4
CFG_LOCK = 0x80
OFF, TOR, NA4, NAPOT = 0, 1, 2, 3

#: what an access of each kind needs (an AMO reads and writes)
NEEDS = {"load": R, "store": W, "amo": R | W}

Entry = Tuple[int, int, int, bool]      # [lo, hi) in bytes, permissions, locked


def compile_entries(cfg: Sequence[int], addr: Sequence[int]) -> List[Entry]:
    """The active entries in priority order."""
    entries: List[Entry] = []
    for i, c in enumerate(cfg):
        mode = (c >> 3) & 3
        if mode == OFF:
            continue
        if mode == TOR:
            lo, hi = (addr[i - 1] << 2 if i else 0), addr[i] << 2
            if lo >= hi:
                continue                    # matches no address
        elif mode == NA4:
            lo = addr[i] << 2
            hi = lo + 4
        else:
            # NAPOT: the trailing ones of pmpaddr give the size, 2^(ones+3) bytes
            low = addr[i] ^ (addr[i] + 1)
            lo = (addr[i] & ~low) << 2
            hi = lo + ((low + 1) << 2)
        entries.append((lo, hi, c & (R | W | X), bool(c & CFG_LOCK)))
    return entries


class PmpRules:
    """One compiled configuration. ``allows`` is the whole check."""

    __slots__ = ("id", "entries", "locked", "guards", "__weakref__")

    def __init__(self, ident: int, entries: List[Entry]) -> None:
        self.id = ident
        self.entries = entries
        self.locked = any(e[3] for e in entries)
        # data-access checks for the slow path, by "the access is M-mode's"
        self.guards = {True: self._guard(True), False: self._guard(False)}

    def allows(self, addr: int, size: int, need: int, machine: bool) -> bool:
        end = addr + size
        for lo, hi, perms, locked in self.entries:
            if addr < hi and end > lo:
                if addr < lo or end > hi:
                    return False            # a partial match fails
                if machine and not locked:
                    return True
                return perms & need == need
        return machine

    def _guard(self, machine: bool) -> Any:
        allows = self.allows

        def guard(cpu: Any, addr: int, size: int, kind: str, pc: int) -> None:
            if not allows(addr, size, NEEDS[kind], machine):
                raise cpu.mem_fault(kind, addr, pc)
        return guard

    def __repr__(self) -> str:
        return "<PmpRules #%d %s>" % (self.id, ", ".join(
            "0x%x-0x%x %s%s" % (lo, hi - 1, "".join(c for c, b in (("r", R), ("w", W), ("x", X)) if p & b) or "-",
                                " L" if locked else "") for lo, hi, p, locked in self.entries) or "none")


_ids = itertools.count(1)
_recent: "OrderedDict[Tuple[Tuple[int, ...], Tuple[int, ...]], PmpRules]" = OrderedDict()
_by_id: "weakref.WeakValueDictionary[int, PmpRules]" = weakref.WeakValueDictionary()
RECENT_MAX = 256


def rules_for(cfg: Sequence[int], addr: Sequence[int]) -> PmpRules:
    """The interned rules of a configuration (the same object, and id, while
    it is in use or among the recent ones)."""
    key = (tuple(cfg), tuple(addr))
    rules = _recent.get(key)
    if rules is None:
        rules = PmpRules(next(_ids), compile_entries(cfg, addr))
        _recent[key] = rules
        _by_id[rules.id] = rules
        if len(_recent) > RECENT_MAX:
            _recent.popitem(last=False)     # still found by id while a hart uses it
    else:
        _recent.move_to_end(key)
    return rules


def rules_by_id(ident: int) -> PmpRules:
    return _by_id[ident]
