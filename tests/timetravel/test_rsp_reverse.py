"""The stub's reverse packets against a real machine, in-process: bs/bc are
refused with an E reply without a recording, advertised in qSupported and
run backwards with one; the start of history is replaylog:begin."""
from __future__ import annotations

import trio

from emud.debug import ResumeAction
from emud.gdbstub.dispatch import Dispatcher, Reply, WaitForStop
from tests.machines.virt_harness import virt_machine
from tests.timetravel.conftest import EXAMPLES


async def test_bs_bc_need_a_recording_then_run_backwards():
    m, _ = virt_machine(EXAMPLES / "hello-rv32.elf")
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        d = Dispatcher(m)
        d.handle_packet(b"qSupported:multiprocess+;swbreak+;hwbreak+;error-message+")
        reply = d.handle_packet(b"bs")
        assert len(reply) == 1 and reply[0].payload.startswith(b"E.") and b"record" in reply[0].payload
        assert b"ReverseStep+" not in d.handle_packet(b"qSupported:error-message+")[0].payload

        m.record_start()
        assert b"ReverseStep+;ReverseContinue+" in d.handle_packet(b"qSupported:error-message+")[0].payload
        m.resume(None, ResumeAction("step", count=50))
        await m.wait_for_stop()
        pc_before = m.read_register(0, "pc")
        m.resume(None, ResumeAction("step", count=1))
        await m.wait_for_stop()
        assert d.handle_packet(b"bs") == [WaitForStop()]
        stop = await m.wait_for_stop()
        assert stop.direction == "reverse" and m.read_register(0, "pc") == pc_before
        assert m.history_position() == 50
        assert d.handle_packet(b"bc") == [WaitForStop()]     # no breakpoint: back to the start
        stop = await m.wait_for_stop()
        [reply] = d.on_stop(stop)
        assert isinstance(reply, Reply) and reply.payload.endswith(b"replaylog:begin;")
        assert m.history_position() == 0
        m.request_quit()
