"""End-to-end: the real machine (python -m emud) driven through the console
over TCP, QMP (with the qemu.qmp library and raw sockets), the Python
client (over QMP and in-process) and gdb's `monitor`."""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time

import pytest
import trio

from emud.client import ClientError, connect
from emud.pytest_plugin import emud_machine  # noqa: F401 -- the fixture under test

from .conftest import Console, free_port, needs_machine

pytestmark = [needs_machine, pytest.mark.slow]


def icount_of(text: str) -> int:
    return int(re.search(r"icount (\d+)", text).group(1))


# -- the console over TCP --------------------------------------------------------------------------------------


def test_console_greeting_and_every_inspection_command(console):
    c = console
    assert c.greeting.startswith("emud ") and "type 'help'" in c.greeting
    assert "run until" in c.cmd("help")
    regs = c.cmd("info registers")
    assert re.search(r"^ pc +00001000$", regs, re.M) and re.search(r"^ a0 +", regs, re.M)
    assert "CPU #0: pc=0x1000" in c.cmd("info cpus")
    assert c.cmd("x/4i $pc").splitlines()[0].startswith("0x00001000:")
    assert re.match(r"^00001000: 0x[0-9a-f]{8} 0x", c.cmd("x/4wx 0x1000"))
    assert c.cmd("xp/2xb 0x1000").startswith("0000000000001000: 0x97 0x02")
    assert re.search(r"^  0000000080000000-0000000087ffffff \(prio 0, ram\): ", c.cmd("info mtree"), re.M)
    assert "base=0x10000000" in c.cmd("info devices")
    assert c.cmd("info symbol main") == "main\n"
    assert c.cmd("print/x main + 2").startswith("0x800")
    assert c.cmd("cpu 0") == "current cpu 0\n"
    assert c.cmd("info status") == "VM status: paused (prelaunch)\n"     # -S, as QEMU says it
    assert "tb_count" in c.cmd("info tb") and "tb_count" in c.cmd("info jit")
    assert c.cmd("log in_asm") == "log items: in_asm\n"
    assert c.cmd("log none") == "log items: none\n"
    assert c.cmd("disas tick 2").count("\n") == 2


def test_console_errors_keep_the_session(console):
    c = console
    for bad in ["frobnicate", "info nothing", "x/4wx 0x0", "x/4q 0x80000000", "break nosuch", "x/2x $nosuch",
                "step zero", "run until moon", "loadvm nosuch", "cpu 5", "x/2x (main"]:
        out = c.cmd(bad)
        assert out.startswith("Error: ") and out.count("\n") == 1, (bad, out)
    assert c.cmd("info status").startswith("VM status: paused")


def test_console_breakpoints_step_and_run_control(console):
    c = console
    assert re.match(r"#1 breakpoint at 0x[0-9a-f]+ <main>", c.cmd("break main"))
    assert "<main>" in c.cmd("info breakpoints")
    out = c.cmd("cont -w")
    assert "stopped: breakpoint at" in out and "<main>" in out
    before = icount_of(out)
    out = c.cmd("step 3")
    assert icount_of(out) == before + 3 and "(+3)" in out
    assert re.match(r"0x[0-9a-f]{8} <main\+\d+>:", out)
    out = c.cmd("run until pc tick")
    assert out.startswith("condition pc fired") and "<tick>" in out
    out = c.cmd("run until insns 25")
    assert out.startswith("condition insns fired") and "(+25)" in out
    assert "write watchpoint" in c.cmd("watch counter")
    out = c.cmd("cont -w")
    assert "stopped: watchpoint" in out
    assert re.match(r"deleted #1, #\d+\n$", c.cmd("delete"))
    assert c.cmd("info breakpoints") == "no breakpoints\n"
    assert c.cmd("system_reset").startswith("reset; pc 0x1000")
    # the stop before the reset (a watchpoint) is no longer the news
    assert c.cmd("info status") == "VM status: paused (reset)\n"
    c.send("quit")
    c.emud.proc.wait(10)


