"""lm3s6965evb's SSI bus, OLED, ADC and I2C beyond what qtest can show:
snapshots through the snapshot file format, the GPTM's ADC trigger on
emud's clock, and QEMU's stderr lines."""
from emud import snapshot_file
from emud.devices.ssd0323 import Ssd0323
from emud.devices.stellaris_gptm import StellarisGptm
from emud.devices.stellaris_adc import StellarisAdc
from emud.machines.cortexm_board import BareHost
from emud.machines.stellaris_board import Lm3s6965Board
from tests.devices.clocks import ManualClock

SSI, GPIOC = 0x40008000, 0x40006000
META = dict(name="t", icount=0, pc=0, created=0, machine="lm3s6965evb", arch="arm", harts=1,
            memory=[], emud="test")


def board():
    host = BareHost()
    return host, Lm3s6965Board(host, lambda n: (lambda level: None), lambda level: None,
                               request_reset=lambda: None)


def send(host, dc, values):
    host.bus.write(GPIOC + (0x80 << 2), 4, 0x80 if dc else 0)
    for v in values:
        host.bus.write(SSI + 8, 4, v)
        host.bus.read(SSI + 8, 4)


def test_oled_picture_and_ssi_fifo_survive_a_snapshot_file():
    host, b = board()
    host.bus.write(GPIOC + 0x400, 4, 0x80)
    host.bus.write(SSI + 0, 4, 7)
    host.bus.write(SSI + 4, 4, 2)
    send(host, 0, [0x15, 4, 9, 0x75, 3, 7])
    send(host, 1, range(1, 40))
    host.bus.write(SSI + 8, 4, 0x5A)         # a data frame whose reply waits in RX
    host.bus.write(GPIOC + (0x80 << 2), 4, 0)
    host.bus.write(SSI + 8, 4, 0x15)         # a command half sent
    picture = b.oled.screendump_ppm()
    meta, state = snapshot_file.decode(snapshot_file.encode(META, {"ssi": b.ssi.save_state()}), 1 << 20)

    host2, b2 = board()
    b2.ssi.load_state(state["ssi"])
    host2.bus.write(GPIOC + 0x400, 4, 0x80)      # (the GPIO port is not in this snapshot)
    assert b2.oled.screendump_ppm() == picture != Ssd0323().screendump_ppm()
    assert host2.bus.read(SSI + 0xC, 4) == host.bus.read(SSI + 0xC, 4) == 0x07
    # the half-sent command finishes after the restore, in both: column 0..0
    for h in (host, host2):
        assert [h.bus.read(SSI + 8, 4) for _ in range(3)] == [0, 0, 0]
        send(h, 0, [0, 0])
        send(h, 1, [0xEE, 0xDD])
    assert b2.oled.framebuffer == b.oled.framebuffer
    column0 = bytes(b2.oled.framebuffer[r * 64] for r in range(3, 8))
    assert b"\xee\xdd" in column0 or column0.startswith(b"\xdd") and column0.endswith(b"\xee")


def test_gptm_timeout_with_trigger_output_samples_the_adc_twice():
    mc = ManualClock()
    adc = StellarisAdc()
    g = StellarisGptm(mc.clock, 12_500_000)
    g.trigger.connect(adc.trigger)
    adc.write(0x14, 4, 0x5)                  # sequencer 0 on the timer
    adc.write(0x00, 4, 0x1)
    adc.write(0x08, 4, 0x1)
    g.write(0x28, 4, 1000)
    g.write(0x04, 4, 2)
    g.write(0x0C, 4, 0x21)                   # TAEN | TAOTE
    mc.advance(80_000)
    # QEMU's ADC samples on each level its trigger input is given: a pulse is two
    assert adc.irqs[0].level == 1 and adc.read(0x4C, 4) == 0x20
    samples = [adc.read(0x48, 4), adc.read(0x48, 4)]
    assert all(0x200 <= s <= 0x207 for s in samples) and adc.read(0x4C, 4) == 0x122
    adc.read(0x48, 4)
    assert adc.read(0x18, 4) == 1            # underflow


def test_unknown_oled_command_is_reported_on_stderr_as_qemu_does(capsys):
    oled = Ssd0323()
    oled.set_cs(1)
    oled.transfer(0x42)
    oled.transfer(0xFF)
    assert capsys.readouterr().err == "ssd0323: error: Unknown command: 0x42\n"
