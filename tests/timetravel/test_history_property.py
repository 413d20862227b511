"""Random forward and backward command sequences on example firmware always
agree with a straight forward run to the same instruction count (every
hart's state, every byte of RAM); reverse-continue lands on the last hit of
a breakpoint before the position it started from, as a forward run with that
breakpoint counts them. Small checkpoint intervals, so that commands cross
many checkpoints and restore from them."""
from __future__ import annotations

import functools

import pytest
import trio
from hypothesis import HealthCheck, given, settings, strategies as st

from emud.debug import CONTINUE, ResumeAction
from tests.timetravel.conftest import EXAMPLES
from tests.timetravel.harness import breakpoint_hits, build, run_steps, state, straight_states

FIRMWARE = ["timer-rv32.elf", "rtos-mix-rv32.elf", "rtos-mix-rv64.elf", "bench-crc32-rv32.elf",
            "cortexm-systick-mps2-an385.elf"]

commands = st.lists(st.one_of(
    st.tuples(st.just("run"), st.integers(1, 60_000)),
    st.tuples(st.just("stepi"), st.integers(1, 3)),
    st.tuples(st.just("seek"), st.floats(0.0, 1.0)),
    st.tuples(st.just("reverse-stepi"), st.integers(1, 3)),
    st.tuples(st.just("reverse-continue"), st.just(0)),
), min_size=3, max_size=8)


def _machine_kw(name):
    return {"machine": "mps2-an385"} if "mps2" in name else {}


async def _explore(path, kw, script):
    """Run the script on a recording machine; return the canonical states it
    stopped in, and the reverse-continue landings (from, to, pc)."""
    seen = {}
    landings = []
    m, _ = build(path, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=20_000)
        await run_steps(m, 30_000)
        bp_pc = m.read_register(m.hart_ids()[0], "pc")     # somewhere the run has been
        for op, arg in script:
            if m.run_state == "exited":
                break
            if op == "run":
                await run_steps(m, arg)
            elif op == "stepi":
                await run_steps(m, arg)
            elif op == "seek":
                info = m.record_info()
                m.seek(info["begin"] + int((info["end"] - info["begin"]) * arg))
            elif op == "reverse-stepi":
                m.reverse_resume(ResumeAction("step", count=arg))
                stop = await m.wait_for_stop()
                assert stop.direction == "reverse"
            else:
                start = m.history_position()
                bp = m.add_breakpoint("sw", bp_pc)
                m.reverse_resume(CONTINUE)
                stop = await m.wait_for_stop()
                m.delete_breakpoint(bp.number)
                landings.append((start, m.history_position(), stop.reason, m.read_register(m.hart_ids()[0], "pc")))
                continue          # a breakpoint's state need not be canonical (an interrupt taken first)
            seen[m.history_position()] = state(m)
        end = m.record_info()["end"]
        m.request_quit()
    return seen, landings, bp_pc, end


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(firmware=st.sampled_from(FIRMWARE), script=commands)
def test_random_commands_agree_with_a_straight_run(firmware, script):
    path = EXAMPLES / firmware
    kw = _machine_kw(firmware)
    seen, landings, bp_pc, end = trio.run(_explore, path, kw, script)
    reference = trio.run(functools.partial(straight_states, path, list(seen), **kw)) if seen else {}
    for pos, got in seen.items():
        assert got == reference[pos], "state at instruction %d differs from the straight run's" % pos
    if landings:
        hits = trio.run(functools.partial(breakpoint_hits, path, bp_pc, end, **kw))
        for start, landed, reason, pc in landings:
            before = [h for h in hits if h < start]
            if before:
                assert (reason, landed, pc) == ("breakpoint", before[-1], bp_pc)
            else:
                assert reason == "history-begin"
