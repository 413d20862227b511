"""pytest fixtures for firmware tests.

``emud_machine`` starts ``python -m emud`` on a firmware image, held at the
reset vector (``-S``), with QMP on a private Unix socket, and hands back a
connected :class:`emud.client.Machine`; the process is stopped after the
test::

    def test_boot(emud_machine):
        m = emud_machine("build/fw.elf")
        m.break_at("main")
        assert m.cont()["stop"]["reason"] == "breakpoint"
        assert m.run_until(uart=r"ready")["condition"] == "uart"
        assert b"ready" in m.serial_output()

Options: ``args=[...]`` (extra emud flags, e.g. ``["-icount", "shift=0"]``),
``freeze=False`` (start running), ``python=`` (the interpreter, default
``$EMUD_PYTHON`` or this one), ``timeout=`` (seconds to wait for QMP).

``pytest --emud-record-failures DIR`` records every machine the fixture
starts (``-record``) and keeps the recordings of the tests that fail in DIR
(``<test name>-<n>.rr``, named in the test's report), for replaying the very
run at a desk: ``emud -kernel fw.elf -replay file=DIR/...rr -s -S``.

Enabled with ``-p emud.pytest_plugin`` or the ``pytest11`` entry point
``emud = "emud.pytest_plugin"``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from typing import Any, Iterator, List, Optional, Sequence

import pytest

from emud.client import ClientError, Machine
from emud.netutil import retry_until

#: how long serial_output() waits for UART bytes emud has counted to come through its stdout pipe
SERIAL_SYNC_TIMEOUT = 10.0


def stop_process(proc: "subprocess.Popen[bytes]", grace: float = 5.0) -> Optional[int]:
    """Terminate ``proc`` (kill it after ``grace`` seconds); its exit status."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def emud_argv(kernel: Any, args: Sequence[str] = (), python: Optional[str] = None) -> List[str]:
    """``python -m emud`` on the virt machine with ``kernel`` (``$EMUD_PYTHON`` or this interpreter)."""
    python = python or os.environ.get("EMUD_PYTHON") or sys.executable
    return [python, "-m", "emud", "-M", "virt", "-bios", "none", "-kernel", str(kernel), "-nographic", *args]


class EmudRun:
    """An emud process; its stdout (the UART) and stderr are collected by
    threads, so a chatty guest never blocks on a full pipe."""

    def __init__(self, argv: Sequence[str], cwd: Optional[str] = None) -> None:
        self.argv: List[str] = list(argv)
        self.out = bytearray()
        self.err = bytearray()
        self._arrived = threading.Condition()     # notified as stdout bytes arrive and at its end
        self._out_ended = False
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, cwd=cwd)
        for pipe, buf in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(pipe, buf), daemon=True).start()

    def _pump(self, pipe: Any, buf: bytearray) -> None:
        for chunk in iter(lambda: pipe.read1(4096) if hasattr(pipe, "read1") else pipe.read(4096), b""):
            with self._arrived:
                buf.extend(chunk)
                self._arrived.notify_all()
        with self._arrived:
            self._out_ended = self._out_ended or buf is self.out
            self._arrived.notify_all()

    def wait_for_output(self, count: Optional[int], timeout: float = SERIAL_SYNC_TIMEOUT) -> bool:
        """Wait (at most ``timeout`` seconds) until ``count`` bytes of stdout
        have arrived or stdout ended (``count=None``: until it ended); whether that happened."""
        with self._arrived:
            return self._arrived.wait_for(
                lambda: self._out_ended or (count is not None and len(self.out) >= count), timeout)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def serial_output(self) -> bytes:
        """Everything the guest wrote to the UART so far."""
        return bytes(self.out)

    def stderr(self) -> str:
        return bytes(self.err).decode("utf-8", "replace")

    def close(self) -> Optional[int]:
        return stop_process(self.proc)


