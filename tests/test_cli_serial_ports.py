"""One -serial per UART on the Cortex-M boards, as QEMU's serial_hd(i): the
first -serial is UART 0, the second UART 1, and so on (emud took only the
first and refused a second with "emud's virt has one UART"). The firmware
(tests/firmware/cortexm_uarts.c) says on each UART which it is; the files
each -serial names are compared with QEMU's."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.firmware import REPO, ToolchainMissing, build_cortexm

#: the UARTs a -serial can reach (QEMU takes four -serial at most)
BOARDS = {"mps2-an385": 4, "lm3s6965evb": 3}


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    out = tmp_path_factory.mktemp("uarts")
    try:
        return {board: build_cortexm("cortexm_uarts.c", out / ("uarts-%s.elf" % board), board) for board in BOARDS}
    except ToolchainMissing as e:
        pytest.skip(str(e))


def _run(cmd, board, elf, directory: Path, ports: int):
    directory.mkdir()
    serials = []
    for i in range(ports):
        serials += ["-serial", "file:%s" % (directory / ("uart%d.txt" % i))]
    r = subprocess.run(cmd + ["-M", board, "-display", "none", "-monitor", "none", "-semihosting",
                              "-kernel", str(elf), *serials],
                       capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (r.stdout, r.stderr)
    return [(directory / ("uart%d.txt" % i)).read_text() for i in range(ports)]


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_each_serial_is_the_next_uart_as_on_qemu(firmware, tmp_path, board):
    ports = BOARDS[board]
    ours = _run([sys.executable, "-m", "emud"], board, firmware[board], tmp_path / "emud", ports)
    assert ours == ["this is uart %d\n" % i for i in range(ports)]
    if shutil.which("qemu-system-arm"):
        assert _run(["qemu-system-arm"], board, firmware[board], tmp_path / "qemu", ports) == ours


@pytest.mark.parametrize("board, extra, message", [
    ("lm3s6965evb", ["-serial", "null", "-serial", "null", "-serial", "null", "-serial", "file:x"],
     "emud's lm3s6965evb has 3 UARTs (the first 3 -serial are theirs)"),
    ("mps2-an385", ["-serial", "null"] * 4 + ["-serial", "null"], "too many serial ports"),
    ("virt", ["-serial", "null", "-serial", "file:x"], "emud's virt has one UART (the first -serial is it)"),
])
def test_more_serial_ports_than_uarts_is_one_line(tmp_path, board, extra, message):
    kernel = REPO / "examples" / "build" / ("hello-rv32.elf" if board == "virt" else "cortexm-hello-%s.elf" % board)
    r = subprocess.run([sys.executable, "-m", "emud", "-M", board, "-display", "none", "-monitor", "none",
                        "-kernel", str(kernel), *extra],
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL, cwd=str(tmp_path))
    err = r.stderr.decode()
    assert r.returncode == 1 and message in err and len(err.splitlines()) == 1, err
