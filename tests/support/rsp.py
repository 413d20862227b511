"""A minimal GDB Remote Serial Protocol client, for tests only.

Enough to drive QEMU's gdbstub and emud's the same way: no-ack mode,
single-step, continue, breakpoints, read all registers (``g``, parsed per
XLEN: x0..x31 then pc), read memory, write a register. Blocking sockets
with a timeout: a test that hangs fails with :class:`RSPError` instead.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import List, Optional

from emud.netutil import retry_until


class RSPError(Exception):
    pass


@dataclass
class StopReply:
    raw: str
    kind: str                  # "signal" (T/S), "exited" (W), "killed" (X)
    signal: Optional[int] = None
    exit_code: Optional[int] = None

    @classmethod
    def parse(cls, raw: str) -> "StopReply":
        if not raw:
            raise RSPError("empty stop reply")
        head = raw[0]
        if head in "TS":
            return cls(raw, "signal", signal=int(raw[1:3], 16))
        if head == "W":
            return cls(raw, "exited", exit_code=int(raw[1:].split(";")[0], 16))
        if head == "X":
            return cls(raw, "killed", signal=int(raw[1:3], 16))
        raise RSPError(f"not a stop reply: {raw!r}")


def checksum(payload: bytes) -> int:
    return sum(payload) & 0xff


def escape(payload: str) -> bytes:
    out = bytearray()
    for b in payload.encode("latin-1"):
        if b in b"$#}*":
            out += bytes([0x7d, b ^ 0x20])
        else:
            out.append(b)
    return bytes(out)


def decode_body(body: bytes) -> str:
    """Undo escapes (}x) and run-length encoding (c*n)."""
    out = bytearray()
    i = 0
    while i < len(body):
        b = body[i]
        if b == 0x7d and i + 1 < len(body):
            out.append(body[i + 1] ^ 0x20)
            i += 2
        elif b == 0x2a and out and i + 1 < len(body):   # '*': repeat last byte
            out += bytes([out[-1]]) * (body[i + 1] - 29)
            i += 2
        else:
            out.append(b)
            i += 1
    return out.decode("latin-1")


class RSPClient:
    def __init__(self, sock: socket.socket, xlen: int, timeout: float = 10.0) -> None:
        self.sock = sock
        self.xlen = xlen
        self.timeout = timeout
        self.ack = True
        self._buf = bytearray()
        sock.settimeout(timeout)
        # one small packet per round trip: Nagle + delayed acks would add 40 ms each
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    @classmethod
    def connect(cls, host: str, port: int, xlen: int, timeout: float = 10.0,
                alive=lambda: True) -> "RSPClient":
        """Connect, retrying while the server starts (``alive()`` False stops it)."""
        def attempt() -> "RSPClient":
            client = cls(socket.create_connection((host, port), timeout=1.0), xlen, timeout)
            client.start()
            return client
        try:
            return retry_until(attempt, timeout, alive)
        except OSError as e:
            raise RSPError(f"could not connect to gdb stub at {host}:{port}: {e}") from None

    def start(self) -> None:
        if self.command("QStartNoAckMode") == "OK":
            self.ack = False

    # -- framing ------------------------------------------------------------------
    def _recv_byte(self) -> int:
        if not self._buf:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise RSPError(f"no answer from the gdb stub within {self.timeout}s") from None
            if not data:
                raise RSPError("gdb stub closed the connection")
            self._buf += data
        b = self._buf[0]
        del self._buf[0]
        return b

    def send_packet(self, payload: str) -> None:
        body = escape(payload)
        pkt = b"$" + body + b"#%02x" % checksum(body)
        for _ in range(3):
            self.sock.sendall(pkt)
            if not self.ack:
                return
            b = self._recv_byte()
            if b == ord("+"):
                return
            if b != ord("-"):
                raise RSPError(f"expected an ack, got {bytes([b])!r}")
        raise RSPError(f"packet {payload!r} refused three times")

    def read_packet(self) -> str:
        while True:
            b = self._recv_byte()
            if b == ord("$"):
                break
            # '+' acks and stray bytes between packets are skipped
        body = bytearray()
        while True:
            b = self._recv_byte()
            if b == ord("#"):
                break
            body.append(b)
        got = int(bytes([self._recv_byte(), self._recv_byte()]), 16)
        if self.ack:
            if got != checksum(bytes(body)):
                self.sock.sendall(b"-")
                return self.read_packet()
            self.sock.sendall(b"+")
        return decode_body(bytes(body))

    def command(self, payload: str) -> str:
        self.send_packet(payload)
        reply = self.read_packet()
        # a stray 'O' console-output packet may precede the answer
        resumes = payload[:1] in ("s", "c", "S", "C") or payload.startswith("vCont;")
        while resumes and reply.startswith("O") and reply != "OK":
            reply = self.read_packet()
        return reply

    # -- operations -------------------------------------------------------------------
    def query_halt_reason(self) -> StopReply:
        return StopReply.parse(self.command("?"))

    def read_registers(self) -> List[int]:
        """x0..x31 and pc (the first 33 registers of the 'g' packet)."""
        reply = self.command("g")
        if reply.startswith("E"):
            raise RSPError(f"g failed: {reply}")
        n = self.xlen // 4          # hex digits per register
        if len(reply) < 33 * n:
            raise RSPError(f"g reply too short for rv{self.xlen}: {len(reply)} hex digits")
        return [int.from_bytes(bytes.fromhex(reply[i * n:(i + 1) * n]), "little") for i in range(33)]

    def read_register(self, regnum: int) -> int:
        reply = self.command(f"p{regnum:x}")
        if reply.startswith("E") or not reply:
            raise RSPError(f"p{regnum:x} failed: {reply!r}")
        return int.from_bytes(bytes.fromhex(reply), "little")

    def write_register(self, regnum: int, value: int) -> None:
        data = (value & ((1 << self.xlen) - 1)).to_bytes(self.xlen // 8, "little").hex()
        reply = self.command(f"P{regnum:x}={data}")
        if reply != "OK":
            raise RSPError(f"P{regnum:x} failed: {reply!r}")

    def read_memory(self, addr: int, length: int) -> bytes:
        out = bytearray()
        while length > 0:
            chunk = min(length, 1024)
            reply = self.command(f"m{addr:x},{chunk:x}")
            if reply.startswith("E") or len(reply) != 2 * chunk:
                raise RSPError(f"m{addr:x},{chunk:x} failed: {reply!r}")
            out += bytes.fromhex(reply)
            addr += chunk
            length -= chunk
        return bytes(out)

    def write_memory(self, addr: int, data: bytes) -> None:
        reply = self.command(f"M{addr:x},{len(data):x}:{data.hex()}")
        if reply != "OK":
            raise RSPError(f"M{addr:x} failed: {reply!r}")

    def step(self) -> StopReply:
        return StopReply.parse(self.command("s"))

    def cont(self) -> StopReply:
        return StopReply.parse(self.command("c"))

    def insert_breakpoint(self, addr: int, kind: int = 4) -> None:
        reply = self.command(f"Z0,{addr:x},{kind:x}")
        if reply != "OK":
            raise RSPError(f"Z0 at {addr:#x} failed: {reply!r}")

    def remove_breakpoint(self, addr: int, kind: int = 4) -> None:
        reply = self.command(f"z0,{addr:x},{kind:x}")
        if reply != "OK":
            raise RSPError(f"z0 at {addr:#x} failed: {reply!r}")

    def kill(self) -> None:
        try:
            self.send_packet("k")
        except (RSPError, OSError):
            pass

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
