"""The execution engine: find or translate TBs and run them (QEMU's
cpu_exec, tb_find, tb_gen_code, tb_add_jump, in one place).

``TBEngine.execute(cpu, budget)`` runs one quantum on one vCPU: take a pending
interrupt, find the TB for (pc, flags) — jump cache, then TB cache, then the
translator — and call its function, which returns the next TB's function as
long as chaining and the budget allow. Traps raised inside TBs come back here
as ``GuestTrap`` and are handed to the CPU's trap entry.

Everything the generated code calls on a slow path (``ld_slow``, ``st_slow``,
the link stubs, ``debug_stop``) is defined here.
"""
from __future__ import annotations

import time
from bisect import bisect_right
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple

from ..memory import AddressSpace, BusError, RamRegion
from .backend_py import PYPY, CodegenConfig, bind_tb, build_tb_code, ram_views
from .tier0 import decode_ops
from .ir import IRBuilder, format_ops
from .optimize import optimize
from .region import LOOP_REGION_SPAN, LOOP_REGION_THRESHOLD, REGION_BACK_WINDOW, REGION_WINDOW, translate_region
from .tb import (CHUNK_SHIFT, CachedTranslation, TBCache, TranslationBlock, TranslationCache,
                 block_end, code_spans)
from .translator import (MAX_TB_INSNS, PAGE_SHIFT, DebugStop, ExitRequest, Frontend, GuestTrap,
                         TranslationFault, guarded_fetch, translate_block)

DEFAULT_TB_SIZE_MIB = 32
try:
    # PyPy: run an interpreted block as an opaque call, so that the JIT does
    # not inline it into the dispatcher loop's trace (where every block's
    # steps would become more bridges; measured 5-10% slower cold)
    from pypyjit import residual_call as _opaque_call
except ImportError:
    _opaque_call = None
try:
    from pypyjit import set_param as _set_jit_param
except ImportError:
    _set_jit_param = None
#: PyPy: once this many compiled TBs exist (since the last flush), the
#: dispatcher calls TB functions through residual_call instead of letting the
#: JIT inline them into its loop. Inlined, that one call site guards on which
#: function it is, one bridge per target in a chain walked at every TB
#: (rtos-mix: 23 bridge entries per TB run), and a target with no bridge yet
#: is run by the blackhole interpreter: with ~1000 hot blocks
#: (examples/rtos-mix.c, FreeRTOS) PyPy ran slower than CPython. A residual
#: call costs ~150 ns and no chain. Below the bound (the integer benchmarks:
#: a few dozen hot blocks) inlining stays: faster there.
MEGAMORPHIC_TBS = 128
#: PyPy JIT parameters set when opaque dispatch starts (for the rest of the
#: process; "" leaves them). With ~1000 hot blocks most TB functions run fewer
#: times than the default function_threshold (1619) and stay in PyPy's
#: interpreter (~3x slower than CPython's on generated code); and a guard in a
#: TB's trace that fails goes to the blackhole interpreter 200 times before a
#: bridge is made (trace_eagerness)
MEGAMORPHIC_JIT_PARAMS = "function_threshold=300,trace_eagerness=50"
#: PyPy: the first this many translations run with the JIT off (no new trace
#: starts while emud translates; its parameters are then reset to PyPy's
#: defaults and MEGAMORPHIC_JIT_PARAMS once set). Tracing the translator's
#: passes in a short run cost more than it saved: rtos-mix's ~1,800
#: translations took 27% of a cold run with the JIT, 23% without. Later
#: translations (a long session) let the JIT have the translator. (Parameters
#: given to PyPy by the user, --jit, are reset with the defaults.)
QUIET_TRANSLATIONS = 4096
#: Loop regions on by default (TBEngine.loop_regions): measured faster on
#: CPython (sieve, dhry +20-30%), not on PyPy (docs/PERFORMANCE.md).
LOOP_REGIONS_DEFAULT = not PYPY
#: Tiering: a block runs through the IR interpreter (tier0.py) this many
#: times before it is compiled. Most blocks run only a few times in all (55%
#: of dhry's run 5 times or fewer) and compiling one costs ~1 ms, far more
#: than interpreting it that often. 0 compiles every block at once. (On PyPy
#: a front end may ask for another default: Frontend.pypy_tier_up.)
TIER_UP_CALLS = 32
#: an access with no hint of its own tries the window that serves the most
#: instructions and those serving at least 1/DEFAULT_WINDOW_SHARE of that
#: and DEFAULT_WINDOW_PCS (not a boot ROM's two loads)
DEFAULT_WINDOW_SHARE = 16
DEFAULT_WINDOW_PCS = 8
#: what an interpreted TB counts against the code cache, per IR op (its
#: footprint: the op list it keeps instead of generated source)
INTERPRETED_OP_BYTES = 32


#: bits of the code_pages map (``CP`` in generated code), one byte per RAM
#: chunk: a store to a chunk with either bit set leaves the inline path for
#: st_slow (which invalidates code and checks watchpoints)
CHUNK_HAS_CODE = 1
CHUNK_WATCHED = 2
#: dirty logging: not written since the log was last taken, so the first
#: store to the chunk leaves the inline path once and is logged (as KVM logs
#: dirty pages by write-protecting them)
CHUNK_CLEAN = 4
_MARK_CLEAN = bytes(b | CHUNK_CLEAN for b in range(256))
_CLEAR_CLEAN = bytes(b & ~CHUNK_CLEAN for b in range(256))
_CLEAR_WATCHED = bytes(b & ~CHUNK_WATCHED for b in range(256))


class RamMaps:
    """One RAM or ROM region the inline path serves, with its chunk maps
    (one byte per ``CHUNK_SHIFT`` chunk of the region, shared by every
    mapping of it, so that a store through an alias sees code and
    watchpoints too): ``cp`` (``CP<suffix>`` in generated code: CHUNK_* bits)
    and ``wl`` (``WL<suffix>``: 1 where a read watchpoint lies)."""
    __slots__ = ("region", "suffix", "cp", "wl", "windows", "writable")

    def __init__(self, region: RamRegion, suffix: str) -> None:
        self.region = region
        self.suffix = suffix
        self.cp = bytearray((region.size >> CHUNK_SHIFT) + 1)
        self.wl = bytearray(len(self.cp))
        self.windows: List[int] = []        # the guest bases it is served at
        self.writable = region.kind == "ram"


def _ram_windows(bus: AddressSpace) -> Tuple[List[RamMaps], List[Tuple[int, RamMaps]]]:
    """The regions of the inline RAM path and its windows, (base, maps): every
    mapping of a RAM or ROM region that is visible whole and starts on a
    chunk boundary. The largest RAM region comes first (the main RAM: its
    names in generated code carry no suffix), then by size, ROM last."""
    mappings = [(base, r) for base, r in bus.ram_regions() if r.kind in ("ram", "rom")]
    regions: List[RamMaps] = []
    by_id: Dict[int, RamMaps] = {}
    windows: List[Tuple[int, RamMaps]] = []
    for base, r in sorted(mappings, key=lambda br: (br[1].kind != "ram", -br[1].size, br[0])):
        hit = bus.find(base)
        if hit is None or hit[0] is not r or hit[1] != 0 or hit[2] < r.size or base & ((1 << CHUNK_SHIFT) - 1):
            continue
        maps = by_id.get(id(r))
        if maps is None:
            maps = by_id[id(r)] = RamMaps(r, "_%d" % len(regions) if regions else "")
            regions.append(maps)
        maps.windows.append(base)
        windows.append((base, maps))
    return regions, windows


