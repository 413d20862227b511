"""Recordings replayed in-process (export_recording -> start_replay on a fresh
machine): UART input from a socket, a debugger's writes, a user's reset and
snapshot load come back at the same instruction; Cortex-M exception entry
and return replay exactly; a replay that does not match says so at once;
history stays within its size limit; two harts move back together."""
from __future__ import annotations

import copy
import os
import trio

from emud.chardev import open_chardev, parse_chardev
from emud.debug import CONTINUE, ResumeAction
from emud.netutil import free_port
from tests.timetravel.conftest import EXAMPLES, FIRMWARE
from tests.timetravel.harness import build, run_steps, state, straight_states


async def _replay(path, recording, **kw):
    """A fresh machine replays ``recording`` to its end: (state, UART output, stop)."""
    m, serial = build(path, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.stop_at_history_end = True
        m.start_replay(copy.deepcopy(recording))
        stop = await _to_the_end(m)
        out = (state(m), bytes(serial.output), stop)
        m.request_quit()
    return out


async def _to_the_end(m):
    """Continue until the replay reaches the present (or the guest exits
    there): through exits the user reset in the recording."""
    with trio.fail_after(60):
        while True:
            m.resume(None, CONTINUE)
            stop = await m.wait_for_stop()
            if stop.reason != "exited" or m.history_position() >= m.record_info()["end"]:
                return stop


async def test_uart_input_from_a_socket_replays_identically():
    path = EXAMPLES / "uart-echo-rv32.elf"
    m, _ = build(path)
    port = free_port()
    chardev = open_chardev(parse_chardev("tcp:127.0.0.1:%d,server,nowait" % port))
    m.uart.set_chardev(chardev)
    m.services.append(chardev.run)
    received = bytearray()
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        with trio.fail_after(10):
            while not chardev.statistics().get("connected"):
                await trio.sleep(0.01)
        m.resume(None, CONTINUE)

        async def read_until(text: bytes) -> None:
            with trio.fail_after(30):
                while text not in received:
                    received.extend(await stream.receive_some(4096))

        await read_until(b"quits\n")
        for word in (b"time", b"travel"):
            await stream.send_all(word)
            await read_until(word)
            await trio.sleep(0.05)          # the guest idles between them: the log's positions matter
        await stream.send_all(b"q")
        with trio.fail_after(30):
            stop = await m.wait_for_stop()
        assert stop.reason == "exited"
        await read_until(b"bye\n")
        recording = m.export_recording()
        recorded = state(m)
        await stream.aclose()
        m.request_quit()
    serial_inputs = [e for e in recording["log"]["pushed"] if e[1] == "serial"]
    assert b"".join(e[2][1] for e in serial_inputs) == b"timetravelq"
    assert len({e[0] for e in serial_inputs}) >= 2           # at different instructions
    replayed, output, stop = await _replay(path, recording)
    assert stop.reason == "exited"
    assert output == bytes(received)
    assert replayed == recorded


async def test_debugger_writes_resets_and_snapshot_loads_replay_at_their_instruction():
    path = EXAMPLES / "rtos-mix-rv32.elf"
    m, serial = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        await run_steps(m, 200_000)
        snap = m.save_snapshot()
        await run_steps(m, 150_000)
        m.write_register(0, "a0", 0x1234)
        m.write_memory(0x80001000, b"written by gdb")
        await run_steps(m, 100_000)
        m.reset()
        await run_steps(m, 120_000)
        m.restore_snapshot(snap)
        await run_steps(m, 80_000)
        recorded, output = state(m), bytes(serial.output)
        recording = m.export_recording()
        # back before the reset and forward again: the same run
        m.seek(recording["begin"] + 300_000)
        m.stop_at_history_end = True
        stop = await _to_the_end(m)
        assert stop.reason == "history-end" and state(m) == recorded
        m.request_quit()
    kinds = [e[1] for e in recording["log"]["pushed"]]
    assert kinds == ["reg", "mem", "reset", "snapshot"]
    replayed, replay_output, stop = await _replay(path, recording)
    assert stop.reason == "history-end"
    assert replayed == recorded and replay_output == output


async def test_cortexm_exceptions_replay_exactly_and_reverse_across_them():
    path = EXAMPLES / "cortexm-systick-mps2-an385.elf"
    kw = {"machine": "mps2-an385"}
    m, serial = build(path, **kw)
    entries = []
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=50_000)
        m.trap_listeners.append(lambda hart, cause, pc, irq: entries.append(m.history_position()))
        await run_steps(m, 400_000)
        recorded, output = state(m), bytes(serial.output)
        recording = m.export_recording()
        assert len(entries) > 3
        # the first instruction of a handler, then one back: the interrupted code
        seen = {}
        for pos in entries[1:4]:
            m.seek(pos + 1)
            seen[pos + 1] = state(m)
            m.reverse_resume(ResumeAction("step"))
            await m.wait_for_stop()
            seen[m.history_position()] = state(m)
            m.reverse_resume(ResumeAction("step", count=3))
            await m.wait_for_stop()
            seen[m.history_position()] = state(m)
        m.request_quit()
    reference = await straight_states(path, list(seen), **kw)
    assert seen == reference
    replayed, replay_output, stop = await _replay(path, recording, **kw)
    assert stop.reason == "history-end"
    assert replayed == recorded and replay_output == output


