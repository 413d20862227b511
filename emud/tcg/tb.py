"""Translation blocks and the TB cache (QEMU's TranslationBlock, tb_htable,
page descriptors and code buffer accounting).

A TB is keyed by (pc, flags). The cache also indexes TBs by the 4 KiB guest
pages their code covers, so a write to guest code (self-modifying code, a
loader, gdb's ``load``) invalidates exactly the TBs that covered it, and keeps
a bitmap of pages holding code that the back end's inline store path checks.
The cache is bounded by the size of the generated code, like QEMU's code
buffer: when full it is flushed whole.
"""
from __future__ import annotations

from typing import Callable, Dict, Iterable, List, Optional, Set, Tuple

from .translator import PAGE_SHIFT


class TranslationBlock:
    __slots__ = ("pc", "flags", "end", "insns", "fn", "namespace", "source", "pages",
                 "incoming", "valid", "cached", "size_bytes")

    def __init__(self, pc: int, flags, end: int, insns: List[Tuple[int, int]], fn, namespace, source: str) -> None:
        self.pc = pc
        self.flags = flags
        self.end = end                      # first byte after the TB's guest code
        self.insns = insns                  # [(pc, length)]
        self.fn = fn
        self.namespace = namespace          # the function's globals: chain slots C0/C1 live here
        self.source = source
        self.size_bytes = len(source)
        first = pc >> PAGE_SHIFT
        last = (max(end, pc + 1) - 1) >> PAGE_SHIFT
        self.pages = range(first, last + 1)
        self.incoming: List[Tuple["TranslationBlock", int]] = []  # (predecessor, slot) chained into us
        self.valid = True
        self.cached = True

    @property
    def n_insns(self) -> int:
        return len(self.insns)

    def overlaps(self, start: int, end: int) -> bool:
        return self.pc < end and start < self.end

    def __repr__(self) -> str:
        return "<TB 0x%x..0x%x %d insns flags=%r>" % (self.pc, self.end, len(self.insns), self.flags)


class TBCache:
    def __init__(self, max_code_bytes: int, on_unchain: Callable[[TranslationBlock, int], None]) -> None:
        self.max_code_bytes = max_code_bytes
        self._on_unchain = on_unchain       # resets a predecessor's chain slot to its link stub
        self.tbs: Dict[Tuple[int, object], TranslationBlock] = {}
        self.by_page: Dict[int, Set[TranslationBlock]] = {}
        self.code_bytes = 0
        self.invalidations = 0
        self.flushes = 0
        self.page_listeners: List[Callable[[int, bool], None]] = []  # (page, has_code)

    def lookup(self, pc: int, flags) -> Optional[TranslationBlock]:
        return self.tbs.get((pc, flags))

    def is_full(self, extra: int) -> bool:
        return self.code_bytes + extra > self.max_code_bytes

    def insert(self, tb: TranslationBlock) -> None:
        old = self.tbs.get((tb.pc, tb.flags))
        if old is not None:
            self._remove(old)
        self.tbs[(tb.pc, tb.flags)] = tb
        self.code_bytes += tb.size_bytes
        for page in tb.pages:
            tbs = self.by_page.get(page)
            if tbs is None:
                tbs = self.by_page[page] = set()
                for listener in self.page_listeners:
                    listener(page, True)
            tbs.add(tb)

    def _remove(self, tb: TranslationBlock) -> None:
        if not tb.valid:
            return
        tb.valid = False
        if self.tbs.get((tb.pc, tb.flags)) is tb:
            del self.tbs[(tb.pc, tb.flags)]
        self.code_bytes -= tb.size_bytes
        for page in tb.pages:
            tbs = self.by_page.get(page)
            if tbs is not None:
                tbs.discard(tb)
                if not tbs:
                    del self.by_page[page]
                    for listener in self.page_listeners:
                        listener(page, False)
        for pred, slot in tb.incoming:
            if pred.valid:
                self._on_unchain(pred, slot)
        tb.incoming = []

    def invalidate_range(self, start: int, end: int) -> List[TranslationBlock]:
        """Drop every TB whose code overlaps [start, end)."""
        hit: List[TranslationBlock] = []
        for page in range(start >> PAGE_SHIFT, ((end - 1) >> PAGE_SHIFT) + 1):
            for tb in list(self.by_page.get(page, ())):
                if tb.overlaps(start, end):
                    hit.append(tb)
        for tb in hit:
            self._remove(tb)
        self.invalidations += len(hit)
        return hit

    def page_has_code(self, page: int) -> bool:
        return page in self.by_page

    def flush(self) -> None:
        for tb in self.tbs.values():
            tb.valid = False
            tb.incoming = []
        pages = list(self.by_page)
        self.tbs.clear()
        self.by_page.clear()
        self.code_bytes = 0
        self.flushes += 1
        for page in pages:
            for listener in self.page_listeners:
                listener(page, False)

    def __len__(self) -> int:
        return len(self.tbs)

    def all(self) -> Iterable[TranslationBlock]:
        return list(self.tbs.values())