def test_console_tb_flush_statistics_and_the_program_still_runs(console):
    c = console
    c.cmd("run until pc tick")

    def stats():
        return dict((k, v) for k, v in (line.split(None, 1) for line in c.cmd("info tb").splitlines()))

    before = stats()
    assert int(before["tb_count"]) > 0
    assert c.cmd("tb flush").startswith("flushed ")
    after = stats()
    assert int(after["tb_count"]) == 0 and int(after["flushes"]) == int(before["flushes"]) + 1
    c.cmd("tb invalidate tick 4")
    out = c.cmd("run until pc fw_exit")
    assert out.startswith("condition pc fired")
    final = stats()
    assert int(final["translations"]) > int(after["translations"])
    deadline = time.monotonic() + 10     # the UART reaches stdout a little after the reply
    while b"done 210" not in c.emud.out and time.monotonic() < deadline:
        time.sleep(0.02)
    assert b"boot\ntick 5\ntick 10\ntick 15\ntick 20\ndone 210\n" in c.emud.out


def test_console_breakpoint_stops_a_running_guest(emud_cli, spin_elf):
    port = free_port()
    e = emud_cli(spin_elf, "-monitor", "tcp::%d,server,nowait" % port)
    c = Console(e.connect(port))
    deadline = time.monotonic() + 30
    while b"done 210" not in e.out:
        assert time.monotonic() < deadline, "guest did not reach its spin loop"
        time.sleep(0.05)
    assert c.cmd("info status") == "VM status: running\n"
    c.cmd("break heartbeat")
    try:
        notice = c.read_until_prompt(timeout=20)      # printed when the machine stops on its own
    except socket.timeout:
        raise AssertionError("no stop notice; then: %r %r" % (c.cmd("info status"), c.cmd("info breakpoints")))
    assert "stopped: breakpoint at" in notice and "<heartbeat>" in notice
    assert c.cmd("info status") == "VM status: paused (breakpoint)\n"
    assert "<heartbeat" in c.cmd("x/1i $pc")


def test_console_gdbserver_at_run_time(console):
    port = free_port()
    out = console.cmd("gdbserver %d" % port)
    assert "gdb" in out.lower() and str(port) in out
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"$?#3f")
        assert s.recv(100).startswith(b"+")
    # one stub per machine: the same device again says where it waits, another is refused
    assert console.cmd("gdbserver %d" % port) == out
    other = free_port()
    assert console.cmd("gdbserver %d" % other).startswith("Error: gdbserver: the gdb stub already waits on tcp:")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", other), timeout=2).close()


def test_monitor_script_runs_at_start(emud_cli, demo_elf, tmp_path):
    script = tmp_path / "cmds.txt"
    script.write_text("# a comment\nbreak tick\ncont -w\ninfo symbol $pc\n\nquit\n")
    port = free_port()
    e = emud_cli(demo_elf, "-S", "-monitor", "tcp::%d,server,nowait" % port, "-monitor-script", str(script))
    assert e.proc.wait(30) == 0
    transcript = e.err.decode()
    assert "(emud) break tick\n#1 breakpoint" in transcript
    assert "(emud) info symbol $pc\ntick\n" in transcript


# -- deterministic run control -------------------------------------------------------------------------------


def _minstret(m) -> int:
    regs = m.regs
    return regs["minstret"] | (regs.get("minstreth", 0) << 32)


def test_step_n_runs_exactly_n_instructions_by_minstret(emud_machine):  # noqa: F811
    m = emud_machine(_demo(emud_machine))
    m.break_at("main")
    m.cont()
    m.delete()
    for n in (1, 2, 7, 100, 500):
        before = _minstret(m)
        r = m.step(n)
        assert _minstret(m) - before == n, "step %d retired %d by minstret" % (n, _minstret(m) - before)
        assert r["retired"] == n and r["pc"] == m.pc and r["condition"] == "insns"


