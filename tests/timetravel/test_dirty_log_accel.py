"""The accelerator's dirty log (what checkpoints store) misses no write in
any interval, on every RAM the guest writes: the main one and the others
(mps2-an385's SSRAMs beside its larger PSRAM)."""
from __future__ import annotations

import trio

from emud.timetravel import recorder
from tests.timetravel.conftest import EXAMPLES
from tests.timetravel.harness import build, run_steps


def _ram(m):
    return {base: bytes(region.data) for base, region in m.bus.ram_regions()}


def _changed_chunks(before, after, shift):
    out = set()
    size = 1 << shift
    for base, old in before.items():
        new = after[base]
        for off in range(0, len(old), size):
            if old[off:off + size] != new[off:off + size]:
                out.add((base + off) >> shift)
    return out


async def test_every_interval_logs_every_chunk_it_wrote(monkeypatch):
    # the test takes the log itself: no checkpoint of the recorder's may take
    # it first, by instructions (the interval) or by time (a loaded machine
    # ran the steps past CHECKPOINT_SECONDS, and the test failed)
    monkeypatch.setattr(recorder, "CHECKPOINT_SECONDS", float("inf"))
    m, _ = build(EXAMPLES / "bench-crc32-mps2-an385.elf", machine="mps2-an385")
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=10 ** 9)
        shift = m.accel.dirty_chunk_shift
        m.accel.dirty_log("take")
        writing = 0
        for _ in range(6):
            before = _ram(m)
            await run_steps(m, 4_000)
            changed = _changed_chunks(before, _ram(m), shift)
            taken = m.accel.dirty_log("take")
            assert changed <= taken
            writing += bool(changed)
        assert writing >= 3
        m.request_quit()
