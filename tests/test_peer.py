"""emud.peer: each client connection is its own failure domain."""
from __future__ import annotations

import socket

import pytest
import trio
import trio.testing

from emud.peer import Peer, PeerGone, SessionLimit, SingleClientSlot, ended_by_client, run_session


async def test_receive_gives_empty_bytes_at_the_end_however_it_ended():
    left, right = trio.testing.memory_stream_pair()
    peer = Peer(right)
    await left.send_all(b"abc")
    assert await peer.receive() == b"abc"
    await left.aclose()
    assert await peer.receive() == b"" and peer.eof
    assert peer.hung_up()


async def test_a_client_that_reads_nothing_is_dropped_not_waited_for():
    left, right = trio.testing.lockstep_stream_pair()
    peer = Peer(right, stall_timeout=0.1)
    with trio.fail_after(2):
        with pytest.raises(PeerGone, match="stopped reading"):
            await peer.send(b"x" * 10)


async def test_sending_to_a_closed_connection_is_peer_gone():
    left, right = trio.testing.memory_stream_pair()
    await left.aclose()
    with pytest.raises(PeerGone, match="connection lost"):
        await Peer(right).send(b"x")


async def test_hung_up_sees_a_close_nobody_has_read_yet():
    a, b = socket.socketpair()
    peer = Peer(trio.SocketStream(trio.socket.from_stdlib_socket(b)))
    a.sendall(b"unread")
    assert not peer.hung_up()
    a.close()
    assert peer.hung_up()
    await peer.aclose()


def test_ended_by_client_looks_inside_exception_groups():
    gone = trio.BrokenResourceError("socket connection broken")
    assert ended_by_client(gone)
    group = _group([gone, PeerGone("x")])
    assert ended_by_client(group)
    assert not ended_by_client(_group([gone, KeyError("bug")]))


def _group(excs):
    try:
        return BaseExceptionGroup("g", excs)   # noqa: F821 -- Python 3.11
    except NameError:
        from exceptiongroup import BaseExceptionGroup as Group   # trio's backport on 3.9
        return Group("g", excs)


async def test_run_session_ends_quietly_when_the_client_vanishes_inside_a_nursery(capsys):
    left, right = trio.testing.memory_stream_pair()
    await left.aclose()

    async def session(peer):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.sleep_forever)
            await peer.stream.send_all(b"answer")    # raises BrokenResourceError in the nursery

    await run_session(session, Peer(right), "test")
    assert capsys.readouterr().err == ""


async def test_run_session_reports_a_bug_once_and_does_not_raise(monkeypatch):
    monkeypatch.delenv("EMUD_DEBUG", raising=False)
    left, right = trio.testing.memory_stream_pair()
    lines = []

    async def session(peer):
        raise KeyError("oops")

    await run_session(session, Peer(right), "test", lines.append)
    assert len(lines) == 1
    assert lines[0].startswith("internal error in test session with ?: KeyError: 'oops'")
    assert "EMUD_DEBUG" in lines[0]
    assert await left.receive_some(10) == b""      # the connection was closed


async def test_run_session_lets_cancellation_through():
    left, right = trio.testing.memory_stream_pair()
    with trio.move_on_after(0.05) as scope:
        await run_session(lambda peer: trio.sleep_forever(), Peer(right), "test")
    assert scope.cancelled_caught


async def test_session_limit_refuses_the_one_too_many_with_a_line():
    limit = SessionLimit("monitor", limit=1)
    lines = []
    release = trio.Event()

    async def handler(peer):
        await release.wait()

    async with trio.open_nursery() as nursery:
        first = trio.testing.memory_stream_pair()
        nursery.start_soon(limit.serve, handler, first[1], lines.append)
        await trio.testing.wait_all_tasks_blocked()
        second = trio.testing.memory_stream_pair()
        await limit.serve(handler, second[1], lines.append)
        assert b"too many monitor sessions" in await second[0].receive_some(200)
        assert limit.refused == 1 and len(lines) == 1
        release.set()
    assert limit.active == 0


async def test_single_client_slot_serves_after_a_hang_up_and_refuses_beside_a_live_client():
    slot = SingleClientSlot(grace=0.05)
    first, second, third = (Peer(trio.testing.memory_stream_pair()[1]) for _ in range(3))
    assert await slot.admit(first) and slot.active is first
    assert not await slot.admit(second)                  # first is live: refused after the grace
    first.eof = True                                     # first hung up, its session not ended yet
    results = {}

    async def newcomer(name, peer, arrival):
        results[name] = await slot.admit(peer, arrival)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(newcomer, "third", third, 12)
        nursery.start_soon(newcomer, "second", second, 11)
        await trio.testing.wait_all_tasks_blocked()
        assert results == {}                             # both wait for first's session to end
        slot.release()
    # the one that came first takes the slot; the other then finds a live
    # client and is refused
    assert results == {"second": True, "third": False}
    assert slot.active is second


async def test_single_client_slot_serves_newcomers_in_the_order_they_came():
    slot = SingleClientSlot(grace=0.05)
    first = Peer(trio.testing.memory_stream_pair()[1])
    assert await slot.admit(first)
    first.eof = True                                     # hung up: every newcomer will be served
    served = []

    async def newcomer(arrival):
        peer = Peer(trio.testing.memory_stream_pair()[1])
        assert await slot.admit(peer, arrival)
        served.append(arrival)
        peer.eof = True                                  # it leaves at once, as a dropped gdb does
        await trio.sleep(0)
        slot.release()

    arrivals = [105, 101, 104, 100, 103, 102]
    async with trio.open_nursery() as nursery:
        for arrival in arrivals:                         # their tasks start in another order
            nursery.start_soon(newcomer, arrival)
        await trio.testing.wait_all_tasks_blocked()
        slot.release()
    assert served == sorted(arrivals)
