"""Fuzzing QMP's JSON layer (JSONSplitter, QMPConnection): arbitrary bytes,
deep nesting, huge texts, bad UTF-8, odd numbers and ids, in any chunking.
Nothing raises, every complete JSON text gets exactly one Request or
BadInput, every answer is valid JSON, and the buffer stays bounded."""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from emud.monitor import qmp
from emud.monitor.qmp import BadInput, QMPConnection, Request

FUZZ = settings(max_examples=300, deadline=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12)
requests = st.fixed_dictionaries(
    {}, optional={"execute": st.sampled_from(["qmp_capabilities", "stop", "query-status"]) | json_values,
                  "arguments": json_values | st.dictionaries(st.text(max_size=6), json_values, max_size=3),
                  "id": json_values, "exec-oob": json_values, "x": json_values})
texts = st.one_of(requests, st.lists(json_values, max_size=3), st.dictionaries(st.text(max_size=4), json_values))

NASTY = [b"[" * 5000, b"{\"a\":" * 3000, b"]" * 10, b"}", b"\"", b"\\", b"\xff\xfe", b"\xed\xa0\x80", b"NaN",
         b"Infinity", b"-Infinity", b"1e999", b"-1e999", b"1" * 5000, b"\"\\ud800\"", b"\n", b"\r\n", b" ", b"{", b"[",
         b"{\"execute\":\"stop\",\"id\":", b"null", b"true", b",", b":", b"\x00"]
garbage = st.lists(st.sampled_from(NASTY) | st.binary(max_size=10), max_size=10).map(b"".join)


def strict_json(data: bytes):
    def no_constant(name):
        raise ValueError(name)
    return [json.loads(line, parse_constant=no_constant) for line in data.decode("utf-8").split("\r\n") if line]


def drain(conn: QMPConnection, data: bytes, cuts):
    """Everything a connection makes of ``data`` cut at ``cuts``; every
    answer it gives is checked to be valid JSON."""
    out = []
    bounds = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for a, b in zip(bounds, bounds[1:]):
        conn.receive_data(data[a:b])
        while True:
            req = conn.next_request()
            if req is None:
                break
            assert isinstance(req, (Request, BadInput))
            if isinstance(req, Request):
                assert isinstance(req.execute, str) and isinstance(req.arguments, dict)
                answer = conn.negotiate(req) or conn.reply(req, {"echo": req.arguments})
            else:
                answer = conn.error(req, "GenericError", req.desc)
            strict_json(answer)
            out.append(req)
        assert len(conn._split.buf) <= qmp.MAX_MESSAGE + (b - a)
    return out


@FUZZ
@given(st.lists(st.tuples(garbage, texts), max_size=5), garbage, st.lists(st.integers(0, 20000), max_size=8))
def test_any_bytes_in_any_chunks(parts, tail, cuts):
    data = b"".join(g + json.dumps(t).encode() for g, t in parts) + tail
    whole = drain(QMPConnection(), data, [])
    assert drain(QMPConnection(), data, cuts) == whole


@FUZZ
@given(st.lists(texts, min_size=1, max_size=8), st.lists(st.sampled_from(["", " ", "\n", "\r\n", "\t"]), min_size=8,
                                                         max_size=8),
       st.lists(st.integers(0, 2000), max_size=8))
def test_each_json_text_gets_exactly_one_answer(values, spaces, cuts):
    data = "".join(sp + json.dumps(v, ensure_ascii=False) for sp, v in zip(spaces, values)).encode()
    got = drain(QMPConnection(), data, cuts)
    assert len(got) == len(values)
    for v, req in zip(values, got):
        if isinstance(req, Request):
            assert isinstance(v, dict) and req.execute == v["execute"] and req.arguments == v.get("arguments", {})
            assert (req.has_id, req.id) == ("id" in v, v.get("id"))
        else:
            # an error answer echoes the id when the text was an object with one
            assert not (isinstance(v, dict) and set(v) <= {"execute", "arguments", "id"} and isinstance(
                v.get("execute"), str) and isinstance(v.get("arguments", {}), dict)), (v, req)


@pytest.mark.parametrize("text, desc", [
    (b"[" * 100000 + b"]" * 100000, "JSON parse error, nesting deeper than 256"),
    (b"{\"execute\":\"stop\",\"arguments\":" + b"[" * 300 + b"]" * 300 + b"}", "JSON parse error, nesting deeper than 256"),
    (b"{\"execute\":\"stop\",\"id\":NaN}", "JSON parse error, invalid keyword 'NaN'"),
    (b"{\"execute\":\"stop\",\"id\":-Infinity}", "JSON parse error, invalid keyword '-Infinity'"),
    (b"{\"execute\":\"stop\",\"id\":1e999}", "JSON parse error, number '1e999' out of range"),
    (b"{\"execute\":\"st\xffop\"}", "JSON parse error, 'utf-8' codec can't decode byte 0xff in position 14"),
])
def test_found_by_the_fuzzer(text, desc):
    """Deep nesting was a RecursionError out of json.loads; NaN and 1e999 were
    accepted and echoed back as NaN/Infinity, which is not JSON."""
    conn = QMPConnection()
    got = drain(conn, text + b"{\"execute\":\"stop\"}", [len(text) // 3])
    assert [type(r) for r in got] == [BadInput, Request] and got[0].desc == desc


def test_a_text_too_long_is_one_error_and_its_rest_is_dropped(monkeypatch):
    monkeypatch.setattr(qmp, "MAX_MESSAGE", 1000)
    text = json.dumps({"execute": "stop", "arguments": {"x": "y" * 5000, "z": ["}"] * 100}}).encode()
    conn = QMPConnection()
    got = drain(conn, text + b"\n" + b"{\"execute\":\"stop\"}", list(range(0, len(text), 300)))
    assert [type(r) for r in got] == [BadInput, Request]
    assert got[0].desc == "JSON parse error, message too long"
    # ... also when it arrives in one piece
    assert [type(r) for r in drain(QMPConnection(), text, [])] == [BadInput]


def test_a_slowly_arriving_text_is_scanned_once():
    conn = QMPConnection()
    text = json.dumps({"execute": "stop", "arguments": {"x": "y" * 200000}}).encode()
    for i in range(0, len(text), 100):
        conn.receive_data(text[i:i + 100])
        assert conn.next_request() is None or i + 100 >= len(text)
    assert conn._split._scanned == 0 and not conn._split.buf


def test_floats_stay_floats():
    conn = QMPConnection()
    conn.receive_data(b"{\"execute\":\"x\",\"id\":1.5e300,\"arguments\":{\"t\":-0.0}}")
    req = conn.next_request()
    assert req.id == 1.5e300 and math.copysign(1, req.arguments["t"]) == -1
