"""-record / -replay on the command line: real emud processes, real files
and sockets. A run recorded in one process replays in another (and on the
other runtime) with the same UART output, instruction count, registers and
memory; UART input from a socket comes back from the file; a recording of
another program or machine, or a damaged file, is one line and status 1."""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emud.netutil import retry_until
from emud.pytest_plugin import EmudProcess, EmudRun

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "build"
PYPY = ROOT / ".venv-pypy" / "bin" / "python"
TIMER = EXAMPLES / "timer-rv32.elf"
CPYTHON = sys.executable if sys.implementation.name == "cpython" else None


def emud(args, timeout=120, python=None, stdin=subprocess.DEVNULL):
    python = python or sys.executable
    return subprocess.run([python, "-m", "emud", *map(str, args)], stdin=stdin, capture_output=True, timeout=timeout,
                          cwd=str(ROOT))


def final_state(m):
    """What a finished run leaves: every hart's icount and registers, and a digest of the first 64 KiB of RAM."""
    cpus = m.execute("emud-info-cpus")["cpus"]
    regs = m.execute("emud-info-registers", all=True)["harts"]
    ram = b"".join(m.read_memory(0x80000000 + off, 8192) for off in range(0, 65536, 8192))
    return {"icount": [c["icount"] for c in cpus], "registers": regs, "ram": hashlib.sha256(ram).hexdigest()}


def run_to_exit(kernel, args, python=None):
    """emud -no-shutdown on ``kernel``: (UART output, final state, stderr) once the guest exited and emud quit."""
    proc = EmudProcess(str(kernel), ["-no-shutdown", *args], freeze=True, python=python, timeout=60)
    try:
        m = proc.machine
        stop = m.cont(timeout=120)
        assert stop["stop"]["reason"] == "exited", stop
        state = final_state(m)
        out = proc.serial_output()
        m.quit()
        assert proc.proc.wait(60) == 0
        return out, state, proc.stderr()
    finally:
        proc.close()


def test_help_lists_record_and_replay():
    text = emud(["--help"]).stdout.decode()
    assert "-record [size=SIZE][,file=FILE]" in text and "-replay file=FILE" in text


def test_record_in_one_process_replay_in_another(tmp_path):
    rr = tmp_path / "run.rr"
    out, state, err = run_to_exit(TIMER, ["-record", "file=%s" % rr])
    assert b"timer: done" in out
    assert "written to %s" % rr in err
    out2, state2, err2 = run_to_exit(TIMER, ["-replay", "file=%s" % rr])
    assert out2 == out and state2 == state, err2
    assert "diverged" not in err2


def test_a_plain_replay_exits_as_the_recorded_run(tmp_path):
    rr = tmp_path / "run.rr"
    first = emud(["-kernel", TIMER, "-nographic", "-record", "file=%s" % rr])
    again = emud(["-kernel", TIMER, "-nographic", "-replay", "file=%s" % rr])
    assert first.returncode == again.returncode == 0
    assert again.stdout == first.stdout and b"timer: done" in again.stdout
    assert again.stderr == b""


def _cross(tmp_path, recorder, replayer):
    rr = tmp_path / "run.rr"
    kernel = EXAMPLES / "rtos-mix-rv32.elf"
    out, state, _ = run_to_exit(kernel, ["-record", "file=%s" % rr], python=recorder)
    out2, state2, err = run_to_exit(kernel, ["-replay", "file=%s" % rr], python=replayer)
    assert b"checksum=" in out and out2 == out and state2 == state, err


@pytest.mark.slow
@pytest.mark.skipif(not PYPY.exists() or CPYTHON is None, reason="needs .venv-pypy and CPython")
def test_record_on_cpython_replay_on_pypy(tmp_path):
    _cross(tmp_path, CPYTHON, str(PYPY))


