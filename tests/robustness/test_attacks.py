"""Issue 8, end to end: a client of any socket emud serves (gdb, monitor,
QMP, a serial port) can vanish at any moment -- mid-line, mid-packet, with
megabytes of answers unread, with a TCP reset, a thousand times in a row.
That ends its session only: emud keeps running, a fresh client is served,
and the guest (held at reset by -S, then let go) prints exactly what an
undisturbed run prints and exits as it would.

Each test runs ``python -m emud`` on a small firmware with the attacked
server on a free port (and QMP beside it to let the guest go at the end).
"""
from __future__ import annotations

import socket
import time

import pytest

from emud.netutil import open_socket, retry_until
from tests.support.rsp import RSPClient, RSPError

from .clients import (GDB_REFUSAL, QMP_CAPABILITIES, console_session, flood, gdb_attach, gdb_packet,
                      gdb_try, qmp_request, qmp_session, recv_until, vanish)
from .conftest import assert_no_traceback, assert_serving, dial, finish_demo

MiB = 1 << 20


# -- QMP -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["close", "reset"])
def test_qmp_client_that_floods_requests_and_leaves_without_reading(serving, demo_elf, how):
    # finding 1: qmp_capabilities + 200 query-status, gone before the answers
    e = serving(demo_elf, "qmp")
    port = e.ports["qmp"]
    for round_ in range(3):
        sock = dial(e, "qmp")
        sock.sendall(QMP_CAPABILITIES + qmp_request("query-status") * 200)
        vanish(sock, how)
        assert_serving(e, "QMP flood #%d, then %s" % (round_, how))
    answers = qmp_session(port, [qmp_request("query-status", ident=1)])
    assert answers == [{"return": {"running": False, "singlestep": False, "status": "prelaunch"}, "id": 1}]
    finish_demo(e)


@pytest.mark.parametrize("line_end", [b"\n", b""], ids=["whole-line", "mid-line"])
def test_qmp_client_that_sends_a_megabyte_line_and_leaves(serving, demo_elf, line_end):
    # finding 1: a 1 MiB request line (or 1 MiB of a line never finished), then a close
    e = serving(demo_elf, "qmp")
    port = e.ports["qmp"]
    big = b'{"execute": "query-status", "id": "' + b"x" * MiB + b'"}' + line_end
    for round_ in range(2):
        sock = dial(e, "qmp")
        flood(sock, QMP_CAPABILITIES + big, seconds=10)
        vanish(sock, "close")
        assert_serving(e, "a 1 MiB QMP line #%d" % round_)
    assert qmp_session(port, [qmp_request("query-status")])[0]["return"]["status"] == "prelaunch"
    finish_demo(e)


# -- the monitor console -----------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["close", "reset"])
def test_console_client_that_floods_commands_and_leaves_without_reading(serving, demo_elf, how):
    # finding 2: twenty big answers asked for, none read
    e = serving(demo_elf, "monitor", "qmp")
    port = e.ports["monitor"]
    for round_ in range(2):
        sock = dial(e, "monitor")
        sock.sendall(b"info mtree\nx/1000i 0x80000000\n" * 20)
        vanish(sock, how)
        assert_serving(e, "console flood #%d, then %s" % (round_, how))
    assert console_session(port, ["info status"]) == ["VM status: paused (prelaunch)\n"]
    finish_demo(e)


@pytest.mark.parametrize("server", ["monitor", "qmp"])
def test_line_client_that_leaves_mid_line(serving, demo_elf, server):
    e = serving(demo_elf, "monitor", "qmp")
    partial = b"info regis" if server == "monitor" else QMP_CAPABILITIES + b'{"execute": "query-st'
    for how in ("close", "reset", "close", "reset"):
        sock = dial(e, server)
        sock.sendall(partial)
        time.sleep(0.05)
        vanish(sock, how)
    assert_serving(e, "%s clients leaving mid-line" % server)
    assert "pc" in console_session(e.ports["monitor"], ["info registers"])[0]
    assert qmp_session(e.ports["qmp"], [qmp_request("query-status")])[0]["return"]["status"] == "prelaunch"
    finish_demo(e)


# -- gdb -------------------------------------------------------------------------------------------------------


