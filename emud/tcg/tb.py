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

from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .translator import PAGE_SHIFT

#: Code is tracked for self-modifying-code detection in chunks this small
#: (128 bytes), finer than pages: data that shares a page with code (a .bss
#: right after .text) keeps the inline store path.
CHUNK_SHIFT = 7


class TranslationBlock:
    __slots__ = ("pc", "start", "flags", "end", "insns", "fn", "namespace", "source", "pages",
                 "incoming", "valid", "cached", "size_bytes", "exits", "max_path", "blocks", "interpreted",
                 "windows")

    def __init__(self, pc: int, flags, end: int, insns: List[Tuple[int, int]], fn, namespace, source: str,
                 exits: Sequence[int] = (), max_path: Optional[int] = None, blocks: int = 1,
                 interpreted: bool = False, size_bytes: Optional[int] = None,
                 windows: Optional[Dict[int, int]] = None) -> None:
        self.pc = pc
        # compiled code: guest pc -> the RAM windows its inline accesses try
        # (backend_py.TBCode.windows); None for an interpreted TB
        self.windows = windows
        self.exits = list(exits)            # chain slot k -> the guest pc that exit goes to
        # the most instructions one call can retire before it checks the budget
        # (a region's longest path; a plain TB's length)
        self.max_path = len(insns) if max_path is None else max_path
        self.blocks = blocks                # guest basic blocks translated into this TB
        self.flags = flags
        self.end = end                      # first byte after the TB's guest code
        self.insns = insns                  # [(pc, length)]
        # its lowest byte of guest code: below pc when a region inlined a block before its entry
        self.start = min([pc] + [p for p, _ in insns])
        self.fn = fn
        self.namespace = namespace          # the function's globals: chain slots C0/C1 live here
        self.source = source
        # run through the IR interpreter (tier 0), not compiled: never a chain target
        self.interpreted = interpreted
        self.size_bytes = len(source) if size_bytes is None else size_bytes
        first = self.start >> PAGE_SHIFT
        last = (max(end, pc + 1) - 1) >> PAGE_SHIFT
        self.pages = range(first, last + 1)
        self.incoming: List[Tuple["TranslationBlock", int]] = []  # (predecessor, slot) chained into us
        self.valid = True
        self.cached = True

    @property
    def n_insns(self) -> int:
        return len(self.insns)

    def overlaps(self, start: int, end: int) -> bool:
        return self.start < end and start < self.end

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
        self.chunk_listeners: List[Callable[[int, bool], None]] = []  # (chunk, has_code)
        self.chunks: Dict[int, int] = {}     # code chunk -> how many TBs cover it

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
        chunks = self.chunks
        for chunk in _chunks_of(tb):
            n = chunks.get(chunk, 0)
            chunks[chunk] = n + 1
            if not n:
                for listener in self.chunk_listeners:
                    listener(chunk, True)

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
        chunks = self.chunks
        for chunk in _chunks_of(tb):
            n = chunks.get(chunk, 0) - 1
            if n > 0:
                chunks[chunk] = n
            else:
                chunks.pop(chunk, None)
                for listener in self.chunk_listeners:
                    listener(chunk, False)
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

    def range_has_code(self, start: int, end: int) -> bool:
        """Whether any cached TB's instructions lie in a chunk of [start, end)."""
        chunks = self.chunks
        for chunk in range(start >> CHUNK_SHIFT, ((end - 1) >> CHUNK_SHIFT) + 1):
            if chunk in chunks:
                return True
        return False

    def flush(self) -> None:
        for tb in self.tbs.values():
            tb.valid = False
            tb.incoming = []
        pages = list(self.by_page)
        chunks = list(self.chunks)
        self.tbs.clear()
        self.by_page.clear()
        self.chunks.clear()
        for chunk in chunks:
            for listener in self.chunk_listeners:
                listener(chunk, False)
        self.code_bytes = 0
        self.flushes += 1
        for page in pages:
            for listener in self.page_listeners:
                listener(page, False)

    def __len__(self) -> int:
        return len(self.tbs)

    def all(self) -> Iterable[TranslationBlock]:
        return list(self.tbs.values())


#: The translation cache's bound, in bytes of generated source (the code
#: objects it keeps are of the same order of size).
DEFAULT_TRANSLATION_CACHE_BYTES = 16 << 20