@pytest.mark.slow
@pytest.mark.skipif(not PYPY.exists() or CPYTHON is None, reason="needs .venv-pypy and CPython")
def test_record_on_pypy_replay_on_cpython(tmp_path):
    _cross(tmp_path, str(PYPY), CPYTHON)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uart_input_from_a_socket_replays_without_it(tmp_path):
    rr = tmp_path / "echo.rr"
    port = _free_port()
    run = EmudRun([sys.executable, "-m", "emud", "-M", "virt", "-bios", "none", "-kernel",
                   str(EXAMPLES / "uart-echo-rv32.elf"), "-display", "none",
                   "-serial", "tcp:127.0.0.1:%d,server" % port, "-record", "file=%s" % rr])
    try:
        sock = retry_until(lambda: socket.create_connection(("127.0.0.1", port)), 60, alive=run.alive)
        sock.settimeout(30)
        got = bytearray()

        def read_until(pattern):
            while pattern not in got:
                data = sock.recv(4096)
                assert data, bytes(got)
                got.extend(data)
        read_until(b"quits\n")
        for word in (b"hello\r", b"world\r", b"q"):
            sock.sendall(word)
            time.sleep(0.2)     # separate arrivals: three inputs at three instruction counts
        read_until(b"bye\n")
        assert run.proc.wait(60) == 0
        sock.close()
    finally:
        run.close()
    replay = emud(["-kernel", EXAMPLES / "uart-echo-rv32.elf", "-nographic", "-replay", "file=%s" % rr])
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == bytes(got)
    assert b"hello\nworld\n" in replay.stdout


def test_sigterm_still_writes_the_recording(tmp_path):
    """A CI run killed by a signal leaves its file; the replay stops at the
    same instruction and says so."""
    rr = tmp_path / "killed.rr"
    kernel = EXAMPLES / "uart-echo-rv32.elf"       # waits for input that never comes
    run = EmudRun([sys.executable, "-m", "emud", "-M", "virt", "-bios", "none", "-kernel", str(kernel),
                   "-nographic", "-record", "file=%s" % rr])
    try:
        assert run.wait_for_output(len(b"uart-echo: type something, 'q' quits\n"), timeout=60)
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(60) == 0
    finally:
        run.close()
    err = run.stderr()
    assert "terminating on signal 15" in err and "written to %s" % rr in err
    end = int(err.split("instructions 0-")[1].split()[0])
    replay = emud(["-kernel", kernel, "-nographic", "-replay", "file=%s" % rr])
    assert replay.returncode == 0
    assert replay.stdout == run.serial_output() == b"uart-echo: type something, 'q' quits\n"
    assert replay.stderr.decode() == "emud: -replay: the recording ends here (instruction %d)\n" % end
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".emud-record-")]


@pytest.mark.parametrize("extra, says", [
    (["-smp", "2"], "recorded with -smp 1, this run has -smp 2"),
    (["-icount", "shift=2"], "recorded with no -icount, this run has -icount shift=2,sleep=on"),
])
def test_replay_on_another_machine_is_refused(tmp_path, extra, says):
    rr = tmp_path / "run.rr"
    assert emud(["-kernel", TIMER, "-nographic", "-record", "file=%s" % rr]).returncode == 0
    r = emud(["-kernel", TIMER, "-nographic", "-replay", "file=%s" % rr, *extra])
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode() == "emud: -replay file=%s: %s\n" % (rr, says)


def test_replay_of_another_elf_is_refused(tmp_path):
    rr = tmp_path / "run.rr"
    assert emud(["-kernel", TIMER, "-nographic", "-record", "file=%s" % rr]).returncode == 0
    r = emud(["-kernel", EXAMPLES / "hello-rv32.elf", "-nographic", "-replay", "file=%s" % rr])
    assert r.returncode == 1 and r.stdout == b""
    line = r.stderr.decode()
    assert line.startswith("emud: -replay file=%s: recorded with another program: timer-rv32.elf" % rr)
    assert line.count("\n") == 1


