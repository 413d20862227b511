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


def test_system_reset_keeps_what_qemu_keeps():
    """What qemu-system-arm 7.2 reads after `system_reset` (HMP, between qtest
    accesses): the I2C master, the ADC and the PL022's control registers keep
    their values, the PL022's FIFOs empty, the GPIO ports reset."""
    host, b = board()
    for addr, value in ((0x40020020, 0x10), (0x40020000, 0x7A), (0x40038000, 1), (0x40038040, 5),
                        (0x40038014, 5), (SSI, 7), (SSI + 4, 2), (SSI + 0x10, 9), (SSI + 8, 0x55),
                        (0x40007400, 1)):
        host.bus.write(addr, 4, value)
    for dev, _, _ in host.devices_by_name.values():      # as Machine._do_reset
        dev.reset()
    seen = [host.bus.read(a, 4) for a in (0x40020020, 0x40020000, 0x40038000, 0x40038040, 0x40038014,
                                          SSI, SSI + 4, SSI + 0x10, SSI + 0xC, SSI + 8, 0x40007400)]
    assert seen == [0x10, 0x7A, 1, 1, 5, 7, 2, 9, 3, 0, 0]


def test_ethernet_receive_path_and_rx_underflow(capsys):
    """No network feeds it in a run (QEMU's -nic none): the receive path as
    QEMU's NIC receive fills it, read back through DATA."""
    import zlib
    from emud.devices.stellaris_enet import StellarisEnet
    e = StellarisEnet()
    frame = bytes(range(1, 16))                       # 15 bytes
    assert e.receive(frame) == -1                     # RX not enabled
    e.write(0x08, 4, 0x01)
    assert e.receive(frame) == 15 and e.read(0x34, 4) == 1 and e.irq.level == 1
    words = [e.read(0x10, 4) for _ in range(6)]       # 2 + 15 + 4 bytes = 21: six words
    raw = b"".join(w.to_bytes(4, "little") for w in words)
    assert raw[:2] == (21).to_bytes(2, "little") and raw[2:17] == frame
    assert raw[17:21] == zlib.crc32(frame).to_bytes(4, "little") and raw[21:] == bytes(3)
    assert e.read(0x34, 4) == 0 and capsys.readouterr().err == ""
    assert e.read(0x10, 4) == 0
    assert capsys.readouterr().err == "stellaris_enet: error: RX underflow\n"
    assert e.receive(bytes(2042)) == -1 and e.read(0, 4) & 0x08          # FOV
    sent = []
    e.transmit = sent.append
    e.write(0x0C, 4, 0x02)                            # PADEN
    e.write(0x10, 4, 4)
    e.write(0x10, 4, 0x04030201)
    e.write(0x38, 4, 1)
    assert sent == [bytes([0, 0, 1, 2, 3, 4]) + bytes(54)]     # the first word: length, then frame


def test_ethernet_state_survives_a_snapshot_file():
    from emud.devices.stellaris_enet import StellarisEnet
    e = StellarisEnet()
    e.write(0x08, 4, 0x01)
    e.receive(b"hello, world")
    e.write(0x14, 4, 0x44332211)
    e.write(0x10, 4, 4)                                  # half a frame queued for TX
    _, state = snapshot_file.decode(snapshot_file.encode(META, {"enet": e.save_state()}), 1 << 20)
    e2 = StellarisEnet()
    e2.load_state(state["enet"])
    sent = []
    for dev in (e, e2):
        dev.transmit = sent.append
        dev.write(0x10, 4, 0xAABBCCDD)
        dev.write(0x38, 4, 1)
    assert sent[0] == sent[1] and len(sent) == 2
    assert [e2.read(o, 4) for o in (0x10, 0x10, 0x14, 0x34)] == [e.read(o, 4) for o in (0x10, 0x10, 0x14, 0x34)]
