"""The gdb stub's own latency: round trips per second for `p`, `m` and `s`
packets on a raw RSP connection, and the wall time of a 10,000-step `stepi`
in the real gdb-multiarch -- against emud and, when installed, against
qemu-system-riscv32 in the same run (ratios printed).

    python benchmarks/gdbstub_latency.py [--count 2000] [--steps 10000] [--no-qemu]

The target sits in the firmware's endless loop (tests/gdbstub/firmware,
`spin()` with mode = 1) so every step stays valid.
"""
from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.gdbstub.gdb_driver import Emulator, emud_command, free_port, qemu_command  # noqa: E402
from tests.support.firmware import build_firmware, symbol_address  # noqa: E402

FW = REPO / "tests" / "gdbstub" / "firmware"


class Raw:
    """Blocking RSP client, in no-ack mode where the stub has it."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.sock.sendall(b"+")
        self.ack = True
        # QEMU has no no-ack mode: then acks stay on (the '+' bytes are skipped)
        self.ack = self.request(b"QStartNoAckMode") != b"OK"

    def request(self, payload: bytes) -> bytes:
        self.sock.sendall(b"$%s#%02x" % (payload, sum(payload) & 0xFF))
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if end >= 0 and len(self.buf) >= end + 3:
                body, self.buf = self.buf[start + 1:end], self.buf[end + 3:]
                if self.ack:
                    self.sock.sendall(b"+")
                return body
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("stub closed the connection")
            self.buf += data

    def close(self) -> None:
        self.sock.close()


def rate(fn: Callable[[], object], count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        fn()
    return count / (time.perf_counter() - start)


def to_spin(raw: Raw, spin: int, mode: int) -> None:
    assert raw.request(b"Z0,%x,4" % spin) == b"OK"
    assert raw.request(b"c").startswith(b"T")
    assert raw.request(b"z0,%x,4" % spin) == b"OK"
    assert raw.request(b"M%x,4:01000000" % mode) == b"OK"


def measure(command_for, elf: Path, symbols: Dict[str, int], count: int, steps: int) -> Dict[str, float]:
    results: Dict[str, float] = {}
    port = free_port()
    emu = Emulator(command_for(elf, port, ()), port)
    try:
        emu.wait_listening()
        raw = Raw(port)
        to_spin(raw, symbols["spin"], symbols["mode"])
        results["p (pc) /s"] = rate(lambda: raw.request(b"p20"), count)
        results["m 64 B /s"] = rate(lambda: raw.request(b"m%x,40" % symbols["spin"]), count)
        results["s (vCont;s) /s"] = rate(lambda: raw.request(b"vCont;s:1"), count)
        raw.close()
    finally:
        emu.close()
    if shutil.which("gdb-multiarch"):
        port = free_port()
        emu = Emulator(command_for(elf, port, ()), port)
        try:
            emu.wait_listening()
            script = ["-ex", "target remote :%d" % port, "-ex", "break spin", "-ex", "continue",
                      "-ex", "set var mode = 1", "-ex", "delete"]
            base = subprocess.run(["gdb-multiarch", "-batch", "-nx", str(elf), *script, "-ex", "kill"],
                                  capture_output=True, timeout=300)
            assert base.returncode == 0, base.stderr
        finally:
            emu.close()
        port = free_port()
        emu = Emulator(command_for(elf, port, ()), port)
        try:
            emu.wait_listening()
            script[1] = "target remote :%d" % port
            start = time.perf_counter()
            proc = subprocess.run(["gdb-multiarch", "-batch", "-nx", str(elf), *script,
                                   "-ex", "stepi %d" % steps, "-ex", "p counter"],
                                  capture_output=True, text=True, timeout=1800)
            results["gdb stepi %d (s)" % steps] = time.perf_counter() - start
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], file=sys.stderr)
        finally:
            emu.close()
    return results


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000, help="round trips per packet kind")
    ap.add_argument("--steps", type=int, default=10000, help="gdb stepi count")
    ap.add_argument("--no-qemu", action="store_true", help="do not measure QEMU")
    args = ap.parse_args(argv)

    elf = build_firmware([FW / "start.S", FW / "gdbtest.c"], runtime=False, opt="-O0", name="gdbtest")
    symbols = {name: symbol_address(elf, name) for name in ("spin", "mode")}
    rows: List[Tuple[str, Dict[str, float]]] = [("emud", measure(emud_command, elf, symbols, args.count, args.steps))]
    if not args.no_qemu and shutil.which("qemu-system-riscv32"):
        rows.append(("qemu", measure(qemu_command, elf, symbols, args.count, args.steps)))

    keys = list(rows[0][1])
    print("%-24s" % "" + "".join("%14s" % name for name, _ in rows) + ("%14s" % "emud/qemu" if len(rows) > 1 else ""))
    for key in keys:
        line = "%-24s" % key + "".join("%14.1f" % r.get(key, float("nan")) for _, r in rows)
        if len(rows) > 1 and key in rows[1][1]:
            line += "%14.2f" % (rows[0][1][key] / rows[1][1][key])
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