def test_step_onto_a_trap_enters_the_handler(emud_machine):  # noqa: F811
    # gdb's stepi semantics: a step on an ecall ends at the handler's first
    # instruction; the ecall itself does not retire (minstret agrees)
    m = emud_machine(_demo(emud_machine))
    ecall = None
    m.run_until(pc="main")
    for insn in m.disas("main", 80):
        if insn["mnemonic"] == "ecall":
            ecall = insn["addr"]
            break
    assert ecall is not None
    m.run_until(pc=ecall)
    before = _minstret(m)
    first = m.step(1)
    assert first["symbol"] == "skip_trap"
    assert _minstret(m) - before == first["retired"]
    r = m.step(6)                      # the handler: csrw, csrr, addi, csrw, csrr, mret
    assert r["pc"] == ecall + 4
    assert _minstret(m) - before == first["retired"] + 6


def test_snapshot_restored_twice_gives_the_same_run_twice(emud_machine):  # noqa: F811
    m = emud_machine(_demo(emud_machine))
    assert m.run_until(pc="main")["condition"] == "pc"
    m.savevm("start")
    runs = []
    for _ in range(3):
        m.loadvm("start")
        seen = len(m.events)
        r = m.run_until(pc="fw_exit")
        lines = [e["data"]["line"] for e in m.events[seen:] if e["event"] == "UART"]
        runs.append((r["icount"], r["pc"], lines, m.regs["a0"]))
    assert runs[0] == runs[1] == runs[2]
    assert runs[0][2][-1] == "done 210"


def test_snapshot_to_file(emud_machine, tmp_path):  # noqa: F811
    m = emud_machine(_demo(emud_machine))
    m.run_until(pc="tick")
    path = str(tmp_path / "s.snap")
    saved = m.savevm("f", file=path)
    # small: only the non-zero pages of the 128 MiB of RAM are kept, compressed
    assert open(path, "rb").read(8) == b"EMUDSNAP" and os.path.getsize(path) < 1 << 20
    m.step(50)
    restored = m.loadvm(file=path)
    assert restored["restored_pc"] == saved["pc"]
    assert m.step(1)["icount"] == saved["icount"] + 1


def test_run_until_uart_stops_where_the_line_is_printed(emud_machine):  # noqa: F811
    m = emud_machine(_demo(emud_machine))
    r = m.run_until(uart=r"tick 10", timeout=30)
    assert r["condition"] == "uart" and r["match"] == "tick 10"
    assert m.status()["status"] == "paused"
    assert b"tick 15" not in m.serial_output(), "the guest ran on after the match"


def test_run_until_trap(emud_machine):  # noqa: F811
    m = emud_machine(_demo(emud_machine))
    r = m.run_until(trap=True, timeout=30)
    assert r["condition"] == "trap" and r["trap"]["cause"] == 11   # ecall from M-mode
    assert r["symbol"].startswith("skip_trap")


def test_run_until_timeout_stops_the_machine(emud_machine):  # noqa: F811
    m = emud_machine(_demo(emud_machine, SPIN=1))
    r = m.run_until(pc=0x1234, timeout=0.5)
    assert r["condition"] == "timeout" and r["timeout"] == 0.5
    assert m.status()["status"] == "paused"
    assert m.breakpoints() == []       # the temporary breakpoint is gone


def test_run_until_exit(emud_machine):  # noqa: F811
    # needs the CLI to let the reply out before it quits on the guest's exit
    m = emud_machine(_demo(emud_machine))
    r = m.run_until(exit=True, timeout=30)
    assert r["condition"] == "exit" and r["exit_code"] == 0
    shutdown = [e for e in m.events if e["event"] == "SHUTDOWN"]   # events come before the reply
    assert shutdown and shutdown[0]["data"]["exit_code"] == 0 and "icount" in shutdown[0]["data"]


# -- QMP -------------------------------------------------------------------------------------------------------


def _demo(fixture, **defines):
    from tests.support.firmware import build_firmware
    from .conftest import DEMO
    return build_firmware(DEMO, 32, defines=defines or None, name="monitor_demo_spin" if defines else None)