class EmudProcess(EmudRun):
    """An emud process with QMP on a Unix socket and the UART on stdout."""

    def __init__(self, kernel: str, args: Sequence[str] = (), freeze: bool = True, python: Optional[str] = None,
                 timeout: float = 30.0) -> None:
        self.dir = tempfile.mkdtemp(prefix="emud-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        flags = ["-qmp", "unix:%s,server,nowait" % self.qmp_path] + (["-S"] if freeze else [])
        super().__init__(emud_argv(kernel, flags + list(args), python))
        self.machine = self._connect(timeout)

    def _connect(self, timeout: float) -> Machine:
        try:
            return retry_until(lambda: Machine("unix:" + self.qmp_path), timeout, alive=self.alive,
                               retry_on=(OSError, ClientError))
        except (OSError, ClientError):
            if not self.alive():
                raise RuntimeError("emud exited with %s before QMP was up: %s"
                                   % (self.proc.returncode, self.stderr())) from None
            raise RuntimeError("emud's QMP socket did not appear within %gs: %s" % (timeout, self.stderr())) from None

    def serial_output(self) -> bytes:
        """Everything the guest wrote to the UART up to now (up to the stop,
        when the machine is stopped). The UART reaches us through emud's
        stdout pipe, behind the QMP answer that reported the stop: ask emud
        how many bytes its UART has passed on (``info chardev``) and wait
        until that many have arrived here. Once emud is gone, all it wrote is
        what its stdout held up to its end."""
        try:
            chardevs = self.machine.chardevs()
        except (OSError, ClientError) as e:
            # the connection closed: emud has ended, wait for the end of its
            # stdout (an emud without `info chardev`, CommandNotFound: no sync)
            if getattr(e, "error_class", None) != "CommandNotFound":
                self.wait_for_output(None)
            return bytes(self.out)
        serial = next((c for c in chardevs if c.get("label") == "serial0"), None)
        if serial is not None and serial.get("kind") == "stdio":
            self.wait_for_output(serial["written"] - serial["dropped"])
        return bytes(self.out)

    def close(self) -> Optional[int]:
        self.machine.close()
        code = super().close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return code


def pytest_addoption(parser: Any) -> None:
    parser.getgroup("emud").addoption(
        "--emud-record-failures", metavar="DIR", default=None,
        help="record every emud_machine run (-record) and keep the recordings of failed tests in DIR")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.emud_failed = report.failed       # (the fixture's teardown reads it)


@pytest.fixture
def emud_machine(request: Any) -> Iterator[Any]:
    """``emud_machine(kernel, args=(), freeze=True) -> emud.client.Machine``
    (with ``.process`` the :class:`EmudProcess` and ``.serial_output()``)."""
    started: List[EmudProcess] = []
    keep_dir = request.config.getoption("--emud-record-failures", None)
    record_dir = tempfile.mkdtemp(prefix="emud-record-") if keep_dir else None

    def start(kernel: Any, args: Sequence[str] = (), freeze: bool = True, python: Optional[str] = None,
              timeout: float = 30.0) -> Machine:
        if record_dir is not None:
            args = list(args) + ["-record", "file=%s" % os.path.join(record_dir, "%d.rr" % len(started))]
        proc = EmudProcess(str(kernel), args, freeze, python, timeout)
        started.append(proc)
        m = proc.machine
        m.process = proc  # type: ignore[attr-defined]
        m.serial_output = proc.serial_output  # type: ignore[attr-defined]
        return m

    yield start
    for proc in started:
        proc.close()            # (emud writes its recording as it ends)
    if record_dir is not None:
        if getattr(request.node, "emud_failed", False):
            _keep_recordings(request.node, record_dir, keep_dir, len(started))
        shutil.rmtree(record_dir, ignore_errors=True)


def _keep_recordings(node: Any, record_dir: str, keep_dir: str, count: int) -> None:
    os.makedirs(keep_dir, exist_ok=True)
    stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in node.name)
    kept = []
    for i in range(count):
        source = os.path.join(record_dir, "%d.rr" % i)
        if os.path.exists(source):
            target = os.path.join(keep_dir, "%s-%d.rr" % (stem, i))
            shutil.move(source, target)
            kept.append(target)
    if kept:
        node.add_report_section("teardown", "emud recordings", "\n".join(
            "%s  (replay: emud -kernel ... -replay file=%s -s -S)" % (k, k) for k in kept))
        node.user_properties.append(("emud_recordings", kept))
