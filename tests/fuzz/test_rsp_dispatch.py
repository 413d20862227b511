"""Fuzzing the gdb command dispatcher: random and mutated packets against a
stopped fake target. Every packet gets a reply (a valid answer, an error or
the empty "unknown" reply), nothing raises, and packets that only read, or
that are refused, leave the target as it was."""
from __future__ import annotations

import copy
import re

from hypothesis import given, settings, strategies as st

from emud.gdbstub.dispatch import Detach, Dispatcher, Kill, Reply, StartNoAck, WaitForStop
from emud.internal import describe
from tests.gdbstub.fake_target import RAM, ROM, FakeTarget

FUZZ = settings(max_examples=300, deadline=None)
ERROR = re.compile(rb"E([0-9a-fA-F]{2}|\..*)\Z", re.S)

PREFIXES = [b"m", b"M", b"X", b"x", b"g", b"G", b"p", b"P", b"Z0,", b"Z1,", b"Z2,", b"Z3,", b"Z4,", b"Z5,",
            b"z0,", b"z1,", b"z2,", b"z4,", b"q", b"qSupported:", b"qXfer:features:read:target.xml:",
            b"qXfer:memory-map:read::", b"qXfer:threads:read::", b"qXfer:features:read:", b"qRcmd,",
            b"qThreadExtraInfo,", b"qC", b"qfThreadInfo", b"qsThreadInfo", b"qAttached", b"qqemu.sstep",
            b"Qqemu.sstep=", b"qqemu.PhyMemMode", b"Qqemu.PhyMemMode:", b"qqemu.sstepbits", b"v", b"vCont?",
            b"vCont;", b"vCont;c", b"vCont;s:", b"vCont;r", b"vMustReplyEmpty", b"H", b"Hg", b"Hc", b"T", b"?",
            b"c", b"C", b"s", b"S", b"QStartNoAckMode", b"D", b"k", b"!", b""]
#: the packets that only read: the target must not change whatever they carry
READ_ONLY = (b"m", b"x", b"g", b"p", b"?", b"H", b"T", b"qX", b"qC", b"qf", b"qs", b"qA", b"qq", b"qT",
             b"qSupported", b"vCont?", b"vMust")

numbers = st.one_of(
    st.integers(0, 0x20),
    st.sampled_from([RAM.start, RAM.start + RAM.size - 4, ROM.start, 0x10000000, 0xFFFFFFFF, 2 ** 64, 2 ** 4000]),
    st.integers(0, 2 ** 70),
).map(lambda n: b"%x" % n)
words = st.one_of(
    numbers,
    st.sampled_from([b",", b":", b";", b"=", b"-1", b"0", b"p1.1", b"p1", b"-", b" ", b"_", b"xx", b"c", b"s",
                     b"C05", b"S09", b"t", b"r", b"zz", b"\xff", b"}", b"*", b"\x00", b"target.xml", b"+", b"OK"]),
    st.binary(max_size=6),
    st.text(max_size=20).map(lambda t: t.encode().hex().encode()),     # a qRcmd command line
    st.sampled_from(["help", "info registers", "info mtree", "system_reset", "tb flush", "frobnicate"])
    .map(lambda t: t.encode().hex().encode()),
)
made_up = st.builds(lambda head, tail: head + b"".join(tail), st.sampled_from(PREFIXES), st.lists(words, max_size=8))

REAL = [b"m80000000,4", b"M80000000,4:deadbeef", b"X80000000,2:ab", b"x80000000,10", b"g", b"G" + b"00" * 4 * 33,
        b"p20", b"Pa=78563412", b"Z0,80000010,4", b"z0,80000010,4", b"Z2,80000100,4", b"vCont;s:1;c",
        b"qXfer:features:read:target.xml:0,ffb", b"qRcmd,696e666f207265676973746572", b"Hg1", b"T1",
        b"qSupported:multiprocess+;swbreak+;error-message+", b"Qqemu.sstep=5", b"C05;80000000", b"vCont;r80000000,80000010"]


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["insert", "delete", "replace", "truncate"]))
        byte = draw(st.sampled_from(b",:;=-0fF}x\xff") | st.integers(0, 255))
        if how == "insert":
            data[pos:pos] = bytes([byte])
        elif how == "truncate":
            del data[pos:]
        elif pos < len(data):
            data[pos:pos + 1] = b"" if how == "delete" else bytes([byte])
    return bytes(data)