class Watchpoint:
    """A debugger's watchpoint. As QEMU's RISC-V gdb stub does (its
    ``gdb_stop_before_watchpoint``), a hit stops the hart *before* the
    access: pc at the accessing instruction, nothing of it done, not counted
    as retired; gdb then steps over it, and a resume runs that instruction
    once unwatched (``cpu.skip_watch_at``). An AMO or SC is a read and a
    write at once (QEMU's atomic access checks both kinds)."""
    __slots__ = ("addr", "length", "kind", "guest")

    def __init__(self, addr: int, length: int, kind: str, guest: bool = False) -> None:
        self.addr, self.length, self.kind = addr, length, kind  # kind: "write" / "read" / "access"
        self.guest = guest      # a guest debug trigger's range (cpu.trigger_trap decides), not gdb's

    def hits(self, addr: int, size: int, reads: bool, writes: bool) -> bool:
        if not (writes if self.kind == "write" else reads if self.kind == "read" else True):
            return False
        return addr < self.addr + self.length and self.addr < addr + size

    @property
    def watches_loads(self) -> bool:
        return self.kind != "write"

    @property
    def watches_stores(self) -> bool:
        return self.kind != "read"


class ExecStats:
    def __init__(self) -> None:
        self.translations = 0       # TBs made: compiled (translation cache hits included) or interpreted
        self.interpreted = 0        # of which for the IR interpreter (tier 0)
        self.tier_ups = 0           # interpreted TBs that got hot and were compiled
        self.translate_seconds = 0.0
        self.dispatch_lookups = 0   # TB lookups done by the dispatcher (not by chained code)
        self.jump_cache_hits = 0
        self.tb_cache_hits = 0
        self.chain_links = 0        # exits patched to jump straight to their successor
        self.link_stub_calls = 0
        self.loop_regions = 0       # TBs replaced by a loop region
        # loop regions tried that did not close the loop (the plain TB stays)
        self.loop_region_misses = 0
        self.traps = 0
        self.interrupts = 0
        self.tb_execs = [0]         # counted only when count_execs is on (benchmarks)


def default_regions_after(frontend: Frontend) -> Optional[int]:
    """On PyPy, the front end's pypy_regions_after; None (never) elsewhere."""
    return frontend.pypy_regions_after if PYPY else None


def default_tier_up(frontend: Frontend) -> int:
    """TIER_UP_CALLS, or on PyPy the front end's own default if it has one."""
    if PYPY and frontend.pypy_tier_up is not None:
        return frontend.pypy_tier_up
    return TIER_UP_CALLS


