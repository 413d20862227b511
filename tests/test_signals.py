"""SIGTERM, SIGINT, SIGHUP and Ctrl-A x end emud as they end QEMU: a line
naming the signal and its sender, a clean stop (the guest's output flushed,
the terminal restored, unix sockets removed), status 0."""
from __future__ import annotations

import os
import signal
import subprocess
import termios
import time
from pathlib import Path

import pytest

from emud.pytest_plugin import EmudRun, emud_argv
from emud.signals import HostSignal, process_name
from tests.test_cli import ECHO32, _emud_on_a_terminal, _read_until

ROOT = Path(__file__).resolve().parents[1]
BANNER = b"uart-echo: type something"


def _wait_for(predicate, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("no %s within %gs" % (what, timeout))
        time.sleep(0.02)


@pytest.mark.parametrize("signo", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_signal_stops_emud_cleanly_with_status_0(tmp_path, signo):
    qmp = tmp_path / "qmp.sock"
    run = EmudRun(emud_argv(ECHO32, ["-qmp", "unix:%s,server,nowait" % qmp]), cwd=str(ROOT))
    try:
        _wait_for(lambda: BANNER in run.serial_output() and qmp.exists() or not run.alive(), "banner")
        os.kill(run.proc.pid, signo)
        assert run.proc.wait(30) == 0, run.stderr()
    finally:
        run.close()
    run.wait_for_output(None)
    assert run.stderr() == "emud: terminating on signal %d from pid %d (%s)\n" % (
        signo, os.getpid(), process_name(os.getpid()))
    assert BANNER in run.serial_output()
    assert not qmp.exists()


def test_a_signal_ignored_at_start_is_caught_as_qemu_does():
    # a background job of a non-interactive shell starts with SIGINT ignored;
    # QEMU installs its handler anyway
    proc = subprocess.Popen(emud_argv(ECHO32), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=str(ROOT),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        seen = b""
        while BANNER not in seen:
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, "emud ended before its guest printed: %r" % seen
            seen += chunk
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert err.decode().startswith("emud: terminating on signal 2 from pid %d " % os.getpid())


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_sigterm_restores_the_terminal():
    with _emud_on_a_terminal() as (proc, master):
        _read_until(master, b"uart-echo")
        assert not termios.tcgetattr(master)[3] & termios.ICANON       # raw while emud runs
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert termios.tcgetattr(master)[3] & termios.ICANON
        assert proc.stderr.read().decode().startswith("emud: terminating on signal 15 from pid %d " % os.getpid())


def test_the_sender_named_as_qemu_names_it():
    assert HostSignal(signal.SIGINT, 0).describe() == "terminated by signal 2"        # a terminal's Ctrl-C
    assert HostSignal(signal.SIGTERM, None).describe() == "terminated by signal 15"   # no siginfo here
    me = HostSignal(signal.SIGTERM, os.getpid()).describe()
    with open("/proc/self/cmdline", "rb") as f:
        argv0 = f.read().split(b"\0")[0].decode()
    assert me == "terminating on signal 15 from pid %d (%s)" % (os.getpid(), argv0)
    assert process_name(2 ** 22 + 1) == "<unknown process>"
