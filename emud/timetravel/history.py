"""History: checkpoints of the machine every so many instructions, holding
only the RAM chunks written since the previous one, within a size limit.

The first checkpoint of retained history stands on a *base image*: every RAM
region's non-zero 4 KiB pages as they were at that checkpoint. Every later
checkpoint holds the machine's small state (harts, devices, clock: what
``Machine.save_snapshot`` saves, without the RAM) and the contents, at its
position, of the RAM chunks written since the checkpoint before it (the
accelerator's dirty log, ``Accelerator.dirty_log``). A chunk's value at
checkpoint *k* is then the copy in the latest checkpoint at or before *k*
that has one, else the base image's: :meth:`History.restore_ram` finds it
by bisection in a per-chunk list of positions.

Chunks are keyed by a canonical address (the first mapping of their RAM
region), so that a region mapped twice (the Cortex-M boards' SSRAM mirror)
is one set of chunks.

Memory stays within ``size_limit`` bytes (an estimate of what the
checkpoints, the base image and the input log hold): when it is exceeded,
the older half of history is thinned first (every other checkpoint, as long
as the gaps stay within ``MAX_THIN_GAP`` intervals and ``THIN_MAX_SECONDS``
of recorded CPU time, so that a reverse-stepi there stays quick; a dropped
checkpoint's chunks move to the next one where that one has none of its
own), then the
oldest checkpoints go, their chunks folded into the base image, so the first
retained checkpoint can always be restored.
"""
from __future__ import annotations

import bisect
from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

PAGE = 4096
#: default limit of the memory history may use (-record size=)
DEFAULT_SIZE_LIMIT = 512 << 20
#: thinning never makes a gap between checkpoints longer than this many intervals
MAX_THIN_GAP = 4
#: ... nor one that took longer than this to record (CPU seconds: what
#: replaying it costs, the worst reverse-stepi there)
THIN_MAX_SECONDS = 0.08
#: estimated bytes of one checkpoint's machine state and bookkeeping
STATE_BYTES = 4096
#: estimated bookkeeping per stored chunk (dict slot, index entry, bytes header)
CHUNK_OVERHEAD = 120


class Checkpoint:
    __slots__ = ("position", "state", "chunks", "digest", "cursors", "nbytes", "cost")

    def __init__(self, position: int, state: Dict[str, Any], chunks: Dict[int, bytes], digest: int,
                 cursors: Tuple[int, int]) -> None:
        self.position = position
        self.state = state          # the machine's state without RAM (plain data)
        self.chunks = chunks        # canonical chunk number -> its bytes at this position
        self.digest = digest        # the harts' state digest (replay checks it)
        self.cursors = cursors      # the input log's cursors here
        self.nbytes = STATE_BYTES + sum(len(b) + CHUNK_OVERHEAD for b in chunks.values())
        self.cost = 0.0             # CPU seconds recording the gap before it took (replaying it: about as long)


