"""Chardev specs as users type them, and real socket round trips with trio."""
import os

import pytest
import trio

from emud.chardev import (ChardevError, ChardevSpec, MemoryChardev, SocketChardev,
                          StdioChardev, open_chardev, parse_chardev)
from emud.devices.uart16550 import Uart16550


@pytest.mark.parametrize("text,kind,fields", [
    ("stdio", "stdio", {}),
    ("mon:stdio", "stdio", {"mux": True}),
    ("none", "none", {}),
    ("null", "null", {}),
    ("memory", "memory", {}),
    ("file:out.log", "file", {"path": "out.log"}),
    ("file:/tmp/a:b", "file", {"path": "/tmp/a:b"}),
    ("tcp::4444,server,nowait", "tcp", {"host": "", "port": 4444, "server": True, "wait": False}),
    ("tcp::4444,server", "tcp", {"port": 4444, "server": True, "wait": True}),
    ("tcp:localhost:4444,server=on,wait=off", "tcp",
     {"host": "localhost", "port": 4444, "server": True, "wait": False}),
    ("tcp:0.0.0.0:5555,server=on,wait=on,nodelay=on", "tcp",
     {"host": "0.0.0.0", "port": 5555, "server": True, "wait": True, "nodelay": True}),
    ("tcp:127.0.0.1:4444", "tcp", {"host": "127.0.0.1", "port": 4444, "server": False}),
    ("tcp:[::1]:4444,server=on,wait=off", "tcp", {"host": "::1", "port": 4444, "server": True}),
    ("unix:/tmp/s.sock,server,nowait", "unix", {"path": "/tmp/s.sock", "server": True, "wait": False}),
    ("unix:/tmp/s.sock", "unix", {"path": "/tmp/s.sock", "server": False}),
    ("socket,id=c0,host=127.0.0.1,port=4000,server=on,wait=off", "tcp",
     {"host": "127.0.0.1", "port": 4000, "server": True, "wait": False, "id": "c0"}),
    ("socket,id=c1,path=/tmp/x,server=on", "unix", {"path": "/tmp/x", "server": True, "wait": True}),
    ("file,id=f,path=log.txt", "file", {"path": "log.txt"}),
    ("stdio,signal=off", "stdio", {"signal": False}),
    ("stdio,id=con,mux=on", "stdio", {"id": "con", "mux": True}),
    ("stdio,id=con,logfile=con.log,logappend=on", "stdio", {"logfile": "con.log", "logappend": True}),
    ("pty", "pty", {}),
    ("pty,id=con,mux=on", "pty", {"id": "con", "mux": True}),
    ("null,id=n", "null", {"id": "n"}),
    ("tcp::4444,server,nowait,logfile=uart.log", "tcp", {"port": 4444, "logfile": "uart.log"}),
])
def test_parse_every_spelling(text, kind, fields):
    spec = parse_chardev(text)
    assert spec.kind == kind
    for k, v in fields.items():
        assert getattr(spec, k) == v, (k, getattr(spec, k))


@pytest.mark.parametrize("text", [
    "", "bogus", "tcp:4444", "tcp::notaport,server", "tcp::70000", "tcp::4444,server=maybe",
    "tcp::4444,frobnicate", "file:", "unix:", "pty,path=x", "stdio,logfile=", "vc", "udp::4444", "telnet::4444,server",
    "/dev/ttyS0", "socket,id=x", "tcp::4444,websocket=on", "pipe:foo", "file,path=",
])
def test_bad_specs_give_one_line_errors(text):
    with pytest.raises(ChardevError) as exc:
        parse_chardev(text)
    msg = str(exc.value)
    assert msg and "\n" not in msg
    assert isinstance(exc.value, ValueError)


def test_open_chardev_kinds(tmp_path):
    assert type(open_chardev("memory")).__name__ == "MemoryChardev"
    assert type(open_chardev("null")).__name__ == "NullChardev"
    assert isinstance(open_chardev("tcp::0,server,nowait"), SocketChardev)
    assert isinstance(open_chardev("stdio"), StdioChardev)
    path = tmp_path / "serial.log"
    f = open_chardev("file:%s" % path)
    uart = Uart16550(chardev=f)
    for b in b"log me":
        uart.write(0, 1, b)
    f.close()
    assert path.read_bytes() == b"log me"
    with pytest.raises(ChardevError):
        open_chardev("file:%s" % (tmp_path / "no" / "such" / "dir"))


def test_memory_chardev_feeds_uart_with_back_pressure():
    chr_ = MemoryChardev()
    uart = Uart16550(chardev=chr_)
    chr_.feed(b"xyz")
    assert chr_.statistics()["input_pending"] == 2
    assert bytes(uart.read(0, 1) for _ in range(3)) == b"xyz"
    assert chr_.statistics()["input_pending"] == 0