def test_gdb_reconnecting_at_once_is_served(serving, demo_elf):
    # finding 3: gdb closes and comes straight back; the old session is
    # closing, not active, so the newcomer must be served (not refused)
    e = serving(demo_elf, "gdb", "qmp")
    port = e.ports["gdb"]
    for cycle in range(20):
        try:
            client, reply = gdb_attach(port)
        except AssertionError as exc:
            raise AssertionError("reconnect #%d: %s" % (cycle, exc)) from None
        assert reply.startswith("T05")
        assert client.read_registers()[32] == 0x1000
        if cycle % 2:
            client.close()
        else:
            vanish(client.sock, "reset")
    assert_serving(e, "20 gdb sessions ended by the client")
    finish_demo(e)


def test_gdb_newcomer_while_a_session_is_live_is_refused_clearly(serving, demo_elf):
    e = serving(demo_elf, "gdb", "qmp")
    port = e.ports["gdb"]
    first, _ = gdb_attach(port)
    for _ in range(3):
        intruder, reply = gdb_try(port)
        assert intruder is None, "a second gdb session was served while one is live"
        assert reply.startswith(GDB_REFUSAL)
    # the live session did not notice
    assert first.read_registers()[32] == 0x1000
    assert first.read_memory(0x1000, 4) == bytes.fromhex("97020000")
    first.close()
    finish_demo(e)


@pytest.mark.parametrize("how", ["close", "reset", "kill", "detach"])
def test_gdb_newcomer_waiting_while_the_attached_session_ends_is_served(serving, demo_elf, spin_elf, how):
    # a newcomer arrives while a live session is attached, and that session
    # ends a moment later (its client leaves; or it kills: the machine is
    # reset; or it detaches: the machine runs): the newcomer is served
    e = serving(spin_elf if how == "detach" else demo_elf, "gdb", "qmp")
    port = e.ports["gdb"]
    for round_ in range(10):
        first, _ = gdb_attach(port, patience=10)
        newcomer = RSPClient(dial(e, "gdb"), 32)
        newcomer.sock.sendall(gdb_packet("?"))
        time.sleep(0.1)              # it waits for the attached session
        if how == "kill":
            first.kill()             # the stub ends the session; gdb's end stays open a while
        elif how == "detach":
            assert first.command("D") == "OK"
        else:
            vanish(first.sock, how)
        try:
            reply = newcomer.read_packet()
        except (RSPError, OSError) as exc:
            time.sleep(0.5)          # a dying emud's traceback takes a moment
            raise AssertionError("round %d: the newcomer got no answer (%r); emud %s; stderr:\n%s"
                                 % (round_, exc, "alive" if e.alive() else "exited", e.stderr())) from None
        assert reply.startswith("T05"), "round %d: %r" % (round_, reply)
        assert_serving(e, "round %d" % round_)
        newcomer.close()
        first.close()
    if how != "detach":              # the spinning guest never ends
        finish_demo(e)


def test_gdb_connections_waiting_are_served_in_the_order_they_came(serving, spin_elf):
    # A script drops a few connections in a row (each stops the machine when
    # served, as QEMU's gdb stub does; a dropped one leaves it stopped), then
    # attaches once more and detaches: the machine must run. Served out of
    # order, a dropped connection could stop the machine after the detach
    # (found by the soak test: the guest stayed paused after the attack).
    e = serving(spin_elf, "gdb", "qmp", held=False)
    port = e.ports["gdb"]
    for round_ in range(6):
        for _ in range(8):
            vanish(dial(e, "gdb"), "close" if round_ % 2 else "reset")
        client, _ = gdb_attach(port, patience=10)
        assert client.command("D") == "OK"
        client.close()
        time.sleep(0.3)               # what was still queued has been served by now
        status = qmp_session(e.ports["qmp"], [qmp_request("query-status")])[0]["return"]
        assert status["running"], "round %d: the machine is %s after the last session detached" % (
            round_, status["status"])
    assert_serving(e, "six rounds of dropped gdb connections")


def _gdb_flood_m(sock):
    sock.sendall(b"+")
    flood(sock, gdb_packet("m80000000,400") * 2000, seconds=5)


def _gdb_flood_g(sock):
    flood(sock, gdb_packet("QStartNoAckMode") + gdb_packet("g") * 5000, seconds=5)