def test_qmp_malformed_json_and_unknown_commands_are_answered(emud_cli, demo_elf):
    port = free_port()
    e = emud_cli(demo_elf, "-S", "-qmp", "tcp::%d,server,nowait" % port)
    s = e.connect(port)
    f = s.makefile("rwb")

    def read():
        while True:
            msg = json.loads(f.readline())
            if "event" not in msg:
                return msg

    def send(raw: bytes):
        f.write(raw)
        f.flush()

    assert "QMP" in read()
    send(b'{"execute": "query-status", "id": 1}\n')
    assert read() == {"error": {"class": "CommandNotFound",
                                "desc": "Expecting capabilities negotiation with 'qmp_capabilities'"}, "id": 1}
    send(b'{"execute": "qmp_capabilities"}\n')
    assert read() == {"return": {}}
    send(b'{"execute": \n')
    send(b'}\n')
    assert read()["error"]["class"] == "GenericError"
    send(b"not json at all\n")
    assert read()["error"]["class"] == "GenericError"
    send(b'{"execute": "frobnicate", "id": "u"}\n')
    assert read() == {"error": {"class": "CommandNotFound", "desc": "The command frobnicate has not been found"}, "id": "u"}
    send(b'{"execute": "query-status", "id": 2}\n')
    # held by -S: QEMU's "prelaunch" (its own query-status answers the same)
    assert read() == {"return": {"running": False, "singlestep": False, "status": "prelaunch"}, "id": 2}


def test_qmp_with_the_qemu_qmp_library(emud_cli, demo_elf):
    qmp_lib = pytest.importorskip("qemu.qmp")
    import asyncio

    port = free_port()
    e = emud_cli(demo_elf, "-S", "-qmp", "tcp:127.0.0.1:%d,server=on,wait=off" % port)
    e.connect(port).close()

    async def main():
        client = qmp_lib.QMPClient("emud-test")
        await client.connect(("127.0.0.1", port))
        try:
            assert (await client.execute("query-status"))["status"] == "prelaunch"   # held by -S
            regs = await client.execute("emud-info-registers")
            assert regs["harts"][0]["registers"]["pc"] == 0x1000
            mem = await client.execute("emud-x", {"addr": "0x1000", "fmt": "4xb"})
            assert mem["hex"] == "97020000"
            bp = await client.execute("emud-break", {"addr": "main"})
            assert [b["number"] for b in await client.execute("emud-info-breakpoints")] == [bp["number"]]
            text = await client.execute("human-monitor-command", {"command-line": "info symbol main"})
            assert text == "main\r\n"   # as QEMU's monitor_puts
            with client.listener() as listener:
                await client.execute("cont")
                async for ev in listener:
                    if ev["event"] == "STOP":
                        break
            assert ev["data"]["reason"] == "breakpoint" and "icount" in ev["data"] and "seconds" in ev["timestamp"]
            with pytest.raises(qmp_lib.ExecuteError) as err:
                await client.execute("emud-break", {"addr": "nosuch"})
            assert "unknown symbol" in str(err.value)
            step = await client.execute("emud-step", {"count": 4})
            assert step["retired"] == 4
            stats = await client.execute("emud-info-tb")
            assert "tb_count" in stats
        finally:
            await client.disconnect()

    asyncio.run(asyncio.wait_for(main(), 60))


def test_qmp_uart_events_are_lines(emud_machine):  # noqa: F811
    m = emud_machine(_demo(emud_machine))
    r = m.run_until(pc="fw_exit")
    uart = [e for e in m.events if e["event"] == "UART"]
    assert [e["data"]["line"] for e in uart] == ["boot", "tick 5", "tick 10", "tick 15", "tick 20", "done 210"]
    counts = [e["data"]["icount"] for e in uart]
    assert counts == sorted(counts) and counts[-1] <= r["icount"]


# -- the Python client ---------------------------------------------------------------------------------------------


