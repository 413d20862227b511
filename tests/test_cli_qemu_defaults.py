"""What QEMU 7.2's vl.c makes of a command line beyond its options' own
values: -name (query-name, the process name) and the default serial port
and monitor (-nographic's mon:stdio, or a monitor on stdio next to an
explicit -serial)."""
from __future__ import annotations

import json
import os
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


def _qmp(port: int, *commands: str, deadline: float = 30.0):
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
        for name in ("qmp_capabilities",) + commands:
            f.write(json.dumps({"execute": name}).encode() + b"\n")
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
        replies = _qmp(port, "query-name", "quit")
        assert replies[0] == {"return": answer}
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
