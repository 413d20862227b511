"""Rude clients for emud's servers (issue 8): blocking sockets, every wait
bounded. A client here may flood a server without reading, stop in the
middle of a line or a packet, or vanish with a TCP reset; the well-behaved
ones read their answers slowly. Used by the end-to-end attack tests and by
the soak test.

Protocol framing is not repeated here: gdb packets come from
tests/support/rsp.py, the console's prompt from tests/monitor/conftest.py.
"""
from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from emud.netutil import open_socket
from tests.monitor.conftest import PROMPT, cut_answer
from tests.support.rsp import RSPClient, checksum, escape

GDB_REFUSAL = "E.emud: another gdb is already connected"


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    return open_socket(("127.0.0.1", port), timeout)


def reset_close(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0) instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def vanish(sock: socket.socket, how: str) -> None:
    """``close`` (a FIN, or a reset when answers are unread) or ``reset``."""
    if how == "reset" and sock.family in (socket.AF_INET, socket.AF_INET6):
        reset_close(sock)
    else:
        sock.close()


def flood(sock: socket.socket, data: bytes, seconds: float = 3.0) -> int:
    """Send as much of ``data`` as the server takes within ``seconds``
    without reading anything; how many bytes went. A server that stops
    reading, or drops us, ends the flood: that is its right."""
    sock.settimeout(0.2)
    sent = 0
    deadline = time.monotonic() + seconds
    view = memoryview(data)
    while sent < len(data) and time.monotonic() < deadline:
        try:
            sent += sock.send(view[sent:sent + 65536])
        except socket.timeout:
            continue
        except OSError:
            break
    return sent


def recv_until(sock: socket.socket, done: Callable[[bytes], bool], timeout: float = 20.0,
               chunk: int = 65536, pause: float = 0.0) -> bytes:
    """Read until ``done(everything so far)``; ``chunk`` and ``pause`` make
    a slow reader. Raises EOFError / socket.timeout (with what came)."""
    buf = bytearray()
    deadline = time.monotonic() + timeout
    while not done(bytes(buf)):
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("no complete answer within %gs; got %r" % (timeout, bytes(buf[-300:])))
        sock.settimeout(left)
        data = sock.recv(chunk)
        if not data:
            raise EOFError("the server closed the connection; got %r" % bytes(buf[-300:]))
        buf += data
        if pause:
            time.sleep(pause)
    return bytes(buf)


# -- QMP ------------------------------------------------------------------------------------------------


def qmp_request(execute: str, ident: Any = None, **arguments: Any) -> bytes:
    msg: Dict[str, Any] = {"execute": execute}
    if arguments:
        msg["arguments"] = arguments
    if ident is not None:
        msg["id"] = ident
    return json.dumps(msg).encode() + b"\n"


QMP_CAPABILITIES = qmp_request("qmp_capabilities")


def qmp_messages(data: bytes) -> List[Dict[str, Any]]:
    """The complete JSON messages (one a line) in ``data``."""
    return [json.loads(line) for line in data.split(b"\n")[:-1] if line.strip()]


def qmp_answers(data: bytes) -> List[Dict[str, Any]]:
    """Replies and errors, events left out."""
    return [m for m in qmp_messages(data) if "event" not in m]


def qmp_session(port: int, requests: List[bytes], timeout: float = 20.0, chunk: int = 65536,
                pause: float = 0.0) -> List[Dict[str, Any]]:
    """A polite QMP client: greeting, capabilities, ``requests`` sent in one
    go, every answer read (slowly with a small ``chunk`` and a ``pause``).
    The answers (the greeting and the capabilities' reply excluded)."""
    with connect(port, timeout) as sock:
        greeting = qmp_messages(recv_until(sock, lambda b: b.endswith(b"\n"), timeout))
        assert greeting and "QMP" in greeting[0], "not a QMP greeting: %r" % greeting
        sock.sendall(QMP_CAPABILITIES + b"".join(requests))
        want = len(requests) + 1
        data = recv_until(sock, lambda b: len(qmp_answers(b[:b.rfind(b"\n") + 1])) >= want, timeout, chunk, pause)
    answers = qmp_answers(data[:data.rfind(b"\n") + 1])
    assert answers[0] == {"return": {}}, "qmp_capabilities answered %r" % answers[0]
    return answers[1:]


# -- the monitor console -----------------------------------------------------------------------------------


def count_prompts(data: bytes) -> int:
    return data.count(PROMPT)


def console_session(port: int, lines: List[str], timeout: float = 20.0, chunk: int = 65536,
                    pause: float = 0.0) -> List[str]:
    """A polite console client: the greeting, then ``lines`` sent in one go
    and one answer per line read (slowly with ``chunk``/``pause``)."""
    with connect(port, timeout) as sock:
        sock.sendall("".join(line + "\n" for line in lines).encode())
        data = recv_until(sock, lambda b: count_prompts(b) >= len(lines) + 1, timeout, chunk, pause)
    answers = []
    rest = data
    while True:
        cut = cut_answer(rest)
        if cut is None:
            break
        answer, rest = cut
        answers.append(answer)
    assert answers[0].startswith("emud "), "not the console's greeting: %r" % answers[0]
    return answers[1:]


# -- gdb -----------------------------------------------------------------------------------------------------


def gdb_packet(payload: str) -> bytes:
    body = escape(payload)
    return b"$" + body + b"#%02x" % checksum(body)


def gdb_try(port: int, timeout: float = 10.0) -> Tuple[Optional[RSPClient], str]:
    """Connect and ask ``?``: (the client, the stop reply), or (None, the
    refusal) when the stub turned us away."""
    client = RSPClient(connect(port, timeout), 32, timeout)
    try:
        reply = client.command("?")
    except BaseException:
        client.close()
        raise
    if reply.startswith("E"):
        client.close()
        return None, reply
    return client, reply


def gdb_attach(port: int, patience: float = 0.0, timeout: float = 10.0) -> Tuple[RSPClient, str]:
    """A gdb session (the client and its first stop reply). With
    ``patience`` a refusal is retried for that many seconds; without, a
    refusal fails (AssertionError with the stub's words)."""
    deadline = time.monotonic() + patience
    while True:
        client, reply = gdb_try(port, timeout)
        if client is not None:
            assert reply[:1] in ("T", "S"), "'?' answered %r" % reply
            return client, reply
        if time.monotonic() >= deadline:
            raise AssertionError("gdb stub refused a new session: %r" % reply)
        time.sleep(0.05)