async def test_a_replay_that_differs_is_reported_at_once_with_its_instruction_and_pc():
    path = EXAMPLES / "timer-rv32.elf"
    m, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=1000)
        await run_steps(m, 3000)
        recording = m.export_recording()
        m.request_quit()
    bad = copy.deepcopy(recording)
    where, pc, digest = bad["checks"][2]
    bad["checks"][2] = [where, pc, digest ^ 1]
    m, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        events = m.events.subscribe()
        m.start_replay(bad)
        m.resume(None, CONTINUE)
        with trio.fail_after(30):
            stop = await m.wait_for_stop()
        assert stop.reason == "divergence"
        assert ("instruction %d" % where) in stop.detail and "pc 0x" in stop.detail
        assert m.history_position() == where
        got = []
        while True:
            try:
                got.append(events.receive_nowait())
            except trio.WouldBlock:
                break
        assert any(e.name == "HISTORY" and e.data.get("what") == "divergence" for e in got)
        assert m.record_info()["mode"] == "record"        # the present is here now: it runs on live
        m.request_quit()


async def test_history_stays_within_its_size_limit_and_its_start_restores():
    path = EXAMPLES / "bench-sieve-rv32.elf"
    limit = 1 << 20
    m, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(size_limit=limit, interval=20_000)
        await run_steps(m, 10_000_000)
        info = m.record_info()
        assert info["bytes"] <= limit
        assert info["begin"] > 0            # the oldest history went
        begin = info["begin"]
        m.seek(begin)
        at_begin = state(m)
        m.reverse_resume(ResumeAction("step"))
        stop = await m.wait_for_stop()
        assert stop.reason == "history-begin" and m.history_position() == begin
        m.seek(begin + 12_345)
        later = state(m)
        m.request_quit()
    reference = await straight_states(path, [begin, begin + 12_345])
    assert at_begin == reference[begin] and later == reference[begin + 12_345]


async def test_two_harts_move_back_together_each_at_its_own_pc(two_harts_elf):
    kw = {"smp": 2}
    m, _ = build(two_harts_elf, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=30_000)
        await run_steps(m, 200_000)
        for hart in (1, 0, 1):
            before = [(m.read_register(h, "pc"), m.instructions_retired(h)) for h in (0, 1)]
            m.reverse_resume(ResumeAction("step"), hart=hart)
            await m.wait_for_stop()
            assert m.instructions_retired(hart) == before[hart][1] - 1
            # one step of that hart forward gives its pc and count back
            await run_steps(m, 1, hart=hart)
            assert (m.read_register(hart, "pc"), m.instructions_retired(hart)) == before[hart]
        # anywhere in history, both harts are where a straight run had them
        reference = await _reference_smp(two_harts_elf, ((0, 5_000), (1, 7_001), (0, 20_000)))
        for pos, expected in reference.items():
            m.seek(pos)
            assert state(m) == expected       # (each hart's pc, registers and count among it)
        m.request_quit()


async def _reference_smp(path, steps):
    """{position: state} where a straight two-hart run stops after each
    (hart, count) step (the other hart running its turns meanwhile)."""
    out = {}
    m, _ = build(path, smp=2)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start(interval=10 ** 9)      # no checkpoint after the first: nothing restored
        for hart, count in steps:
            await run_steps(m, count, hart=hart)
            out[m.history_position()] = state(m)
        m.request_quit()
    return out


