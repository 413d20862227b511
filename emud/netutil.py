"""Small socket helpers for the clients of emud's servers (the Python
client, the pytest plugin, the tests): where to connect, which port is free,
whether a server is up yet. Blocking, standard library only; the servers
themselves live in emud.chardev (trio).
"""
from __future__ import annotations

import socket
import time
from typing import Any, Callable, Optional, Tuple, Union

Address = Union[str, Tuple[str, int]]


def parse_address(address: Address) -> Tuple[str, Any]:
    """"host:port", ":port", "port", ("host", port), "unix:PATH" or a path
    -> ("tcp", (host, port)) or ("unix", path)."""
    if isinstance(address, tuple):
        return "tcp", (address[0], int(address[1]))
    text = str(address)
    if text.startswith("unix:"):
        return "unix", text[5:].split(",")[0]
    if text.startswith("tcp:"):
        text = text[4:].split(",")[0]
    if "/" in text or text.endswith(".sock"):
        return "unix", text
    host, _, port = text.rpartition(":")
    if not port.isdigit():
        raise ValueError("bad address %r: expected HOST:PORT or unix:PATH" % address)
    return "tcp", (host or "127.0.0.1", int(port))


def open_socket(address: Address, timeout: Optional[float] = None) -> socket.socket:
    """A blocking socket connected to ``address`` (see :func:`parse_address`)."""
    kind, where = parse_address(address)
    sock = socket.socket(socket.AF_UNIX if kind == "unix" else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(where)
    except BaseException:
        sock.close()
        raise
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def tcp_listening(port: int) -> bool:
    """Whether someone listens on TCP ``port``, read from /proc/net/tcp*
    without connecting (a probe connection would be a session of its own to
    a one-client server such as a gdb stub)."""
    want = ":%04X" % port
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[1].endswith(want) and fields[3] == "0A":   # LISTEN
                        return True
        except OSError:
            continue
    return False


def retry_until(attempt: Callable[[], Any], timeout: float, alive: Callable[[], bool] = lambda: True,
                retry_on: Tuple[type, ...] = (OSError,), interval: float = 0.05) -> Any:
    """Call ``attempt()`` until it returns without raising one of ``retry_on``
    (e.g. connecting while a server starts). Re-raises the last failure once
    ``timeout`` seconds have passed or ``alive()`` is False (the server's
    process is gone)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return attempt()
        except retry_on:
            if not alive() or time.monotonic() > deadline:
                raise
        time.sleep(interval)
