"""FPGAIO's counters against emud's clock: CLK1HZ/CLK100HZ count guest time,
PSCNTR counts down at 25 MHz reloading from PRESCALE, COUNTER counts the
reloads; LEDs drive their lines."""
from emud.devices.mps2_fpgaio import Mps2FpgaIO
from emud.devices.mps2_scc import Mps2Scc
from tests.devices.clocks import ManualClock


def test_clk1hz_clk100hz_follow_guest_time_and_can_be_set():
    mc = ManualClock()
    f = Mps2FpgaIO(mc.clock)
    mc.advance(2_345_000_000)
    assert f.read(0x10, 4) == 2 and f.read(0x14, 4) == 234
    f.write(0x10, 4, 100)
    mc.advance(1_000_000_000)
    assert f.read(0x10, 4) == 101


def test_prescaled_counter():
    mc = ManualClock()
    f = Mps2FpgaIO(mc.clock)
    mc.advance(40 * 10)                # 10 ticks with PRESCALE 0: COUNTER += 10
    assert f.read(0x18, 4) == 10 and f.read(0x20, 4) == 0
    f.write(0x1C, 4, 4)                # reload from 4: COUNTER steps at each reload,
    mc.advance(40 * 12)                # ticks 1, 6, 11 (PSCNTR 4 3 2 1 0 4 ... 4 3)
    assert f.read(0x18, 4) == 13 and f.read(0x20, 4) == 3
    mc.advance(20)                     # half a tick: nothing moves, nothing is lost
    assert f.read(0x20, 4) == 3
    mc.advance(20)
    assert f.read(0x20, 4) == 2


def test_leds():
    f = Mps2FpgaIO(ManualClock().clock)
    f.write(0x00, 4, 0xFF)
    assert f.read(0x00, 4) == 3 and [led.level for led in f.leds] == [1, 1]
    f.reset()
    assert f.read(0x00, 4) == 0 and [led.level for led in f.leds] == [0, 0]


def test_scc_config_channel_and_remap():
    s = Mps2Scc(0x41043850, 0x00200008, 2, (50_000_000, 24_576_000, 25_000_000))
    s.write(0xA8, 4, 0x80100002)
    assert s.read(0xAC, 4) == 1 and s.read(0xA0, 4) == 25_000_000
    s.write(0xA8, 4, 0x80100003)       # no such oscillator
    assert s.read(0xAC, 4) == 3
    s.write(0x00, 4, 1)
    assert s.remap.level == 1