class TBEngine:
    """The TCG accelerator's core. One per machine, shared by its harts."""

    def __init__(self, frontend: Frontend, bus: AddressSpace, log=None,
                 tb_size_bytes: int = DEFAULT_TB_SIZE_MIB << 20, count_execs: bool = False) -> None:
        self.frontend = frontend
        self.bus = bus
        self.log = log
        self.xlen = frontend.xlen
        self.mask = (1 << self.xlen) - 1
        self.chaining = True
        # several guest blocks per TB function (see region.py), compiled at
        # first sight; only with chaining. Off at first: measured slower on
        # crc32/matmul, faster on sieve/dhry (docs/PERFORMANCE.md); `python
        # -m emud.bench --regions`, -accel tcg,regions=on
        self.regions = False
        # compiled TBs after which the engine flushes its cache and goes on
        # with regions (None: never): on PyPy, past a few dozen hot blocks
        # dispatch goes opaque (MEGAMORPHIC_TBS) and every TB boundary costs
        # a residual call, which a region saves; below that PyPy's dispatcher
        # trace inlines plain TBs anyway and regions only cost translation
        self.regions_after: Optional[int] = default_regions_after(frontend)
        # only where it pays: a loop that spans several blocks becomes one
        # looping region once its back edge is hot (region.py). On CPython
        # only: PyPy's JIT measured no faster with them (docs/PERFORMANCE.md)
        self.loop_regions = LOOP_REGIONS_DEFAULT
        self.loop_region_threshold = LOOP_REGION_THRESHOLD   # back-edge takes before it
        self.tier_up_calls = default_tier_up(frontend)
        # compiled TBs made since the last flush, and the dispatcher's call
        # (None: plain calls; PyPy's residual_call past MEGAMORPHIC_TBS)
        self.compiled_tbs = 0
        self.megamorphic_tbs = MEGAMORPHIC_TBS
        # (pc, flags) -> (guest bytes, IRBuilder, insns): see _block_ir
        self.block_irs: Dict[Tuple[int, Any], Tuple[bytes, IRBuilder, List[Tuple[int, int]]]] = {}
        self.quiet_translations = QUIET_TRANSLATIONS if _set_jit_param is not None else 0
        # what PyPy's JIT is given after each quiet translation's reset (the
        # front end's pypy_jit_params, then MEGAMORPHIC_JIT_PARAMS once _made sets them)
        self.jit_params = frontend.pypy_jit_params if _set_jit_param is not None else ""
        self.opaque_call: Optional[Callable] = _opaque_call
        self.opaque_dispatch: Optional[Callable] = None
        # (pc, flags, span) whose loop region did not close the loop: not retried
        self.no_loop_region: Set[Tuple[int, Any, int]] = set()
        self.count_execs = count_execs
        self.stats = ExecStats()
        self.cache = TBCache(tb_size_bytes, self._unchain)
        # compiled code by what it was made from; survives invalidation and flushes
        self.translation_cache = TranslationCache()
        self.jump_caches: Dict[Any, Dict[int, Callable]] = {}
        self.capped: Dict[Tuple[int, Any, int], TranslationBlock] = {}
        # what translated code stops at: the debugger's breakpoints and the
        # guests' execute triggers; watched ranges: the debugger's, then the triggers'
        self.breakpoints: Set[int] = set()
        self.watchpoints: List[Watchpoint] = []
        self.gdb_breakpoints: Set[int] = set()
        self.gdb_watchpoints: List[Watchpoint] = []
        self.trigger_pcs: Dict[int, Set[int]] = {}              # hart -> execute triggers
        self.trigger_ranges: Dict[int, List[Watchpoint]] = {}   # hart -> load/store triggers
        self.watch_off = False       # running an instruction once past its watchpoint stop
        self.current_cpu = None
        self.on_tb_flush: List[Callable[[], None]] = []
        # callables(cpu, cause, epc or None, is_interrupt) for every trap taken
        self.trap_listeners: List[Callable[..., None]] = []

        # every RAM and ROM mapping gets an inline fast path (a window); an
        # access tries the windows its instruction was seen to use (hints)
        self.ram_maps, windows = _ram_windows(bus)
        self.windows: List[Tuple[int, int, RamMaps]] = [(b, m.region.size, m) for b, m in windows]
        self.window_spec = tuple((b, n, m.suffix, m.writable) for b, n, m in self.windows)
        by_base = sorted(range(len(self.windows)), key=lambda k: self.windows[k][0])
        self._win_starts = [self.windows[k][0] for k in by_base]
        self._win_ends = [self.windows[k][0] + self.windows[k][1] for k in by_base]
        self._win_bits = [1 << k for k in by_base]
        self._win_maps = [self.windows[k][2] for k in by_base]
        # guest pc -> bit k set when its accesses reached window k (seen by
        # ld_slow/st_slow: tier 0, or a compiled access that missed its windows)
        self.access_windows: Dict[int, int] = {}
        # what an access with no hint tries: the windows used by many
        # instructions (not a boot ROM's few loads); pcs seen per window
        # (before anything is seen: the main RAM)
        self.default_windows = 1 if self.windows and self.windows[0][2].writable else 0
        self.default_first = 0      # the bit of the window most pcs used (tried first)
        self._win_pcs = [0] * len(self.windows)
        # every guest base of each aliased RAM region (a region mapped more than once)
        self._alias_bases: Dict[int, List[int]] = {}
        bases_of: Dict[int, List[int]] = {}
        for b, r in bus.ram_regions():
            bases_of.setdefault(id(r), []).append(b)
        self._alias_bases = {k: sorted(v) for k, v in bases_of.items() if len(v) > 1}
        main = self.ram_maps[0] if self.ram_maps and self.ram_maps[0].writable else None
        ram = main.region if main is not None else None
        self.ram_base: Optional[int] = main.windows[0] if main is not None else None
        self.ram: Optional[RamRegion] = ram
        # the main RAM's chunk maps (each region has its own, RamMaps): one
        # byte per code chunk, CHUNK_HAS_CODE where translated code lies (the
        # inline store path checks it and leaves such stores to st_slow) ...
        self.code_pages = main.cp if main is not None else bytearray(1)
        # ... and for loads, used only by code translated while a read or
        # access watchpoint exists: 1 where one watches
        self.watched_loads = main.wl if main is not None else bytearray(1)
        self.cache.chunk_listeners.append(self._chunk_changed)
        bus.ram_write_listeners.append(self._ram_written)
        # the chunk numbers (address >> CHUNK_SHIFT, any RAM, every address a
        # written byte is mapped at) written since take_dirty_chunks(), or
        # None while dirty logging is off
        self.dirty_chunks: Optional[Set[int]] = None
        self.runtime: Dict[str, Any] = {
            "ld_slow": self.ld_slow, "st_slow": self.st_slow, "CP": self.code_pages, "WL": self.watched_loads,
            "CHUNK_SHIFT": CHUNK_SHIFT,
            "LOG_EXEC": self._log_exec, "STATS": self.stats.tb_execs,
        }
        for maps in self.ram_maps:
            self.runtime.update(ram_views(maps.region.data, maps.suffix))
            self.runtime["CP" + maps.suffix] = maps.cp
            self.runtime["WL" + maps.suffix] = maps.wl
        self.helpers: Dict[str, Callable] = dict(frontend.helpers)
        self.helpers["debug_stop"] = self._debug_stop

    # -- configuration -------------------------------------------------------------
    def _codegen_config(self, flags: Any = None) -> CodegenConfig:
        log = self.log
        # under memory protection every load and store takes the slow path,
        # where the cpu's data_guard checks it
        checked = flags is not None and self.frontend.checks_memory(flags)
        return CodegenConfig(
            self.xlen, windows=self.window_spec, fast_memory=not checked,
            chaining=self.chaining, watch_loads=any(w.watches_loads for w in self.watchpoints),
            count_execs=self.count_execs, log_exec=bool(log and log.enabled("exec")))

    def set_chaining(self, on: bool) -> None:
        if on != self.chaining:
            self.chaining = on
            self.flush()

    def set_breakpoints(self, pcs: Set[int]) -> None:
        self.gdb_breakpoints = set(pcs)
        self._update_breakpoints()

    def set_watchpoints(self, wps: Sequence[Watchpoint]) -> None:
        self.gdb_watchpoints = list(wps)
        self._update_watchpoints()

    def _sync_triggers(self, cpu) -> None:
        """The hart's debug triggers changed (a CSR write, a reset, loadvm)."""
        cpu.triggers_changed = False
        pcs, ranges = cpu.armed_triggers()
        if pcs != self.trigger_pcs.get(cpu.hart_id, set()):
            self.trigger_pcs[cpu.hart_id] = set(pcs)
            self._update_breakpoints()
        wps = [Watchpoint(a, n, k, guest=True) for a, n, k in ranges]
        if [(w.addr, w.length, w.kind) for w in wps] != \
                [(w.addr, w.length, w.kind) for w in self.trigger_ranges.get(cpu.hart_id, [])]:
            self.trigger_ranges[cpu.hart_id] = wps
            self._update_watchpoints()

    def _update_breakpoints(self) -> None:
        pcs = set(self.gdb_breakpoints)
        for more in self.trigger_pcs.values():
            pcs |= more
        changed = pcs ^ self.breakpoints
        self.breakpoints = pcs
        if changed:
            self.block_irs.clear()      # a breakpoint ends the block it is in
        for pc in changed:
            self.invalidate(pc, 1)

    def _update_watchpoints(self) -> None:
        """Watched RAM chunks take the slow path, where a hit stops the hart
        at the access; every other access keeps the inline path. Only loads
        need other code (a check of WL), and only while something watches reads."""
        loads_before = any(w.watches_loads for w in self.watchpoints)
        self.watchpoints = list(self.gdb_watchpoints)
        for more in self.trigger_ranges.values():
            self.watchpoints += more
        for maps in self.ram_maps:
            maps.cp[:] = maps.cp.translate(_CLEAR_WATCHED)
            maps.wl[:] = bytes(len(maps.wl))
        for w in self.watchpoints:
            for maps, idx in self._ram_chunks(w.addr, w.length):
                if w.watches_stores:
                    maps.cp[idx] |= CHUNK_WATCHED
                if w.watches_loads:
                    maps.wl[idx] = 1
        if loads_before != any(w.watches_loads for w in self.watchpoints):
            self.flush()

    def _ram_chunks(self, addr: int, length: int) -> List[Tuple[RamMaps, int]]:
        """(region maps, chunk index) of every window chunk [addr, addr + length) touches."""
        out: List[Tuple[RamMaps, int]] = []
        if length <= 0:
            return out
        for base, size, maps in self.windows:
            lo = max(addr, base) - base
            hi = min(addr + length, base + size) - base
            if lo < hi:
                out += [(maps, i) for i in range(lo >> CHUNK_SHIFT, ((hi - 1) >> CHUNK_SHIFT) + 1)]
        return out

    def _window_at(self, addr: int) -> int:
        """The index (into the base-ordered tables) of the window holding ``addr``, or -1."""
        i = bisect_right(self._win_starts, addr) - 1
        return i if i >= 0 and addr < self._win_ends[i] else -1

    def _hint(self, pc: int, i: int) -> bool:
        """An access of the instruction at ``pc`` reached window ``i`` (of the
        base-ordered tables) for the first time, through the slow path:
        remember it. True when compiled code at ``pc`` does not try that
        window: the caller then invalidates it (once per window and pc), to be
        translated again with it."""
        bit = self._win_bits[i]
        self.access_windows[pc] = self.access_windows.get(pc, 0) | bit
        pcs = self._win_pcs
        pcs[i] += 1
        top = max(pcs)
        # tried first: the window most pcs used; between equals one holding no
        # translated code (a code region's own data is mostly constants, reached
        # at fixed addresses without a window check)
        # (the scan of a window's chunk map only to break a tie: it is a whole
        # map for a window without code, and this runs for every new pc)
        busiest = [k for k, n in enumerate(pcs) if n == top]
        if len(busiest) > 1:
            busiest.sort(key=lambda k: any(self._win_maps[k].cp))
        self.default_first = self._win_bits[busiest[0]]
        self.default_windows = sum(b for b, n in zip(self._win_bits, pcs)
                                   if n == top or (n * DEFAULT_WINDOW_SHARE >= top and n >= DEFAULT_WINDOW_PCS))
        for tb in self.cache.by_page.get(pc >> PAGE_SHIFT, ()):
            tried = tb.windows.get(pc) if tb.windows is not None else None
            if tried is not None and not tried & bit and tb.overlaps(pc, pc + 1):
                return True
        return False

    def _aliases(self, addr: int) -> List[int]:
        """``addr`` and every other address its byte is mapped at (a RAM mirror)."""
        if self._alias_bases:
            hit = self.bus.find(addr)
            if hit is not None:
                bases = self._alias_bases.get(id(hit[0]))
                if bases is not None:
                    return [b + hit[1] for b in bases]
        return [addr]

    # -- code cache maintenance --------------------------------------------------------
    def flush(self) -> None:
        self.cache.flush()
        self.block_irs.clear()
        self.capped.clear()
        self.no_loop_region.clear()
        self.compiled_tbs = 0
        self.opaque_dispatch = None
        for jc in self.jump_caches.values():
            jc.clear()
        for cb in self.on_tb_flush:
            cb()

    def invalidate(self, addr: int, length: int) -> int:
        gone = self.cache.invalidate_range(addr, addr + max(1, length))
        if self.capped and gone:
            self.capped = {k: t for k, t in self.capped.items() if not t.overlaps(addr, addr + max(1, length))}
        if self.no_loop_region and gone:
            end = addr + max(1, length)
            self.no_loop_region = {k for k in self.no_loop_region if not (k[0] < end and addr < k[0] + k[2])}
        for tb in gone:
            jc = self.jump_caches.get(tb.flags)
            if jc is not None and jc.get(tb.pc) is tb.fn:
                del jc[tb.pc]
        return len(gone)

    def _unchain(self, pred: TranslationBlock, slot: int) -> None:
        pred.namespace["C%d" % slot] = self._link_stub(pred, slot)

    def _chunk_changed(self, chunk: int, has_code: bool) -> None:
        addr = chunk << CHUNK_SHIFT
        i = self._window_at(addr)
        if i < 0:
            return
        maps = self._win_maps[i]
        off = addr - self._win_starts[i]
        if not has_code:
            # code at another mapping of the same bytes keeps the mark
            chunks = self.cache.chunks
            has_code = any((b + off) >> CHUNK_SHIFT in chunks for b in maps.windows)
        idx = off >> CHUNK_SHIFT
        cp = maps.cp
        cp[idx] = (cp[idx] & ~CHUNK_HAS_CODE) | (CHUNK_HAS_CODE if has_code else 0)

    # -- dirty logging (time travel's incremental checkpoints) ---------------------
    def start_dirty_log(self) -> None:
        """Log every RAM chunk written from now on, whoever writes it (the
        guest inline or through a device, a debugger, a loader). A chunk of
        a region mapped more than once is logged at each of its addresses."""
        self.dirty_chunks = set()
        for maps in self.ram_maps:
            maps.cp[:] = maps.cp.translate(_MARK_CLEAN)

    def take_dirty_chunks(self) -> Set[int]:
        """The chunks written since the log started or was last taken; the
        log starts afresh."""
        if self.dirty_chunks is None:
            raise RuntimeError("dirty logging is off")
        taken, self.dirty_chunks = self.dirty_chunks, set()
        # only a logged write clears a chunk's CHUNK_CLEAN bit: re-protect
        # those (rewriting every map costs ~10 ms per take on PyPy with 128 MiB)
        size = 1 << CHUNK_SHIFT
        for chunk in taken:
            for maps, idx in self._ram_chunks(chunk << CHUNK_SHIFT, size):
                maps.cp[idx] |= CHUNK_CLEAN
        return taken

    def stop_dirty_log(self) -> None:
        self.dirty_chunks = None
        for maps in self.ram_maps:
            maps.cp[:] = maps.cp.translate(_CLEAR_CLEAN)

    def _log_dirty(self, addr: int, size: int) -> None:
        first, last = addr >> CHUNK_SHIFT, (addr + max(1, size) - 1) >> CHUNK_SHIFT
        self.dirty_chunks.update(range(first, last + 1))
        for maps, idx in self._ram_chunks(addr, max(1, size)):
            maps.cp[idx] &= ~CHUNK_CLEAN

    def _ram_written(self, addr: int, size: int) -> None:
        """A RAM write that did not take the inline path: log it when dirty
        logging, drop code it overwrote (at every address its bytes are mapped at)."""
        for at in (self._aliases(addr) if self._alias_bases else (addr,)):
            if self.dirty_chunks is not None:
                self._log_dirty(at, size)
            # (a capped TB's code is always part of a cached TB's: see _capped)
            if self.cache.range_has_code(at, at + max(1, size)):
                if self.invalidate(at, size) and self.current_cpu is not None:
                    self.current_cpu.exit_request = True

    # -- translation -------------------------------------------------------------------
    def _fetch(self, addr: int, size: int) -> int:
        hit = self.bus.find(addr)
        if hit is None or not isinstance(hit[0], RamRegion) or hit[2] < size:
            # code runs from RAM and ROM only; anything else is a fetch fault
            if hit is not None and isinstance(hit[0], RamRegion) and hit[2] < size:
                nxt = self.bus.find(addr + hit[2])
                if nxt is not None and isinstance(nxt[0], RamRegion):
                    return self.bus.read(addr, size)
            raise TranslationFault(addr)
        region, offset, _ = hit
        return int.from_bytes(region.data[offset:offset + size], "little")

    def _fetch_under(self, flags: Any) -> Callable[[int, int], int]:
        """The fetch for translating under ``flags`` (memory protection may deny it)."""
        return guarded_fetch(self._fetch, self.frontend.fetch_allowed(flags))

    def _code_bytes(self, start: int, length: int) -> Optional[bytes]:
        hit = self.bus.find(start)
        if hit is not None and isinstance(hit[0], RamRegion) and hit[2] >= length:
            return bytes(hit[0].data[hit[1]:hit[1] + length])
        try:
            return bytes(self.bus.read_bytes(start, length))
        except BusError:
            return None

    def _breakpoints_in(self, lo: int, hi: int) -> Tuple[int, ...]:
        bps = self.breakpoints
        if not bps:
            return ()
        return tuple(sorted(p for p in bps if lo <= p <= hi))

    def _still_matches(self, entry: CachedTranslation) -> bool:
        """A cached translation is what translating now would give: same
        breakpoints around it, same guest bytes."""
        if entry.bps != self._breakpoints_in(entry.bp_lo, entry.bp_hi):
            return False
        seen = self.access_windows
        for pc, tried in entry.code.windows.items():
            if seen.get(pc, 0) & ~tried:
                return False        # an access there reached a window that code does not try
        for start, blob in entry.spans:
            hit = self.bus.find(start)
            if hit is not None and isinstance(hit[0], RamRegion) and hit[2] >= len(blob):
                if hit[0].data[hit[1]:hit[1] + len(blob)] != blob:
                    return False
            elif self._code_bytes(start, len(blob)) != blob:
                return False
        return True

    def _logs_translation(self) -> bool:
        log = self.log
        return log is not None and any(log.enabled(k) for k in ("in_asm", "op", "op_opt", "out_asm"))

    def translate(self, pc: int, flags, max_insns: int = MAX_TB_INSNS, ignore_bp: bool = False,
                  cache: bool = True, loop_window: int = 0, compile_now: bool = False) -> Optional[TranslationBlock]:
        """The TB at ``pc``: interpreted at first (tier 0, see TIER_UP_CALLS)
        unless ``compile_now``. With ``loop_window`` (bytes): the region whose
        blocks start within that window, or None unless one of its paths
        branches back to ``pc`` (a loop region, see region.py)."""
        try:
            if self.stats.translations >= self.quiet_translations:
                return self._translate(pc, flags, max_insns, ignore_bp, cache, loop_window, compile_now)
            _set_jit_param("off")
            try:
                return self._translate(pc, flags, max_insns, ignore_bp, cache, loop_window, compile_now)
            finally:
                _set_jit_param("default")
                if self.jit_params:
                    _set_jit_param(self.jit_params)
        except TranslationFault as fault:
            # code outside RAM and ROM: a CPU with an io_fetch runs it as QEMU does
            io_fetch = getattr(self.current_cpu, "io_fetch", None)
            if io_fetch is None or fault.pc != pc or loop_window:
                raise
            return self._io_block(pc, flags, ignore_bp, io_fetch)

    def _io_block(self, pc: int, flags, ignore_bp: bool, io_fetch: Callable[[int, int], int]) -> TranslationBlock:
        """QEMU's one-shot TB for code outside RAM and ROM (tb_gen_code without a
        physical page): one instruction fetched through the CPU's ``io_fetch`` (a
        device's read), interpreted, never cached or chained, since a device's
        bytes may change under it: each run fetches anew, and the translation
        logs show each (as QEMU logs each of its one-shot TBs), with the bytes
        that fetch read: reading the device again could have side effects."""
        fetch = guarded_fetch(io_fetch, self.frontend.fetch_allowed(flags))
        if not self._logs_translation():
            return self._interpreted(pc, flags, 1, ignore_bp, False, self._codegen_config(flags),
                                     time.perf_counter(), fetch)
        fetched: Dict[int, int] = {}      # address -> the byte the fetch read

        def recording_fetch(addr: int, size: int) -> int:
            value = fetch(addr, size)
            for i in range(size):
                fetched[addr + i] = (value >> (8 * i)) & 0xFF
            return value

        def fetched_bytes(addr: int, n: int) -> bytes:
            return bytes(fetched.get(addr + i, 0) for i in range(n))
        return self._interpreted(pc, flags, 1, ignore_bp, False, self._codegen_config(flags), time.perf_counter(),
                                 recording_fetch, fetched_bytes)

    def _translate(self, pc: int, flags, max_insns: int, ignore_bp: bool, cache: bool, loop_window: int,
                   compile_now: bool) -> Optional[TranslationBlock]:
        t0 = time.perf_counter()
        cfg = self._codegen_config(flags)
        if ignore_bp:
            # the one-off TB that resumes from a breakpoint or a watchpoint runs
            # its instruction once: unchained, so that a branch to itself (a
            # handler's `b .`) does not loop in place past what it ignores
            cfg.chaining = False
        regions = bool((self.regions or loop_window) and cfg.chaining and not cfg.log_exec
                       and max_insns >= MAX_TB_INSNS)
        if loop_window and not regions:
            return None
        window = (loop_window or REGION_WINDOW) if regions else 0
        # (a loop region stays within its loop's span, after its head)
        back = REGION_BACK_WINDOW if regions and not loop_window else 0
        key = (pc, flags, max_insns, ignore_bp, window, cfg.key())
        logging = self._logs_translation()
        entry = None if logging else self.translation_cache.find(key, self._still_matches)
        if entry is None and not (compile_now or regions or logging) and self.tier_up_calls > 0:
            # compiled code already at hand is cheap to reuse; anything else waits until hot
            return self._interpreted(pc, flags, max_insns, ignore_bp, cache, cfg, t0)
        if entry is None:
            depth = None
            max_path = None
            blocks = 1
            if regions:
                region = translate_region(self.frontend, self._fetch_under(flags), pc, flags, self.breakpoints, window,
                                          back=back, block_ir=self._block_ir(flags))
                if loop_window and not region.closes_loop:
                    self.stats.translate_seconds += time.perf_counter() - t0
                    return None
                ops, insns, depth, max_path, blocks = (region.ops, region.insns, region.depth,
                                                       region.max_path, region.blocks)
            else:
                builder, insns = translate_block(self.frontend, self._fetch_under(flags), pc, flags, max_insns,
                                                 self.breakpoints, ignore_bp_at_start=ignore_bp)
                ops = builder.ops
            opt = optimize(ops) if logging or self.optimizes_ir() else ops
            code = build_tb_code(opt, pc, insns, cfg, depth=depth, hints=self.access_windows,
                                 default_mask=self.default_windows, default_first=self.default_first)
            end = block_end(pc, insns)
            # the breakpoints that shaped it: inside it, at its end (it stopped
            # there), and for a region everywhere it may have looked
            bp_hi = max(end, pc + window + 4 * MAX_TB_INSNS) if regions else end
            bp_lo = max(0, pc - back)
            spans = [(start, self._code_bytes(start, n)) for start, n in code_spans(insns)]
            entry = CachedTranslation(code, insns, depth, max_path, blocks, end, spans,
                                      self._breakpoints_in(bp_lo, bp_hi), bp_lo, bp_hi)
            if all(blob is not None for _, blob in spans):
                self.translation_cache.add(key, entry)
            if logging:
                self._log_translation(pc, insns, code.source, ops, opt)
        jc = self.jump_caches.setdefault(flags, {})
        if entry.bound is not None and not entry.bound[1].valid and entry.bound[0].namespace["JC"] is jc:
            # the same function again, its chain slots reset below (see CachedTranslation.bound)
            compiled = entry.bound[0]
        else:
            runtime = dict(self.runtime)
            runtime["JC"] = jc
            compiled = bind_tb(entry.code, runtime, self.helpers)
        tb = TranslationBlock(pc, flags, entry.end, entry.insns, compiled.fn, compiled.namespace, compiled.source,
                              exits=compiled.exits, max_path=entry.max_path, blocks=entry.blocks,
                              windows=entry.code.windows)
        entry.bound = (compiled, tb)
        for slot in range(len(tb.exits)):
            tb.namespace["C%d" % slot] = self._link_stub(tb, slot)
        return self._made(tb, cache, t0)

    def _block_ir(self, flags) -> Callable[[int], Tuple[IRBuilder, List[Tuple[int, int]]]]:
        """``translate_block`` for the region front end, remembered across
        regions: regions overlap, so most of a region's blocks were already
        translated for another one (rtos-mix's first run on PyPy: 3,172
        block translations for 518 regions, 1,068 with this; the region
        front end 0.39 -> 0.26 s). A remembered block is reused only while
        its guest bytes are unchanged (the region only reads its ops);
        breakpoint changes and flushes forget them all."""
        memo = self.block_irs
        fetch = self._fetch_under(flags)

        def block_ir(p: int) -> Tuple[IRBuilder, List[Tuple[int, int]]]:
            hit = memo.get((p, flags))
            if hit is not None and self._code_bytes(p, len(hit[0])) == hit[0]:
                return hit[1], hit[2]
            builder, insns = translate_block(self.frontend, fetch, p, flags, MAX_TB_INSNS, self.breakpoints)
            if insns:
                blob = self._code_bytes(p, block_end(p, insns) - p)
                if blob is not None:
                    memo[(p, flags)] = (blob, builder, insns)
            return builder, insns
        return block_ir

    def optimizes_ir(self) -> bool:
        """Whether the IR optimizer runs before code generation: not on PyPy
        when every block is compiled at first sight (tier-up 0, Cortex-M's
        default there; regions, RISC-V's once a program is big). PyPy's JIT
        folds constants, propagates copies and drops dead code in the traces
        of whatever gets hot; our pass, run in PyPy's interpreter (the JIT is
        off while emud translates), was a quarter of each block's translation
        and changed the generated source by about 2%: the Cortex-M workloads
        ran 5-10% faster cold without it.
        Code that tiered up (proved hot) is still optimized; and while a
        translation log (``-d op_opt``...) is on, _translate optimizes every
        block whatever this says, so that what the log prints is what runs."""
        return not (PYPY and (self.tier_up_calls == 0 or self.regions))

    def _interpreted(self, pc: int, flags, max_insns: int, ignore_bp: bool, cache: bool,
                     cfg: CodegenConfig, t0: float, fetch: Optional[Callable] = None,
                     logged_code: Optional[Callable[[int, int], bytes]] = None) -> TranslationBlock:
        """A tier-0 TB: the block's IR run by the interpreter, compiled once
        it has run ``tier_up_calls`` times (a cached TB in the TB cache, a
        capped one in ``capped``; the one-off TB that resumes from a
        breakpoint stays interpreted). ``logged_code(addr, n)``: log the
        block's translation, its instructions' bytes as that gives them."""
        builder, insns = translate_block(self.frontend, fetch or self._fetch_under(flags), pc, flags, max_insns,
                                         self.breakpoints, ignore_bp_at_start=ignore_bp)
        ops = builder.ops
        if logged_code is not None:
            self._log_translation(pc, insns, None, ops, ops, code=logged_code)
        block = decode_ops(ops, self.ld_slow, self.st_slow, self.helpers, cfg.signed64)
        end = block_end(pc, insns)
        tb = TranslationBlock(pc, flags, end, insns, None, {}, "", interpreted=True,
                              size_bytes=len(ops) * INTERPRETED_OP_BYTES)
        opaque = _opaque_call
        log_exec = self._log_exec if cfg.log_exec else None
        execs = self.stats.tb_execs if cfg.count_execs else None
        calls_left = [0 if ignore_bp else self.tier_up_calls]

        def run(cpu):
            if log_exec is not None:
                log_exec(cpu, pc)
            if execs is not None:
                execs[0] += 1
            if opaque is not None:
                opaque(block, cpu)
            else:
                block(cpu)
            if calls_left[0]:
                calls_left[0] -= 1
                if not calls_left[0] and tb.valid:
                    self._tier_up(tb, max_insns)
            return None
        tb.fn = run
        self.stats.interpreted += 1
        return self._made(tb, cache, t0)

    def _made(self, tb: TranslationBlock, cache: bool, t0: float) -> TranslationBlock:
        """Count a new TB (made since ``t0``) and put it in the TB cache, or
        mark it as kept apart (a capped or one-off TB)."""
        self.stats.translations += 1
        self.stats.translate_seconds += time.perf_counter() - t0
        if not tb.interpreted:
            self.compiled_tbs += 1
            if not self.regions and self.regions_after is not None and self.compiled_tbs >= self.regions_after:
                # start over with regions: plain TBs beside them would be
                # code translated, and traced by PyPy, twice
                self.regions = True
                self.flush()
                cache = False           # (this one runs once, then its region replaces it)
            if self.compiled_tbs >= self.megamorphic_tbs and self.opaque_dispatch is None:
                self.opaque_dispatch = self.opaque_call
                if self.opaque_call is _opaque_call is not None and _set_jit_param is not None \
                        and MEGAMORPHIC_JIT_PARAMS:
                    self.jit_params = MEGAMORPHIC_JIT_PARAMS
                    _set_jit_param(MEGAMORPHIC_JIT_PARAMS)
        if cache:
            self._insert(tb)
        else:
            tb.cached = False
        return tb

    def _tier_up(self, tb: TranslationBlock, max_insns: int) -> None:
        """Compile a hot interpreted TB; it replaces the interpreted one."""
        self.stats.tier_ups += 1
        if tb.cached:
            self.translate(tb.pc, tb.flags, compile_now=True)
            return
        key = (tb.pc, tb.flags, max_insns)
        if self.capped.get(key) is tb:
            self.capped[key] = self.translate(tb.pc, tb.flags, max_insns, cache=False, compile_now=True)

    def _insert(self, tb: TranslationBlock) -> None:
        if self.cache.is_full(tb.size_bytes):
            self.flush()
        self.cache.insert(tb)
        self.jump_caches.setdefault(tb.flags, {})[tb.pc] = tb.fn

    def _capped(self, tb: TranslationBlock, max_insns: int) -> TranslationBlock:
        """A shorter copy of ``tb`` for the last few instructions of an exact
        budget (single steps, `step N`, icount deadlines). Kept apart from
        the main cache and dropped whenever code is invalidated."""
        # a power of two: few distinct short copies per pc, each reused by
        # every budget that needs it (the loop runs the remainder after it)
        max_insns = 1 << (max_insns.bit_length() - 1)
        key = (tb.pc, tb.flags, max_insns)
        short = self.capped.get(key)
        if short is None or not short.valid:
            short = self.translate(tb.pc, tb.flags, max_insns, cache=False)
            if len(self.capped) > 4096:
                self.capped.clear()
            self.capped[key] = short
        return short

    def _link_stub(self, tb: TranslationBlock, slot: int) -> Callable:
        target = tb.exits[slot]
        # a branch back over a short span (the latch of a loop of several
        # blocks): counted while unlinked, then its target may become a loop region
        span = tb.end - target if target < tb.pc else 0
        countdown = [max(1, self.loop_region_threshold) if 0 < span <= LOOP_REGION_SPAN else 0]

        def link(cpu):
            # first time this exit is taken: find the successor, patch the exit
            # (chained exits do not store pc: the slot knows its target)
            self.stats.link_stub_calls += 1
            cpu.pc = target
            succ = self.find(cpu)
            if succ is None:
                return None
            if countdown[0] and self.loop_regions and succ.blocks == 1 and not self.regions:
                countdown[0] -= 1
                if countdown[0]:
                    return succ.fn
                succ = self._loop_region(succ, span)
            if self.chaining and tb.valid and succ.valid and succ.cached and not succ.interpreted:
                tb.namespace["C%d" % slot] = succ.fn
                succ.incoming.append((tb, slot))
                self.stats.chain_links += 1
            return succ.fn
        return link

    def _loop_region(self, tb: TranslationBlock, span: int) -> TranslationBlock:
        """``tb`` retranslated as a region looping in place over the next
        ``span`` bytes, replacing it in the cache; ``tb`` if that region would
        not close the loop."""
        key = (tb.pc, tb.flags, span)
        if key in self.no_loop_region or not tb.valid:
            return tb
        # blocks that start before the latch ends: the loop's body, not what follows it
        region = self.translate(tb.pc, tb.flags, loop_window=span - 1)
        if region is None:
            self.stats.loop_region_misses += 1
            self.no_loop_region.add(key)
            return tb
        self.stats.loop_regions += 1
        return region

    def find(self, cpu) -> Optional[TranslationBlock]:
        """The TB for the cpu's pc and flags, translating it if needed."""
        pc = cpu.pc
        flags = cpu.tb_flags()
        tb = self.cache.lookup(pc, flags)
        if tb is None:
            # PyPy: a residual call, so that a trace of the dispatcher does
            # not go on recording the translator (too long a trace, abandoned)
            tb = self.translate(pc, flags) if _opaque_call is None else _opaque_call(self.translate, pc, flags)
        else:
            self.stats.tb_cache_hits += 1
        return tb

    # -- execution -------------------------------------------------------------------------
    def execute(self, cpu, budget: int, single_step: bool = False, allow_irq: bool = True,
                exact: bool = True) -> str:
        """Run ``budget`` instructions; not ``exact``, the last TB runs whole
        (up to MAX_TB_INSNS - 1 more). Returns why it stopped:
        "budget", "halted" (WFI), "exit" (cpu.exit_request left set for the
        machine: a stop, a shutdown), "debug" (breakpoint; cpu.pc at it),
        "trap" (single_step only: a trap was taken)."""
        self.current_cpu = cpu
        cpu.begin_quantum(budget)
        stats = self.stats
        reason = "budget"
        skip_bp = getattr(cpu, "skip_breakpoint_at", None)
        skip_watch = getattr(cpu, "skip_watch_at", None)
        if cpu.triggers_changed:
            self._sync_triggers(cpu)
        try:
            while cpu.budget > 0:
                if cpu.exit_request:
                    cpu.exit_request = False
                    if cpu.tail_chain:
                        self._tail_chained(cpu)
                    if cpu.triggers_changed:
                        self._sync_triggers(cpu)
                    if cpu.stop_request:
                        reason = "exit"
                        break
                if allow_irq:
                    cause = cpu.take_interrupt()
                    if cause is not None:
                        stats.interrupts += 1
                        self._log_int(cpu, "interrupt", cause)
                        if single_step:
                            reason = "trap"
                            break
                        continue
                if cpu.halted:
                    reason = "halted"
                    break
                try:
                    pc = cpu.pc
                    unwatched = skip_watch is not None and pc == skip_watch
                    if skip_watch is not None:
                        # (only where the stop left it: an interrupt first makes it a new access)
                        skip_watch = cpu.skip_watch_at = None
                    if unwatched or (skip_bp is not None and pc == skip_bp):
                        # resuming from a breakpoint or a watchpoint stop: run its instruction once
                        # (unless a guest execute trigger fires there: the debugger's stop came first)
                        skip_bp = cpu.skip_breakpoint_at = None
                        if any(pc in pcs for pcs in self.trigger_pcs.values()):
                            trap = cpu.trigger_trap("exec", pc)
                            if trap is not None:
                                raise trap
                        fn = self.translate(pc, cpu.tb_flags(), 1, ignore_bp=True, cache=False).fn
                        if unwatched:
                            self.watch_off = True
                            try:
                                fn = fn(cpu)
                            finally:
                                self.watch_off = False
                    elif exact and cpu.budget < MAX_TB_INSNS:
                        tb = self.find(cpu)
                        if tb.max_path > cpu.budget:
                            tb = self._capped(tb, cpu.budget)
                        fn = tb.fn
                    else:
                        stats.dispatch_lookups += 1
                        fn = self.jump_caches.get(cpu.tb_flags(), {}).get(pc)
                        if fn is not None:
                            stats.jump_cache_hits += 1
                        else:
                            fn = self.find(cpu).fn
                    opaque = self.opaque_dispatch
                    if opaque is None:
                        while fn is not None:
                            fn = fn(cpu)
                    else:
                        while fn is not None:
                            fn = opaque(fn, cpu)
                except GuestTrap as trap:
                    stats.traps += 1
                    if trap.charged:
                        cpu.charged += 1
                        if cpu.ends_quantum_on_charge:
                            # icount time moved without the budget: the next
                            # quantum recomputes what is left to the deadline
                            cpu.exit_request = cpu.stop_request = True
                    cpu.do_exception(trap)
                    self._log_int(cpu, "exception", trap.cause, trap)
                    if single_step:
                        reason = "trap"
                        break
                except TranslationFault as fault:
                    trap = cpu.fetch_fault(fault.pc)
                    stats.traps += 1
                    cpu.do_exception(trap)
                    self._log_int(cpu, "exception", trap.cause, trap)
                    if single_step:
                        reason = "trap"
                        break
                except ExitRequest:
                    pass
                except _NoStop as miss:
                    # an execute trigger of another privilege or another hart: run it once
                    skip_bp = miss.pc
                except DebugStop as stop:
                    cpu.pc = stop.pc
                    reason = "debug"
                    break
            if reason == "budget" and cpu.exit_request and cpu.stop_request:
                reason = "exit"
            if cpu.tail_chain:
                # an exception return that went straight into a pending exception's
                # handler: a step stops there, as a step into an interrupt does
                self._tail_chained(cpu)
                if single_step and reason == "budget":
                    reason = "trap"
        finally:
            cpu.end_quantum()
            self.current_cpu = None
        return reason

    # -- slow paths called from generated code ----------------------------------------------------
    def ld_slow(self, cpu, addr: int, size: int, signed: bool, kind: str, pc: int) -> int:
        addr &= self.mask
        starts = self._win_starts
        if starts:
            i = bisect_right(starts, addr) - 1
            if i >= 0 and addr < self._win_ends[i] and not self.access_windows.get(pc, 0) & self._win_bits[i] \
                    and self._hint(pc, i):
                # (the running code goes on: it is only slower than the next)
                self.invalidate(pc, 1)
        guard = cpu.data_guard
        if guard is not None:
            guard(cpu, addr, size, kind, pc)
        if self.watchpoints:
            self._check_watch(cpu, addr, size, kind, pc)
        try:
            value = self.bus.read(addr, size)
        except BusError:
            trap = cpu.mem_fault(kind, addr, pc, False)
            if trap is not None:
                raise trap from None
            value = 0                   # the board ignores transaction failures
        if signed and value >> (8 * size - 1):
            value = (value - (1 << (8 * size))) & self.mask
        return value

    def st_slow(self, cpu, addr: int, value: int, size: int, kind: str, pc: int) -> None:
        addr &= self.mask
        starts = self._win_starts
        stale = False
        if starts:
            i = bisect_right(starts, addr) - 1
            stale = i >= 0 and addr < self._win_ends[i] and not self.access_windows.get(pc, 0) & self._win_bits[i] \
                and self._hint(pc, i)
        try:
            guard = cpu.data_guard
            if guard is not None:
                guard(cpu, addr, size, kind, pc)
            if self.watchpoints:
                self._check_watch(cpu, addr, size, kind, pc)
            try:
                self.bus.write(addr, size, value & ((1 << (8 * size)) - 1))
            except BusError:
                trap = cpu.mem_fault(kind, addr, pc, False)
                if trap is not None:
                    raise trap from None
        finally:
            if stale:
                # after the write, whose check for overwritten code must still see this TB
                self.invalidate(pc, 1)
        if cpu.exit_request:
            raise ExitRequest(pc)

    def _check_watch(self, cpu, addr: int, size: int, kind: str, pc: int) -> None:
        """Stop before the access of the instruction at ``pc`` if a watchpoint
        covers it (the execution loop reports a "debug" stop, cpu.watch_hit says why)."""
        reads = kind != "store"
        writes = kind != "load"      # an AMO reads and writes
        for wp in self.watchpoints:
            if not wp.hits(addr, size, reads, writes):
                continue
            if not wp.guest:
                if self.watch_off:
                    continue
                cpu.watch_hit = (wp.kind, wp.addr, addr)
                raise DebugStop(pc)
            trap = cpu.trigger_trap(kind, pc, addr, size)
            if trap is not None:
                raise trap
            return           # (the debugger's come first in the list)

    def _debug_stop(self, cpu, pc: int) -> None:
        """Translated code reached a pc it must stop at: the debugger's
        breakpoint (which wins, as in QEMU), or a guest execute trigger."""
        if pc in self.gdb_breakpoints:
            raise DebugStop(pc)
        trap = cpu.trigger_trap("exec", pc)
        if trap is not None:
            raise trap
        raise _NoStop(pc)

    # -- logging ---------------------------------------------------------------------------------
    def _log_exec(self, cpu, pc: int) -> None:
        self.log.write("Trace %d: [%016x]\n" % (cpu.hart_id, pc))

    def _tail_chained(self, cpu) -> None:
        cause, cpu.tail_chain = cpu.tail_chain, 0
        self.stats.interrupts += 1
        self._log_int(cpu, "interrupt", cause)

    def _log_int(self, cpu, what: str, cause: int, trap: Optional[GuestTrap] = None) -> None:
        """Every trap and interrupt taken comes through here (after the trap
        entry, so cpu.pc is the handler): -d int, and the machine's hooks."""
        for listener in self.trap_listeners:
            listener(cpu, cause, trap.pc if trap is not None else None, trap is None)
        log = self.log
        if log is not None and log.enabled("int"):
            describe = getattr(cpu, "trap_log_line", None)   # the guest's own format (QEMU's)
            if describe is not None:
                log.write(describe(cause))
            else:
                extra = "" if trap is None else " epc 0x%x tval 0x%x" % (trap.pc, trap.tval)
                log.write("hart %d: %s cause 0x%x%s -> pc 0x%x\n" % (cpu.hart_id, what, cause, extra, cpu.pc))

    def _log_translation(self, pc: int, insns, source: Optional[str], ops, opt,
                         code: Optional[Callable[[int, int], bytes]] = None) -> None:
        """-d in_asm, op, op_opt, out_asm for one translation. ``code(addr, n)``
        gives the instructions' bytes (default: read from the bus); ``source``
        None: an interpreted block, no generated code."""
        log = self.log
        if log.enabled("in_asm"):
            log.write("----------------\nIN: \n")
            for ipc, length in insns:
                code_bytes = (code or self.bus.read_bytes)(ipc, length)
                for addr, _, mnem, opstr in self.frontend.disassemble(code_bytes, ipc):
                    # the encoding as a word, as QEMU and objdump print it
                    word = "%0*x" % (2 * length, int.from_bytes(code_bytes, "little"))
                    log.write("0x%08x:  %-16s  %-10s %s\n" % (addr, word, mnem, opstr))
            log.write("\n")
        if log.enabled("op"):
            log.write("OP:\n%s\n\n" % format_ops(ops))
        if log.enabled("op_opt"):
            log.write("OP after optimization:\n%s\n\n" % format_ops(opt))
        if log.enabled("out_asm"):
            if source is None:
                log.write("OUT: [size=0]\n(interpreted: no generated code)\n\n")
            else:
                log.write("OUT: [size=%d]\n%s\n" % (len(source), source))

    def statistics(self) -> Dict[str, Any]:
        s = self.stats
        lookups = s.dispatch_lookups
        return {
            "tb_count": len(self.cache),
            "code_bytes": self.cache.code_bytes,
            "code_cache_limit": self.cache.max_code_bytes,
            "translations": s.translations,
            "interpreted": s.interpreted,
            "tier_ups": s.tier_ups,
            "translate_seconds": s.translate_seconds,
            "invalidations": self.cache.invalidations,
            "flushes": self.cache.flushes,
            "chain_links": s.chain_links,
            "link_stub_calls": s.link_stub_calls,
            "dispatch_lookups": lookups,
            "jump_cache_hits": s.jump_cache_hits,
            "jump_cache_hit_rate": (s.jump_cache_hits / lookups) if lookups else 0.0,
            "tb_cache_hits": s.tb_cache_hits,
            # translations served from the translation cache (no translate/compile)
            "translation_cache_hits": self.translation_cache.hits,
            "translation_cache_entries": len(self.translation_cache),
            "translation_cache_bytes": self.translation_cache.bytes,
            "loop_regions": s.loop_regions,
            "loop_region_misses": s.loop_region_misses,
            "traps": s.traps,
            "interrupts": s.interrupts,
            "tb_execs": s.tb_execs[0],
            "chaining": self.chaining,
            "opaque_dispatch": self.opaque_dispatch is not None,
        }


class _NoStop(DebugStop):
    """A stop point that does not apply now: the execution loop runs its instruction once."""
