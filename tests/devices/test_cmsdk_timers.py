"""CMSDK APB timer, dual timer and watchdog counting against emud's clock
(25 MHz: 40 ns a tick), with QEMU's ptimer policy: the interrupt at the 1 -> 0
step, the count holding 0 for a tick before the reload."""
from emud.devices.cmsdk_dualtimer import CmsdkDualTimer
from emud.devices.cmsdk_timer import CmsdkTimer
from emud.devices.cmsdk_watchdog import CmsdkWatchdog
from tests.devices.clocks import ManualClock

TICK = 40


def test_timer_counts_down_interrupts_and_reloads():
    mc = ManualClock()
    t = CmsdkTimer(mc.clock)
    levels = []
    t.irq.connect(levels.append)
    t.write(0x08, 4, 100)
    t.write(0x00, 4, 0x9)             # EN | IRQEN
    mc.advance(10 * TICK)
    assert t.read(0x04, 4) == 90
    mc.advance(90 * TICK - 1)
    assert t.read(0x04, 4) == 1 and t.irq.level == 0
    mc.advance(1)
    assert t.read(0x04, 4) == 0 and t.read(0x0C, 4) == 1 and levels == [1]
    mc.advance(TICK)
    assert t.read(0x04, 4) == 100     # reloaded one tick after reaching 0
    t.write(0x0C, 4, 1)
    assert t.irq.level == 0 and levels == [1, 0]
    mc.advance(100 * TICK)            # the next period: RELOAD + 1 ticks
    assert t.read(0x0C, 4) == 1


def test_timer_without_irqen_and_one_shot_with_reload_zero():
    mc = ManualClock()
    t = CmsdkTimer(mc.clock)
    t.write(0x08, 4, 10)
    t.write(0x00, 4, 0x1)
    mc.advance(11 * TICK)
    assert t.read(0x0C, 4) == 0       # no IRQEN: nothing latches
    t.write(0x00, 4, 0)
    t.write(0x08, 4, 0)               # RELOAD 0: VALUE counts down once and stays
    t.write(0x04, 4, 5)
    t.write(0x00, 4, 0x9)
    mc.advance(5 * TICK)
    assert t.read(0x0C, 4) == 1 and t.read(0x04, 4) == 0
    t.write(0x0C, 4, 1)
    mc.advance(1000 * TICK)
    assert t.read(0x0C, 4) == 0 and t.read(0x04, 4) == 0


def test_dualtimer_periodic_32bit_with_prescale_and_16bit_wrap():
    mc = ManualClock()
    d = CmsdkDualTimer(mc.clock)
    levels = []
    d.timintc.connect(levels.append)
    assert d.read(0x08, 4) == 0x20 and d.read(0x04, 4) == 0xFFFFFFFF
    d.write(0x00, 4, 10)
    d.write(0x08, 4, 0x80 | 0x40 | 0x20 | 0x04 | 0x02)    # enable, periodic, INTEN, /16, 32-bit
    mc.advance(10 * 16 * TICK)
    assert d.read(0x10, 4) == 1 and d.read(0x14, 4) == 1 and levels == [1]
    d.write(0x0C, 4, 1)
    assert levels == [1, 0]
    mc.advance(11 * 16 * TICK)
    assert levels == [1, 0, 1]
    # module 2, free-running 16-bit: wraps at 0xFFFF, VALUE keeps the top half
    d.write(0x28, 4, 0x80 | 0x20)
    mc.advance(5 * TICK)
    assert d.read(0x24, 4) == 0xFFFF0000 | (0xFFFF - 5)


def test_watchdog_interrupt_then_reset():
    mc = ManualClock()
    resets = []
    w = CmsdkWatchdog(mc.clock, 25_000_000, on_reset=lambda: resets.append(1))
    w.write(0x00, 4, 100)
    w.write(0x08, 4, 3)               # INTEN | RESEN
    mc.advance(100 * TICK)
    assert w.irq.level == 1 and w.read(0x10, 4) == 1 and resets == []
    w.write(0x0C, 4, 1)               # INTCLR: interrupt off, count reloaded
    assert w.irq.level == 0 and w.read(0x04, 4) == 100
    mc.advance(100 * TICK)
    assert w.irq.level == 1
    mc.advance(101 * TICK)            # not serviced: the second time-out resets
    assert resets == [1]


def test_watchdog_lock_and_luminary_write_once_control():
    mc = ManualClock()
    w = CmsdkWatchdog(mc.clock, 12_500_000, luminary=True)
    w.write(0xC00, 4, 0)
    w.write(0x00, 4, 5)
    assert w.read(0x00, 4) == 0xFFFFFFFF      # locked
    w.write(0xC00, 4, 0x1ACCE551)
    w.write(0x08, 4, 1)
    w.write(0x08, 4, 0)
    assert w.read(0x08, 4) == 1               # INTEN set: CONTROL is frozen until reset
    w.reset()
    assert w.read(0x08, 4) == 0 and w.read(0xFE0, 4) == 0x05