class CachedTranslation:
    """What one translation produced, with what it was made from: the guest
    bytes of its instructions (``spans``: contiguous (address, bytes)) and the
    breakpoints in ``[bp_lo, bp_hi]`` (a TB stops before a breakpoint)."""

    __slots__ = ("code", "insns", "depth", "max_path", "blocks", "end", "spans", "bps", "bp_lo", "bp_hi", "size",
                 "bound")

    def __init__(self, code: Any, insns: List[Tuple[int, int]], depth: Optional[Dict[int, int]],
                 max_path: Optional[int], blocks: int, end: int, spans: List[Tuple[int, bytes]],
                 bps: Tuple[int, ...], bp_lo: int, bp_hi: int) -> None:
        self.code = code                # the back end's TBCode (compiled, unbound)
        self.insns = insns
        self.depth = depth
        self.max_path = max_path
        self.blocks = blocks
        self.end = end
        self.spans = spans
        self.bps = bps
        self.bp_lo = bp_lo
        self.bp_hi = bp_hi
        self.size = len(code.source) + sum(len(b) for _, b in spans)
        # (CompiledTB, the TB that used it last): the bound function and its
        # namespace, used again once that TB is gone (a flush, a reset). On
        # PyPy a new function object for the same code is new code to the JIT:
        # the traces of the old one guard on its globals and every TB is
        # traced again (~1000 new bridges per system_reset of rtos-mix)
        self.bound: Optional[Tuple[Any, Any]] = None


def block_end(pc: int, insns: Sequence[Tuple[int, int]]) -> int:
    """The address after a block's last instruction (pc + 1 for an empty block)."""
    return max([p + n for p, n in insns] or [pc + 1])


def code_spans(insns: Sequence[Tuple[int, int]]) -> List[Tuple[int, int]]:
    """The instructions' bytes as few contiguous (start, length) ranges."""
    spans: List[Tuple[int, int]] = []
    for pc, length in sorted(insns):
        if spans and spans[-1][0] + spans[-1][1] == pc:
            spans[-1] = (spans[-1][0], spans[-1][1] + length)
        else:
            spans.append((pc, length))
    return spans


class TranslationCache:
    """Compiled TB code kept across invalidations and flushes (gdb inserting
    and removing a breakpoint around every stepi, `tb flush`, a reset, a
    full code cache): a retranslation whose inputs did not change reuses the
    code object. Keyed by (pc, flags, max_insns, ...); each key holds a few
    variants, and the caller checks a variant still matches guest memory and
    breakpoints. Bounded by size, least recently used keys go first."""

    VARIANTS = 4

    def __init__(self, max_bytes: int = DEFAULT_TRANSLATION_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self.entries: "OrderedDict[Any, List[CachedTranslation]]" = OrderedDict()
        self.bytes = 0
        self.count = 0
        self.hits = 0
        # translations kept on disk across processes (diskcache.DiskStore), or None:
        # read when memory has no match, written with every add
        self.store: Any = None

    def find(self, key: Any, matches: Callable[[CachedTranslation], bool]) -> Optional[CachedTranslation]:
        variants = self.entries.get(key)
        for entry in variants or ():
            if matches(entry):
                self.entries.move_to_end(key)
                self.hits += 1
                return entry
        if self.store is not None:
            for entry in self.store.load(key):
                if matches(entry):
                    self._add(key, entry)
                    self.hits += 1
                    return entry
        return None

    def add(self, key: Any, entry: CachedTranslation) -> None:
        self._add(key, entry)
        if self.store is not None:
            self.store.save(key, entry)

    def _add(self, key: Any, entry: CachedTranslation) -> None:
        variants = self.entries.get(key)
        if variants is None:
            variants = self.entries[key] = []
        else:
            self.entries.move_to_end(key)
        variants.insert(0, entry)
        self.bytes += entry.size
        self.count += 1
        if len(variants) > self.VARIANTS:
            old = variants.pop()
            self.bytes -= old.size
            self.count -= 1
        while self.bytes > self.max_bytes and len(self.entries) > 1:
            _, gone = self.entries.popitem(last=False)
            for old in gone:
                self.bytes -= old.size
                self.count -= 1

    def clear(self) -> None:
        self.entries.clear()
        self.bytes = self.count = 0

    def __len__(self) -> int:
        return self.count


def _chunks_of(tb: TranslationBlock) -> Set[int]:
    out: Set[int] = set()
    for pc, length in tb.insns:
        out.add(pc >> CHUNK_SHIFT)
        out.add((pc + max(length, 1) - 1) >> CHUNK_SHIFT)
    if not tb.insns:
        out.add(tb.pc >> CHUNK_SHIFT)
    return out
