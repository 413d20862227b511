"""The trio transport: sessions over in-memory streams and over real sockets."""
from __future__ import annotations

import os
import struct
import tempfile

import pytest
import trio
import trio.testing

from emud.gdbstub.server import GdbServer, GdbServerError, parse_spec, serve_gdb
from tests.gdbstub.fake_target import FakeTarget
from tests.gdbstub.rsp_client import RspClient, frame


def le32(value: int) -> bytes:
    return value.to_bytes(4, "little").hex().encode()


class Rig:
    def __init__(self, nursery, target, **kw):
        self.nursery = nursery
        self.target = target
        self.logs = []
        self.server = GdbServer(target, "test", kw.pop("run_command", None), kw.pop("on_kill", "reset"),
                                kw.pop("send_timeout", 2.0), self.logs.append)

    def connect(self, pair=trio.testing.memory_stream_pair) -> RspClient:
        client_end, server_end = pair()
        self.nursery.start_soon(self.server.serve_stream, server_end, "mem")
        return RspClient(client_end)


@pytest.fixture
async def rig(nursery):
    target = FakeTarget(harts=2)
    await nursery.start(target.run)
    return Rig(nursery, target)


# -- parse_spec ------------------------------------------------------------------------------


def test_parse_spec():
    assert parse_spec("tcp::1234") == ("tcp", ("127.0.0.1", 1234))
    assert parse_spec("tcp:0.0.0.0:1234") == ("tcp", ("0.0.0.0", 1234))
    assert parse_spec("tcp:[::1]:1234") == ("tcp", ("::1", 1234))
    assert parse_spec("tcp::1234,server=on,wait=off") == ("tcp", ("127.0.0.1", 1234))
    assert parse_spec("1234") == ("tcp", ("127.0.0.1", 1234))
    assert parse_spec("unix:/tmp/x.sock") == ("unix", "/tmp/x.sock")
    assert parse_spec("stdio") == ("stdio", None)
    for bad in ("tcp::http", "serial:/dev/ttyS0", "tcp::99999", "unix:"):
        with pytest.raises(GdbServerError):
            parse_spec(bad)


# -- one session in memory ----------------------------------------------------------------------


async def test_handshake_registers_memory(rig):
    c = rig.connect()
    await c.send_raw(b"+")
    features = await c.request(b"qSupported:swbreak+;hwbreak+")
    assert b"PacketSize=4000" in features
    assert (await c.request(b"?")).startswith(b"T05thread:1;")
    assert len(await c.request(b"g")) == 33 * 8
    assert await c.request(b"M80000000,4:01020304") == b"OK"
    assert await c.request(b"m80000000,4") == b"01020304"
    # the stub's output is run-length encoded; the client decodes it
    assert await c.request(b"m80000100,40") == b"00" * 0x40


async def test_continue_to_breakpoint(rig):
    c = rig.connect()
    await c.request(b"qSupported:swbreak+")
    assert await c.request(b"Z0,80000040,4") == b"OK"
    await c.send(b"c")
    reply = await c.read_packet()
    assert reply.startswith(b"T05thread:1;") and reply.endswith(b"swbreak:;")
    assert b"20:" + le32(0x80000040) in reply
    assert rig.target.run_state == "stopped"


async def test_ctrl_c_interrupts_an_endless_run(rig):
    c = rig.connect()
    await c.send(b"c")
    await trio.sleep(0.05)
    assert rig.target.run_state == "running"
    await c.send_raw(b"\x03")
    assert (await c.read_packet()).startswith(b"T02")
    assert rig.target.run_state == "stopped"


async def test_single_steps(rig):
    c = rig.connect()
    await c.no_ack()
    for i in range(1, 4):
        await c.send(b"vCont;s:1;c")
        assert (await c.read_packet()).startswith(b"T05thread:1;")
        assert await c.request(b"p20") == le32(0x80000000 + 4 * i)


async def test_range_step(rig):
    c = rig.connect()
    await c.send(b"vCont;r80000000,80000020:1")
    assert (await c.read_packet()).startswith(b"T05")
    assert await c.request(b"p20") == le32(0x80000020)


async def test_watchpoint_stop(rig):
    rig.target.stores[0x80000010] = 0x80000802
    c = rig.connect()
    assert await c.request(b"Z2,80000800,4") == b"OK"
    await c.send(b"c")
    assert (await c.read_packet()).endswith(b"watch:80000802;")


async def test_firmware_exit_ends_with_W(rig):
    rig.target.exit_pc = 0x80000020
    rig.target.exit_code = 7
    c = rig.connect()
    await c.send(b"c")
    assert await c.read_packet() == b"W07"


async def test_nak_makes_the_stub_retransmit(rig):
    c = rig.connect()
    await c.stream.send_all(frame(b"qC"))
    assert await c.read_ack() == b"+"
    c.ack_mode = False           # read without acking, then ask again
    first = await c.read_packet()
    await c.send_raw(b"-")
    assert await c.read_packet() == first == b"QC1"


