"""Where checkpoints fall: every ``interval`` instructions, and sooner once
recording ran CHECKPOINT_SECONDS of CPU time (so that a reverse-stepi replays
about that long at most wherever it is); thinning keeps gaps within
THIN_MAX_SECONDS of recorded time. A checkpoint taken while the hart waits
for an interrupt replays without a false divergence."""
from __future__ import annotations

import copy

import trio

from emud.debug import CONTINUE, ResumeAction
from emud.timetravel import history as history_mod
from emud.timetravel import recorder
from emud.timetravel.history import THIN_MAX_SECONDS, Checkpoint
from tests.timetravel.conftest import EXAMPLES
from tests.timetravel.harness import build, state, straight_states

TIMER = EXAMPLES / "timer-rv32.elf"
WFI = (0x10500073).to_bytes(4, "little")


async def _record_to_exit(m):
    with trio.fail_after(120):
        m.resume(None, CONTINUE)
        stop = await m.wait_for_stop()
    assert stop.reason == "exited"


async def test_checkpoints_are_cut_by_cpu_time_and_reverse_steps_stay_exact(monkeypatch):
    # every quantum start at least MIN_CHECKPOINT_GAP past the last checkpoint is due
    monkeypatch.setattr(recorder, "CHECKPOINT_SECONDS", 0.0)
    path = EXAMPLES / "bench-sieve-rv32.elf"
    m, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=10 ** 9)          # never by count
        m.resume(None, ResumeAction("step", count=600_000))
        await m.wait_for_stop()
        cps = m.timetravel.history.checkpoints
        gaps = [b.position - a.position for a, b in zip(cps, cps[1:])]
        assert len(cps) >= 5 and min(gaps) >= recorder.MIN_CHECKPOINT_GAP, gaps
        assert all(cp.cost >= 0.0 for cp in cps)
        # a reverse step from a checkpoint replays the gap before it
        pos = cps[3].position
        m.seek(pos)
        m.reverse_resume(ResumeAction("step"))
        stop = await m.wait_for_stop()
        assert stop.reason == "step" and m.history_position() == pos - 1
        back = state(m)
        m.request_quit()
    assert back == (await straight_states(path, [pos - 1]))[pos - 1]


async def _first_wfi_position(path):
    """How many instructions the guest retires before its first wfi."""
    m, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        for base, region in m.bus.ram_regions():
            data = bytes(region.data)
            at = data.find(WFI)
            while at >= 0:
                if at % 2 == 0:
                    m.add_breakpoint("sw", base + at)
                at = data.find(WFI, at + 1)
        m.resume(None, CONTINUE)
        stop = await m.wait_for_stop()
        assert stop.reason == "breakpoint"
        pos = m.history_position()
        m.request_quit()
    return pos


async def test_a_checkpoint_taken_while_the_hart_waits_replays_without_divergence():
    # a checkpoint right after the wfi: taken while the hart waits, before
    # the idle wait warps to the timer; a replay arrives there again after
    # the warp (the timer pending by then), which is no difference
    interval = await _first_wfi_position(TIMER) + 1
    assert interval >= 1000
    m, serial = build(TIMER)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=interval)
        await _record_to_exit(m)
        recording = m.export_recording()
        out = bytes(serial.output)
        m.request_quit()
    assert interval in [c[0] for c in recording["checks"]]
    r, serial2 = build(TIMER)
    async with trio.open_nursery() as nursery:
        await nursery.start(r.run)
        r.start_replay(copy.deepcopy(recording))
        await _record_to_exit(r)
        assert r.timetravel.diverged is None
        assert r.history_position() == recording["end"]
        r.request_quit()
    assert bytes(serial2.output) == out


def _history_with_costs(costs):
    m, _ = build(EXAMPLES / "bench-sieve-rv32.elf")
    h = history_mod.History(m.bus, 7, size_limit=1 << 20)
    h.begin(Checkpoint(0, {}, {}, 0, (0, 0)))
    for k, cost in enumerate(costs, 1):
        cp = Checkpoint(k * 1000, {}, {(0x80000000 >> 7) + k: bytes(128)}, 0, (0, 0))
        cp.cost = cost
        h.add(cp)
    return h


def test_thinning_keeps_each_gap_within_its_recorded_time():
    slow = _history_with_costs([0.03] * 40)
    for _ in range(3):
        slow._thin(1000)                     # (as enforce_limit does, again and again)
    cps = slow.checkpoints
    assert len(cps) < 41                     # gaps were merged ...
    assert max(cp.cost for cp in cps) <= THIN_MAX_SECONDS   # ... none beyond the time a reverse-stepi may take
    quick = _history_with_costs([0.001] * 40)
    for _ in range(3):
        quick._thin(1000)
    assert len(quick.checkpoints) < len(cps)   # cheap gaps thin further (up to MAX_THIN_GAP intervals)
    assert max(b.position - a.position for a, b in zip(quick.checkpoints, quick.checkpoints[1:])) <= 4000
    assert abs(sum(cp.cost for cp in quick.checkpoints) - 0.04) < 1e-9
