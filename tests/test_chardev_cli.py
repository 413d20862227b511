"""-chardev and chardev:ID end to end: the mux'd console of the FreeRTOS /
Zephyr command lines on a terminal, pty, logfile=, and the monitor, QMP and
gdb on a -chardev socket."""
from __future__ import annotations

import json
import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from emud.netutil import free_port
from tests.test_cli import ECHO32, HELLO32, _emud_on_a_terminal, _read_until, emud

ROOT = Path(__file__).resolve().parents[1]
MUXED_CONSOLE = ("-nographic", "-net", "none", "-chardev", "stdio,id=con,mux=on", "-serial", "chardev:con",
                 "-mon", "chardev=con,mode=readline")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_the_freertos_console_muxes_the_uart_and_the_monitor_on_the_terminal():
    with _emud_on_a_terminal(*MUXED_CONSOLE) as (proc, master):
        _read_until(master, b"uart-echo")
        os.write(master, b"hi")
        _read_until(master, b"hi")                          # the guest's echo
        os.write(master, b"\x01c")
        assert b"monitor - type 'help'" in _read_until(master, b"(emud) ")
        os.write(master, b"info status\r")
        assert b"running" in _read_until(master, b"(emud) ")
        os.write(master, b"\x01x")
        assert b"Terminated" in _read_until(master, b"Terminated")
        assert proc.wait(timeout=30) == 0


def test_a_mux_without_a_monitor_still_has_the_ctrl_a_keys():
    r = emud("-kernel", HELLO32, "-display", "none", "-chardev", "stdio,id=con,mux=on", "-serial", "chardev:con")
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in r.stdout


@pytest.mark.parametrize("args, message", [
    (["-chardev", "stdio,id=con", "-serial", "chardev:con", "-mon", "chardev=con"],
     "-mon chardev=con: chardev 'con' is in use by the serial port (give its -chardev mux=on to share it)"),
    (["-serial", "chardev:nope"], "-serial chardev:nope: no chardev 'nope'"),
    (["-mon", "chardev=nope,mode=readline"], "no chardev 'nope'"),
    (["-mon", "chardev=c,mode=fancy", "-chardev", "null,id=c"], "mode must be readline or control"),
    (["-chardev", "stdio"], "needs id=ID"),
    (["-chardev", "null,id=a", "-chardev", "null,id=a"], "duplicate chardev id 'a'"),
    (["-chardev", "socket,id=s,port=4444,host=127.0.0.1,server=on,wait=off,mux=on", "-serial", "chardev:s",
      "-mon", "chardev=s"], "emud shares only a stdio chardev"),
    (["-chardev", "file,id=f,path=x.txt", "-mon", "chardev=f"], "a monitor or QMP on a file chardev is not supported"),
    (["-chardev", "socket,id=g,port=4444,host=127.0.0.1", "-gdb", "chardev:g"], "server=on"),
    (["-chardev", "ringbuf,id=r"], "backend 'ringbuf' is not supported"),
    (["-serial", "stdio", "-monitor", "stdio"], "cannot both use stdio"),
])
def test_wiring_mistakes_are_one_line(args, message, tmp_path):
    r = subprocess.run([sys.executable, "-m", "emud", "-kernel", str(HELLO32), *args], capture_output=True,
                       timeout=60, cwd=tmp_path, stdin=subprocess.DEVNULL)
    err = r.stderr.decode()
    assert r.returncode == 1 and message in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err


def test_logfile_gets_a_copy_of_the_output(tmp_path):
    log = tmp_path / "console.log"
    r = emud("-kernel", HELLO32, "-display", "none", "-chardev", "stdio,id=con,logfile=%s" % log,
             "-serial", "chardev:con")
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in r.stdout
    assert log.read_bytes() == r.stdout


def test_logfile_on_a_server_nobody_connects_to(tmp_path):
    log = tmp_path / "uart.log"
    r = emud("-kernel", HELLO32, "-display", "none", "-serial",
             "tcp:127.0.0.1:%d,server,nowait,logfile=%s" % (free_port(), log))
    assert r.returncode == 0, r.stderr
    assert b"Hello, world! (rv32)" in log.read_bytes()


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs pseudo-terminals")
@pytest.mark.parametrize("serial_args, label", [(("-serial", "pty"), "serial0"),
                                                (("-chardev", "pty,id=con", "-serial", "chardev:con"), "con")])
def test_pty_is_announced_as_qemu_does_and_serves_the_uart(serial_args, label):
    proc = subprocess.Popen([sys.executable, "-m", "emud", "-kernel", str(ECHO32), "-display", "none", *serial_args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT)
    try:
        line = proc.stdout.readline().decode()
        found = re.fullmatch(r"char device redirected to (/dev/\S+) \(label (\S+)\)\n", line)
        assert found and found.group(2) == label, line
        fd = os.open(found.group(1), os.O_RDWR | os.O_NOCTTY)
        try:
            time.sleep(0.5)             # emud notices the client (QEMU polls for it too)
            os.write(fd, b"ping\r")
            seen = b""
            deadline = time.monotonic() + 30
            while b"ping" not in seen and time.monotonic() < deadline:
                if select.select([fd], [], [], 0.5)[0]:
                    seen += os.read(fd, 4096)
            assert b"ping" in seen, seen
        finally:
            os.close(fd)
    finally:
        proc.terminate()
        proc.wait(30)


def _serve(*args):
    return subprocess.Popen([sys.executable, "-m", "emud", "-kernel", str(HELLO32), "-S", "-serial", "none", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT)


def _connect(port: int, deadline: float = 30.0) -> socket.socket:
    end = time.monotonic() + deadline
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            if time.monotonic() > end:
                raise
            time.sleep(0.1)


def _read_until_socket(sock: socket.socket, marker: bytes) -> bytes:
    seen = b""
    while marker not in seen:
        chunk = sock.recv(4096)
        if not chunk:
            break
        seen += chunk
    return seen


@pytest.mark.parametrize("mode", ["readline", "control"])
def test_mon_serves_the_console_or_qmp_on_a_socket_chardev(mode):
    port = free_port()
    proc = _serve("-chardev", "socket,id=m,host=127.0.0.1,port=%d,server=on,wait=off" % port,
                  "-mon", "chardev=m,mode=%s" % mode)
    try:
        with _connect(port) as sock:
            if mode == "readline":
                _read_until_socket(sock, b"(emud) ")
                sock.sendall(b"info status\n")
                assert b"paused" in _read_until_socket(sock, b"(emud) ")
            else:
                greeting = json.loads(_read_until_socket(sock, b"\n"))
                assert "QMP" in greeting
    finally:
        proc.terminate()
        proc.wait(30)


def test_gdb_on_a_socket_chardev():
    from tests.support.rsp import RSPClient
    port = free_port()
    proc = _serve("-chardev", "socket,id=g,host=127.0.0.1,port=%d,server=on,wait=off" % port, "-gdb", "chardev:g")
    try:
        client = RSPClient.connect("127.0.0.1", port, 32, timeout=30, alive=lambda: proc.poll() is None)
        try:
            assert client.read_register(32) == 0x1000        # pc: the reset ROM
        finally:
            client.close()
    finally:
        proc.terminate()
        proc.wait(30)
