"""The virt board: QEMU-compatible map, reset ROM, run control, snapshots."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import trio

from emud.chardev import MemoryChardev
from emud.debug import ResumeAction
from emud.machines.virt import VirtMachine, reset_rom

from .virt_harness import virt_machine

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "examples" / "build"


def make_machine(name="hello", xlen=32, **kw):
    return virt_machine(BUILD / ("%s-rv%d.elf" % (name, xlen)), **kw)


async def run_until_stop(m, timeout=60):
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        with trio.fail_after(timeout):
            event = await m.wait_for_stop()
        m.request_quit()
    return event


def qemu_hmp(xlen, commands, machine="virt"):
    qemu = shutil.which("qemu-system-riscv%d" % xlen)
    if qemu is None:
        pytest.skip("qemu-system-riscv%d is not installed" % xlen)
    script = "".join(c + "\n" for c in commands) + "quit\n"
    r = subprocess.run([qemu, "-M", machine, "-bios", "none", "-monitor", "stdio", "-S", "-nographic",
                        "-serial", "none"], input=script.encode(), capture_output=True, timeout=30)
    return r.stdout.decode(errors="replace")


@pytest.mark.parametrize("xlen", [32, 64])
def test_reset_rom_matches_qemu(xlen):
    out = qemu_hmp(xlen, ["xp/16wx 0x1000"])
    words = []
    for line in out.splitlines():
        if line.startswith("00000000000010"):
            words += [int(w, 16) for w in line.split(":")[1].split()]
    assert len(words) == 16
    rom = reset_rom(xlen, 0x80000000, 0, 0x87E00000) + bytes(64)   # no -kernel: next_addr 0
    ours = [int.from_bytes(rom[i:i + 4], "little") for i in range(0, 64, 4)]
    assert ours == words


@pytest.mark.parametrize("xlen, machine", [(32, "virt"), (64, "virt"), (32, "virt,aclint=on")])
def test_memory_map_matches_qemu(xlen, machine):
    out = qemu_hmp(xlen, ["info mtree -f"], machine)
    qemu = {}
    for line in out.splitlines():
        line = line.strip()
        if "(prio" in line and "-" in line.split()[0]:
            lo, hi = (int(v, 16) for v in line.split()[0].split("-"))
            qemu[lo] = hi
    m, _ = make_machine(xlen=xlen, aclint=machine.endswith("aclint=on"))
    ours = {start: end for start, end, kind, name in m.bus.describe()}
    for start, end, kind, name in m.bus.describe():
        assert start in qemu, "%s at 0x%x is not in QEMU's map" % (name, start)
        if name not in ("plic",):
            assert qemu[start] == end, "%s ends at 0x%x, QEMU 0x%x" % (name, end, qemu[start])
    # the ACLINT as QEMU maps it: MSWI, MTIMER and, with aclint=on only, SSWI
    aclint = {s: e for s, e in qemu.items() if 0x2000000 <= s < 0x3000000}
    assert {s: ours.get(s) for s in aclint} == aclint
    assert (0x2F00000 in aclint) == machine.endswith("aclint=on")


async def test_hello_runs_and_exits_with_zero():
    m, serial = make_machine()
    m.resume()
    event = await run_until_stop(m)
    assert event.reason == "exited" and event.exit_code == 0
    assert serial.take_output() == b"Hello, world! (rv32)\n"


async def test_entry_registers_as_qemu_sets_them():
    m, _ = make_machine(xlen=64)
    m.add_breakpoint("sw", 0x80000000)      # the reset ROM jumps to the start of RAM
    m.resume()
    event = await run_until_stop(m)
    assert event.reason == "breakpoint" and event.pc == 0x80000000
    assert m.read_register(0, "a0") == 0
    assert m.read_register(0, "a1") == 0x87E00000
    assert m.read_register(0, "a2") == 0x1028
    assert m.read_memory(0x87E00000, 4) == b"\xd0\x0d\xfe\xed"   # FDT magic


async def test_step_counts_exactly_and_breakpoint_skips_once():
    m, _ = make_machine("bench-crc32")
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        for n in (1, 5, 64, 1000):
            before = m.instructions_retired(0)
            m.resume({0: ResumeAction("step", count=n)})
            event = await m.wait_for_stop()
            assert event.reason == "step"
            assert m.instructions_retired(0) - before == n
        bp = m.add_breakpoint("sw", m.lookup_symbol("main"))
        m.resume()
        event = await m.wait_for_stop()
        assert event.reason == "breakpoint" and event.pc == bp.addr
        m.resume({0: ResumeAction("step", count=1)})
        event = await m.wait_for_stop()
        assert event.reason == "step" and event.pc != bp.addr
        m.request_quit()


async def test_snapshot_restored_twice_repeats_the_same_run():
    m, serial = make_machine("timer", icount_shift=4)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.resume({0: ResumeAction("step", count=2000)})
        await m.wait_for_stop()
        snap = m.save_snapshot()
        runs = []
        for _ in range(3):
            m.restore_snapshot(snap)
            serial.take_output()
            m.resume()
            event = await m.wait_for_stop()
            runs.append((event.reason, event.exit_code, serial.take_output(), m.instructions_retired(0)))
        assert runs[0][0] == "exited"
        assert runs[0] == runs[1] == runs[2]
        m.request_quit()


async def test_guest_reset_reloads_the_image_and_runs_again(tmp_path):
    m, serial = make_machine()
    m.resume()
    await run_until_stop(m)
    m.reset()
    assert m.run_state == "stopped"
    m.resume()
    event = await run_until_stop(m)
    assert event.exit_code == 0
    assert serial.take_output() == b"Hello, world! (rv32)\n" * 2


async def test_unmapped_debugger_access_is_an_error_not_a_crash():
    from emud.debug import DebugError
    m, _ = make_machine()
    with pytest.raises(DebugError):
        m.read_memory(0x40000000, 4)
    with pytest.raises(DebugError):
        m.write_memory(0x40000000, b"\0")
    with pytest.raises(DebugError):
        m.read_register(0, "nosuchreg")


async def test_a_snapshot_from_another_machine_is_refused_and_changes_nothing():
    from emud.debug import DebugError
    m32, _ = make_machine()
    snap = m32.save_snapshot()
    for other in (make_machine(xlen=64)[0], make_machine(smp=2)[0]):
        before = other.save_snapshot()
        with pytest.raises(DebugError):
            other.restore_snapshot(snap)
        after = other.save_snapshot()
        assert after["cpus"] == before["cpus"] and after["memory"] == before["memory"]


def test_quit_keeps_the_guest_exit_code_unless_given_one():
    # a guest that exits with code 7 through sifive_test: (7 << 16) | 0x3333
    words = [0x00073537, 0x33350513, 0x001005B7, 0x00A5A023, 0x0000006F]

    async def run(code):
        serial = MemoryChardev()
        m = VirtMachine(xlen=32, serial=serial)
        m.bus.write_bytes(0x80000000, b"".join(w.to_bytes(4, "little") for w in words))
        m.set_entry(0x80000000)
        async with trio.open_nursery() as nursery:
            await nursery.start(m.run)
            m.resume()
            with trio.fail_after(60):
                event = await m.wait_for_stop()
            assert event.reason == "exited" and m.exit_code == 7
            m.request_quit(code)
        return m.exit_code

    assert trio.run(run, 5) == 5      # `quit 5` after the guest's exit
    assert trio.run(run, None) == 7   # `quit`, Ctrl-A x, gdb's kill: the guest's code