async def test_host_clock_and_semihosting_reads_replay_as_they_were_read(build_firmware):
    path = build_firmware([FIRMWARE / "host_inputs.c"], name="host_inputs")
    kw = {"semihosting": {}}
    m, serial = build(path, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        m.resume(None, CONTINUE)
        with trio.fail_after(30):
            stop = await m.wait_for_stop()
        assert stop.reason == "exited"
        recorded, output = state(m), bytes(serial.output)
        recording = m.export_recording()
        m.request_quit()
    pulled = [e[1] for e in recording["log"]["pulled"]]
    assert pulled.count("host-clock") >= 2 and pulled.count("semihosting") == 1   # (SYS_CLOCK is guest time)
    await trio.sleep(1.1)               # the host's clock moves on; the replay's does not
    replayed, replay_output, stop = await _replay(path, recording, **kw)
    assert stop.reason == "exited"
    assert replay_output == output and replayed == recorded


async def test_back_from_an_idle_guest_and_forward_again_waits_for_live_input():
    """A guest asleep waiting for UART input: stop, step back, continue: the
    replay reaches the present without showing its output again, then the
    guest waits live, and takes the next input."""
    m, serial = build(EXAMPLES / "uart-echo-rv32.elf")
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        m.resume(None, CONTINUE)
        await trio.sleep(0.2)
        serial.feed(b"ab")
        with trio.fail_after(30):
            while b"ab" not in serial.output:
                await trio.sleep(0.01)
        await trio.sleep(0.1)
        m.request_stop()
        await m.wait_for_stop()
        present = m.history_position()
        m.reverse_resume(ResumeAction("step", count=20))
        await m.wait_for_stop()
        assert m.record_info()["mode"] == "replay"
        serial.feed(b"c")                       # held back while history replays
        m.resume(None, CONTINUE)
        await trio.sleep(0.3)
        assert m.history_position() > present    # past the present, live: "c" went in
        serial.feed(b"q")
        with trio.fail_after(30):
            stop = await m.wait_for_stop()
        assert stop.reason == "exited"
        assert bytes(serial.output).count(b"ab") == 1 and b"c" in bytes(serial.output).split(b"ab", 1)[1]
        m.request_quit()


async def test_record_info_after_a_replay_reached_the_recorded_exit():
    path = EXAMPLES / "timer-rv32.elf"
    m, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        m.resume(None, CONTINUE)
        assert (await m.wait_for_stop()).reason == "exited"
        recorded = m.record_info()
        recording = m.export_recording()
        m.request_quit()
    r, _ = build(path)
    async with trio.open_nursery() as nursery:
        await nursery.start(r.run)
        r.start_replay(copy.deepcopy(recording))
        r.resume(None, CONTINUE)
        assert (await r.wait_for_stop()).reason == "exited"
        info = r.record_info()
        r.request_quit()
    # at the end of history: the present, with the guest time it ends at
    assert info["mode"] == "record" and info["position"] == info["end"] == recorded["end"]
    assert info["end_ns"] == recorded["end_ns"] and info["span_ns"] == recorded["span_ns"] > 0


def _claim_fd(number, path):
    """A file of this process opened at descriptor ``number`` (free now)."""
    spare = []
    try:
        while True:
            fd = os.open(str(path), os.O_RDWR | os.O_CREAT, 0o600)
            if fd == number:
                return fd
            spare.append(fd)
            assert fd < number + 64, "descriptor %d not free" % number
    finally:
        for fd in spare:
            os.close(fd)


async def test_a_replay_never_reaches_the_recordings_host_files(build_firmware, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = build_firmware([FIRMWARE / "host_file.c"], name="host_file")
    kw = {"semihosting": {"allow_host_files": True}}
    m, serial = build(path, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        m.resume(None, CONTINUE)
        assert (await m.wait_for_stop()).reason == "exited"
        recording = m.export_recording()
        m.request_quit()
    assert b"write 0 write 0 close 0" in bytes(serial.output)
    assert (tmp_path / "tt-host-file.txt").read_bytes() == b"one\ntwo\n"
    (tmp_path / "tt-host-file.txt").unlink()
    opened = [e[2]["opened"] for e in recording["log"]["pulled"] if e[1] == "semihosting" and e[2]["opened"]]
    hostfd = opened[0][0][1]
    # another file of this process has the recorded descriptor's number now
    sentinel = _claim_fd(hostfd, tmp_path / "sentinel")
    try:
        r, serial2 = build(path, **kw)
        async with trio.open_nursery() as nursery:
            await nursery.start(r.run)
            r.start_replay(copy.deepcopy(recording))
            bp = r.add_breakpoint("sw", r.lookup_symbol("between_writes"))
            r.resume(None, CONTINUE)
            assert (await r.wait_for_stop()).reason == "breakpoint"
            r.delete_breakpoint(bp.number)
            # live from here: the file the recording had open is not on this host
            r.record_stop()
            r.resume(None, CONTINUE)
            assert (await r.wait_for_stop()).reason == "exited"
            r.request_quit()
        assert os.pread(sentinel, 100, 0) == b""
    finally:
        os.close(sentinel)
    assert not (tmp_path / "tt-host-file.txt").exists()
    assert b"write 0 write -1 close 0" in bytes(serial2.output)


async def test_a_write_at_a_stop_right_after_an_interrupt_entry_replays_after_it(stray_elf):
    # a breakpoint on the timer handler's first instruction stops right
    # after the entry (mcause, mepc, pc set; nothing retired since the
    # position began): a write there is to the handler's state, not before it
    m, _ = build(stray_elf)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        bp = m.add_breakpoint("sw", m.lookup_symbol("tick_handler"))
        m.resume(None, CONTINUE)
        assert (await m.wait_for_stop()).reason == "breakpoint"
        m.delete_breakpoint(bp.number)
        m.write_register(0, "mcause", 0x1234)
        await run_steps(m, 100)            # (in the handler: the next tick would set mcause again)
        recorded = state(m)
        recording = m.export_recording()
        m.request_quit()
    assert [e[1] for e in recording["log"]["pushed"]] == ["entry", "reg"]
    replayed, _, stop = await _replay(stray_elf, recording)
    assert stop.reason == "history-end" and replayed == recorded
