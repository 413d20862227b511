"""What QEMU 7.2's vl.c makes of a command line beyond its options' own
values: -name (query-name, the process name) and the default serial port
and monitor (-nographic's mon:stdio, or a monitor on stdio next to an
explicit -serial)."""
from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emud.netutil import free_port
from emud.option_values import OptionValueError, parse_name

ROOT = Path(__file__).resolve().parents[1]
HELLO32 = ROOT / "examples" / "build" / "hello-rv32.elf"


def _qmp(port: int, *commands, deadline: float = 30.0):
    """The answers to ``commands``: names, or (name, arguments)."""
    end = time.monotonic() + deadline
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)
    with sock, sock.makefile("rwb") as f:
        assert "QMP" in json.loads(f.readline())
        answers = []
        for command in ("qmp_capabilities",) + commands:
            name, arguments = command if isinstance(command, tuple) else (command, {})
            f.write(json.dumps({"execute": name, "arguments": arguments}).encode() + b"\n")
            f.flush()
            while True:
                msg = json.loads(f.readline())
                if "event" not in msg:
                    break
            answers.append(msg)
        return answers[1:]


@pytest.mark.parametrize("text, guest, process, threads", [
    ("demo", "demo", None, False),
    ("guest=demo,process=p,debug-threads=on", "demo", "p", True),
    ("a,,b,debug-threads=off", "a,b", None, False),
    ("process=only", None, "only", False),
    ("", None, None, False),
])
def test_name_is_read_as_qemu_reads_it(text, guest, process, threads):
    name = parse_name(text)
    assert (name.guest, name.process, name.debug_threads) == (guest, process, threads)


@pytest.mark.parametrize("text, message", [("foo,bogus=1", "Invalid parameter 'bogus'"),
                                           ("foo,bar", "Invalid parameter 'bar'"),
                                           ("foo,debug-threads=maybe", "expects 'on' or 'off'")])
def test_bad_name_options_are_refused_as_qemu_refuses_them(text, message):
    with pytest.raises(OptionValueError, match=message):
        parse_name(text)


@pytest.mark.parametrize("name_args, answer", [((), {}), (("-name", "demo"), {"name": "demo"}),
                                               (("-name", "guest=de,,mo,debug-threads=on"), {"name": "de,mo"})])
