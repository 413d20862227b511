"""sifive_test and goldfish_rtc."""
import pytest

from emud.clock import VirtualClock
from emud.devices.goldfish_rtc import GoldfishRtc
from emud.devices.sifive_test import SifiveTest
from emud.memory import AddressSpace, BusError, MmioRegion


def test_sifive_test_callbacks():
    exits, resets = [], []
    t = SifiveTest(on_exit=exits.append, on_reset=lambda: resets.append(1))
    t.write(0, 4, 0x5555)
    t.write(0, 4, (3 << 16) | 0x3333)
    t.write(0, 4, 0x7777)
    t.write(0, 4, 0x1234)                    # ignored
    t.write(4, 4, 0x5555)                    # only offset 0 counts
    assert exits == [0, 3] and resets == [1]
    assert t.read(0, 4) == 0


def test_sifive_test_access_sizes():
    space = AddressSpace()
    exits = []
    t = SifiveTest(on_exit=exits.append)
    space.map(0x100000, MmioRegion("test", t.size, t))
    space.write(0x100000, 2, 0x5555)
    assert exits == [0]
    with pytest.raises(BusError):
        space.write(0x100000, 1, 0x55)
    with pytest.raises(BusError):
        space.write(0x100000, 8, 0x5555)


class FakeHost:
    def __init__(self, ns):
        self.ns = ns

    def __call__(self):
        return self.ns


def test_rtc_time_is_host_ns_latched_on_low_read():
    host = FakeHost(0x1_2345_6789_ABCD)
    rtc = GoldfishRtc(VirtualClock(icount_shift=0), host_ns=host)
    lo = rtc.read(0x00, 4)
    host.ns += 1 << 32                      # the high word must not move
    hi = rtc.read(0x04, 4)
    assert (hi << 32) | lo == 0x1_2345_6789_ABCD


def test_rtc_set_time_and_alarm_irq():
    retired = [0]
    clock = VirtualClock(icount_shift=0, retired=lambda: retired[0])
    host = FakeHost(1000)
    rtc = GoldfishRtc(clock, host_ns=host)
    rtc.write(0x04, 4, 0)
    rtc.write(0x00, 4, 5000)
    assert rtc.count() == 5000
    rtc.write(0x10, 4, 1)
    rtc.write(0x0C, 4, 0)
    rtc.write(0x08, 4, 5400)                # alarm 400 ns ahead
    assert rtc.read(0x18, 4) == 1 and rtc.irq.level == 0
    assert rtc.read(0x08, 4) == 5400
    retired[0] = 399
    clock.run_expired()
    assert rtc.irq.level == 0
    retired[0] = 400
    clock.run_expired()
    assert rtc.irq.level == 1 and rtc.read(0x18, 4) == 0
    rtc.write(0x1C, 4, 1)
    assert rtc.irq.level == 0
    # an alarm in the past fires at once; disabled IRQ keeps the line low
    rtc.write(0x10, 4, 0)
    rtc.write(0x08, 4, 1)
    assert rtc.irq_pending == 1 and rtc.irq.level == 0
    rtc.write(0x10, 4, 1)
    assert rtc.irq.level == 1
    # CLEAR_ALARM cancels an armed alarm
    rtc.write(0x1C, 4, 1)
    rtc.write(0x08, 4, 0xFFFFFFF0)
    rtc.write(0x14, 4, 1)
    assert rtc.read(0x18, 4) == 0 and clock.next_deadline() is None


def test_rtc_alarm_past_the_signed_range_fires_at_once_as_on_qemu():
    # QEMU's timer_mod takes a signed expiry and clamps it at 0
    retired = [0]
    clock = VirtualClock(icount_shift=0, retired=lambda: retired[0])
    rtc = GoldfishRtc(clock, host_ns=FakeHost(1000))
    rtc.write(0x10, 4, 1)
    rtc.write(0x0C, 4, 0x7FFFFFFF)
    rtc.write(0x08, 4, 0)
    assert clock.next_deadline() > 1 << 62          # far out, not at once
    rtc.write(0x0C, 4, 0xFFFFFFFF)
    rtc.write(0x08, 4, 0)
    assert rtc.read(0x18, 4) == 1 and rtc.irq.level == 0
    clock.run_expired()
    assert rtc.read(0x18, 4) == 0 and rtc.irq.level == 1


def test_rtc_vm_clock_is_deterministic():
    retired = [0]
    clock = VirtualClock(icount_shift=0, retired=lambda: retired[0])
    rtc = GoldfishRtc(clock, clock_source="vm", host_ns=FakeHost(10**18))
    t0 = rtc.count()
    retired[0] = 12345
    assert rtc.count() - t0 == 12345
    with pytest.raises(ValueError):
        GoldfishRtc(clock, clock_source="bogus")