@pytest.mark.parametrize("damage, says", [
    (lambda d: d[:100], "truncated"),
    (lambda d: d[:40] + bytes([d[40] ^ 1]) + d[41:], "checksum mismatch"),
    (lambda d: b"#!/bin/sh\nrm -rf /\n", "not an emud record file"),
])
def test_damaged_files_are_one_line(tmp_path, damage, says):
    rr = tmp_path / "run.rr"
    assert emud(["-kernel", TIMER, "-nographic", "-record", "file=%s" % rr]).returncode == 0
    rr.write_bytes(damage(rr.read_bytes()))
    r = emud(["-kernel", TIMER, "-nographic", "-replay", "file=%s" % rr])
    assert (r.returncode, r.stdout, r.stderr.decode()) == (1, b"", "emud: -replay file=%s: %s\n" % (rr, says))


@pytest.mark.parametrize("args, says", [
    (["-record", "-replay", "file=x.rr"], "-record and -replay cannot be used together (a replay keeps its own "
                                          "history: reverse execution works within it)"),
    (["-record", "size=100k"], "-record size=100k: size must be at least 1M"),
    (["-record", "speed=1"], "-record speed=1: unknown option 'speed' (size=SIZE, file=FILE)"),
    (["-record", "file=/nonexistent-dir/run.rr"], "-record file=/nonexistent-dir/run.rr: cannot write there: "
                                                  "No such file or directory"),
    (["-replay", "file=/nonexistent-dir/run.rr"], "-replay file=/nonexistent-dir/run.rr: no such file"),
    (["-replay", "size=1"], "-replay size=1: expected file=FILE"),
    (["-icount", "shift=1,rr=record"], "-icount shift=1,rr=record: emud records and replays with -record file=F "
                                       "and -replay file=F (no rr=, rrfile=)"),
])
def test_bad_combinations_are_refused_before_the_run(args, says):
    r = emud(["-kernel", TIMER, "-nographic", *args])
    assert (r.returncode, r.stdout, r.stderr.decode()) == (1, b"", "emud: %s\n" % says)


def test_record_is_on_before_the_first_instruction(tmp_path):
    proc = EmudProcess(str(TIMER), ["-record", "size=64M"], freeze=True, timeout=60)
    try:
        info = proc.machine.hmp("info record")
        assert "mode: record" in info and "position: 0" in info, info
        assert "limit: 64 MiB" in info, info
    finally:
        proc.close()


@pytest.mark.slow
def test_cortex_m_systick_records_and_replays(tmp_path):
    """Exception entry and return (SysTick, PendSV) on mps2-an385, recorded
    and replayed in two processes."""
    rr = tmp_path / "systick.rr"
    kernel = EXAMPLES / "cortexm-systick-mps2-an385.elf"
    args = ["-M", "mps2-an385", "-nographic", "-semihosting", "-kernel", kernel]
    first = emud(args + ["-record", "file=%s" % rr], timeout=300)
    assert first.returncode == 0 and b"ticks 50 switches 5 ok" in first.stdout, first.stderr
    again = emud(args + ["-replay", "file=%s" % rr], timeout=300)
    assert again.returncode == 0 and again.stdout == first.stdout and again.stderr == b""
    other = emud(["-M", "lm3s6965evb", "-cpu", "cortex-m3", "-nographic", "-semihosting", "-kernel",
                  EXAMPLES / "cortexm-systick-lm3s6965evb.elf", "-replay", "file=%s" % rr])
    assert other.returncode == 1 and b"recorded with -M mps2-an385, this run has -M lm3s6965evb" in other.stderr