def test_query_name_end_to_end(name_args, answer):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "emud", "-kernel", str(HELLO32), "-S", "-serial", "none",
                             "-qmp", "tcp::%d,server,nowait" % port, *name_args],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        replies = _qmp(port, "query-name", ("human-monitor-command", {"command-line": "info name"}), "quit")
        assert replies[0] == {"return": answer}
        # HMP's info name prints the name alone on its line, nothing without one
        assert replies[1] == {"return": answer["name"] + "\r\n" if answer else ""}
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process names are Linux's prctl")
def test_name_process_renames_the_process_as_qemu_does():
    # QEMU: prctl(PR_SET_NAME), the name cut to 15 bytes; ps and top show it
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "emud", "-kernel", str(HELLO32), "-S", "-serial", "none",
                             "-qmp", "tcp::%d,server,nowait" % port,
                             "-name", "guest=g,process=emud-firmware-under-test"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        assert _qmp(port, "query-name")[0] == {"return": {"name": "g"}}
        assert Path("/proc/%d/comm" % proc.pid).read_text() == "emud-firmware-u\n"
        _qmp(port, "quit")
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- the default serial port and monitor (vl.c's default_serial / default_monitor) -----------------

ECHO32 = ROOT / "examples" / "build" / "uart-echo-rv32.elf"


def _wiring(*args):
    from emud.chardev_wiring import wire
    from emud.options import OptionParser
    return wire(OptionParser().parse_args(["-kernel", str(HELLO32), *args]))


@pytest.mark.parametrize("args, serial, mux, monitors", [
    (("-nographic",), "stdio", True, []),                                   # mon:stdio
    (("-nographic", "-serial", "file:x.txt"), "file", False, ["stdio"]),    # a monitor on the terminal
    (("-nographic", "-serial", "none"), "none", False, ["stdio"]),
    (("-nographic", "-serial", "tcp::4444,server,nowait"), "tcp", False, ["stdio"]),
    (("-nographic", "-serial", "mon:stdio"), "stdio", True, []),
    (("-nographic", "-monitor", "none"), "stdio", False, []),               # plain stdio: no Ctrl-A keys
    (("-nographic", "-qmp", "tcp::4445,server,nowait"), "stdio", False, ["qmp"]),
    (("-nographic", "-chardev", "null,id=n", "-mon", "chardev=n"), "stdio", False, ["null"]),
    (("-nographic", "-serial", "file:x.txt", "-serial", "none"), "file", False, ["stdio"]),
    (("-nographic", "-nodefaults"), "none", False, []),
    (("-nographic", "-gdb", "stdio"), "none", False, []),                   # emud's: gdb has the terminal
    ((), "stdio", False, []),                                               # no display: stdio, no monitor
    (("-serial", "file:x.txt"), "file", False, []),
])
def test_default_serial_and_monitor_as_qemu(args, serial, mux, monitors):
    w = _wiring(*args)
    assert (w.serial.kind, bool(w.serial.mux)) == (serial, mux)
    consoles = ["stdio" if m == "stdio" else m.split(",")[0] for m in w.monitors]
    assert consoles + (["qmp"] if w.qmps else []) == monitors


@pytest.mark.parametrize("args", [("-serial", "stdio"), ("-chardev", "stdio,id=c", "-serial", "chardev:c"),
                                  ("-chardev", "stdio,id=c,mux=on", "-serial", "chardev:c")])
def test_nographic_refuses_a_second_stdio_next_to_its_monitor(args):
    # QEMU: "cannot use stdio by multiple character devices"
    r = subprocess.run([sys.executable, "-m", "emud", "-kernel", str(HELLO32), "-nographic", *args],
                       capture_output=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
    err = r.stderr.decode()
    assert r.returncode == 1 and "cannot use stdio by multiple character devices" in err, err
    assert len(err.splitlines()) == 1, err


def test_monitor_on_a_closed_stdin_stops_reading_and_the_guest_runs_on(tmp_path):
    # as QEMU: the greeting and a prompt on stdout, EOF read, the guest runs to its exit
    out = tmp_path / "uart.txt"
    r = subprocess.run([sys.executable, "-m", "emud", "-kernel", str(HELLO32), "-nographic",
                        "-serial", "file:%s" % out], capture_output=True, timeout=60, cwd=tmp_path,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith(b"monitor - type 'help' for more information\r\n(emud) ") and r.stderr == b""
    assert out.read_bytes() == b"Hello, world! (rv32)\n"


def test_monitor_on_a_pipe_takes_commands(tmp_path):
    # held with -S: only the monitor on stdin can start the guest
    out = tmp_path / "uart.txt"
    r = subprocess.run([sys.executable, "-m", "emud", "-kernel", str(HELLO32), "-nographic", "-S",
                        "-serial", "file:%s" % out], input=b"info status\ncont\n", capture_output=True,
                       timeout=60, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert b"paused" in r.stdout or b"prelaunch" in r.stdout, r.stdout
    assert out.read_bytes() == b"Hello, world! (rv32)\n"


def test_eof_on_the_monitor_does_not_end_a_held_machine(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "emud", "-kernel", str(HELLO32), "-nographic", "-S",
                             "-serial", "none"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        assert ready and proc.stdout.read1(4) == b"emud"         # the greeting: the monitor is up
        time.sleep(1.5)
        assert proc.poll() is None                                 # EOF read, emud still serves
        proc.terminate()
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("emulator", ["emud", "qemu"])
@pytest.mark.parametrize("args, muxed", [((), True), (("-monitor", "none"), False)])
def test_ctrl_a_is_an_escape_only_on_the_default_mon_stdio(emulator, args, muxed, require_qemu, tmp_path):
    # -nographic alone: mon:stdio, Ctrl-A x quits. With -monitor (or -qmp, -mon) given
    # there is no default monitor, and the serial port is plain stdio: Ctrl-A x reaches the guest
    if emulator == "qemu":
        require_qemu(32)
        argv = ["qemu-system-riscv32", "-M", "virt", "-bios", "none"]
    else:
        argv = [sys.executable, "-m", "emud"]
    r = subprocess.run(argv + ["-kernel", str(ECHO32), "-nographic", *args], input=b"ab\x01xq",
                       capture_output=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    if muxed:
        assert b"Terminated" in r.stdout and b"ab\x01x" not in r.stdout, r.stdout
    else:
        assert b"ab\x01x\n" in r.stdout and b"uart-echo: bye" in r.stdout and b"Terminated" not in r.stdout


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_monitor_on_the_terminal_next_to_an_explicit_serial(tmp_path):
    from tests.test_cli import _emud_on_a_terminal, _read_until
    out = tmp_path / "uart.txt"
    with _emud_on_a_terminal("-nographic", "-serial", "file:%s" % out) as (proc, master):
        assert b"monitor - type 'help'" in _read_until(master, b"(emud) ", timeout=20)
        os.write(master, b"info status\r")
        assert b"running" in _read_until(master, b"(emud) ", timeout=20)
        os.write(master, b"quit\r")
        assert proc.wait(timeout=30) == 0
    assert b"uart-echo" in out.read_bytes()