async def test_tcp_server_round_trip_nowait():
    chr_ = open_chardev("tcp:127.0.0.1:0,server=on,wait=off")
    uart = Uart16550(chardev=chr_)
    uart.write(2, 1, 0x01)                  # FIFO on
    async with trio.open_nursery() as nursery:
        await nursery.start(chr_.run)
        host, port = chr_.address
        assert host == "127.0.0.1"
        uart.write(0, 1, ord("!"))          # no client yet: discarded, as QEMU
        client = await trio.open_tcp_stream(host, port)
        while not chr_.connected:
            await trio.sleep(0.001)
        for b in b"hello":
            uart.write(0, 1, b)
        got = b""
        while len(got) < 5:
            got += await client.receive_some(100)
        assert got == b"hello"
        await client.send_all(b"in")
        received = b""
        with trio.fail_after(5):
            while len(received) < 2:
                # trigger level 1: QEMU's UART takes one byte, then waits for a read
                assert len(uart.recv_fifo) <= 1
                if uart.read(5, 1) & 1:
                    received += bytes([uart.read(0, 1)])
                await trio.sleep(0.001)
        assert received == b"in"
        await client.aclose()
        with trio.fail_after(5):
            while chr_.connected:
                await trio.sleep(0.001)
        # a second client is served after the first leaves
        client2 = await trio.open_tcp_stream(host, port)
        while chr_.statistics()["clients_served"] < 2 or not chr_.connected:
            await trio.sleep(0.001)
        uart.write(0, 1, ord("2"))
        assert await client2.receive_some(10) == b"2"
        await client2.aclose()
        nursery.cancel_scope.cancel()
    assert chr_.bytes_dropped >= 1


async def test_tcp_server_wait_blocks_start_until_client():
    chr_ = open_chardev("tcp::0,server")
    events = []

    async def connect_later():
        await chr_.listening.wait()
        events.append("listening")
        await trio.sleep(0.05)
        events.append("connect")
        return await trio.open_tcp_stream(*chr_.address)

    async with trio.open_nursery() as nursery:
        result = {}

        async def client():
            result["stream"] = await connect_later()

        nursery.start_soon(client)
        await nursery.start(chr_.run)
        events.append("started")
        assert events == ["listening", "connect", "started"]
        assert chr_.address[0] == "127.0.0.1"   # empty host: localhost only
        while "stream" not in result:
            await trio.sleep(0.001)
        chr_.write(b"ok")
        assert await result["stream"].receive_some(10) == b"ok"
        await result["stream"].aclose()
        nursery.cancel_scope.cancel()


async def test_slow_client_loses_output_instead_of_stalling():
    chr_ = SocketChardev(parse_chardev("tcp::0,server=on,wait=off"), output_limit=1000)
    async with trio.open_nursery() as nursery:
        await nursery.start(chr_.run)
        client = await trio.open_tcp_stream(*chr_.address)   # never reads
        while not chr_.connected:
            await trio.sleep(0.001)
        for _ in range(20000):
            chr_.write(b"x" * 100)                  # 2 MB: must return at once
            if _ % 1000 == 0:
                await trio.sleep(0)
        assert chr_.bytes_dropped > 0
        assert len(chr_._out) <= 1000
        await client.aclose()
        nursery.cancel_scope.cancel()


async def test_unix_socket_client_and_server(tmp_path):
    path = str(tmp_path / "uart.sock")
    server = open_chardev("unix:%s,server,nowait" % path)
    client = open_chardev("unix:%s" % path)
    got = MemoryChardev()

    class Sink:
        def __init__(self):
            self.data = b""

        def can_receive(self):
            return 16

        def receive(self, data):
            self.data += data

    sink = Sink()
    server.attach(sink)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        await nursery.start(client.run)
        while not server.connected:
            await trio.sleep(0.001)
        client.write(b"over unix")
        with trio.fail_after(5):
            while sink.data != b"over unix":
                await trio.sleep(0.001)
        nursery.cancel_scope.cancel()
    assert not os.path.exists(path)
    assert got.output == b""


def test_stdio_escape_filter():
    quits = []
    s = StdioChardev(parse_chardev("mon:stdio"), on_quit=lambda: quits.append(1))
    assert s.filter_input(b"a\x01\x01b\x01x") == b"a\x01b"
    assert quits == [1]
    plain = StdioChardev(parse_chardev("stdio"))
    assert plain.filter_input(b"\x01x") == b"\x01x"


def test_spec_equality_and_describe():
    assert parse_chardev("tcp::4444,server,nowait") == parse_chardev("tcp::4444,server=on,wait=off")
    assert parse_chardev("tcp:127.0.0.1:1,server").describe() == "tcp:127.0.0.1:1,server=on"
    assert isinstance(parse_chardev("null"), ChardevSpec)


async def test_tcp_server_refuses_a_second_client_while_one_is_attached_and_serves_a_reconnect():
    chr_ = SocketChardev(parse_chardev("tcp::0,server=on,wait=off"))
    async with trio.open_nursery() as nursery:
        await nursery.start(chr_.run)
        first = await trio.open_tcp_stream(*chr_.address)
        with trio.fail_after(5):
            while not chr_.connected:
                await trio.sleep(0.001)
        second = await trio.open_tcp_stream(*chr_.address)
        with trio.fail_after(5):
            refusal = await second.receive_some(200)
        assert b"is in use by 127.0.0.1:" in refusal and b"one client at a time" in refusal
        assert chr_.statistics()["clients_refused"] == 1
        # a client that closes and connects again at once is served, not refused
        await first.aclose()
        third = await trio.open_tcp_stream(*chr_.address)
        with trio.fail_after(5):
            while chr_.statistics()["clients_served"] < 2 or not chr_.connected:
                await trio.sleep(0.001)
        chr_.write(b"hi")
        assert await third.receive_some(10) == b"hi"
        assert chr_.statistics()["clients_refused"] == 1
        await third.aclose()
        nursery.cancel_scope.cancel()
