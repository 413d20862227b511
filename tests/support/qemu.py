"""Start QEMU or emud stopped under a gdb stub, and talk to it over RSP.

Both are started with the same machine flags plus ``-S -gdb
tcp:127.0.0.1:PORT`` on a free port; :func:`start_qemu_gdb` and
:func:`start_emud_gdb` return a :class:`GdbServer` whose ``client`` is a
connected :class:`~tests.support.rsp.RSPClient`. Use it as a context manager
so the process is always ended. UART output goes to a file
(``server.output()``) so a chatty guest never blocks on a full pipe.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence, Union

from emud.netutil import free_port  # noqa: F401 -- tests import it from here
from tests.support.rsp import RSPClient
from tests.support.run import REPO, emud_argv, qemu_argv


class GdbServer:
    def __init__(self, argv: List[str], port: int, xlen: int, connect_timeout: float = 30.0,
                 rsp_timeout: float = 30.0) -> None:
        self.argv = argv
        self.port = port
        self.xlen = xlen
        self._out = tempfile.NamedTemporaryFile(prefix="gdbserver-out-", delete=False)
        self._err = tempfile.NamedTemporaryFile(prefix="gdbserver-err-", delete=False)
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err,
                                     cwd=str(REPO))
        try:
            self.client = RSPClient.connect("127.0.0.1", port, xlen, timeout=connect_timeout,
                                            alive=lambda: self.proc.poll() is None)
        except Exception:
            self.close()
            raise RuntimeError(f"gdb stub did not come up: {self.describe()}") from None
        self.client.timeout = rsp_timeout
        self.client.sock.settimeout(rsp_timeout)

    def output(self) -> str:
        return Path(self._out.name).read_bytes().decode("utf-8", "replace")

    def describe(self) -> str:
        err = Path(self._err.name).read_bytes().decode("utf-8", "replace")
        return f"$ {' '.join(self.argv)}\nexit: {self.proc.poll()}\nstderr: {err[-3000:]}"

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.kill()
            client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for f in (self._out, self._err):
            f.close()
            Path(f.name).unlink(missing_ok=True) if hasattr(Path, "unlink") else None

    def __enter__(self) -> "GdbServer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def gdb_args(port: int) -> List[str]:
    return ["-S", "-gdb", f"tcp:127.0.0.1:{port}"]


def start_qemu_gdb(kernel: Union[str, Path], xlen: int, icount: Optional[int] = None,
                   semihosting: bool = False, extra: Sequence[str] = ()) -> GdbServer:
    port = free_port()
    argv = qemu_argv(kernel, xlen, icount=icount, semihosting=semihosting, extra=[*extra, *gdb_args(port)])
    return GdbServer(argv, port, xlen)


def start_emud_gdb(kernel: Union[str, Path], xlen: int, icount: Optional[int] = None,
                   semihosting: bool = False, extra: Sequence[str] = ()) -> GdbServer:
    port = free_port()
    argv = emud_argv(kernel, xlen, icount=icount, semihosting=semihosting, extra=[*extra, *gdb_args(port)])
    return GdbServer(argv, port, xlen)


def start_gdb(command: Sequence[str], machine: Sequence[str]) -> GdbServer:
    """Any emulator's command line (``["qemu-system-arm"]``, emud's argv)
    with any machine arguments, stopped under a gdb stub on a free port."""
    port = free_port()
    return GdbServer([*command, *machine, *gdb_args(port)], port, 32)