packets = st.one_of(made_up, mutated(), st.binary(max_size=40))


def state(t: FakeTarget):
    return copy.deepcopy((t.values, t.mem, sorted(t.bps)))


def answer(t: FakeTarget, d: Dispatcher, payload: bytes):
    """The replies to one packet; the fake target stops at once when resumed."""
    actions = d.handle_packet(payload)
    assert actions, payload
    replies = []
    for action in actions:
        if isinstance(action, (Detach, Kill)):
            return None        # the session is over
        if isinstance(action, WaitForStop):
            t.stop("interrupt", 0)
            actions += d.on_stop(t.last_stop())
        elif isinstance(action, Reply):
            assert isinstance(action.payload, bytes)
            assert len(action.payload) <= d.packet_size, (payload, action)
            replies.append(action.payload)
        else:
            assert isinstance(action, StartNoAck), action
    assert replies, (payload, actions)
    return replies


@FUZZ
@given(st.lists(packets, min_size=1, max_size=12), st.booleans(), st.sampled_from([1, 2]))
def test_every_packet_gets_an_answer_and_refusals_change_nothing(payloads, error_messages, harts):
    t = FakeTarget(harts=harts)
    bugs = []
    d = Dispatcher(t, report=lambda where, exc: bugs.append(exc))   # the catch-all must not hide a bug from the fuzzer
    if error_messages:
        answer(t, d, b"qSupported:error-message+")
    for payload in payloads:
        before = state(t)
        replies = answer(t, d, payload)
        if replies is None:
            break
        refused = replies[-1] == b"" or ERROR.match(replies[-1]) is not None
        if refused or payload.startswith(READ_ONLY):
            assert state(t) == before, (payload, replies)
        if t.run_state == "exited":
            t.reset()
    assert not bugs


def test_a_bad_signal_number_does_not_move_the_pc_first():
    # found by the fuzzer: C/S wrote the new pc before parsing the signal
    for packet in (b"Czz;80000040", b"Szz;80000040", b"C;80000040"):
        t = FakeTarget()
        assert ERROR.match(answer(t, Dispatcher(t), packet)[0])
        assert t.values[0]["pc"] == t.entry and not t.resume_log


def test_a_bad_G_packet_writes_no_register():
    # found by the fuzzer: G wrote the registers before the first bad one
    t = FakeTarget()
    before = state(t)
    assert ERROR.match(answer(t, Dispatcher(t), b"G" + b"11" * 4 + b"zz" * 4 + b"00" * 4 * 31)[0])
    assert state(t) == before


def test_numbers_are_plain_hex():
    # int(x, 16) took "-10", " 10" and "1_0": a negative address reached the target
    t = FakeTarget()
    d = Dispatcher(t)
    for packet in (b"m-10,4", b"m 80000000,4", b"m8000_0000,4", b"M80000000,2:ab c", b"M80000000,1:+1", b"Hg-2",
                   b"p+20", b"qRcmd,68 65"):
        assert ERROR.match(answer(t, d, packet)[0]), packet
    assert answer(t, d, b"m80000000,4") == [b"00000000"]


class _Buggy(FakeTarget):
    def read_memory(self, addr, length):
        raise KeyError("a bug")


def test_a_bug_in_a_command_is_an_error_reply_reported_once():
    t = _Buggy()
    reported = []

    def report(where, exc):
        reported.append(where)
        return describe(exc)

    d = Dispatcher(t, report=report)
    assert answer(t, d, b"m80000000,4") == [b"E0e"]
    answer(t, d, b"qSupported:error-message+")
    assert answer(t, d, b"m80000000,4") == [b"E.emud: internal error: KeyError: 'a bug'"]
    assert reported == ["gdb packet 'm80000000,4'"] * 2
    assert d.stats["internal_errors"] == 2
    assert answer(t, d, b"g")          # and the session goes on


def test_long_error_texts_fit_in_a_packet():
    t = FakeTarget()
    d = Dispatcher(t, packet_size=256)
    answer(t, d, b"qSupported:error-message+")
    reply = answer(t, d, b"m" + b"z" * 500 + b",4")[0]
    assert reply.startswith(b"E.malformed") and len(reply) <= 202
