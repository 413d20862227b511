"""The console transport over an in-memory stream (fake target), and the
spec parsing it shares with QMP."""
from __future__ import annotations

import functools

import pytest
import trio
import trio.testing

from emud.chardev import ChardevError
from emud.debug import StopEvent
from emud.monitor.console import console_session, serve_monitor
from emud.monitor.context import MonitorContext
from emud.monitor.transport import parse_spec

from .conftest import cut_answer, session_ends_when_client_vanishes
from .fake_target import FakeTarget


class Peer:
    def __init__(self, stream):
        self.stream = stream
        self.buf = b""

    async def until_prompt(self):
        while cut_answer(self.buf) is None:
            data = await self.stream.receive_some(65536)
            if not data:
                raise EOFError(self.buf)
            self.buf += data
        out, self.buf = cut_answer(self.buf)
        return out

    async def cmd(self, line):
        await self.stream.send_all(line.encode() + b"\r\n")
        return await self.until_prompt()


@pytest.fixture
async def peer(nursery):
    target = FakeTarget()
    server, client = trio.testing.memory_stream_pair()
    nursery.start_soon(console_session, MonitorContext(target), server)
    p = Peer(client)
    p.target = target
    p.greeting = await p.until_prompt()
    return p


async def test_greeting_prompt_and_plain_output(peer):
    assert peer.greeting.startswith("emud ") and "type 'help' for more information" in peer.greeting
    assert await peer.cmd("info symbol main") == "main\n"
    assert await peer.cmd("") == ""
    assert await peer.cmd("frobnicate") == "Error: unknown command: 'frobnicate' (try 'help')\n"
    assert "\x1b" not in await peer.cmd("info registers")


async def test_stop_notices_only_for_stops_the_session_did_not_cause(peer):
    out = await peer.cmd("step 2")
    assert "stopped:" not in out
    await peer.cmd("cont")
    assert peer.target.run_state == "running"
    peer.target.request_stop()         # e.g. a breakpoint hit while running
    notice = await peer.until_prompt()
    assert notice == "\nstopped: interrupt at 0x80000008 <_start+8> hart 0\n"
    assert await peer.cmd("info status") == "VM status: paused (interrupt)\n"


async def test_a_breakpoint_hit_while_break_is_handled_is_still_told(peer):
    # on a fast runtime the guest may reach the new breakpoint before the
    # `break` command has even answered: its stop must not be swallowed
    await peer.cmd("cont")
    target = peer.target
    add = target.add_breakpoint

    def add_and_hit(*args, **kw):
        bp = add(*args, **kw)
        target._stop(StopEvent("breakpoint", pc=bp.addr))   # the vCPU, between two awaits
        return bp
    target.add_breakpoint = add_and_hit
    out = await peer.cmd("break main")
    assert "stopped:" not in out
    with trio.fail_after(10):
        notice = await peer.until_prompt()
    assert notice.startswith("\nstopped: breakpoint at") and "<main>" in notice


async def test_quit_ends_the_session(peer):
    await peer.stream.send_all(b"quit\n")
    with pytest.raises(EOFError):
        await peer.until_prompt()
    assert peer.target.quit_code == 0


async def test_serve_monitor_over_tcp_with_qemu_spelling(nursery):
    target = FakeTarget()
    address = await nursery.start(serve_monitor, target, "tcp:127.0.0.1:0,server=on,wait=off")
    stream = await trio.open_tcp_stream(*address)
    p = Peer(stream)
    await p.until_prompt()
    assert await p.cmd("print/x 0x10 + 1") == "0x11\n"
    await stream.aclose()


async def test_serve_monitor_unix_socket(nursery, tmp_path):
    path = str(tmp_path / "mon.sock")
    address = await nursery.start(serve_monitor, FakeTarget(), "unix:%s,server,nowait" % path)
    assert address == path
    p = Peer(await trio.open_unix_socket(path))
    await p.until_prompt()
    assert await p.cmd("info status") == "VM status: paused (interrupt)\n"


@pytest.mark.parametrize("spec,kind", [
    ("stdio", "stdio"), ("none", "none"), ("tcp::4444,server,nowait", "tcp"),
    ("tcp:127.0.0.1:4444,server=on,wait=off", "tcp"), ("unix:mon.sock,server,nowait", "unix"),
])
def test_specs_as_users_type_them(spec, kind):
    parsed = parse_spec(spec)
    assert parsed.kind == kind
    if kind in ("tcp", "unix"):
        assert parsed.server and not parsed.wait


@pytest.mark.parametrize("spec", ["file:out.txt", "tcp:nohost", "bogus", "pty"])
def test_bad_specs_are_one_line_errors(spec):
    with pytest.raises(ChardevError) as e:
        parse_spec(spec)
    assert "\n" not in str(e.value)


async def test_a_bug_in_one_command_is_that_commands_error(peer, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(peer.target, "read_register", broken)
    out = await peer.cmd("info registers")
    assert out.startswith("Error: internal error") and "ZeroDivisionError" in out
    monkeypatch.undo()
    assert await peer.cmd("info symbol main") == "main\n"      # the session goes on


async def test_an_overlong_line_is_refused_whole_not_run_in_pieces(peer):
    await peer.stream.send_all(b"info status;" * 20000 + b"\r\n")
    assert "line too long" in await peer.until_prompt()
    assert await peer.cmd("info symbol main") == "main\n"


async def test_a_client_that_vanishes_with_answers_unread_ends_its_session_only():
    await session_ends_when_client_vanishes(functools.partial(console_session, MonitorContext(FakeTarget())),
                                            b"info registers\r\nx/1000i 0x80000000\r\n" * 20)
