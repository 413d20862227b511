"""savevm/loadvm with lm3s6965evb's SSI bus busy: a snapshot taken while the
firmware draws on the OLED (tests/firmware/arm/lm3s_ssi.c) and loaded
again runs on to the same machine state, OLED picture, SSI FIFOs, chip
selects, I2C and ADC included."""
from contextlib import asynccontextmanager

import trio

from tests.machines.test_lm3s_ssi_firmware_vs_qemu import build, pytestmark  # noqa: F401


@asynccontextmanager
async def running(argv):
    """emud built from a command line, running in this process: (machine, LocalMachine)."""
    from emud.cli import _parser, build_machine
    from emud.client import LocalMachine

    args, _ = _parser().parse_known_args(argv)
    machine, _serial = build_machine(args)
    async with trio.open_nursery() as nursery:
        await nursery.start(machine.run)
        m = LocalMachine(machine)
        yield machine, m
        await m.quit()


def _untimed(snapshot):
    """What does not depend on how guest time ran (the default clock follows the host's)."""
    devices = {name: state for name, state in snapshot["devices"].items() if name != "watchdog"}
    return snapshot["cpus"], snapshot["memory"], devices


async def test_savevm_mid_oled_drawing_repeats_the_rest(tmp_path):
    path = tmp_path / "s.snap"
    async with running(["-M", "lm3s6965evb", "-kernel", str(build(tmp_path)), "-nographic", "-serial", "none",
                        "-semihosting"]) as (machine, m):
        await m.run_until(uart="tx mis")
        await m.step(30000)                         # inside the OLED clear: frames in flight
        text = await m.hmp("savevm s file=%s" % path)
        assert not text.startswith("Error"), text
        blank = machine.board.oled.screendump_ppm()
        await m.run_until(uart="i2c mris")
        first, picture = machine.save_snapshot(), machine.board.oled.screendump_ppm()
        assert picture != blank
        text = await m.hmp("loadvm file=%s" % path)
        assert not text.startswith("Error"), text
        assert machine.board.oled.screendump_ppm() == blank
        await m.run_until(uart="i2c mris")
        assert _untimed(machine.save_snapshot()) == _untimed(first)
        assert machine.board.oled.screendump_ppm() == picture


async def test_monitor_screendump_is_qemus(tmp_path):
    """The monitor's screendump after the firmware has drawn, against QEMU's
    screendump of the same firmware run as far (its "i2c mcs" line)."""
    import socket
    import subprocess
    import time

    elf = str(build(tmp_path))
    sock, want = str(tmp_path / "mon.sock"), tmp_path / "qemu.ppm"
    # (no semihosting: the firmware's exit right after its I2C lines would
    # end QEMU before a slow test's screendump command; without it the exit's
    # BKPT takes the HardFault, and QEMU waits in the handler's loop)
    qemu = subprocess.Popen(["qemu-system-arm", "-M", "lm3s6965evb",
                             "-serial", "stdio", "-display", "none", "-monitor", "unix:%s,server=on,wait=off" % sock,
                             "-S", "-kernel", elf],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        mon = socket.socket(socket.AF_UNIX)
        mon.connect(sock)
        # stop where the firmware prints its I2C lines: the OLED is drawn by then
        mon.sendall(b"c\n")
        while b"i2c mcs" not in qemu.stdout.readline():
            pass
        mon.sendall(b"stop\nscreendump %s\n" % str(want).encode())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (want.exists() and want.stat().st_size == 15 + 512 * 256 * 3):
            time.sleep(0.05)
        mon.close()
    finally:
        qemu.kill()
        qemu.wait()

    got = tmp_path / "emud.ppm"
    async with running(["-M", "lm3s6965evb", "-kernel", elf, "-nographic", "-serial", "none",
                        "-semihosting"]) as (machine, m):
        await m.run_until(uart="i2c mcs")
        assert await m.hmp("screendump %s" % got) == ""
        assert await m.execute("emud-screendump", filename=str(tmp_path / "qmp.ppm")) == {}
        assert (await m.hmp("screendump %s" % (tmp_path / "no" / "x.ppm"))).startswith(
            "Error: failed to open file '%s': No such file or directory" % (tmp_path / "no" / "x.ppm"))
    assert got.read_bytes() == want.read_bytes() == (tmp_path / "qmp.ppm").read_bytes()
    assert got.read_bytes().count(b"\xff\xff\xff") > 100        # something is drawn


async def test_screendump_on_a_board_without_display_is_one_line(tmp_path):
    # (QEMU writes a blank placeholder picture there: docs/COMPATIBILITY.md)
    async with running(["-M", "mps2-an385", "-kernel", str(build(tmp_path)), "-nographic", "-serial", "none",
                        "-S"]) as (machine, m):
        assert await m.hmp("screendump %s" % (tmp_path / "x.ppm")) == \
            "Error: mps2-an385 has no display to take a screendump from\n"
    assert not (tmp_path / "x.ppm").exists()
