"""RSP packet framing: a sans-I/O byte pump (no sockets, no trio).

Theory of operation
-------------------
gdb and the stub exchange frames ``$<body>#<two hex digits>``; the digits are
the sum of the body bytes modulo 256. Inside a body, ``}`` escapes the next
byte (XOR 0x20) and ``X*N`` repeats ``X`` ``ord(N) - 29`` more times
(run-length encoding). Outside a frame a lone ``0x03`` is a Ctrl-C, ``+`` and
``-`` acknowledge the peer's last frame, ``%...#xx`` is a notification (which
a stub never receives from gdb in all-stop mode: we drop them) and anything
else is line noise, dropped and counted.

:class:`PacketPump` is a four-state machine (Ready, Body, Checksum1,
Checksum2) fed with :meth:`PacketPump.receive_data`; :meth:`next_event`
returns one :class:`Packet`, :class:`Interrupt`, :class:`Ack`, :class:`Nak`,
:class:`Malformed` or :data:`NEED_DATA`. The pump answers acks itself (in ack
mode a good frame queues ``+``, a bad checksum queues ``-`` and a received
``-`` queues the last frame again); the transport sends whatever
:meth:`data_to_send` returns after every batch of events, and the bytes from
:meth:`send_packet`.

A frame longer than ``max_packet_size`` (what qSupported's PacketSize
advertises), before or after run-length decoding, is acknowledged (it did arrive intact) but not delivered: the pump
returns :class:`Malformed` so the dispatcher can answer with an error instead
of gdb retransmitting forever.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Union

# -- events -------------------------------------------------------------------


class _Sentinel:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NEED_DATA = _Sentinel("NEED_DATA")


@dataclass(frozen=True)
class Packet:
    payload: bytes   # unescaped, run-length decoded body


@dataclass(frozen=True)
class Interrupt:
    """The Ctrl-C byte (0x03) outside a frame."""


@dataclass(frozen=True)
class Ack:
    """``+``: the peer received our last frame."""


@dataclass(frozen=True)
class Nak:
    """``-``: the peer wants our last frame again (already re-queued)."""


@dataclass(frozen=True)
class Malformed:
    """A frame that arrived intact but cannot be used (too long)."""

    reason: str


Event = Union[Packet, Interrupt, Ack, Nak, Malformed]

DEFAULT_PACKET_SIZE = 0x4000

# states of the byte pump
READY, BODY, CHECKSUM1, CHECKSUM2 = "Ready", "Body", "Checksum1", "Checksum2"

_HEX = b"0123456789abcdef"
_HEX_VALUE: Dict[int, int] = {c: int(chr(c), 16) for c in b"0123456789abcdefABCDEF"}
# Bytes that must be escaped in an outgoing body: the frame delimiters, the
# escape itself and the run-length marker.
_NEEDS_ESCAPE = frozenset(b"$#}*")
# Run-length counts whose count character would be '#' or '$' (6 and 7) are
# forbidden by the protocol; 97 is the largest count that stays printable.
_RLE_MAX = 126 - 29
_RLE_FORBIDDEN = frozenset((ord("#") - 29, ord("$") - 29))


def checksum(data: bytes) -> int:
    return sum(data) & 0xFF


def escape(payload: bytes) -> bytes:
    out = bytearray()
    for b in payload:
        if b in _NEEDS_ESCAPE:
            out.append(0x7D)
            out.append(b ^ 0x20)
        else:
            out.append(b)
    return bytes(out)


def encode_body(payload: bytes, rle: bool = True) -> bytes:
    """Escape ``payload`` and (optionally) run-length encode it.

    Runs are taken over bytes that need no escape only: a repeat after an
    escape pair would repeat the decoded byte, which is not what was written.
    """
    if not rle:
        return escape(payload)
    out = bytearray()
    i, n = 0, len(payload)
    while i < n:
        b = payload[i]
        if b in _NEEDS_ESCAPE:
            out.append(0x7D)
            out.append(b ^ 0x20)
            i += 1
            continue
        j = i + 1
        while j < n and payload[j] == b and j - i <= _RLE_MAX:
            j += 1
        repeats = j - i - 1          # copies after the first one
        out.append(b)
        if repeats < 3:               # "X*N" only pays from 3 repeats on
            out.extend(bytes([b]) * repeats)
        else:
            while repeats in _RLE_FORBIDDEN:
                out.append(b)
                repeats -= 1
            out.append(0x2A)
            out.append(repeats + 29)
        i = j
    return bytes(out)


def frame(payload: bytes, rle: bool = True, start: bytes = b"$") -> bytes:
    body = encode_body(payload, rle)
    c = checksum(body)
    return start + body + b"#" + bytes((_HEX[c >> 4], _HEX[c & 0xF]))


class PacketPump:
    """The framing state machine for one connection (stub side)."""

    def __init__(self, max_packet_size: int = DEFAULT_PACKET_SIZE, rle: bool = True) -> None:
        self.max_packet_size = max_packet_size
        self.rle = rle
        self.no_ack = False
        self.state = READY
        self._inbox = bytearray()
        self._pos = 0
        self._outbox = bytearray()
        self._last_sent: Optional[bytes] = None
        self._reset_frame()
        self.stats = {"packets_in": 0, "packets_out": 0, "bad_checksums": 0,
                      "garbage_bytes": 0, "oversized": 0, "retransmits": 0,
                      "interrupts": 0, "notifications_dropped": 0}

    def _reset_frame(self) -> None:
        self._raw_sum = 0
        self._raw_len = 0
        self._body = bytearray()
        self._escaped = False
        self._rle_pending = False
        self._is_notification = False
        self._oversized = False
        self._checksum_hi = 0

    # -- input ------------------------------------------------------------------

    def receive_data(self, data: bytes) -> None:
        self._inbox += data

    def next_event(self) -> Union[Event, _Sentinel]:
        inbox = self._inbox
        while self._pos < len(inbox):
            b = inbox[self._pos]
            self._pos += 1
            event = self._step(b)
            if event is not None:
                self._compact()
                return event
        self._compact()
        return NEED_DATA

    def _compact(self) -> None:
        if self._pos:
            del self._inbox[: self._pos]
            self._pos = 0

    def _step(self, b: int) -> Optional[Event]:
        state = self.state
        if state == READY:
            return self._ready(b)
        if state == BODY:
            return self._in_body(b)
        if state == CHECKSUM1:
            if b not in _HEX_VALUE:
                return self._abandon_frame(b)
            self._checksum_hi = _HEX_VALUE[b]
            self.state = CHECKSUM2
            return None
        # CHECKSUM2
        if b not in _HEX_VALUE:
            return self._abandon_frame(b)
        self.state = READY
        return self._complete((self._checksum_hi << 4) | _HEX_VALUE[b])

    def _ready(self, b: int) -> Optional[Event]:
        if b == 0x24 or b == 0x25:          # '$' or '%'
            self._reset_frame()
            self._is_notification = b == 0x25
            self.state = BODY
            return None
        if b == 0x03:
            self.stats["interrupts"] += 1
            return Interrupt()
        if b == 0x2B:                        # '+'
            return Ack()
        if b == 0x2D:                        # '-'
            if not self.no_ack and self._last_sent is not None:
                self.stats["retransmits"] += 1
                self._outbox += self._last_sent
            return Nak()
        self.stats["garbage_bytes"] += 1
        return None

    def _in_body(self, b: int) -> Optional[Event]:
        # '#' and '$' delimit even after '}' or '*', as in gdb's own reader: a
        # sender escapes them, so "}$" or "*#" never occur in a good frame and a
        # stray '}' in line noise cannot swallow the next frame.
        if b == 0x23:                            # '#': the body is over
            self.state = CHECKSUM1
            return None
        if b == 0x24:                            # '$' restarts: the partial frame was noise
            self.stats["garbage_bytes"] += 1 + self._raw_len
            self._reset_frame()
            return None
        self._raw_sum += b
        self._raw_len += 1
        if self._oversized:
            return None                       # keep summing, stop storing
        if self._escaped:
            self._escaped = False
            self._body.append(b ^ 0x20)
        elif self._rle_pending:
            self._rle_pending = False
            if self._body:
                self._body.extend(self._body[-1:] * max(0, b - 29))
        elif b == 0x7D:
            self._escaped = True
        elif b == 0x2A:
            self._rle_pending = True
        else:
            self._body.append(b)
        # Too long, raw or decoded (run-length encoding expands up to 113
        # times): stop storing, so a frame never holds more than PacketSize.
        if self._raw_len > self.max_packet_size or len(self._body) > self.max_packet_size:
            self._oversized = True
            self._body = bytearray()
        return None

    def _abandon_frame(self, b: int) -> Optional[Event]:
        # A non-hex checksum digit: the frame is corrupt.
        self.stats["bad_checksums"] += 1
        self.state = READY
        if not self.no_ack:
            self._outbox += b"-"
        return self._ready(b) if b in (0x24, 0x03) else None

    def _complete(self, received_sum: int) -> Optional[Event]:
        if self._is_notification:
            self.stats["notifications_dropped"] += 1
            return None
        if received_sum != self._raw_sum & 0xFF:
            self.stats["bad_checksums"] += 1
            if not self.no_ack:
                self._outbox += b"-"
            return None
        if not self.no_ack:
            self._outbox += b"+"
        if self._oversized:
            self.stats["oversized"] += 1
            return Malformed("packet longer than PacketSize (%d bytes)" % self.max_packet_size)
        self.stats["packets_in"] += 1
        return Packet(bytes(self._body))

    # -- output -----------------------------------------------------------------

    def send_packet(self, payload: bytes) -> bytes:
        """The bytes of one frame carrying ``payload`` (kept for retransmission)."""
        data = frame(payload, self.rle)
        self._last_sent = data
        self.stats["packets_out"] += 1
        return data

    def send_notification(self, payload: bytes) -> bytes:
        return frame(payload, self.rle, start=b"%")

    def data_to_send(self) -> bytes:
        """Acks, naks and retransmissions the pump queued while receiving."""
        data = bytes(self._outbox)
        self._outbox.clear()
        return data

    def start_no_ack_mode(self) -> None:
        self.no_ack = True
        self._last_sent = None
