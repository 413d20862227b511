"""savevm/loadvm with lm3s6965evb's SSI bus busy: a snapshot taken while the
firmware draws on the OLED (tests/firmware/arm/lm3s_ssi.c) and loaded
again runs on to the same machine state, OLED picture, SSI FIFOs, chip
selects, I2C and ADC included."""
import trio

from tests.machines.test_lm3s_ssi_firmware_vs_qemu import build, pytestmark  # noqa: F401


def _untimed(snapshot):
    """What does not depend on how guest time ran (the default clock follows the host's)."""
    devices = {name: state for name, state in snapshot["devices"].items() if name != "watchdog"}
    return snapshot["cpus"], snapshot["memory"], devices


async def test_savevm_mid_oled_drawing_repeats_the_rest(tmp_path):
    from emud.cli import _parser, build_machine
    from emud.client import LocalMachine

    args, _ = _parser().parse_known_args(["-M", "lm3s6965evb", "-kernel", str(build(tmp_path)), "-nographic",
                                          "-serial", "none", "-semihosting"])
    machine, _serial = build_machine(args)
    path = tmp_path / "s.snap"
    async with trio.open_nursery() as nursery:
        await nursery.start(machine.run)
        m = LocalMachine(machine)
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
        await m.quit()
