"""Fixtures for the robustness tests (issue 8): emud processes serving the
monitor, QMP, gdb and the serial port on free ports, and the checks every
attack ends with: the process is alive, the guest's output and exit status
are what an undisturbed run gives, stderr has no traceback."""
from __future__ import annotations

import socket
import subprocess
import time
from typing import Dict

import pytest

from emud.client import ClientError, Machine
from emud.netutil import free_port, open_socket, retry_until, tcp_listening
from tests.monitor.conftest import Emud, demo_elf, emud_cli, spin_elf  # noqa: F401 -- fixtures for these tests

#: what tests/monitor/firmware/monitor_demo.c prints, run undisturbed
DEMO_OUTPUT = b"boot\ntick 5\ntick 10\ntick 15\ntick 20\ndone 210\n"

SPECS = {
    "monitor": "tcp::%d,server,nowait",
    "qmp": "tcp::%d,server,nowait",
    "gdb": "tcp::%d",
    "serial": "tcp::%d,server,nowait",
}


@pytest.fixture
def serving(emud_cli):  # noqa: F811
    """``serving(kernel, *servers, held=True, args=())``: emud on ``kernel``
    with a tcp server for each of ``servers`` (monitor, qmp, gdb, serial) on
    a free port (``e.ports[name]``), held at reset (-S) unless ``held`` is
    False; returns once every server listens. Stopped after the test."""
    def start(kernel, *servers: str, held: bool = True, args=()) -> Emud:
        ports: Dict[str, int] = {name: free_port() for name in servers}
        argv = (["-S"] if held else []) + list(args)
        for name, port in ports.items():
            argv += ["-" + name, SPECS[name] % port]
        e = emud_cli(kernel, *argv)
        e.ports = ports
        try:
            retry_until(lambda: _all_listening(ports), 30, e.alive, retry_on=(AssertionError,))
        except AssertionError:
            raise AssertionError("emud did not listen on %s: exit %s, %s"
                                 % (ports, e.proc.poll(), e.stderr())) from None
        return e
    return start


def dial(e, server: str, timeout: float = 10.0) -> socket.socket:
    """A connection to ``e``'s ``server``; failing to connect fails the
    test with emud's state and stderr (a dying emud closes its listeners)."""
    try:
        return open_socket(("127.0.0.1", e.ports[server]), timeout)
    except OSError as exc:
        raise AssertionError("cannot connect to the %s server: %r; emud %s; stderr:\n%s"
                             % (server, exc, "alive" if e.alive() else "exited %s" % e.proc.poll(),
                                e.stderr())) from None


def _all_listening(ports: Dict[str, int]) -> None:
    missing = [name for name, port in ports.items() if not tcp_listening(port)]
    assert not missing, "not listening yet: %s" % missing


def assert_serving(e, what: str) -> None:
    """The process survived ``what`` and printed no traceback."""
    time.sleep(0.2)          # a crash after the client left takes a moment to show
    assert e.alive(), "emud exited (status %s) after %s; stderr:\n%s" % (e.proc.poll(), what, e.stderr())
    assert_no_traceback(e)


def assert_no_traceback(e) -> None:
    assert "Traceback" not in e.stderr(), "emud printed a traceback:\n%s" % e.stderr()


def qmp_machine(e) -> Machine:
    return retry_until(lambda: Machine(("127.0.0.1", e.ports["qmp"]), timeout=20), 20, e.alive,
                       retry_on=(OSError, ClientError))


def finish_demo(e) -> None:
    """Let the held demo guest run to its end through a fresh QMP client:
    it prints exactly what an undisturbed run prints and exits 0."""
    if e.alive():
        with qmp_machine(e) as m:
            try:
                m.cont(wait=False)
            except (OSError, ClientError):
                pass          # it may have run to its end already (a gdb detach resumes it)
    try:
        code = e.proc.wait(30)
    except subprocess.TimeoutExpired:
        raise AssertionError("the guest did not run to its end; stderr:\n%s" % e.stderr()) from None
    assert_no_traceback(e)
    assert code == 0, "exit status %s; stderr:\n%s" % (code, e.stderr())
    out = bytes(e.out)
    for _ in range(50):          # the stdout pump may still be catching up
        if out == DEMO_OUTPUT:
            break
        time.sleep(0.02)
        out = bytes(e.out)
    assert out == DEMO_OUTPUT


@pytest.fixture(scope="session")
def echo_elf(build_firmware):
    return build_firmware("uart-echo", 32)
