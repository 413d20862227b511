"""Byte-level transcripts for the RSP framing layer."""
from __future__ import annotations

from hypothesis import given, strategies as st

from emud.gdbstub.packets import (NEED_DATA, Ack, Interrupt, Malformed, Nak, Packet, PacketPump,
                                  checksum, encode_body, frame)


def events(pump: PacketPump, data: bytes = b""):
    pump.receive_data(data)
    out = []
    while True:
        ev = pump.next_event()
        if ev is NEED_DATA:
            return out
        out.append(ev)


def framed(body: bytes) -> bytes:
    return b"$" + body + b"#%02x" % checksum(body)


def test_simple_packet_is_acked():
    pump = PacketPump()
    assert events(pump, b"$g#67") == [Packet(b"g")]
    assert pump.data_to_send() == b"+"


def test_packet_split_across_reads():
    pump = PacketPump()
    data = framed(b"m80000000,4")
    got = []
    for i in range(len(data)):
        got += events(pump, data[i:i + 1])
    assert got == [Packet(b"m80000000,4")]
    assert pump.data_to_send() == b"+"


def test_two_packets_in_one_read():
    pump = PacketPump()
    assert events(pump, framed(b"qC") + b"+" + framed(b"?")) == [Packet(b"qC"), Ack(), Packet(b"?")]
    assert pump.data_to_send() == b"++"


def test_bad_checksum_is_naked_and_dropped():
    pump = PacketPump()
    assert events(pump, b"$g#00") == []
    assert pump.data_to_send() == b"-"
    assert pump.stats["bad_checksums"] == 1
    # the retransmission is accepted
    assert events(pump, b"$g#67") == [Packet(b"g")]
    assert pump.data_to_send() == b"+"


def test_non_hex_checksum_is_naked():
    pump = PacketPump()
    assert events(pump, b"$g#zz") == []
    assert pump.data_to_send().startswith(b"-")
    assert events(pump, b"$g#67") == [Packet(b"g")]


def test_nak_retransmits_last_packet():
    pump = PacketPump()
    sent = pump.send_packet(b"OK")
    assert sent == b"$OK#9a"
    assert events(pump, b"-") == [Nak()]
    assert pump.data_to_send() == b"$OK#9a"
    assert events(pump, b"+") == [Ack()]
    assert pump.data_to_send() == b""


def test_no_ack_mode_sends_no_acks_and_ignores_naks():
    pump = PacketPump()
    events(pump, framed(b"QStartNoAckMode"))
    assert pump.data_to_send() == b"+"
    pump.send_packet(b"OK")
    pump.start_no_ack_mode()
    assert events(pump, b"+" + framed(b"g")) == [Ack(), Packet(b"g")]
    assert pump.data_to_send() == b""
    pump.send_packet(b"1234")
    assert events(pump, b"-") == [Nak()]
    assert pump.data_to_send() == b""
    # a bad checksum in no-ack mode is dropped silently
    assert events(pump, b"$g#00") == []
    assert pump.data_to_send() == b""


def test_interrupt_byte_outside_packet():
    pump = PacketPump()
    assert events(pump, b"\x03") == [Interrupt()]
    assert pump.data_to_send() == b""


def test_0x03_inside_a_packet_is_data():
    pump = PacketPump()
    body = b"X80000000,1:\x03"
    assert events(pump, framed(body)) == [Packet(body)]


def test_garbage_between_packets_is_dropped():
    pump = PacketPump()
    assert events(pump, b"hello\r\n" + framed(b"?") + b"\x00\xff" + framed(b"g")) == [Packet(b"?"), Packet(b"g")]
    assert pump.stats["garbage_bytes"] == 9


def test_dollar_inside_body_restarts_the_frame():
    pump = PacketPump()
    assert events(pump, b"$m0,4$g#67") == [Packet(b"g")]


def test_escapes_are_decoded():
    pump = PacketPump()
    # '}' escapes: }] = '}', }\x03 = '#', }\x04 = '$', }\x0a = '*'
    body = b"X0,4:}]}\x03}\x04}\x0a"
    assert events(pump, framed(body)) == [Packet(b"X0,4:}#$*")]


def test_run_length_decoding():
    pump = PacketPump()
    # "0* " = '0' + 3 more (' ' is 32 -> 32-29 = 3)
    assert events(pump, framed(b"0* ")) == [Packet(b"0000")]
    assert events(pump, framed(b"a0*\"b")) == [Packet(b"a000000b")]  # '"' = 34: 5 more


def test_notifications_are_ignored():
    pump = PacketPump()
    assert events(pump, b"%Stop:T05#b9" + framed(b"?")) == [Packet(b"?")]
    assert pump.data_to_send() == b"+"


def test_oversized_packet_is_acked_and_rejected():
    pump = PacketPump(max_packet_size=16)
    assert events(pump, framed(b"M0,20:" + b"00" * 32)) == [Malformed("packet longer than PacketSize (16 bytes)")]
    assert pump.data_to_send() == b"+"
    # and the pump is healthy afterwards
    assert events(pump, framed(b"g")) == [Packet(b"g")]


def test_output_escaping_and_rle():
    assert encode_body(b"}#$*", rle=False) == b"}]}\x03}\x04}\x0a"
    assert encode_body(b"0000", rle=True) == b"0* "
    assert encode_body(b"00", rle=True) == b"00"
    # runs of 7 and 8 would need count characters '#' and '$': never emitted
    for n in range(1, 200):
        body = encode_body(b"x" * n)
        assert b"#" not in body and b"$" not in body
        assert all(b <= 126 for b in body)
    assert frame(b"OK", rle=False) == b"$OK#9a"


@given(st.binary(max_size=300), st.booleans())
def test_round_trip_any_payload(payload, rle):
    pump = PacketPump(max_packet_size=4096)
    assert events(pump, frame(payload, rle)) == [Packet(payload)]


@given(st.lists(st.binary(max_size=40), max_size=5), st.integers(1, 7))
def test_round_trip_any_chunking(payloads, chunk):
    pump = PacketPump()
    data = b"".join(frame(p) for p in payloads)
    got = []
    for i in range(0, len(data), chunk):
        got += events(pump, data[i:i + chunk])
    assert got == [Packet(p) for p in payloads]
