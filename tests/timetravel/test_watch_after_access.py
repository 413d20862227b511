"""The monitor's watchpoints stop after the access: the accessing
instruction is run alone after the stop. While recording it must count as
any other (a replay runs it inside a quantum): a timer due right after it
fires there, as the replay's quantum ending at that deadline fires it."""
from __future__ import annotations

import trio

from emud.debug import CONTINUE
from tests.timetravel.harness import build, run_steps

ROUNDS = 8 * 4 + 4       # offsetof(struct app, rounds) in tests/firmware/stray.c


async def _first_hit(path):
    m, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        m.add_breakpoint("write", m.lookup_symbol("g_state") + ROUNDS, 4, after_access=True)
        m.resume(None, CONTINUE)
        stop = await m.wait_for_stop()
        assert stop.reason == "watchpoint" and stop.access_done
        pos = m.history_position()
        m.request_quit()
    return pos


async def test_a_timer_due_right_after_the_watched_access_fires_at_the_stop(stray_elf):
    after = await _first_hit(stray_elf)
    m, _ = build(stray_elf)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        await run_steps(m, after - 1 - m.history_position())      # before the accessing instruction
        fired = []
        m.clock.add_timer(m.clock.now_ns() + (1 << m.clock.icount_shift),
                          lambda: fired.append(m.history_position()))
        m.add_breakpoint("write", m.lookup_symbol("g_state") + ROUNDS, 4, after_access=True)
        m.resume(None, CONTINUE)
        stop = await m.wait_for_stop()
        assert stop.reason == "watchpoint" and m.history_position() == after
        assert fired == [after]          # (it fired one instruction late, in the next quantum)
        m.request_quit()