def test_python_client_issue_example(emud_machine):  # noqa: F811
    m = emud_machine(_demo(emud_machine))
    with connect("unix:" + m.process.qmp_path) as m2:       # a second client on the same machine
        m2.break_at("tick")
        stop = m2.cont()
        assert stop["stop"]["reason"] == "breakpoint" and stop["symbol"] == "tick"
        assert m2.regs["a0"] == 1       # tick(1)
        assert m2.pc == m2.eval("tick")
    assert m.read_memory("tick", 4) == bytes.fromhex(m.x("1wx", "tick")["hex"])
    assert m.disas("tick", 2)[0]["symbol"] == "tick"
    with pytest.raises(ClientError):
        m.break_at("nosuch")


async def test_local_machine_in_process(demo_elf):
    from emud.cli import _parser, build_machine
    from emud.client import LocalMachine

    args, _ = _parser().parse_known_args(["-kernel", str(demo_elf), "-nographic", "-serial", "none"])
    machine, _serial = build_machine(args)
    async with trio.open_nursery() as nursery:
        await nursery.start(machine.run)
        m = LocalMachine(machine)
        assert (await m.status())["status"] == "prelaunch"     # not started yet
        await m.break_at("tick")
        r = await m.cont()
        assert r["symbol"] == "tick" and (await m.registers())["a0"] == 1
        assert (await m.step(3))["retired"] == 3
        assert await m.delete() == [1]
        r = await m.run_until(pc="fw_exit")
        assert r["condition"] == "pc"
        assert await m.hmp("info symbol $pc") == "fw_exit\n"
        await m.quit()


# -- gdb's monitor ---------------------------------------------------------------------------------------------------


@pytest.mark.gdb
def test_gdb_monitor_uses_the_registry(emud_cli, demo_elf):
    if not shutil.which("gdb-multiarch"):
        pytest.skip("gdb-multiarch not installed")
    from pygdbmi.gdbcontroller import GdbController

    port = free_port()
    e = emud_cli(demo_elf, "-S", "-gdb", "tcp::%d" % port)
    e.connect(port).close()
    gdb = GdbController(["gdb-multiarch", "--nx", "--quiet", "--interpreter=mi3", str(demo_elf)])
    try:
        def console(cmd):
            out = gdb.write(cmd, timeout_sec=30)
            return "".join(r["payload"] for r in out if r["type"] in ("console", "target") and r["payload"])

        gdb.write("-target-select remote 127.0.0.1:%d" % port, timeout_sec=30)
        assert "main" in console("monitor info symbol main")
        assert "0x00001000" in console("monitor x/2i $pc")
        assert console("monitor frobnicate").startswith("Error: unknown command")
        out = console("monitor break tick")
        assert "breakpoint" in out and "<tick>" in out
        assert "<tick>" in console("monitor info breakpoints")
        assert "tb_count" in console("monitor info tb")
    finally:
        gdb.exit()


def test_the_client_refuses_what_is_not_a_qmp_server(emud_cli, demo_elf, monkeypatch):
    import emud.client as client_module
    port = free_port()
    e = emud_cli(demo_elf, "-S", "-monitor", "tcp::%d,server,nowait" % port)
    e.connect(port).close()                      # the text monitor is up
    started = time.monotonic()
    with pytest.raises(ClientError, match="not a QMP server"):
        connect(("127.0.0.1", port))             # it greets in text, not JSON
    assert time.monotonic() - started < 10
    # a server that says nothing at all: no greeting within the greeting timeout
    monkeypatch.setattr(client_module, "GREETING_TIMEOUT", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        with pytest.raises(ClientError, match="no QMP greeting"):
            connect(silent.getsockname())


def test_run_until_insns_on_a_sleeping_hart_lets_the_others_run(emud_cli, demo_elf):
    """Hart 1 parks in WFI for good; counting its instructions must not hold
    hart 0, which runs the program to its exit (before: a wait until the timeout)."""
    port = free_port()
    e = emud_cli(demo_elf, "-S", "-smp", "2", "-monitor", "tcp::%d,server,nowait" % port)
    c = Console(e.connect(port))
    assert c.cmd("cpu 1") == "current cpu 1\n"
    out = c.cmd("run until insns 1000 timeout 20")
    assert out.startswith("condition exit"), out
