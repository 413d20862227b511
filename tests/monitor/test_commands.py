"""Every command's handler and plain-text rendering, against a fake
DebugTarget (the real machine is exercised in test_e2e.py)."""
from __future__ import annotations

import pytest
import trio

from emud.monitor import render_rich
from emud.monitor.context import MonitorContext
from emud.monitor.errors import CommandError

from .fake_target import RAM_BASE, FakeTarget


@pytest.fixture
def target():
    return FakeTarget()


@pytest.fixture
def session(target):
    return MonitorContext(target).session()


async def data(session, line):
    return (await session.run_line(line))[1]


async def test_info_registers_is_a_name_value_object(session, target):
    target.regs[0]["a0"] = 0x1234
    d = await data(session, "info registers")
    regs = d["harts"][0]["registers"]
    assert regs["a0"] == 0x1234 and regs["pc"] == RAM_BASE
    assert list(regs)[:2] == ["zero", "ra"]
    text = await session.run_text("info registers")
    assert " a0       00001234\n" in text and " pc       80000000\n" in text


async def test_info_registers_all_harts():
    t = FakeTarget(harts=2)
    s = MonitorContext(t).session()
    d = await data(s, "info registers -a")
    assert [h["hart"] for h in d["harts"]] == [0, 1]
    assert "CPU#1" in await s.run_text("info registers -a")


async def test_x_formats_render_like_qemu(session):
    assert await session.run_text("x/4wx 0x80000000") == "80000000: 0x00150513 0x00000013 0x00000013 0x00000013\n"
    assert await session.run_text("xp/1g 0x80000000") == "0000000080000000: 0x0000001300150513\n"
    assert await session.run_text("x/2c msg") == "80000100: 'h' 'e'\n"
    assert await session.run_text("x/s msg") == '0x80000100: "hello"\n'
    d = await data(session, "x/4xb main")
    assert d["hex"] == "13000000" and d["values"] == [0x13, 0, 0, 0]
    # QEMU remembers the last size: /2d after /4xb is two bytes
    assert (await data(session, "x/2d main"))["size"] == 1
    text = await session.run_text("x/2i $pc")
    assert text.splitlines()[0].startswith("0x80000000 <_start>:") and "addi" in text


async def test_disas_defaults_to_pc(session):
    d = await data(session, "disas")
    assert len(d["insns"]) == 10 and d["insns"][0]["addr"] == RAM_BASE
    assert len((await data(session, "disas main 3"))["insns"]) == 3


async def test_breakpoints_and_watchpoints(session, target):
    assert await session.run_text("break main") == "#1 breakpoint at 0x80000010 <main>\n"
    d = await data(session, "watch msg 2 r")
    assert (d["kind"], d["length"]) == ("read", 2)
    listing = await data(session, "info breakpoints")
    assert [b["number"] for b in listing] == [1, 2]
    assert await session.run_text("delete 7") == "Error: no breakpoint number 7\n"
    assert (await data(session, "delete 1"))["deleted"] == [1]
    assert (await data(session, "delete"))["deleted"] == [2]
    assert await session.run_text("info breakpoints") == "no breakpoints\n"


async def test_step_reports_new_pc_and_instruction(session, target):
    d = await data(session, "step 3")
    assert d["pc"] == RAM_BASE + 12 and d["retired"] == 3 and d["condition"] == "insns"
    assert d["insn"]["addr"] == RAM_BASE + 12
    actions, default = target.resumes[-1]
    assert actions[0].kind == "step" and actions[0].count == 3


async def test_cont_wait_stops_at_breakpoint(session, target):
    await data(session, "break main")
    d = await data(session, "cont -w")
    assert d["stop"]["reason"] == "breakpoint" and d["pc"] == RAM_BASE + 0x10
    assert await session.run_text("info status") == "VM status: paused (breakpoint)\n"


async def test_cont_returns_at_once_and_stop_stops(session, target):
    assert (await data(session, "cont"))["status"] == "running"
    assert target.run_state == "running"
    d = await data(session, "stop")
    assert d["status"] == "paused" and d["stop"]["reason"] == "interrupt"
    assert (await session.run_text("stop")) == "VM status: paused (interrupt)\n"


async def test_run_until_pc_uses_a_temporary_breakpoint(session, target):
    d = await data(session, "run until pc main+8")
    assert d["condition"] == "pc" and d["pc"] == RAM_BASE + 0x18
    assert target.breakpoints() == []


async def test_run_until_insns(session, target):
    d = await data(session, "run until insns 7")
    assert d["condition"] == "insns" and d["retired"] == 7


async def test_run_until_uart_and_timeout(session, target):
    async with trio.open_nursery() as nursery:
        async def guest():
            await trio.sleep(0.05)
            target.emit_uart(b"booting\nre")
            await trio.sleep(0.05)
            target.emit_uart(b"ady\n")
        nursery.start_soon(guest)
        d = await data(session, "run until uart /ready/")
    assert d["condition"] == "uart" and d["match"] == "ready"
    assert target.uart_listeners() == []
    d = await data(session, "run until uart /never/ timeout 0.05")
    assert d["condition"] == "timeout" and target.run_state == "stopped"
    assert (await session.run_text("run until exit timeout 0.01")).startswith("timeout after 0.01s")


