"""Drive the real gdb-multiarch through pygdbmi (MI) against an emulator
started as a subprocess: emud (``python -m emud``) or qemu-system-riscv*.

``Gdb.cli(text)`` runs a CLI command and returns its console output;
``Gdb.go(text)`` runs a command that resumes the target (continue, next,
step, finish, stepi) and returns the MI ``*stopped`` payload.
"""
from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence

from emud.netutil import free_port, tcp_listening
from emud.pytest_plugin import stop_process

REPO = Path(__file__).resolve().parents[2]
FIRMWARE_DIR = Path(__file__).resolve().parent / "firmware"


class GdbError(RuntimeError):
    pass


def source_lines(path: Path = FIRMWARE_DIR / "gdbtest.c") -> Dict[str, int]:
    """{"name": line} for every "LINE:name" marker in the firmware source."""
    lines = {}
    for number, text in enumerate(path.read_text().splitlines(), 1):
        m = re.search(r"LINE:(\w+)", text)
        if m:
            lines[m.group(1)] = number
    return lines


def mi_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Gdb:
    def __init__(self, elf: Optional[Path] = None, timeout: float = 30.0) -> None:
        from pygdbmi.gdbcontroller import GdbController
        command = ["gdb-multiarch", "--nx", "--quiet", "--interpreter=mi3"]
        if elf is not None:
            command.append(str(elf))
        self.ctl = GdbController(command=command, time_to_check_for_additional_output_sec=0.05)
        self.timeout = timeout
        self._token = 100
        self._stops: List[Dict[str, Any]] = []
        self.log: List[Dict[str, Any]] = []
        # async MI: execution commands return at once, so -exec-interrupt works
        self.run("-gdb-set mi-async on")
        self.run("-gdb-set confirm off")
        self.run("-gdb-set pagination off")
        self.run("-gdb-set width 0")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ctl.exit()

    def _read(self, timeout: float) -> List[Dict[str, Any]]:
        out = self.ctl.get_gdb_response(timeout_sec=timeout, raise_error_on_timeout=False)
        self.log.extend(out)
        for r in out:
            if r.get("type") == "notify" and r.get("message") == "stopped":
                self._stops.append(r.get("payload") or {})
        return out

    def run(self, command: str, timeout: Optional[float] = None) -> List[Dict[str, Any]]:
        """Send an MI command; return every record up to its result record."""
        self._token += 1
        token = self._token
        self.ctl.write("%d%s" % (token, command), read_response=False)
        got: List[Dict[str, Any]] = []
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            for r in self._read(0.1):
                got.append(r)
                if r.get("type") == "result" and r.get("token") == token:
                    if r.get("message") == "error":
                        msg = (r.get("payload") or {}).get("msg", "")
                        raise GdbError("%s: %s\n%s" % (command, msg, self.console_text(got)))
                    return got
        raise GdbError("%s: no answer in %ss\n%s" % (command, timeout or self.timeout, self.console_text(got)))

    @staticmethod
    def console_text(records: Sequence[Dict[str, Any]]) -> str:
        return "".join(r.get("payload") or "" for r in records
                       if r.get("type") in ("console", "target") and isinstance(r.get("payload"), str))

    def cli(self, text: str, timeout: Optional[float] = None) -> str:
        return self.console_text(self.run("-interpreter-exec console " + mi_quote(text), timeout))

    def wait_stop(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self._stops:
            if time.monotonic() > deadline:
                raise GdbError("target did not stop in %ss" % (timeout or self.timeout))
            self._read(0.1)
        return self._stops.pop(0)

    _MI_EXEC = {"continue": "-exec-continue", "next": "-exec-next", "step": "-exec-step",
                "finish": "-exec-finish", "stepi": "-exec-step-instruction",
                "nexti": "-exec-next-instruction"}

    def start(self, command: str) -> None:
        """Resume the target (continue, next, step, finish, stepi, nexti) without waiting."""
        self._stops.clear()
        self.run(self._MI_EXEC.get(command, command))

    def go(self, command: str, timeout: Optional[float] = None) -> Dict[str, Any]:
        """Resume and return the ``*stopped`` payload."""
        self.start(command)
        return self.wait_stop(timeout)

    def interrupt(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        self._stops.clear()
        self.run("-exec-interrupt")
        return self.wait_stop(timeout)

    def value(self, expr: str) -> str:
        records = self.run("-data-evaluate-expression " + mi_quote(expr))
        return records[-1]["payload"]["value"]

    def connect(self, port: int) -> str:
        out = self.cli("target remote :%d" % port, timeout=30)
        self._read(0.2)
        self._stops.clear()        # the "stop" of attaching is not a resume's
        return out


def emud_command(elf: Path, port: int, extra: Sequence[str] = ()) -> List[str]:
    return [sys.executable, "-m", "emud", "-M", "virt", "-bios", "none", "-kernel", str(elf),
            "-nographic", "-gdb", "tcp::%d" % port, "-S", *extra]


def qemu_command(elf: Path, port: int, extra: Sequence[str] = (), xlen: int = 32) -> List[str]:
    return ["qemu-system-riscv%d" % xlen, "-M", "virt", "-bios", "none", "-kernel", str(elf),
            "-nographic", "-monitor", "none", "-gdb", "tcp::%d" % port, "-S", *extra]


class Emulator:
    """A running emulator subprocess with a gdb port."""

    def __init__(self, command: List[str], port: int) -> None:
        self.command = command
        self.port = port
        self.proc = subprocess.Popen(command, cwd=str(REPO), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_listening(self, timeout: float = 20.0) -> None:
        # gdb's own connect retries too, but a clear error beats a gdb timeout
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise GdbError("%s exited with %s:\n%s" % (self.command[0], self.proc.returncode, self.output()))
            time.sleep(0.05)
            if tcp_listening(self.port):
                return
        raise GdbError("%s never listened on %d" % (" ".join(self.command), self.port))

    def output(self) -> str:
        if self.proc.poll() is None:
            return ""
        out, err = self.proc.communicate()
        return (out or b"").decode(errors="replace") + (err or b"").decode(errors="replace")

    def wait_exit(self, timeout: float = 10.0) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        stop_process(self.proc)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()


@contextlib.contextmanager
def session(command_for, elf: Path, extra: Sequence[str] = (), gdb_elf: Optional[Path] = None) -> Iterator[Any]:
    """An emulator (``command_for(elf, port, extra)``) and a gdb attached to it."""
    port = free_port()
    emu = Emulator(command_for(elf, port, extra), port)
    gdb = None
    try:
        emu.wait_listening()
        gdb = Gdb(gdb_elf or elf)
        gdb.connect(port)
        yield emu, gdb
    finally:
        if gdb is not None:
            gdb.close()
        emu.close()


def have_gdb() -> bool:
    return shutil.which("gdb-multiarch") is not None