def _gdb_half_packet(sock):
    sock.sendall(gdb_packet("qSupported:swbreak+;hwbreak+") + b"$m80000000,")


def _gdb_half_checksum(sock):
    sock.sendall(gdb_packet("g")[:-1])


def _gdb_continue_then_junk(sock):
    sock.sendall(gdb_packet("c") + b"\x03" + gdb_packet("m80000000,4") + b"$g#6")


GDB_ATTACKS = {
    "m-flood": _gdb_flood_m, "g-flood": _gdb_flood_g, "half-packet": _gdb_half_packet,
    "half-checksum": _gdb_half_checksum, "continue-interrupt-junk": _gdb_continue_then_junk,
}


@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize("attack", list(GDB_ATTACKS))
def test_gdb_client_that_vanishes(serving, demo_elf, attack, how):
    e = serving(demo_elf, "gdb", "qmp")
    port = e.ports["gdb"]
    for round_ in range(3):
        sock = dial(e, "gdb")
        GDB_ATTACKS[attack](sock)
        vanish(sock, how)
        assert_serving(e, "gdb %s #%d, then %s" % (attack, round_, how))
        # a fresh gdb is served (once the vanished one's session has ended)
        client, reply = gdb_attach(port, patience=10)
        assert reply[:1] == "T"
        assert len(client.read_memory(0x80000000, 0x100)) == 0x100
        client.close()
    finish_demo(e)


# -- the serial port -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["close", "reset"])
@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_serial_client_that_floods_and_leaves_without_reading(serving, echo_elf, tmp_path, kind, how):
    # examples/uart-echo.c echoes every byte it receives; a client sends it
    # a lot, reads none of the echo, and vanishes
    if kind == "tcp":
        e = serving(echo_elf, "serial", held=False)
        address = ("127.0.0.1", e.ports["serial"])
    else:
        path = str(tmp_path / "serial.sock")
        e = serving(echo_elf, held=False, args=["-serial", "unix:%s,server,nowait" % path])
        address = "unix:" + path
    for round_ in range(3):
        sock = _connect_serial(e, address)
        flood(sock, b"a" * MiB, seconds=1.5)
        vanish(sock, how)
        assert_serving(e, "serial flood #%d, then %s" % (round_, how))
    # a fresh client: the guest echoes it (after whatever is left of the flood)
    with _connect_serial(e, address) as sock:
        sock.sendall(b"hello robust\r")
        recv_until(sock, lambda b: b"hello robust\n" in b, timeout=30)
        sock.sendall(b"q")
        recv_until(sock, lambda b: b"uart-echo: bye\n" in b, timeout=30)
    assert e.proc.wait(30) == 0
    assert_no_traceback(e)


def _connect_serial(e, address) -> socket.socket:
    return retry_until(lambda: open_socket(address, 10), 10, e.alive)


# -- many in a row -------------------------------------------------------------------------------------------------


VANISHING_OPENERS = {
    "monitor": b"info mtree\nx/20i 0x8000",
    "qmp": QMP_CAPABILITIES + qmp_request("query-status") + b'{"exec',
    "gdb": b"+" + gdb_packet("g") + b"$m8000",
}


@pytest.mark.parametrize("server", list(VANISHING_OPENERS))
def test_a_thousand_clients_vanishing_in_a_row(serving, demo_elf, server):
    e = serving(demo_elf, *sorted({server, "qmp"}))
    port = e.ports[server]
    opener = VANISHING_OPENERS[server]
    deadline = time.monotonic() + 30
    done = 0
    while done < 1000 and time.monotonic() < deadline:
        sock = dial(e, server, timeout=5)
        if done % 3:
            try:
                sock.sendall(opener[:done % len(opener) + 1])
            except OSError:
                pass
        vanish(sock, "reset" if done % 2 else "close")
        done += 1
    assert done >= 200, "only %d connections in 30 s" % done
    assert_serving(e, "%d %s clients vanishing" % (done, server))
    if server == "gdb":
        client, _ = gdb_attach(port, patience=10)
        assert client.read_registers()[32] == 0x1000
        client.close()
    elif server == "monitor":
        assert console_session(port, ["info status"]) == ["VM status: paused (prelaunch)\n"]
    else:
        assert qmp_session(port, [qmp_request("query-status")])[0]["return"]["status"] == "prelaunch"
    finish_demo(e)
