"""QMP: the pure protocol, then transcripts over an in-memory stream."""
from __future__ import annotations

import functools
import json

import pytest
import trio
import trio.testing

from emud.monitor.context import MonitorContext
from emud.monitor.qmp import BadInput, COMMAND, NEGOTIATING, QMPConnection, Request, qmp_session

from .conftest import session_ends_when_client_vanishes
from .fake_target import RAM_BASE, FakeTarget


def msgs(data: bytes):
    return [json.loads(line) for line in data.decode().split("\r\n") if line]


def test_greeting_has_qemus_shape():
    g = msgs(QMPConnection().greeting())[0]
    assert set(g["QMP"]) == {"version", "capabilities"}
    assert set(g["QMP"]["version"]["qemu"]) == {"major", "minor", "micro"}


def test_negotiation_state_machine():
    p = QMPConnection()
    p.receive_data(b'{"execute": "stop", "id": 1}{"execute": "qmp_capabilities"}\n{"execute":"qmp_capabilities","id":"x"}')
    r1 = p.next_request()
    assert isinstance(r1, Request) and r1.id == 1
    err = msgs(p.negotiate(r1))[0]
    assert err == {"error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}, "id": 1}
    assert p.state == NEGOTIATING and not p.events_enabled
    assert msgs(p.negotiate(p.next_request()))[0] == {"return": {}}
    assert p.state == COMMAND and p.events_enabled
    again = msgs(p.negotiate(p.next_request()))[0]
    assert again["error"]["class"] == "CommandNotFound" and again["id"] == "x"
    assert p.next_request() is None


def test_requests_split_across_reads_and_in_strings():
    p = QMPConnection()
    p.receive_data(b'{"execute": "human-monitor-command", "argu')
    assert p.next_request() is None
    p.receive_data(b'ments": {"command-line": "x/s \\"}{"}, "id": 2}')
    r = p.next_request()
    assert r.execute == "human-monitor-command" and r.arguments["command-line"] == 'x/s "}{' and r.id == 2


@pytest.mark.parametrize("raw,desc", [
    (b'{"execute": }\n', "JSON parse error"),
    (b"hello\n", "JSON parse error"),
    (b"[1, 2]\n", "QMP input must be a JSON object"),
    (b'{"arguments": {}}\n', "QMP input lacks member 'execute'"),
    (b'{"execute": 5}\n', "'execute' must be a string"),
    (b'{"execute": "stop", "arguments": []}\n', "'arguments' must be an object"),
    (b'{"execute": "stop", "bogus": 1}\n', "'bogus' is unexpected"),
])
def test_malformed_input_is_answered_and_the_stream_continues(raw, desc):
    p = QMPConnection()
    p.receive_data(raw + b'{"execute": "qmp_capabilities"}')
    bad = p.next_request()
    assert isinstance(bad, BadInput) and desc in bad.desc
    assert p.next_request().execute == "qmp_capabilities"


def test_event_timestamp():
    ev = msgs(QMPConnection().event("STOP", {"reason": "step"}, 1700000000.25))[0]
    assert ev == {"event": "STOP", "data": {"reason": "step"}, "timestamp": {"seconds": 1700000000, "microseconds": 250000}}


class Client:
    def __init__(self, stream):
        self.stream = stream
        self.buf = b""
        self.events = []

    async def read(self):
        while b"\r\n" not in self.buf:
            data = await self.stream.receive_some(65536)
            assert data, "server closed the connection"
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        return json.loads(line)

    async def send(self, raw: bytes):
        await self.stream.send_all(raw)

    async def reply(self):
        while True:
            m = await self.read()
            if "event" in m:
                self.events.append(m)
            else:
                return m

    async def cmd(self, name, **args):
        await self.send(json.dumps({"execute": name, "arguments": args, "id": name}).encode())
        return await self.reply()


@pytest.fixture
async def qmp(nursery):
    target = FakeTarget()
    server, client = trio.testing.memory_stream_pair()
    nursery.start_soon(qmp_session, MonitorContext(target), server)
    c = Client(client)
    c.target = target
    assert "QMP" in await c.read()
    return c


async def test_transcript_negotiation_and_qemu_commands(qmp):
    assert (await qmp.cmd("query-status"))["error"]["class"] == "CommandNotFound"
    assert await qmp.cmd("qmp_capabilities") == {"return": {}, "id": "qmp_capabilities"}
    assert (await qmp.cmd("query-status"))["return"] == {"running": False, "singlestep": False, "status": "paused"}
    assert (await qmp.cmd("cont"))["return"] == {}
    assert (await qmp.cmd("query-status"))["return"]["status"] == "running"
    assert (await qmp.cmd("stop"))["return"] == {}
    assert (await qmp.cmd("query-cpus-fast"))["return"][0]["cpu-index"] == 0
    assert (await qmp.cmd("system_reset"))["return"] == {}
    assert {"name": "emud-info-registers"} in (await qmp.cmd("query-commands"))["return"]
    names = [e["event"] for e in qmp.events]
    assert "RESUME" in names and "STOP" in names
    stop = next(e for e in qmp.events if e["event"] == "STOP")
    assert stop["data"]["reason"] == "interrupt" and "icount" in stop["data"] and "seconds" in stop["timestamp"]


async def test_query_name_answers_as_qemu(qmp):
    # QEMU 7.2: {} without -name, {"name": NAME} with it
    await qmp.cmd("qmp_capabilities")
    assert (await qmp.cmd("query-name"))["return"] == {}
    qmp.target.guest_name = "demo,1"
    assert (await qmp.cmd("query-name"))["return"] == {"name": "demo,1"}


async def test_qmp_schema_names_every_command_and_its_arguments(qmp):
    await qmp.cmd("qmp_capabilities")
    schema = (await qmp.cmd("query-qmp-schema"))["return"]
    by_name = {e["name"]: e for e in schema}
    commands = {e["name"] for e in schema if e["meta-type"] == "command"}
    listed = {c["name"] for c in (await qmp.cmd("query-commands"))["return"]}
    assert commands == listed                    # the schema and query-commands agree
    x = by_name[by_name["emud-x"]["arg-type"]]
    assert x["meta-type"] == "object"
    members = {m["name"]: m for m in x["members"]}
    assert set(members) >= {"addr", "fmt"} and "default" in members["fmt"]      # fmt is optional
    hmp = {m["name"]: m for m in by_name[by_name["human-monitor-command"]["arg-type"]]["members"]}
    assert hmp["command-line"] == {"name": "command-line", "type": "str"}
    # every type a member names is in the schema
    for entry in schema:
        for m in entry.get("members", ()):
            assert by_name[m["type"]]["meta-type"] == "builtin"


async def test_transcript_registry_commands_return_structured_data(qmp):
    await qmp.cmd("qmp_capabilities")
    qmp.target.regs[0]["a0"] = 7
    r = (await qmp.cmd("emud-info-registers"))["return"]
    assert r["harts"][0]["registers"]["a0"] == 7
    assert (await qmp.cmd("emud-x", addr="main", fmt="4xb"))["return"]["hex"] == "13000000"
    assert (await qmp.cmd("emud-break", addr="main"))["return"]["addr"] == RAM_BASE + 0x10
    assert (await qmp.cmd("emud-info-breakpoints"))["return"][0]["number"] == 1
    r = (await qmp.cmd("emud-run-until", condition="insns 3"))["return"]
    assert r["condition"] == "insns" and r["retired"] == 3
    r = (await qmp.cmd("emud-step", count=2))["return"]
    assert r["retired"] == 2
    assert (await qmp.cmd("emud-tb-flush"))["return"]["flushed"] == 5
    text = (await qmp.cmd("human-monitor-command", **{"command-line": "info symbol main"}))["return"]
    assert text == "main\r\n"   # as QEMU's monitor_puts
    assert any(e["event"] == "TB_FLUSH" for e in qmp.events)   # events trail the reply that caused them


async def test_transcript_errors_are_answered_not_fatal(qmp):
    await qmp.cmd("qmp_capabilities")
    assert (await qmp.cmd("frobnicate"))["error"]["class"] == "CommandNotFound"
    err = (await qmp.cmd("emud-break", addr="nosuch"))["error"]
    assert err == {"class": "GenericError", "desc": "unknown symbol 'nosuch'"}
    assert (await qmp.cmd("emud-step", count="x"))["error"]["class"] == "GenericError"
    assert (await qmp.cmd("stop", bogus=1))["error"]["class"] == "GenericError"
    await qmp.send(b'{"execute": oops}\n')
    assert "JSON parse error" in (await qmp.reply())["error"]["desc"]
    await qmp.send(b"garbage\n")
    assert (await qmp.reply())["error"]["class"] == "GenericError"
    hmp = (await qmp.cmd("human-monitor-command", **{"command-line": "frobnicate"}))["return"]
    assert hmp.startswith("Error: unknown command")
    assert (await qmp.cmd("query-status"))["return"]["status"] == "paused"


async def test_transcript_quit(qmp):
    await qmp.cmd("qmp_capabilities")
    assert (await qmp.cmd("quit"))["return"] == {}
    assert (await qmp.read())["event"] == "SHUTDOWN"
    assert qmp.target.quit_code == 0


async def test_a_bug_in_one_command_is_a_generic_error_and_the_session_goes_on(qmp, monkeypatch):
    await qmp.cmd("qmp_capabilities")

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(qmp.target, "qmp_cpu_info", broken)
    err = (await qmp.cmd("query-cpus-fast"))["error"]
    assert err["class"] == "GenericError" and err["desc"].startswith("internal error") and "ZeroDivisionError" in err["desc"]
    monkeypatch.undo()
    assert (await qmp.cmd("query-status"))["return"]["status"] == "paused"


async def test_a_client_that_vanishes_with_answers_unread_ends_its_session_only():
    await session_ends_when_client_vanishes(functools.partial(qmp_session, MonitorContext(FakeTarget())),
                                            b'{"execute": "qmp_capabilities"}' + b'{"execute": "query-status"}' * 200)


def test_uart_events_of_a_line_that_never_ends_are_bounded():
    from emud.monitor.qmp import EventSource

    source = EventSource(FakeTarget())
    for _ in range(10):
        source._uart(b"x" * 1000)
    events = source.take()
    assert len(events) == 2 and all(e.data["partial"] and len(e.data["line"]) <= 5000 for e in events)
    assert len(source._line) < EventSource.MAX_LINE
