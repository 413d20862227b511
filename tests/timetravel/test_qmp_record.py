"""Time travel over QMP and from Python (emud.client): a real emud with
-record and QMP on a socket; the same API in-process (LocalMachine). The
events carry the instruction count."""
from __future__ import annotations

import pytest
import trio

from emud.client import ClientError, LocalMachine
from emud.pytest_plugin import EmudProcess


@pytest.fixture
def machine(stray_elf):
    proc = EmudProcess(str(stray_elf), ["-record", "-no-shutdown"], freeze=True, timeout=60)
    try:
        yield proc.machine
    finally:
        proc.close()


def test_record_info_rewind_seek_reverse_step(machine):
    m = machine
    info = m.record_info()
    assert info["mode"] == "record" and info["position"] == 0 and info["limit"] == 512 << 20
    assert m.run_until(insns=20000)["icount"] == 20000
    info = m.record_info()
    assert (info["begin"], info["end"], info["instructions"]) == (0, 20000, 20000)
    assert info["span_ns"] > 0 and info["checkpoints"] >= 1 and info["bytes"] > 0
    assert info["interval"] == 1_000_000 and info["checkpoint_seconds"] == 0.03
    forward = {}
    for n in (19990, 19995):
        m.seek(n)
        forward[n] = m.registers()
    got = m.rewind(5)
    assert got["position"] == 19990 and m.registers() == forward[19990]
    m.seek(20000)
    back = m.reverse_step(5)
    assert back["position"] == 19995 and back["stop"]["reason"] == "step" and back["moved"] == -5
    assert back["stop"]["direction"] == "reverse"
    assert m.registers() == forward[19995]
    assert m.record_info()["mode"] == "replay"


def test_reverse_continue_and_run_until_reverse(machine):
    m = machine
    bp = m.break_at("work")
    hits = []
    for _ in range(3):
        stop = m.cont()
        assert stop["stop"]["reason"] == "breakpoint" and stop["stop"]["direction"] == "forward"
        hits.append(stop["icount"])
    m.delete(bp)
    m.run_until(insns=3)          # past it
    m.break_at("work")
    back = m.reverse_continue()
    assert back["stop"]["reason"] == "breakpoint" and back["stop"]["symbol"] == "work"
    assert back["icount"] == hits[-1]
    m.delete()
    r = m.run_until(pc="main", reverse=True)
    assert r["condition"] == "pc" and r["symbol"] == "main" and r["retired"] < 0
    assert m.run_until(insns=1, reverse=True)["condition"] == "insns"
    begin = m.reverse_continue()
    assert begin["stop"]["reason"] == "history-begin" and begin["position"] == 0
    events = [e for e in m.events if e["event"] in ("STOP", "HISTORY")]
    assert {"event": "HISTORY", "what": "begin", "icount": 0} in [
        {"event": e["event"], "what": e["data"].get("what"), "icount": e["data"]["icount"]} for e in events]
    stops = [e["data"] for e in events if e["event"] == "STOP" and e["data"]["reason"] == "breakpoint"]
    assert [s["icount"] for s in stops][:4] == hits + [hits[-1]]
    # STOP events say which way the machine ran, as replies and HISTORY do
    assert [s["direction"] for s in stops][:4] == ["forward"] * 3 + ["reverse"]


def test_errors_are_one_line(machine):
    m = machine
    with pytest.raises(ClientError, match=r"^rewind 3: history holds 0 instruction\(s\) before here"):
        m.rewind(3)
    with pytest.raises(ClientError, match=r"^position 5 is outside history \(0-0\)$"):
        m.seek(5)
    with pytest.raises(ClientError, match="only pc and insns conditions run backwards"):
        m.run_until(uart="x", reverse=True)
    m.cont(wait=False)
    with pytest.raises(ClientError, match=r"^the machine is running \(stop it first\)$"):
        m.reverse_step()
    m.stop()
    m.record_stop()
    assert m.record_info() == {"mode": "off"}
    with pytest.raises(ClientError, match=r"^not recording \(start with: record start\)$"):
        m.reverse_continue()
    assert m.record_start(size="64M")["limit"] == 64 << 20
    assert m.record_start(size=2 << 20)["limit"] == 2 << 20
    with pytest.raises(ClientError, match="size must be at least 1M"):
        m.record_start(size="10k")


def test_schema_names_the_commands(machine):
    schema = {e["name"]: e for e in machine.execute("query-qmp-schema")}
    for name in ("emud-record-start", "emud-record-stop", "emud-query-record", "emud-rewind", "emud-seek",
                 "emud-reverse-continue", "emud-reverse-step"):
        assert schema[name]["meta-type"] == "command"
    members = {m["name"]: m["type"] for m in schema["emud-reverse-step-arg"]["members"]}
    assert members == {"count": "int"}
    members = {m["name"]: m["type"] for m in schema["emud-run-until-arg"]["members"]}
    assert members["reverse"] == "bool"


def test_in_process_machine(stray_elf):
    async def main():
        m = LocalMachine.from_args(["-M", "virt", "-bios", "none", "-kernel", str(stray_elf), "-record"])
        async with trio.open_nursery() as nursery:
            await nursery.start(m.run)
            await m.run_until(insns=3000)
            assert (await m.rewind(1000))["position"] == 2000
            back = await m.reverse_step(10)
            assert back["position"] == 1990
            assert (await m.record_info())["end"] == 3000
            await m.quit()
    trio.run(main)