async def test_bad_checksum_is_naked_and_session_survives(rig):
    c = rig.connect()
    await c.send_raw(b"$qC#00")
    assert await c.read_ack() == b"-"
    assert await c.request(b"qC") == b"QC1"


async def test_garbage_and_oversized_packets(rig):
    c = rig.connect()
    await c.send_raw(b"\x00garbage\xff")
    huge = b"X80000000,8000:" + b"\x55" * 0x8000
    reply = await c.request(huge)
    assert reply.startswith(b"E")
    assert await c.request(b"qC") == b"QC1"
    assert rig.target.read_memory(0x80000000, 4) == b"\0\0\0\0"


async def test_packets_sent_while_running_wait_for_the_stop(rig):
    rig.target.add_breakpoint("sw", 0x80000100)
    c = rig.connect()
    await c.no_ack()
    await c.send_raw(frame(b"c") + frame(b"qC"))
    assert (await c.read_packet()).startswith(b"T05")
    assert await c.read_packet() == b"QC1"


async def test_async_monitor_command(nursery):
    target = FakeTarget()
    await nursery.start(target.run)

    async def run(text):
        await trio.sleep(0)
        return "echo " + text

    r = Rig(nursery, target, run_command=run)
    c = r.connect()
    await c.send(b"qRcmd," + b"hi".hex().encode())
    assert await c.read_packet() == b"O" + b"echo hi\n".hex().encode()
    assert await c.read_packet() == b"OK"


# -- sessions end and begin -------------------------------------------------------------------


async def test_detach_resumes_and_next_client_is_served(rig):
    c = rig.connect()
    assert await c.request(b"Z0,80000040,4") == b"OK"
    assert await c.request(b"D") == b"OK"
    with pytest.raises(EOFError):
        await c.read_packet()
    assert rig.target.breakpoints() == []
    assert rig.target.run_state == "running"
    c2 = rig.connect()
    # a new gdb finds the machine halted (QEMU stops the VM on connect)
    assert (await c2.request(b"?")).startswith(b"T05")
    assert rig.target.run_state == "stopped"
    assert rig.server.stats["sessions"] == 2 and rig.server.stats["last_end"] == "gdb detached"


async def test_kill_resets_and_the_server_stays(rig):
    rig.target.write_memory(0x80000000, b"\x13\0\0\0")
    c = rig.connect()
    await c.send(b"k")
    with pytest.raises(EOFError):
        await c.read_packet()
    assert rig.target.resets == 1
    c2 = rig.connect()
    assert await c2.request(b"m80000000,4") == b"13000000"     # RAM survives


async def test_kill_quits_when_asked(nursery):
    target = FakeTarget()
    await nursery.start(target.run)
    r = Rig(nursery, target, on_kill="quit")
    c = r.connect()
    await c.send(b"k")
    with pytest.raises(EOFError):
        await c.read_packet()
    assert target.quit_code == 0


async def test_dropped_connection_while_running(rig):
    c = rig.connect()
    assert await c.request(b"Z0,1100,4") == b"OK"
    await c.send(b"c")
    await trio.sleep(0.02)
    await c.stream.aclose()
    await trio.sleep(0.1)
    # the session's breakpoint is gone, the machine runs on
    assert rig.target.breakpoints() == []
    assert rig.target.run_state == "running"
    assert rig.server.active_peer is None


async def test_dropped_connection_while_stopped_keeps_state(rig):
    c = rig.connect()
    assert await c.request(b"Z0,1100,4") == b"OK"
    assert await c.request(b"P20=" + le32(0x80000200)) == b"OK"
    await c.stream.aclose()
    await trio.sleep(0.05)
    assert rig.target.breakpoints() == [] and rig.target.run_state == "stopped"
    c2 = rig.connect()
    assert await c2.request(b"p20") == le32(0x80000200)


async def test_client_that_stops_reading_is_dropped(rig):
    rig.server.send_timeout = 0.2
    c = rig.connect(pair=trio.testing.lockstep_stream_pair)
    # ask for lots of data and never read it: the send times out, the session ends
    for _ in range(3):
        await c.stream.send_all(frame(b"m80000000,1000"))
    with trio.fail_after(3):
        while rig.server.active_peer is not None:
            await trio.sleep(0.05)
    assert "stopped reading" in rig.server.stats["last_end"]
    assert rig.target.run_state == "stopped"


async def test_connect_to_running_machine_stops_it(rig):
    rig.target.resume()
    await trio.sleep(0.02)
    c = rig.connect()
    assert (await c.request(b"?")).startswith(b"T05")
    assert rig.target.run_state == "stopped"


# -- real sockets ---------------------------------------------------------------------------------


