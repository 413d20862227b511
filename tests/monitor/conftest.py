"""Fixtures for the monitor's end-to-end tests: the demo firmware, an emud
process with a console/QMP/gdb port, and a line-oriented console client."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import List

import pytest

from emud.netutil import free_port, open_socket, retry_until  # noqa: F401 -- free_port: for the tests
from emud.pytest_plugin import EmudRun, emud_argv

HERE = Path(__file__).resolve().parent
DEMO = HERE / "firmware" / "monitor_demo.c"
PROMPT = b"(emud) "


def cut_answer(buf: bytes):
    """(the text before the first prompt, the bytes after it), or None while
    no prompt has arrived. One answer per prompt: a stop notice that arrived
    in the same read as a command's answer stays for the next call."""
    end = buf.find(PROMPT)
    if end < 0:
        return None
    return buf[:end].decode().replace("\r\n", "\n"), buf[end + len(PROMPT):]


async def session_ends_when_client_vanishes(session, requests: bytes) -> None:
    """Run ``session(server_stream)`` (a console or QMP session on a fake
    target), send ``requests`` and close without reading a byte of the
    answers: the session must end by itself, raising nothing."""
    import trio
    import trio.testing

    server, client = trio.testing.memory_stream_pair()
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(session, server)
            await client.send_all(requests)
            await client.aclose()


def virt_available() -> bool:
    try:
        import emud.machines.virt  # noqa: F401
        import emud.cli  # noqa: F401
    except ImportError:
        return False
    return True


needs_machine = pytest.mark.skipif(not virt_available(), reason="emud.machines.virt does not import yet")


@pytest.fixture(scope="session")
def demo_elf(build_firmware):
    return build_firmware(DEMO, 32)


@pytest.fixture(scope="session")
def spin_elf(build_firmware):
    return build_firmware(DEMO, 32, defines={"SPIN": 1}, name="monitor_demo_spin")


class Emud(EmudRun):
    """``python -m emud`` with the UART on stdout (collected in ``out``)."""

    def __init__(self, kernel, *args: str) -> None:
        super().__init__(emud_argv(kernel, args), cwd=str(HERE.parents[1]))

    def connect(self, port: int, timeout: float = 30) -> socket.socket:
        try:
            return retry_until(lambda: open_socket(("127.0.0.1", port), timeout), timeout, alive=self.alive)
        except OSError:
            raise AssertionError("emud did not listen on %d: %s" % (port, self.err.decode(errors="replace"))) from None


class Console:
    """The text console over TCP, one command at a time."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""
        self.greeting = self.read_until_prompt()

    def read_until_prompt(self, timeout: float = 60) -> str:
        """Up to the next prompt; what came after it (a stop notice that
        arrived in the same read) waits for the next call."""
        self.sock.settimeout(timeout)
        while cut_answer(self.buf) is None:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("console closed; got %r" % self.buf)
            self.buf += data
        out, self.buf = cut_answer(self.buf)
        return out

    def cmd(self, line: str, timeout: float = 60) -> str:
        self.sock.sendall(line.encode() + b"\n")
        return self.read_until_prompt(timeout)

    def send(self, line: str) -> None:
        self.sock.sendall(line.encode() + b"\n")


@pytest.fixture
def emud_cli():
    started: List[Emud] = []

    def start(kernel, *args: str) -> Emud:
        e = Emud(kernel, *args)
        started.append(e)
        return e

    yield start
    for e in started:
        e.close()


@pytest.fixture
def console(emud_cli, demo_elf):
    """A console on a held (-S) demo machine."""
    port = free_port()
    e = emud_cli(demo_elf, "-S", "-monitor", "tcp::%d,server,nowait" % port)
    c = Console(e.connect(port))
    c.emud = e
    return c
