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
import time
from typing import Any, Iterator, List, Optional, Sequence

import pytest

from emud.client import ClientError, Machine


class EmudProcess:
    """An emud process with QMP on a Unix socket and the UART on stdout."""

    def __init__(self, kernel: str, args: Sequence[str] = (), freeze: bool = True, python: Optional[str] = None,
                 timeout: float = 30.0) -> None:
        self.dir = tempfile.mkdtemp(prefix="emud-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        python = python or os.environ.get("EMUD_PYTHON") or sys.executable
        self.argv: List[str] = [python, "-m", "emud", "-M", "virt", "-bios", "none", "-kernel", str(kernel),
                                "-nographic", "-qmp", "unix:%s,server,nowait" % self.qmp_path]
        if freeze:
            self.argv.append("-S")
        self.argv += list(args)
        self._out = bytearray()
        self._err = bytearray()
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._readers = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True)]
        for t in self._readers:
            t.start()
        self.machine = self._connect(timeout)

    @staticmethod
    def _pump(pipe: Any, buf: bytearray) -> None:
        for chunk in iter(lambda: pipe.read1(4096) if hasattr(pipe, "read1") else pipe.read(4096), b""):
            buf.extend(chunk)

    def _connect(self, timeout: float) -> Machine:
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("emud exited with %s before QMP was up: %s" % (self.proc.returncode, self.stderr()))
            if os.path.exists(self.qmp_path):
                try:
                    return Machine("unix:" + self.qmp_path)
                except (OSError, ClientError):
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("emud's QMP socket did not appear within %gs: %s" % (timeout, self.stderr()))
            time.sleep(0.05)

    def serial_output(self) -> bytes:
        """Everything the guest wrote to the UART so far."""
        return bytes(self._out)

    def stderr(self) -> str:
        return bytes(self._err).decode("utf-8", "replace")

    def close(self) -> Optional[int]:
        self.machine.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


@pytest.fixture
def emud_machine() -> Iterator[Any]:
    """``emud_machine(kernel, args=(), freeze=True) -> emud.client.Machine``
    (with ``.process`` the :class:`EmudProcess` and ``.serial_output()``)."""
    started: List[EmudProcess] = []

    def start(kernel: Any, args: Sequence[str] = (), freeze: bool = True, python: Optional[str] = None,
              timeout: float = 30.0) -> Machine:
        proc = EmudProcess(str(kernel), args, freeze, python, timeout)
        started.append(proc)
        m = proc.machine
        m.process = proc  # type: ignore[attr-defined]
        m.serial_output = proc.serial_output  # type: ignore[attr-defined]
        return m

    yield start
    for proc in started:
        proc.close()