async def test_run_until_trap_via_events(session, target):
    from emud.debug import Event

    async with trio.open_nursery() as nursery:
        async def guest():
            await trio.sleep(0.05)
            target.events.publish(Event("TRAP", {"cause": 11, "pc": 0x80000040}))
        nursery.start_soon(guest)
        d = await data(session, "run until trap")
    assert d["condition"] == "trap" and d["trap"]["cause"] == 11
    assert target.events.hooks == []


async def test_snapshots_in_memory_and_in_files(session, target, tmp_path):
    await data(session, "step 2")
    assert (await data(session, "savevm one"))["icount"] == 2
    await data(session, "step 5")
    d = await data(session, "loadvm one")
    assert d["restored_pc"] == RAM_BASE + 8 and target.icount[0] == 2
    path = tmp_path / "snap.bin"
    await data(session, "savevm two file=%s" % path)
    assert path.read_bytes()[:8] == b"EMUDSNAP"
    await data(session, "step 3")
    await data(session, "loadvm file=%s" % path)
    assert target.icount[0] == 2
    assert [s["name"] for s in await data(session, "info snapshots")] == ["one", "two"]
    assert (await data(session, "delvm one"))["deleted"] == "one"
    assert (await session.run_text("loadvm one")).startswith("Error: no snapshot named 'one'")
    bad = tmp_path / "bad"
    bad.write_bytes(b"not a snapshot")
    assert "not an emud snapshot" in await session.run_text("loadvm file=%s" % bad)
    assert "cannot read" in await session.run_text("loadvm file=%s" % (tmp_path / "missing"))


async def test_tb_and_log_commands(session, target):
    assert (await data(session, "info tb"))["tb_count"] == 5
    assert (await data(session, "info jit"))["tb_count"] == 5
    assert (await data(session, "tb flush"))["flushed"] == 5
    assert target.stats["flushes"] == 1
    await data(session, "tb invalidate main 8")
    assert target.stats["invalidations"] == 1
    assert (await data(session, "log in_asm,op"))["items"] == ["in_asm", "op"]
    assert (await data(session, "log none"))["items"] == []
    assert await session.run_text("log bogus") == "Error: unknown log item 'bogus'\n"


async def test_machine_info_commands(session, target):
    assert (await data(session, "info mtree"))[1]["name"] == "ram"
    assert (await data(session, "info devices"))[0]["type"] == "ns16550a"
    assert (await data(session, "info symbol main+4")) == {"addr": RAM_BASE + 0x14, "symbol": "main", "offset": 4}
    assert await session.run_text("info symbol 0x10") == "no symbol matches 0x10\n"
    assert (await data(session, "info cpus"))["cpus"][0]["current"] is True
    assert await session.run_text("print/x main + 2") == "0x80000012\n"
    assert await session.run_text("print/d -1") == "-1\n"
    assert (await data(session, "info status"))["status"] == "paused"


async def test_system_reset_and_quit(session, target):
    await data(session, "step 4")
    assert (await data(session, "system_reset"))["pc"] == RAM_BASE
    await data(session, "quit 3")
    assert target.quit_code == 3


async def test_gdbserver_calls_the_context_callable(target):
    started = []

    async def start(spec):
        started.append(spec)
        return "listening on %s" % spec

    s = MonitorContext(target, start_gdbserver=start).session()
    assert await s.run_text("gdbserver 1235") == "listening on tcp::1235\n"
    assert await s.run_text("gdbserver unix:/tmp/g.sock") == "listening on unix:/tmp/g.sock\n"
    assert started == ["tcp::1235", "unix:/tmp/g.sock"]
    assert (await MonitorContext(target).session().run_text("gdbserver")).startswith("Error:")


@pytest.mark.parametrize("line", ["frobnicate", "x/4wx 0", "x/4wx $nosuch", "break nosuch", "cpu 9", "info symbol (",
                                  "step -1", "watch 0 0"])
async def test_errors_are_one_line_and_the_session_continues(session, line):
    text = await session.run_text(line)
    assert text.startswith("Error: ") and text.count("\n") == 1
    assert (await data(session, "info status"))["status"] == "paused"


async def test_cpu_names_the_cpus_there_are_in_the_target_neutral_word(session):
    # a Cortex-M core is no hart: the monitor says CPU, as QEMU's does
    assert await session.run_text("cpu 9") == "Error: no CPU 9 (CPUs: 0)\n"


async def test_help(session):
    text = await session.run_text("help")
    assert "x/FMT ADDR" in text and "run until" in text
    assert (await session.run_text("help info")).count("\n") >= 8
    assert "aliases: tb-flush" in await session.run_text("help tb flush")


async def test_sync_run_command_for_gdb(target):
    ctx = MonitorContext(target)
    assert ctx.run_command("info symbol main") == "main\n"
    assert "waits for the machine" in ctx.run_command("step")
    assert ctx.run_command("nope").startswith("Error: unknown command")
    assert (await ctx.run_command_async("step 2")).startswith("0x80000008")


async def test_rich_renderers_render_every_command(session, target):
    from rich.console import Console

    console = Console(record=True, width=120, color_system="standard", force_terminal=True)
    for line in ["info registers", "info tb", "x/3i $pc", "x/4wx main", "disas main 2", "info breakpoints",
                 "break main", "info breakpoints", "step 2", "run until insns 2", "info mtree", "help"]:
        cmd, d = await session.run_line(line)
        render_rich.show(console, cmd.name, d)
    out = console.export_text()
    assert "tb_count" in out and "addi" in out and "\x1b" not in out
    console.print(render_rich.render_error(CommandError("bad")))
