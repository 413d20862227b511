"""Fuzzing the RSP framing layer (PacketPump): whatever bytes a client
sends, in whatever chunks, the pump never raises, recovers every good frame,
gives the same events for any chunking and keeps its memory bounded."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from emud.gdbstub.packets import Ack, Interrupt, Malformed, Nak, Packet, PacketPump, checksum, encode_body, frame
from tests.gdbstub.test_packets import events

FUZZ = settings(max_examples=300, deadline=None)
EVENT_TYPES = (Packet, Interrupt, Ack, Nak, Malformed)

#: bytes that mean something to the pump, so random streams hit every state
SPECIAL = [b"$", b"#", b"}", b"*", b"+", b"-", b"\x03", b"%", b"0", b"7", b"f", b"F", b"g", b"z", b"\xff"]


def bad_frame(payload: bytes) -> bytes:
    body = encode_body(payload)
    return b"$" + body + b"#%02x" % ((checksum(body) + 1) & 0xFF)


def raw_frame(body: bytes) -> bytes:
    """A frame around ``body`` as is (no escaping): RLE and escapes the fuzzer made up."""
    return b"$" + body + b"#%02x" % checksum(body)


pieces = st.one_of(
    st.sampled_from(SPECIAL),
    st.binary(max_size=12),
    st.binary(max_size=40).map(frame),
    st.binary(max_size=40).map(lambda p: frame(p, rle=False)),
    st.binary(max_size=40).map(bad_frame),
    st.binary(max_size=40).map(raw_frame),
    st.binary(max_size=40).map(lambda p: frame(p, start=b"%")),
)
streams = st.lists(pieces, max_size=25).map(b"".join)
pump_sizes = st.sampled_from([16, 64, 0x4000])


def feed(pump: PacketPump, data: bytes, cuts):
    """Everything the pump makes of ``data`` cut at ``cuts``: (events, bytes it sends)."""
    out, sent = [], b""
    bounds = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for a, b in zip(bounds, bounds[1:]):
        out += events(pump, data[a:b])
        sent += pump.data_to_send()
        # memory stays bounded: nothing left in the inbox, the body within PacketSize
        assert not pump._inbox
        assert len(pump._body) <= pump.max_packet_size + 256
    return out, sent


@FUZZ
@given(streams, st.lists(st.integers(0, 2000), max_size=10), pump_sizes, st.booleans())
def test_any_stream_in_any_chunks_gives_the_same_events(data, cuts, size, no_ack):
    whole, chunked = PacketPump(max_packet_size=size), PacketPump(max_packet_size=size)
    whole.send_packet(b"OK")
    chunked.send_packet(b"OK")
    if no_ack:
        whole.start_no_ack_mode()
        chunked.start_no_ack_mode()
    expected = feed(whole, data, [])
    assert feed(chunked, data, cuts) == expected
    assert all(isinstance(ev, EVENT_TYPES) for ev in expected[0])
    assert whole.stats == chunked.stats
    for ev in expected[0]:
        if isinstance(ev, Packet):
            assert len(ev.payload) <= size
    if no_ack:
        assert expected[1] == b""


@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000), max_size=8))
def test_arbitrary_bytes_never_raise(data, cuts):
    feed(PacketPump(max_packet_size=64), data, cuts)


garbage = st.lists(st.one_of(st.sampled_from(SPECIAL), st.binary(max_size=8)), max_size=8).map(b"".join)


@FUZZ
@given(st.lists(st.tuples(garbage, st.binary(max_size=60), st.booleans()), min_size=1, max_size=6), garbage, st.lists(st.integers(0, 600), max_size=6), st.booleans())
def test_good_frames_are_recovered_from_garbage(parts, tail, cuts, no_ack):
    """garbage, frame, garbage, frame...: every frame comes out with its exact
    payload, in order (the garbage may hold frames of its own)."""
    pump = PacketPump(max_packet_size=0x4000)
    if no_ack:
        pump.start_no_ack_mode()
    data = b"".join(garbage + frame(payload, rle) for garbage, payload, rle in parts) + tail
    got = iter(ev.payload for ev in feed(pump, data, cuts)[0] if isinstance(ev, Packet))
    for _, payload, _ in parts:
        assert any(p == payload for p in got), "lost %r" % payload


def test_a_stray_escape_in_noise_does_not_swallow_the_next_frame():
    # found by the fuzzer: "$}" then "$g#67" took the '$' as escaped data
    for noise in (b"$}", b"$*", b"$abc}"):
        assert events(PacketPump(), noise + b"$g#67") == [Packet(b"g")]
    assert events(PacketPump(), b"$m0}#00$g#67") == [Packet(b"g")]


def test_run_length_encoding_cannot_grow_a_frame_past_packet_size():
    # found by the fuzzer: 4 raw bytes decoded to 17 with PacketSize 16
    pump = PacketPump(max_packet_size=16)
    assert events(pump, raw_frame(b"\x00*-")) == [Malformed("packet longer than PacketSize (16 bytes)")]
    assert events(pump, raw_frame(b"a" * 4 + b"*" + bytes([29 + 127]) * 2)) == \
        [Malformed("packet longer than PacketSize (16 bytes)")]
    assert events(pump, raw_frame(b"0*,")) == [Packet(b"0" * 16)]


@FUZZ
@given(st.binary(min_size=1, max_size=8), st.integers(1, 5000), st.sampled_from([16, 100]))
def test_huge_frames_are_malformed_and_bounded(unit, repeat, size):
    pump = PacketPump(max_packet_size=size)
    body = unit * repeat
    out, _ = feed(pump, frame(body, rle=False), [1, len(body) // 2])
    if len(encode_body(body, rle=False)) > size:
        assert out == [Malformed("packet longer than PacketSize (%d bytes)" % size)]
    else:
        assert out == [Packet(body)]
    # and the pump is healthy afterwards
    assert feed(pump, frame(b"g"), [])[0] == [Packet(b"g")]
