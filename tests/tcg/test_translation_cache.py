"""The translation cache: a TB retranslated from unchanged guest code (after
an invalidation, a breakpoint toggle, a flush) reuses its compiled code; one
whose bytes or breakpoints changed is translated afresh."""
from __future__ import annotations

from emud.tcg.tb import TranslationCache

from .test_engine import BASE, counting_loop, make, restart, run_to_halt
from .toy import enc


def test_invalidated_code_is_retranslated_from_the_cache():
    engine, cpu, _ = make(counting_loop(10))
    run_to_halt(engine, cpu)
    first = engine.statistics()
    assert first["translation_cache_hits"] == 0
    assert first["translation_cache_entries"] == first["translations"]
    engine.invalidate(BASE, 0x100)
    assert len(engine.cache) == 0
    restart(cpu)
    run_to_halt(engine, cpu)
    again = engine.statistics()
    assert again["translation_cache_hits"] == first["translations"]
    assert cpu.x[2] == 10 and cpu.x[1] == 0


def test_flush_keeps_the_translation_cache():
    engine, cpu, _ = make(counting_loop(10))
    run_to_halt(engine, cpu)
    n = engine.stats.translations
    engine.flush()
    restart(cpu)
    run_to_halt(engine, cpu)
    assert engine.translation_cache.hits == n
    assert cpu.x[2] == 10


def test_changed_guest_bytes_miss_the_cache():
    engine, cpu, ram = make(counting_loop(10))
    run_to_halt(engine, cpu)
    hits, entries = engine.translation_cache.hits, engine.translation_cache.count
    # rewrite the loop body's increment (r2 += 1 -> r2 += 3) behind the engine's back
    ram.data[4:8] = enc(1, 2, 2, 3)
    engine.invalidate(BASE + 4, 4)
    restart(cpu)
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 30
    # both TBs that cover the rewritten word were translated afresh
    assert engine.translation_cache.hits == hits
    assert engine.translation_cache.count == entries + 2   # new variants beside the old


def test_breakpoints_shape_cached_translations():
    engine, cpu, _ = make(counting_loop(3))
    run_to_halt(engine, cpu)
    # a breakpoint inside the cached loop TB must not be skipped by a cache hit
    engine.set_breakpoints({BASE + 8})
    restart(cpu)
    assert engine.execute(cpu, 1000) == "debug"
    assert cpu.pc == BASE + 8 and cpu.x[2] == 1
    engine.set_breakpoints(set())
    hits = engine.translation_cache.hits
    run_to_halt(engine, cpu)
    assert cpu.x[2] == 3
    assert engine.translation_cache.hits > hits   # the breakpoint-free TBs came back from the cache
    # and a breakpoint toggled again is served from the cache as well, still stopping
    engine.set_breakpoints({BASE + 8})
    restart(cpu)
    hits = engine.translation_cache.hits
    assert engine.execute(cpu, 1000) == "debug"
    assert cpu.pc == BASE + 8 and cpu.x[2] == 1
    assert engine.translation_cache.hits > hits


def test_stepping_with_a_moving_breakpoint_hits_the_cache_and_stays_exact():
    # gdb's software single-step: a breakpoint at the next pc, continue, remove it
    engine, cpu, _ = make(counting_loop(50))
    e2, c2, _ = make(counting_loop(50))
    run_to_halt(e2, c2)
    steps = 0
    assert engine.statistics()["translation_cache_entries"] == 0
    while not cpu.halted:
        nxt = cpu.pc + 4 if cpu.pc != BASE + 12 else BASE + 4
        engine.set_breakpoints({nxt, BASE + 16} - {cpu.pc})
        assert engine.execute(cpu, 1000) in ("debug", "halted")
        engine.set_breakpoints(set())
        steps += 1
        assert steps < 1000
    assert cpu.x == c2.x and cpu.instructions_retired() == c2.instructions_retired()
    st = engine.statistics()
    assert st["translation_cache_hits"] > st["translations"] * 0.8


def test_translation_cache_is_bounded():
    tc = TranslationCache(max_bytes=3000)
    engine, cpu, _ = make(counting_loop(10))
    engine.translation_cache = tc
    for _ in range(20):
        engine.flush()
        engine.invalidate(BASE, 0x100)
        restart(cpu)
        run_to_halt(engine, cpu)
    assert tc.bytes <= 3000 or len(tc.entries) == 1
    assert sum(len(v) for v in tc.entries.values()) == tc.count
