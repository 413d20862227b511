"""Dispatcher transcripts per packet family, against the in-memory fake target."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from emud.debug import CONTINUE, STAY, DebugTarget, MemoryRange
from emud.gdbstub.dispatch import (CTRLC_INTERRUPT, IDLE, RUNNING, AwaitMonitor, Detach, Dispatcher,
                                   Kill, Reply, StartNoAck, WaitForStop)
from emud.gdbstub import xmldesc
from tests.gdbstub.fake_target import RAM, FakeTarget


def make(harts: int = 1, **kw):
    target = FakeTarget(harts=harts)
    return target, Dispatcher(target, **kw)


def ask(d: Dispatcher, payload: bytes) -> bytes:
    actions = d.handle_packet(payload)
    assert len(actions) == 1 and isinstance(actions[0], Reply), actions
    return actions[0].payload


def le32(value: int) -> bytes:
    return value.to_bytes(4, "little").hex().encode()


# -- session --------------------------------------------------------------------------


def test_qsupported_is_built_from_supported_features():
    t, d = make()
    reply = ask(d, b"qSupported:multiprocess+;swbreak+;hwbreak+;error-message+;xmlRegisters=i386")
    features = reply.split(b";")
    for f in (b"PacketSize=4000", b"QStartNoAckMode+", b"swbreak+", b"hwbreak+", b"qXfer:features:read+",
              b"qXfer:memory-map:read+", b"vContSupported+", b"error-message+", b"qXfer:threads:read+"):
        assert f in features
    assert b"multiprocess+" in features            # as QEMU: taken when gdb offers it
    assert d.error_messages and d.client_features["xmlRegisters"] == "i386"
    t, d = make()
    assert b"multiprocess+" not in ask(d, b"qSupported:swbreak+;hwbreak+").split(b";")
    assert ask(d, b"qC") == b"QC1"


class _NoBreakpoints(DebugTarget):
    arch_name = "riscv:rv32"
    xlen = 32

    def registers(self):
        return FakeTarget().registers()


def test_features_a_target_lacks_are_not_advertised_nor_routed():
    d = Dispatcher(_NoBreakpoints())
    features = ask(d, b"qSupported").split(b";")
    assert b"swbreak+" not in features and b"qXfer:memory-map:read+" not in features
    assert b"qXfer:features:read+" in features
    assert ask(d, b"Z0,80000000,4") == b""
    assert ask(d, b"qXfer:memory-map:read::0,100") == b""


def test_no_ack_mode():
    t, d = make()
    assert d.handle_packet(b"QStartNoAckMode") == [Reply(b"OK"), StartNoAck()]


def test_unknown_packets_get_the_empty_reply():
    t, d = make()
    for p in (b"vMustReplyEmpty", b"qTStatus", b"QNonStop:1", b"!", b"vFile:open:x", b"qCRC:0,4", b"zz"):
        assert ask(d, p) == b"", p


def test_q_misc():
    t, d = make()
    assert ask(d, b"qAttached") == b"1"
    assert ask(d, b"qAttached:1") == b"1"
    assert ask(d, b"qOffsets") == b"Text=0;Data=0;Bss=0"
    assert ask(d, b"qSymbol::") == b"OK"


def test_errors_are_text_only_when_the_client_said_so():
    t, d = make()
    assert ask(d, b"m10,4") == b"E0e"
    ask(d, b"qSupported:error-message+")
    reply = ask(d, b"m10,4")
    assert reply.startswith(b"E.") and b"0x10" in reply
    assert ask(d, b"mzz").startswith(b"E.malformed")


# -- registers --------------------------------------------------------------------------


def test_g_packet_is_core_registers_in_order():
    t, d = make()
    t.values[0]["a0"] = 0x12345678
    reply = ask(d, b"g")
    assert len(reply) == 33 * 8
    assert reply[10 * 8:11 * 8] == le32(0x12345678)
    assert reply[32 * 8:] == le32(0x80000000)


def test_G_writes_core_registers():
    t, d = make()
    regs = [le32(i * 0x11) for i in range(32)] + [le32(0x80000100)]
    assert ask(d, b"G" + b"".join(regs)) == b"OK"
    assert t.values[0]["a0"] == 10 * 0x11 and t.values[0]["pc"] == 0x80000100


def test_p_and_P_including_csrs_and_priv():
    t, d = make()
    t.values[0]["mstatus"] = 0x1888
    assert ask(d, b"p%x" % (65 + 0x300)) == le32(0x1888)
    assert ask(d, b"P%x=%s" % (65 + 0x341, le32(0x80000010))) == b"OK"
    assert t.values[0]["mepc"] == 0x80000010
    assert ask(d, b"p%x" % (65 + 4096)) == b"03"
    assert ask(d, b"p20") == le32(0x80000000)
    assert ask(d, b"p9999").startswith(b"E")
    assert ask(d, b"P20=00").startswith(b"E")


def test_unreadable_register_is_unavailable_not_an_error():
    t, d = make()
    t.mtval_unavailable = True
    assert ask(d, b"p%x" % (65 + 0x343)) == b"xxxxxxxx"


def test_registers_follow_hg():
    t, d = make(harts=2)
    t.values[1]["a0"] = 7
    assert ask(d, b"Hg2") == b"OK"
    assert ask(d, b"pa") == le32(7)
    assert ask(d, b"Hg0") == b"OK"      # "any": keeps the current one
    assert ask(d, b"pa") == le32(7)
    assert ask(d, b"Hg3").startswith(b"E")


# -- memory --------------------------------------------------------------------------------


def test_m_and_M():
    t, d = make()
    assert ask(d, b"M80000000,4:deadbeef") == b"OK"
    assert ask(d, b"m80000000,4") == b"deadbeef"
    assert (0x80000000, 4) in t.invalidated
    assert ask(d, b"M80000000,4:dead").startswith(b"E")
    assert ask(d, b"M1000,4:00000000").startswith(b"E")    # ROM


def test_X_binary_write_and_probe():
    t, d = make()
    assert ask(d, b"X80000000,0:") == b"OK"
    assert ask(d, b"X80000010,4:}#$*") == b"OK"
    assert t.read_memory(0x80000010, 4) == b"}#$*"


def test_x_binary_read():
    t, d = make()
    t.write_memory(0x80000000, b"\x01\x02#$")
    assert ask(d, b"x80000000,4") == b"b\x01\x02#$"
    assert ask(d, b"x80000000,0") == b"b"


def test_memory_reads_are_clamped_to_packet_size():
    t, d = make()
    reply = ask(d, b"m80000000,10000")
    assert len(reply) <= d.packet_size


# -- breakpoints -----------------------------------------------------------------------------


@pytest.mark.parametrize("ztype,kind", [(b"0", "sw"), (b"1", "hw"), (b"2", "write"), (b"3", "read"), (b"4", "access")])
def test_Z_and_z(ztype, kind):
    t, d = make()
    assert ask(d, b"Z%s,80000010,4" % ztype) == b"OK"
    assert ask(d, b"Z%s,80000010,4" % ztype) == b"OK"       # idempotent
    assert [(b.kind, b.addr, b.length) for b in t.breakpoints()] == [(kind, 0x80000010, 4)]
    assert ask(d, b"z%s,80000010,4" % ztype) == b"OK"
    assert t.breakpoints() == []


def test_watchpoint_of_any_length():
    t, d = make()
    assert ask(d, b"Z2,80000100,1f") == b"OK"
    assert t.breakpoints()[0].length == 0x1F


def test_Z_error_from_target():
    t, d = make()
    ask(d, b"Z1,80000000,2")
    ask(d, b"Z1,80000004,2")
    assert ask(d, b"Z1,80000008,2").startswith(b"E")


# -- run control and stop replies ------------------------------------------------------------


def test_question_mark_on_a_fresh_machine_is_sigtrap_with_thread_and_registers():
    t, d = make()
    ask(d, b"qSupported:swbreak+")
    reply = ask(d, b"?")
    assert reply.startswith(b"T05thread:1;")
    assert b"20:" + le32(0x80000000) + b";" in reply     # pc expedited
    assert b"2:" in reply and b"8:" in reply and b"1:" in reply


def test_continue_and_stop_reply_with_swbreak():
    t, d = make()
    ask(d, b"qSupported:swbreak+;hwbreak+")
    assert d.handle_packet(b"c") == [WaitForStop()]
    assert d.state == RUNNING
    assert t.resume_log[-1] == ({}, CONTINUE)
    t.stop("breakpoint", 0)
    [reply] = d.on_stop(t.last_stop())
    assert d.state == IDLE
    assert reply.payload.startswith(b"T05thread:1;") and reply.payload.endswith(b"swbreak:;")


def test_swbreak_only_when_client_understands_it():
    t, d = make()
    d.handle_packet(b"c")
    t.stop("breakpoint", 0)
    [reply] = d.on_stop(t.last_stop())
    assert b"swbreak" not in reply.payload


def test_c_with_address_sets_pc():
    t, d = make()
    d.handle_packet(b"c80000040")
    assert t.values[0]["pc"] == 0x80000040


@pytest.mark.parametrize("kind,key", [("write", b"watch"), ("read", b"rwatch"), ("access", b"awatch")])
def test_watchpoint_stop_replies(kind, key):
    t, d = make()
    d.handle_packet(b"c")
    t.stop("watchpoint", 0, watch_kind=kind, watch_addr=0x80000123)
    [reply] = d.on_stop(t.last_stop())
    assert reply.payload.endswith(key + b":80000123;")


def test_hwbreak_stop_reply():
    t, d = make()
    ask(d, b"qSupported:hwbreak+")
    d.handle_packet(b"c")
    t.stop("hw-breakpoint", 0)
    assert d.on_stop(t.last_stop())[0].payload.endswith(b"hwbreak:;")


def test_ctrl_c_while_running():
    t, d = make()
    d.handle_packet(b"c")
    assert d.handle_interrupt() == []
    assert d.state == CTRLC_INTERRUPT and t._stop_requested
    t.stop("interrupt", 0)
    assert d.on_stop(t.last_stop())[0].payload.startswith(b"T02")


def test_ctrl_c_while_idle_is_ignored():
    t, d = make()
    assert d.handle_interrupt() == [] and d.state == IDLE
    assert not t._stop_requested


def test_step_steps_the_c_thread_only():
    t, d = make(harts=2)
    ask(d, b"Hc2")
    assert d.handle_packet(b"s") == [WaitForStop()]
    actions, default = t.resume_log[-1]
    assert default == STAY and list(actions) == [1] and actions[1].kind == "step"


def test_signals_are_accepted():
    t, d = make()
    assert d.handle_packet(b"C05") == [WaitForStop()]
    assert t.resume_log[-1][1].signal == 5
    t.stop("step", 0)
    d.on_stop(t.last_stop())
    assert d.handle_packet(b"S05") == [WaitForStop()]


def test_vcont_query():
    t, d = make()
    assert ask(d, b"vCont?") == b"vCont;c;C;s;S;t;r"


def test_vcont_step_one_continue_others():
    t, d = make(harts=3)
    assert d.handle_packet(b"vCont;s:2;c") == [WaitForStop()]
    actions, default = t.resume_log[-1]
    assert actions[1].kind == "step" and actions[0] == CONTINUE and actions[2] == CONTINUE


def test_vcont_leftmost_action_wins_and_unlisted_threads_stay():
    t, d = make(harts=3)
    d.handle_packet(b"vCont;c:1;s:1;t:2")
    actions, default = t.resume_log[-1]
    assert actions[0] == CONTINUE and actions[1] == STAY and default == STAY and 2 not in actions


def test_vcont_range_step():
    t, d = make()
    d.handle_packet(b"vCont;r80000000,80000010:1;c")
    actions, _ = t.resume_log[-1]
    assert (actions[0].kind, actions[0].start, actions[0].end) == ("range", 0x80000000, 0x80000010)


def test_vcont_multiprocess_thread_ids_and_bad_threads():
    t, d = make(harts=2)
    d.handle_packet(b"vCont;s:p1.2")
    assert t.resume_log[-1][0][1].kind == "step"
    t.stop("step", 1)
    d.on_stop(t.last_stop())
    assert ask(d, b"vCont;s:9").startswith(b"E")
    assert ask(d, b"vCont;q").startswith(b"E")


def test_stop_on_another_hart_names_that_thread_and_selects_it():
    t, d = make(harts=2)
    d.handle_packet(b"c")
    t.values[1]["pc"] = 0x80000444
    t.stop("breakpoint", 1)
    reply = d.on_stop(t.last_stop())[0].payload
    assert b"thread:2;" in reply and b"20:" + le32(0x80000444) in reply
    assert ask(d, b"qC") == b"QC2"
    assert ask(d, b"p20") == le32(0x80000444)


def test_exit_gives_W_and_further_resumes_too():
    t, d = make()
    d.handle_packet(b"c")
    t.stop("exited", 0, exit_code=3)
    assert d.on_stop(t.last_stop()) == [Reply(b"W03")]
    assert ask(d, b"?") == b"W03"
    assert ask(d, b"c") == b"W03"


# -- threads ------------------------------------------------------------------------------------


def test_thread_queries():
    t, d = make(harts=2)
    assert ask(d, b"qfThreadInfo") == b"m1,2"
    assert ask(d, b"qsThreadInfo") == b"l"
    assert ask(d, b"qC") == b"QC1"
    assert ask(d, b"T2") == b"OK"
    assert ask(d, b"T3").startswith(b"E")
    assert bytes.fromhex(ask(d, b"qThreadExtraInfo,2").decode()) == b"hart 1 (stopped)"
    assert ask(d, b"Hc-1") == b"OK"


# -- qXfer -----------------------------------------------------------------------------------------


def read_xfer(d: Dispatcher, obj: bytes, annex: bytes, chunk: int = 0x80) -> bytes:
    data, offset = b"", 0
    while True:
        reply = ask(d, b"qXfer:%s:read:%s:%x,%x" % (obj, annex, offset, chunk))
        assert reply[:1] in (b"m", b"l"), reply
        data += reply[1:]
        offset += len(reply) - 1
        if reply[:1] == b"l":
            return data


def test_target_xml():
    t, d = make()
    doc = read_xfer(d, b"features", b"target.xml")
    root = ET.fromstring(doc)
    assert root.find("architecture").text == "riscv:rv32"
    feats = {f.get("name"): f for f in root.findall("feature")}
    assert set(feats) == {"org.gnu.gdb.riscv.cpu", "org.gnu.gdb.riscv.csr", "org.gnu.gdb.riscv.virtual"}
    cpu = [(r.get("name"), r.get("regnum")) for r in feats["org.gnu.gdb.riscv.cpu"]]
    assert cpu[0] == ("zero", "0") and cpu[-1] == ("pc", "32")
    csr = {r.get("name"): r for r in feats["org.gnu.gdb.riscv.csr"]}
    assert csr["mstatus"].get("regnum") == str(65 + 0x300) and csr["mstatus"].get("group") == "csr"
    assert [r.get("name") for r in feats["org.gnu.gdb.riscv.virtual"]] == ["priv"]


def test_unknown_annex_is_an_error():
    t, d = make()
    assert ask(d, b"qXfer:features:read:nope.xml:0,100").startswith(b"E")


def test_memory_map_xml():
    t, d = make()
    root = ET.fromstring(read_xfer(d, b"memory-map", b""))
    regions = [(m.get("type"), int(m.get("start"), 16), int(m.get("length"), 16)) for m in root]
    assert ("rom", 0x1000, 0x1000) in regions and ("ram", RAM.start, RAM.size) in regions
    assert ("ram", 0x10000000, 0x100) in regions       # devices stay accessible


@pytest.mark.parametrize("xlen", [32, 64])
def test_memory_map_has_the_sign_extended_upper_half_on_rv32(xlen):
    # gdb widens a signed 32-bit CSR value (x/i $mepc) before checking the map
    d = Dispatcher(FakeTarget(xlen=xlen))
    root = ET.fromstring(read_xfer(d, b"memory-map", b""))
    regions = [(int(m.get("start"), 16), int(m.get("length"), 16)) for m in root]
    widened = (0xffffffff00000000 | RAM.start, RAM.size)
    assert (widened in regions) == (xlen == 32)
    assert len(regions) == 3 + (xlen == 32)       # the low ROM and UART are not copied


def test_only_the_upper_half_of_a_range_is_sign_extended():
    ranges = [MemoryRange(0x7ffff000, 0x2000, "ram", "straddles"), MemoryRange(0xfffff000, 0x1000, "io", "top")]
    assert [(r.start, r.size) for r in xmldesc.gdb_address_ranges(ranges, 32)] == [
        (0x7ffff000, 0x2000), (0xfffff000, 0x1000),
        (0xffffffff80000000, 0x1000), (0xfffffffffffff000, 0x1000)]
    assert xmldesc.gdb_address_ranges(ranges, 64) == ranges


def test_threads_xml():
    t, d = make(harts=2)
    root = ET.fromstring(read_xfer(d, b"threads", b""))
    assert [(th.get("id"), th.text) for th in root] == [("1", "hart 0 (stopped)"), ("2", "hart 1 (stopped)")]


def test_multiprocess_thread_ids_as_qemu_gives_them():
    # gdb then shows "Thread 1.2" and "process 1", as against QEMU
    t, d = make(harts=2)
    ask(d, b"qSupported:multiprocess+;swbreak+;hwbreak+")
    assert ask(d, b"qfThreadInfo") == b"mp01.01,p01.02"
    assert ask(d, b"qC") == b"QCp01.01"
    assert ask(d, b"Hgp1.2") == b"OK" and ask(d, b"qC") == b"QCp01.02"
    assert ask(d, b"Tp01.02") == b"OK" and ask(d, b"Tp1.3").startswith(b"E")
    assert ask(d, b"Hgp0.0") == b"OK" and ask(d, b"Hcp1.-1") == b"OK"
    root = ET.fromstring(read_xfer(d, b"threads", b""))
    assert [th.get("id") for th in root] == ["p01.01", "p01.02"]
    d.handle_packet(b"vCont;c:p1.-1")
    t.stop("breakpoint", 1)
    assert b"thread:p01.02;" in d.on_stop(t.last_stop())[0].payload


def test_vkill_answers_then_kills():
    t, d = make()
    ask(d, b"qSupported:multiprocess+")
    assert d.handle_packet(b"vKill;1") == [Reply(b"OK"), Kill()]
    t, d = make()
    assert ask(d, b"vKill;2").startswith(b"E")     # no such process: nothing killed


# -- detach, kill ---------------------------------------------------------------------------------


def test_detach_removes_breakpoints_and_resumes():
    t, d = make()
    ask(d, b"Z0,80000010,4")
    ask(d, b"Z2,80000100,4")
    t.add_breakpoint("sw", 0x80000020)          # someone else's (the monitor's): kept
    assert d.handle_packet(b"D") == [Reply(b"OK"), Detach()]
    assert [b.addr for b in t.breakpoints()] == [0x80000020]
    assert t.run_state == "running"


def test_kill():
    t, d = make()
    ask(d, b"Z0,80000010,4")
    assert d.handle_packet(b"k") == [Kill()]
    assert t.breakpoints() == []


# -- QEMU compatibility --------------------------------------------------------------------------


def test_qqemu_sstep():
    t, d = make()
    assert ask(d, b"qqemu.sstepbits") == b"ENABLE=1,NOIRQ=2,NOTIMER=4"
    assert ask(d, b"qqemu.sstep") == b"0x7"
    assert ask(d, b"Qqemu.sstep=1") == b"OK"
    assert ask(d, b"qqemu.sstep") == b"0x1"
    assert ask(d, b"Qqemu.sstep=10").startswith(b"E")
    assert ask(d, b"Qqemu.sstep=0x5") == b"OK"          # QEMU's docs spell it so
    assert ask(d, b"qqemu.sstep") == b"0x5"


def test_step_policy_reaches_resume_action_when_the_contract_has_room():
    t, d = make()
    action = d.step_action()
    assert action.kind == "step"
    if hasattr(action, "step_into_interrupts"):
        assert action.step_into_interrupts is False
        ask(d, b"Qqemu.sstep=1")
        assert d.step_action().step_into_interrupts is True


def test_step_policy_reaches_a_machine_attribute():
    t, d = make()
    t.step_allows_irq = True
    d = Dispatcher(t)
    assert t.step_allows_irq is False          # a session starts from the default
    ask(d, b"Qqemu.sstep=5")
    assert t.step_allows_irq is True


def test_phy_mem_mode():
    t, d = make()
    assert ask(d, b"qqemu.PhyMemMode") == b"0"
    assert ask(d, b"Qqemu.PhyMemMode:1") == b"OK"
    assert ask(d, b"qqemu.PhyMemMode") == b"1"
    assert ask(d, b"Qqemu.PhyMemMode:2").startswith(b"E")


# -- monitor --------------------------------------------------------------------------------------


def rcmd(d: Dispatcher, text: str):
    return d.handle_packet(b"qRcmd," + text.encode().hex().encode())


def output_of(actions) -> str:
    assert actions[-1] == Reply(b"OK")
    return "".join(bytes.fromhex(a.payload[1:].decode()).decode() for a in actions[:-1])


def test_builtin_monitor():
    t, d = make()
    assert "system_reset" in output_of(rcmd(d, "help"))
    t.values[0]["mstatus"] = 0x88
    assert "mstatus    0x00000088" in output_of(rcmd(d, "info registers"))
    assert "0000000080000000-" in output_of(rcmd(d, "info mtree"))
    output_of(rcmd(d, "system_reset"))
    assert t.resets == 1
    assert "unknown monitor command" in output_of(rcmd(d, "frobnicate"))


def test_monitor_runner_is_used_when_given():
    seen = []

    def run(text):
        seen.append(text)
        return "ran " + text

    t, d = make(run_command=run)
    assert output_of(rcmd(d, "info status")) == "ran info status\n"
    assert seen == ["info status"]


def test_async_monitor_runner_is_awaited_by_the_transport():
    async def run(text):
        return "later"

    t, d = make(run_command=run)
    [action] = rcmd(d, "x")
    assert isinstance(action, AwaitMonitor)
    action.result.close()


def test_long_monitor_output_is_split():
    t, d = make(run_command=lambda text: "y" * 50000)
    actions = rcmd(d, "big")
    assert len(actions) > 2 and output_of(actions) == "y" * 50000 + "\n"