def test_pytest_keeps_the_recording_of_a_failed_test(tmp_path):
    """pytest --emud-record-failures DIR: the failing test's run is in DIR
    and replays; the passing test leaves nothing."""
    (tmp_path / "test_fw.py").write_text(
        "KERNEL = %r\n"
        "def test_passes(emud_machine):\n"
        "    assert emud_machine(KERNEL, args=['-no-shutdown']).run_until(exit=True)['condition'] == 'exit'\n"
        "def test_fails(emud_machine):\n"
        "    m = emud_machine(KERNEL, args=['-no-shutdown'])\n"
        "    m.run_until(exit=True)\n"
        "    assert m.serial_output() == b'tock'\n" % str(TIMER))
    kept = tmp_path / "kept"
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        "--emud-record-failures", str(kept), str(tmp_path / "test_fw.py")],
                       capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert "1 failed, 1 passed" in r.stdout, r.stdout + r.stderr
    assert sorted(p.name for p in kept.iterdir()) == ["test_fails-0.rr"]
    assert "emud recordings" in r.stdout and str(kept / "test_fails-0.rr") in r.stdout
    replay = emud(["-kernel", TIMER, "-nographic", "-replay", "file=%s" % (kept / "test_fails-0.rr")])
    assert replay.returncode == 0 and b"timer: done" in replay.stdout


def test_ci_recording_replayed_at_the_desk_with_gdb(tmp_path, stray_elf, require_gdb_e2e):
    """The README's flow: a failing run recorded to a file; replayed with
    -s -S, gdb runs to the failure, watches the variable and goes back to
    the store that wrote it, then forward to the same exit."""
    rr = tmp_path / "run.rr"
    first = emud(["-M", "virt", "-bios", "none", "-kernel", stray_elf, "-nographic", "-record", "file=%s" % rr])
    assert first.returncode == 3 and b"mode corrupted" in first.stdout
    port = _free_port()
    run = EmudRun([sys.executable, "-m", "emud", "-M", "virt", "-bios", "none", "-kernel", str(stray_elf),
                   "-nographic", "-replay", "file=%s" % rr, "-gdb", "tcp::%d" % port, "-S"])
    try:
        retry_until(lambda: socket.create_connection(("127.0.0.1", port)).close(), 60, alive=run.alive)
        time.sleep(0.2)       # (the probe's connection is gone before gdb's)
        gdb = subprocess.run(["gdb-multiarch", "-nx", "-q", "-batch", str(stray_elf),
                              "-ex", "target remote :%d" % port, "-ex", "break fw_exit", "-ex", "continue",
                              "-ex", "watch g_state.mode", "-ex", "reverse-continue", "-ex", "print ticks",
                              "-ex", "delete", "-ex", "continue"],
                             capture_output=True, text=True, timeout=300)
        out = gdb.stdout
        assert "Breakpoint 1, fw_exit (code=3)" in out, out + gdb.stderr
        back = out.split("reverse-continue", 1)[-1] if "reverse-continue" in out else out
        assert "Old value = 3134193672\nNew value = 1\n" in back and "in store_sample (slot=8" in back, out
        assert "$1 = 8" in out and "exited with code 03" in out, out
        assert run.proc.wait(60) == 3
    finally:
        run.close()
    # the line printed before the breakpoint is not shown again when the
    # replay goes forward through it a second time
    assert run.serial_output() == first.stdout


def test_replay_without_the_default_nic_it_was_recorded_with_is_refused(tmp_path):
    """lm3s6965evb's firmware sees whether QEMU's default NIC is there (ssys
    USER0/USER1 hold its MAC, or 0 with -nic none): a recording names it."""
    rr = tmp_path / "run.rr"
    kernel = str(EXAMPLES / "cortexm-hello-lm3s6965evb.elf")
    args = ["-M", "lm3s6965evb", "-kernel", kernel, "-nographic", "-semihosting"]
    assert b"written to" in emud([*args, "-record", "file=%s" % rr]).stderr
    r = emud([*args, "-nic", "none", "-replay", "file=%s" % rr])
    assert r.returncode == 1 and r.stdout == b""
    assert r.stderr.decode() == ("emud: -replay file=%s: recorded with default NIC, this run has no default NIC\n"
                                 % rr)
