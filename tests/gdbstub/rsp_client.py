"""A minimal gdb-side RSP client over a trio stream, written independently of
emud.gdbstub.packets so the transport tests do not check the pump with itself."""
from __future__ import annotations

from typing import List

import trio


def frame(payload: bytes) -> bytes:
    out = bytearray()
    for b in payload:
        if b in b"$#}*":
            out += bytes((0x7D, b ^ 0x20))
        else:
            out.append(b)
    return b"$" + bytes(out) + b"#%02x" % (sum(out) & 0xFF)


def decode(body: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(body):
        b = body[i]
        if b == 0x7D:
            out.append(body[i + 1] ^ 0x20)
            i += 2
        elif b == 0x2A:
            out += out[-1:] * (body[i + 1] - 29)
            i += 2
        else:
            out.append(b)
            i += 1
    return bytes(out)


class RspClient:
    def __init__(self, stream: trio.abc.Stream, timeout: float = 5.0) -> None:
        self.stream = stream
        self.buf = b""
        self.ack_mode = True
        self.acks: List[bytes] = []
        self.timeout = timeout

    async def _fill(self) -> None:
        with trio.fail_after(self.timeout):
            data = await self.stream.receive_some(65536)
        if not data:
            raise EOFError("stub closed the connection")
        self.buf += data

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def read_ack(self) -> bytes:
        while not self.buf:
            await self._fill()
        ch, self.buf = self.buf[:1], self.buf[1:]
        assert ch in (b"+", b"-"), (ch, self.buf)
        return ch

    async def read_packet(self) -> bytes:
        while True:
            start = self.buf.find(b"$")
            if start >= 0:
                self.acks += [bytes([c]) for c in self.buf[:start] if c in b"+-"]
                end = self.buf.find(b"#", start)
                if end >= 0 and len(self.buf) >= end + 3:
                    body = self.buf[start + 1:end]
                    assert int(self.buf[end + 1:end + 3], 16) == sum(body) & 0xFF, self.buf
                    self.buf = self.buf[end + 3:]
                    if self.ack_mode:
                        await self.stream.send_all(b"+")
                    return decode(body)
            await self._fill()

    async def request(self, payload: bytes) -> bytes:
        await self.stream.send_all(frame(payload))
        if self.ack_mode:
            assert await self.read_ack() == b"+"
        return await self.read_packet()

    async def send(self, payload: bytes) -> None:
        """Send a packet whose reply comes later (c, s, vCont)."""
        await self.stream.send_all(frame(payload))
        if self.ack_mode:
            assert await self.read_ack() == b"+"

    async def no_ack(self) -> None:
        assert await self.request(b"QStartNoAckMode") == b"OK"
        self.ack_mode = False
