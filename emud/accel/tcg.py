"""`-accel tcg`: the translator behind the accelerator interface."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Set

from ..tcg.diskcache import DiskStore
from ..tcg.exec import DEFAULT_TB_SIZE_MIB, TBEngine, Watchpoint, default_tier_up
from ..tcg.tb import CHUNK_SHIFT
from .base import AccelError, Accelerator


class TcgAccelerator(Accelerator):
    """Options: ``tb-size=N``: the code cache bound in MiB of generated
    Python source (QEMU's tb-size is MiB of host code); when full the cache
    is flushed whole. ``tier-up=N``: a block runs through the IR interpreter
    N times before it is compiled (0: compile every block at once; the
    default: exec.default_tier_up).
    ``tb-cache=DIR``: keep compiled TB code on disk under DIR and use it in
    later runs (tcg/diskcache.py). ``regions=on|off``: translate regions
    (several guest blocks per TB function, region.py) from the start, or
    never (the default: exec.default_regions_after)."""

    name = "tcg"

    def __init__(self, frontend, bus, log=None, options: Optional[Dict[str, Any]] = None) -> None:
        options = dict(options or {})
        tb_size = options.pop("tb-size", DEFAULT_TB_SIZE_MIB)
        try:
            tb_size_bytes = int(float(tb_size) * (1 << 20))
        except ValueError:
            raise AccelError("tb-size must be a number of MiB, not %r" % tb_size) from None
        if tb_size_bytes <= 0:
            raise AccelError("tb-size must be positive")
        tier_up = options.pop("tier-up", default_tier_up(frontend))
        try:
            tier_up = int(tier_up)
        except ValueError:
            raise AccelError("tier-up must be a number of runs, not %r" % tier_up) from None
        if tier_up < 0:
            raise AccelError("tier-up must be 0 or more")
        tb_cache = options.pop("tb-cache", None)
        regions = options.pop("regions", None)
        if regions not in (None, "on", "off"):
            raise AccelError("regions must be on or off, not %r" % regions)
        if options:
            raise AccelError("unknown tcg option %r (known: tb-size, tier-up, tb-cache, regions)"
                             % sorted(options)[0])
        super().__init__()
        self.engine = TBEngine(frontend, bus, log=log, tb_size_bytes=tb_size_bytes)
        self.engine.tier_up_calls = tier_up
        if regions is not None:
            self.engine.regions = regions == "on"
            self.engine.regions_after = None
        if tb_cache:
            try:
                self.engine.translation_cache.store = DiskStore(tb_cache)
            except OSError as e:
                raise AccelError("tb-cache: cannot use %s: %s" % (tb_cache, e.strerror or e)) from None
        self.engine.on_tb_flush.append(lambda: [cb() for cb in self.flush_listeners])
        self.engine.trap_listeners = self.trap_listeners   # one list, shared
        self.log = log
        if log is not None and log.enabled("nochain"):
            self.engine.chaining = False

    def execute(self, cpu, budget: int, single_step: bool = False, allow_irq: bool = True,
                exact: bool = True) -> str:
        return self.engine.execute(cpu, budget, single_step, allow_irq, exact)

    def set_breakpoints(self, pcs: Set[int]) -> None:
        self.engine.set_breakpoints(pcs)

    def set_watchpoints(self, watchpoints: Sequence[Any]) -> None:
        self.engine.set_watchpoints([Watchpoint(w.addr, w.length, w.kind) for w in watchpoints])

    def flush_code_cache(self) -> None:
        self.engine.flush()

    def invalidate_code(self, addr: int, length: int) -> int:
        return self.engine.invalidate(addr, length)

    dirty_chunk_shift = CHUNK_SHIFT

    def dirty_log(self, action: str) -> Set[int]:
        """The engine's dirty log (TBEngine.start_dirty_log, take_dirty_chunks,
        stop_dirty_log): see Accelerator.dirty_log."""
        engine = self.engine
        if action == "start":
            engine.start_dirty_log()
        elif action == "take":
            return engine.take_dirty_chunks()
        elif action == "stop":
            engine.stop_dirty_log()
        else:
            raise ValueError("dirty_log: unknown action %r" % action)
        return set()

    def set_log_items(self, items: Sequence[str]) -> None:
        if self.log is not None:
            self.log.set_items(items)
        chaining = "nochain" not in items
        # translated code embeds the logging choices: start afresh
        self.engine.chaining = chaining
        self.engine.flush()

    def statistics(self) -> Dict[str, Any]:
        stats = self.engine.statistics()
        stats["accelerator"] = self.name
        return stats