class History:
    def __init__(self, bus, chunk_shift: int, size_limit: int = DEFAULT_SIZE_LIMIT) -> None:
        self.bus = bus
        self.shift = chunk_shift
        self.chunk_size = 1 << chunk_shift
        self.size_limit = size_limit
        self.checkpoints: List[Checkpoint] = []
        self._positions: List[int] = []          # the checkpoints' positions, ascending
        self.index: Dict[int, List[int]] = {}    # chunk -> positions of checkpoints storing it
        self.base: Dict[int, bytes] = {}         # canonical page address -> its bytes (non-zero pages)
        self.base_bytes = 0
        self.chunk_bytes = 0
        self.dropped = 0                         # checkpoints let go (thinned or oldest)
        self._canon_base: Dict[int, int] = {}    # id(region) -> canonical base address
        self._regions: List[Tuple[int, Any]] = []
        for base, region in bus.ram_regions():
            if id(region) not in self._canon_base:
                self._canon_base[id(region)] = base
                self._regions.append((base, region))

    # -- addressing ---------------------------------------------------------------
    def canonical(self, chunks: Iterable[int]) -> Set[int]:
        """Dirty-log chunk numbers as canonical chunk numbers (aliases folded)."""
        out = set()
        shift = self.shift
        find = self.bus.find
        canon = self._canon_base
        for c in chunks:
            hit = find(c << shift)
            if hit is None:
                continue
            base = canon.get(id(hit[0]))
            if base is None:
                continue
            out.add((base + hit[1]) >> shift)
        return out

    def _where(self, chunk: int) -> Tuple[Any, int]:
        hit = self.bus.find(chunk << self.shift)
        return hit[0], hit[1]

    def read_chunk(self, chunk: int) -> bytes:
        region, off = self._where(chunk)
        return bytes(region.data[off:off + self.chunk_size])

    def _base_chunk(self, chunk: int) -> bytes:
        addr = chunk << self.shift
        page = addr & ~(PAGE - 1)
        data = self.base.get(page)
        if data is None:
            return bytes(self.chunk_size)
        off = addr - page
        return data[off:off + self.chunk_size]

    # -- building -------------------------------------------------------------------
    def begin(self, cp: Checkpoint) -> None:
        """Start history at ``cp`` (its chunks are ignored): the base image is RAM now."""
        self.checkpoints, self._positions, self.index = [], [], {}
        self.base, self.base_bytes, self.chunk_bytes = {}, 0, 0
        zero = bytes(PAGE)
        for base, region in self._regions:
            data = memoryview(region.data)
            for off in range(0, len(data), PAGE):
                page = data[off:off + PAGE]
                if page != zero[:len(page)]:
                    self.base[base + off] = bytes(page)
                    self.base_bytes += len(page)
        cp.chunks = {}
        cp.nbytes = STATE_BYTES
        self.checkpoints.append(cp)
        self._positions.append(cp.position)

    def add(self, cp: Checkpoint) -> None:
        """Append a checkpoint (its chunks: contents of the chunks written
        since the previous one). One at the last one's position replaces it."""
        last = self.checkpoints[-1]
        if cp.position <= last.position:
            if cp.position < last.position:
                raise ValueError("checkpoint at %d before the last one at %d" % (cp.position, last.position))
            # the same position again (nothing ran): keep the old chunks, new state
            merged = dict(last.chunks)
            merged.update(cp.chunks)
            self._unindex(last)
            self.checkpoints.pop()
            self._positions.pop()
            if not self.checkpoints:       # it was the first: its state only
                cp.chunks = {}
                self.checkpoints.append(cp)
                self._positions.append(cp.position)
                return
            cp.chunks = merged
            cp.nbytes = STATE_BYTES + sum(len(b) + CHUNK_OVERHEAD for b in merged.values())
            cp.cost += last.cost
        self.checkpoints.append(cp)
        self._positions.append(cp.position)
        for c in cp.chunks:
            self.index.setdefault(c, []).append(cp.position)
        self.chunk_bytes += cp.nbytes

    def _unindex(self, cp: Checkpoint) -> None:
        for c in cp.chunks:
            lst = self.index.get(c)
            if lst:
                try:
                    lst.remove(cp.position)
                except ValueError:
                    pass
                if not lst:
                    del self.index[c]
        self.chunk_bytes -= cp.nbytes if cp is not self.checkpoints[0] else 0

    def truncate_after(self, position: int) -> None:
        """Forget checkpoints after ``position`` (a new present begins there)."""
        while len(self.checkpoints) > 1 and self.checkpoints[-1].position > position:
            cp = self.checkpoints.pop()
            self._positions.pop()
            for c in cp.chunks:
                lst = self.index.get(c)
                if lst and lst[-1] == cp.position:
                    lst.pop()
                    if not lst:
                        del self.index[c]
            self.chunk_bytes -= cp.nbytes

    # -- lookup --------------------------------------------------------------------------
    @property
    def first(self) -> Checkpoint:
        return self.checkpoints[0]

    @property
    def last(self) -> Checkpoint:
        return self.checkpoints[-1]

    def at_or_before(self, position: int) -> Checkpoint:
        i = bisect.bisect_right(self._positions, position) - 1
        return self.checkpoints[max(i, 0)]

    def after(self, position: int) -> Optional[Checkpoint]:
        i = bisect.bisect_right(self._positions, position)
        return self.checkpoints[i] if i < len(self.checkpoints) else None

    def before(self, cp: Checkpoint) -> Optional[Checkpoint]:
        i = bisect.bisect_left(self._positions, cp.position) - 1
        return self.checkpoints[i] if i >= 0 else None

    def chunks_between(self, lo: int, hi: int) -> Set[int]:
        """Chunks some checkpoint in (lo, hi] stores: those written between the two positions."""
        out: Set[int] = set()
        i = bisect.bisect_right(self._positions, lo)
        while i < len(self.checkpoints) and self._positions[i] <= hi:
            out.update(self.checkpoints[i].chunks)
            i += 1
        return out

    def value_at(self, chunk: int, position: int) -> bytes:
        lst = self.index.get(chunk)
        if lst:
            i = bisect.bisect_right(lst, position) - 1
            if i >= 0:
                return self.checkpoint_at(lst[i]).chunks[chunk]
        return self._base_chunk(chunk)

    def checkpoint_at(self, position: int) -> Checkpoint:
        i = bisect.bisect_left(self._positions, position)
        return self.checkpoints[i]

    def restore_ram(self, target: Checkpoint, chunks: Set[int], invalidate) -> int:
        """Put every chunk of ``chunks`` (canonical numbers) back to its value
        at ``target``; ``invalidate(addr, length)`` drops translated code on
        the ones that change. Returns how many changed."""
        changed = 0
        size = self.chunk_size
        for c in chunks:
            value = self.value_at(c, target.position)
            region, off = self._where(c)
            data = region.data
            if data[off:off + size] != value:
                data[off:off + len(value)] = value
                invalidate(c << self.shift, size)
                changed += 1
        return changed

    # -- size ---------------------------------------------------------------------------------
    def nbytes(self) -> int:
        return self.base_bytes + self.chunk_bytes + STATE_BYTES

    def enforce_limit(self, interval: int, extra_bytes: int = 0) -> List[Checkpoint]:
        """Thin, then drop the oldest, until within the limit. Returns the
        checkpoints dropped from the front (the caller re-bases its log)."""
        dropped_front: List[Checkpoint] = []
        if self.nbytes() + extra_bytes <= self.size_limit:
            return dropped_front
        self._thin(interval)
        while self.nbytes() + extra_bytes > self.size_limit and len(self.checkpoints) > 2:
            dropped_front.append(self._drop_oldest())
        return dropped_front

    def _thin(self, interval: int) -> None:
        cps = self.checkpoints
        n = len(cps)
        if n < 6:
            return
        keep = [cps[0]]
        half = n // 2
        i = 1
        while i < half:
            prev = keep[-1]
            nxt = cps[i + 1]
            if nxt.position - prev.position <= MAX_THIN_GAP * interval \
                    and cps[i].cost + nxt.cost <= THIN_MAX_SECONDS:
                self._merge_into_next(cps[i], nxt)
                self.dropped += 1
                keep.append(nxt)
                i += 2
            else:
                keep.append(cps[i])
                i += 1
        keep.extend(cps[i:])
        self.checkpoints = keep
        self._positions = [cp.position for cp in keep]

    def _merge_into_next(self, cp: Checkpoint, nxt: Checkpoint) -> None:
        self.chunk_bytes -= cp.nbytes + nxt.nbytes
        for c, value in cp.chunks.items():
            lst = self.index[c]
            j = bisect.bisect_left(lst, cp.position)
            if c in nxt.chunks:
                del lst[j]
            else:
                nxt.chunks[c] = value
                lst[j] = nxt.position
        nxt.nbytes = STATE_BYTES + sum(len(b) + CHUNK_OVERHEAD for b in nxt.chunks.values())
        self.chunk_bytes += nxt.nbytes
        nxt.cost += cp.cost
        cp.chunks = {}

    def _drop_oldest(self) -> Checkpoint:
        """The first checkpoint goes; the second becomes the first, its chunks
        folded into the base image."""
        old = self.checkpoints.pop(0)
        self._positions.pop(0)
        new = self.checkpoints[0]
        self.chunk_bytes -= new.nbytes
        for c, value in new.chunks.items():
            addr = c << self.shift
            page = addr & ~(PAGE - 1)
            cur = self.base.get(page)
            buf = bytearray(cur if cur is not None else bytes(PAGE))
            if cur is None:
                self.base_bytes += PAGE
            off = addr - page
            buf[off:off + len(value)] = value
            self.base[page] = bytes(buf)
            lst = self.index[c]
            lst.pop(0)
            if not lst:
                del self.index[c]
        new.chunks = {}
        new.nbytes = STATE_BYTES
        self.dropped += 1
        return old