async def test_tcp_one_client_at_a_time_then_reconnect(nursery):
    target = FakeTarget()
    await nursery.start(target.run)
    logs = []
    server = await nursery.start(lambda task_status: serve_gdb(target, "tcp::0", log=logs.append,
                                                                 task_status=task_status))
    host, port = server.address
    assert host == "127.0.0.1" and port > 0

    first = RspClient(await trio.open_tcp_stream(host, port))
    assert first.stream.socket.getsockopt(trio.socket.IPPROTO_TCP, trio.socket.TCP_NODELAY)
    assert await first.request(b"M80000000,2:abcd") == b"OK"

    second = RspClient(await trio.open_tcp_stream(host, port))
    reply = await second.request(b"qSupported:error-message+")
    assert reply.startswith(b"E.emud: another gdb is already connected")
    with pytest.raises(EOFError):
        await second.read_packet()
    assert any("refused" in line for line in logs)

    # the first session did not notice
    assert await first.request(b"m80000000,2") == b"abcd"
    await first.stream.aclose()
    with trio.fail_after(2):
        while server.active_peer is not None:
            await trio.sleep(0.01)

    third = RspClient(await trio.open_tcp_stream(host, port))
    assert await third.request(b"m80000000,2") == b"abcd"
    assert server.statistics()["refused"] == 1
    await third.stream.aclose()


async def test_tcp_port_in_use_is_one_clear_error(nursery):
    target = FakeTarget()
    server = await nursery.start(lambda task_status: serve_gdb(target, "tcp::0", task_status=task_status))
    with pytest.raises(GdbServerError, match="cannot listen on tcp:127.0.0.1:%d" % server.address[1]):
        await serve_gdb(target, "tcp::%d" % server.address[1])


async def test_unix_socket(nursery):
    target = FakeTarget()
    await nursery.start(target.run)
    path = os.path.join(tempfile.mkdtemp(), "gdb.sock")
    with trio.CancelScope() as scope:
        async with trio.open_nursery() as inner:
            server = await inner.start(lambda task_status: serve_gdb(target, "unix:" + path, task_status=task_status))
            assert server.address == path
            c = RspClient(await trio.open_unix_socket(path))
            assert await c.request(b"qC") == b"QC1"
            await c.stream.aclose()
            scope.cancel()
    assert not os.path.exists(path)


async def test_cancelling_the_server_with_a_live_session_leaks_nothing():
    target = FakeTarget()
    async with trio.open_nursery() as nursery:
        await nursery.start(target.run)
        server = await nursery.start(lambda task_status: serve_gdb(target, "tcp::0", task_status=task_status))
        c = RspClient(await trio.open_tcp_stream(*server.address))
        await c.send(b"c")
        await trio.sleep(0.02)
        nursery.cancel_scope.cancel()
    # reaching here means every task of the server ended


async def test_tcp_reconnect_at_once_after_a_close_is_served_not_refused(nursery):
    # scripts detach and attach again within milliseconds: the old session
    # has not noticed the close yet when the new connection arrives
    target = FakeTarget()
    await nursery.start(target.run)
    logs = []
    server = await nursery.start(lambda task_status: serve_gdb(target, "tcp::0", log=logs.append,
                                                                 task_status=task_status))
    for i in range(10):
        c = RspClient(await trio.open_tcp_stream(*server.address))
        assert await c.request(b"M80000000,1:%02x" % i) == b"OK"
        await c.stream.aclose()
    c = RspClient(await trio.open_tcp_stream(*server.address))
    assert await c.request(b"m80000000,1") == b"09"
    assert server.statistics()["refused"] == 0 and not logs
    await c.stream.aclose()


async def test_tcp_reset_mid_packet_ends_that_session_only(nursery):
    target = FakeTarget()
    await nursery.start(target.run)
    server = await nursery.start(lambda task_status: serve_gdb(target, "tcp::0", log=lambda line: None,
                                                                 task_status=task_status))
    for _ in range(5):
        stream = await trio.open_tcp_stream(*server.address)
        await stream.send_all(frame(b"m80000000,1000") * 50 + b"$m8000")     # answers unread, half a packet
        stream.socket.setsockopt(trio.socket.SOL_SOCKET, trio.socket.SO_LINGER, struct.pack("ii", 1, 0))
        await stream.aclose()                                                  # RST
    c = RspClient(await trio.open_tcp_stream(*server.address))
    assert (await c.request(b"?")).startswith(b"T05")
    await c.stream.aclose()


async def test_packets_queued_while_running_are_bounded(rig):
    c = rig.connect()
    await c.send(b"c")
    await trio.sleep(0.02)
    for _ in range(300):                      # all-stop gdb never does this
        await c.stream.send_all(frame(b"m80000000,4"))
    with trio.fail_after(3):
        while rig.server.active_peer is not None:
            await trio.sleep(0.02)
    assert "packets while the target ran" in rig.server.stats["last_end"]
    c2 = rig.connect()
    assert (await c2.request(b"?")).startswith(b"T")
