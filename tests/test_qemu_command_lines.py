"""Real projects' QEMU command lines (tests/data/qemu_command_lines.txt)
against emud: each runs end to end, is accepted, or is refused in one line
that says what emud does not model, as its block expects."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import List, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "qemu_command_lines.txt"
HELLO = {32: ROOT / "examples" / "build" / "hello-rv32.elf", 64: ROOT / "examples" / "build" / "hello-rv64.elf"}


class Line(NamedTuple):
    source: str
    expect: str
    argv: List[str]        # without the qemu binary
    xlen: int


def _lines() -> List[Line]:
    out = []
    for block in DATA.read_text().split("\n\n"):
        rows = [r for r in block.strip().splitlines() if r.strip()]
        sources = [r[len("# source:"):].strip() for r in rows if r.startswith("# source:")]
        expects = [r[len("# expect:"):].strip() for r in rows if r.startswith("# expect:")]
        commands = [r for r in rows if not r.startswith("#")]
        if not commands:
            continue
        assert len(sources) == 1 and len(expects) == 1 and len(commands) == 1, block
        words = shlex.split(commands[0])
        xlen = int(re.match(r"qemu-system-riscv(32|64)$", words[0]).group(1))
        out.append(Line(sources[0], expects[0], words[1:], xlen))
    return out


LINES = _lines()


def _with_our_kernel(line: Line) -> List[str]:
    argv = list(line.argv)
    if "-kernel" in argv:
        argv[argv.index("-kernel") + 1] = str(HELLO[line.xlen])
    return argv


def _emud(argv: List[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "emud", *argv], capture_output=True, timeout=timeout,
                          cwd=cwd, stdin=subprocess.DEVNULL)


def test_the_collection_covers_the_projects():
    text = DATA.read_text()
    for project in ("FreeRTOS", "Zephyr", "NuttX", "RT-Thread", "Rust", "OpenSBI", "xv6", "Getting Started Guide"):
        assert project in text, project
    assert len(LINES) >= 15


@pytest.mark.parametrize("line", [ln for ln in LINES if ln.expect == "run"], ids=lambda ln: ln.source[:60])
def test_runs_end_to_end(line, tmp_path):
    r = _emud(_with_our_kernel(line), tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    assert ("Hello, world! (rv%d)" % line.xlen).encode() in r.stdout
    assert r.stderr == b"", r.stderr.decode()


@pytest.mark.parametrize("line", [ln for ln in LINES if ln.expect == "accept"], ids=lambda ln: ln.source[:60])
def test_is_accepted(line, tmp_path):
    # everything up to the built machine (then its device tree is written and emud exits)
    from emud.cli import _parser, build_machine
    args = _parser().parse_args(_with_our_kernel(line))
    args.machine = (args.machine or "virt") + ",dumpdtb=%s" % (tmp_path / "virt.dtb")
    with pytest.raises(SystemExit) as done:
        build_machine(args)
    assert done.value.code == 0
    assert (tmp_path / "virt.dtb").read_bytes()[:4] == b"\xd0\x0d\xfe\xed"


@pytest.mark.parametrize("line", [ln for ln in LINES if ln.expect.startswith("refuse ")],
                         ids=lambda ln: ln.source[:60])
def test_is_refused_in_one_line(line, tmp_path):
    r = _emud(_with_our_kernel(line), tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert len(err.splitlines()) == 1 and err.startswith("emud: ") and "Traceback" not in err, err
    assert line.expect[len("refuse "):] in err, err


@pytest.mark.parametrize("line", [ln for ln in LINES if ln.expect in ("run", "accept")], ids=lambda ln: ln.source[:60])
def test_qemu_takes_what_emud_takes(line, tmp_path, require_qemu):
    # the oracle: QEMU 7.2 reads the same command line (it runs hello to its exit;
    # -S ones just wait, so only their parse is checked: they are killed after a second)
    require_qemu(line.xlen)
    argv = ["qemu-system-riscv%d" % line.xlen] + _with_our_kernel(line)
    try:
        r = subprocess.run(argv, capture_output=True, timeout=1 if "-S" in argv or "pty" in argv else 30,
                           cwd=tmp_path, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return
    assert r.returncode == 0, r.stderr.decode()
