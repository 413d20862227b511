"""The translation cache on disk (``-accel tcg,tb-cache=DIR``, diskcache.py):
a second engine (a later process) reads back the code an earlier one
compiled instead of translating again, and runs exactly as it would have:
checked against the one-instruction-per-TB reference for hypothesis-made
programs, and for what must never be served: code of another program at the
same address, a file that does not parse, a key whose repr is not plain."""
from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emud.tcg.exec as exec_mod
from emud.tcg.diskcache import DiskStore, fingerprint

from .test_engine import counting_loop, make, run_to_halt
from .test_region import assemble, insn, run_in_chunks, run_reference


def with_store(prog, directory, tier_up=0):
    engine, cpu, ram = make(prog, tier_up=tier_up)
    engine.translation_cache.store = DiskStore(directory)
    return engine, cpu, ram


def done(engine):
    """The process ends: what it saved is written."""
    engine.translation_cache.store.flush()


def count_front_end(monkeypatch):
    calls = []
    real = exec_mod.translate_block

    def counted(*args, **kw):
        calls.append(args[2])
        return real(*args, **kw)
    monkeypatch.setattr(exec_mod, "translate_block", counted)
    return calls


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(insn(20), min_size=2, max_size=20), st.lists(st.integers(1, 200), min_size=1, max_size=6),
       st.integers(0, 3))
def test_a_second_engine_runs_from_the_disk_cache_like_the_reference(body, chunks, tier_up):
    prog = assemble(body)
    want = run_reference(prog, sum(chunks))
    with tempfile.TemporaryDirectory() as d:
        engine, cpu, ram = with_store(prog, d, tier_up)
        _, first = run_in_chunks(engine, cpu, ram, chunks)
        done(engine)
        engine, cpu, ram = with_store(prog, d, tier_up)
        _, second = run_in_chunks(engine, cpu, ram, chunks)
    assert first == want and second == want


def test_compiled_blocks_come_back_without_the_front_end(tmp_path, monkeypatch):
    engine, cpu, _ = with_store(counting_loop(40), str(tmp_path))
    run_to_halt(engine, cpu)
    assert engine.translation_cache.store.saved >= 3
    done(engine)
    calls = count_front_end(monkeypatch)
    engine2, cpu2, _ = with_store(counting_loop(40), str(tmp_path), tier_up=32)
    run_to_halt(engine2, cpu2)
    assert calls == [] and engine2.translation_cache.hits >= 3
    # compiled at once although tier-up is 32: the compiled code was at hand
    assert engine2.stats.interpreted == 0 and cpu2.x[2] == 40


def test_another_program_at_the_same_address_is_translated_anew(tmp_path):
    engine, cpu, _ = with_store(counting_loop(5), str(tmp_path))
    run_to_halt(engine, cpu)
    done(engine)
    other = counting_loop(9)                 # differs in the first block's immediate
    engine2, cpu2, _ = with_store(other, str(tmp_path))
    run_to_halt(engine2, cpu2)
    assert cpu2.x[2] == 9
    done(engine2)
    # both variants are on disk now: each program finds its own
    engine3, cpu3, _ = with_store(counting_loop(5), str(tmp_path))
    run_to_halt(engine3, cpu3)
    assert cpu3.x[2] == 5 and engine3.translation_cache.hits >= 3


def test_files_that_do_not_parse_are_misses(tmp_path):
    engine, cpu, _ = with_store(counting_loop(5), str(tmp_path))
    run_to_halt(engine, cpu)
    done(engine)
    store = engine.translation_cache.store
    for name in os.listdir(store.dir):
        with open(os.path.join(store.dir, name), "wb") as f:
            f.write(b"\x00not marshal")
    engine2, cpu2, _ = with_store(counting_loop(5), str(tmp_path))
    run_to_halt(engine2, cpu2)
    assert cpu2.x[2] == 5 and engine2.translation_cache.hits == 0


def test_only_plain_keys_are_stored(tmp_path):
    store = DiskStore(str(tmp_path))
    engine, cpu, _ = make(counting_loop(3))
    run_to_halt(engine, cpu)
    key, variants = next(iter(engine.translation_cache.entries.items()))
    store.save(key, variants[0])
    odd = (key[0], object()) + key[2:]        # a flags value whose repr names an address
    store.save(odd, variants[0])
    assert store.saved == 1
    store.flush()
    again = DiskStore(str(tmp_path))
    assert len(again.load(key)) == 1 and again.load(odd) == []


def test_the_directory_is_named_by_runtime_and_sources(tmp_path):
    store = DiskStore(str(tmp_path))
    assert os.path.basename(store.dir) == fingerprint() and os.path.isdir(store.dir)
    assert fingerprint() == fingerprint()


def test_the_accelerator_option_opens_the_store(tmp_path):
    from emud.accel.base import AccelError
    from emud.accel.tcg import TcgAccelerator
    from emud.memory import AddressSpace

    from .toy import ToyFrontend
    accel = TcgAccelerator(ToyFrontend(), AddressSpace(), options={"tb-cache": str(tmp_path / "tbc")})
    assert accel.engine.translation_cache.store.dir.startswith(str(tmp_path / "tbc"))
    assert TcgAccelerator(ToyFrontend(), AddressSpace()).engine.translation_cache.store is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    try:
        TcgAccelerator(ToyFrontend(), AddressSpace(), options={"tb-cache": str(blocker)})
    except AccelError as e:
        assert "tb-cache" in str(e)
    else:
        raise AssertionError("a file as the cache directory was accepted")
