"""ACLINT MSWI + MTIMER: registers, 10 MHz time base, MTIP at the right virtual time."""
import pytest

from emud.clock import VirtualClock
from emud.devices.aclint import AclintMtimer, AclintSwi
from emud.memory import AddressSpace, BusError, MmioRegion

MTIME = 0x7FF8


class Icount:
    """A VirtualClock in icount mode (shift 0: 1 ns per instruction)."""

    def __init__(self):
        self.retired = 0
        self.clock = VirtualClock(icount_shift=0, retired=lambda: self.retired)

    def advance(self, ns):
        self.retired += ns
        self.clock.run_expired()


def test_reset_makes_mtip_pending_like_qemu():
    ic = Icount()
    t = AclintMtimer(ic.clock)
    levels = []
    t.mtip_irqs[0].connect(levels.append)
    assert t.read(MTIME, 8) == 0 and t.timecmp == [0]
    assert t.mtip_irqs[0].level == 1 and levels == [1]


def test_mtime_ticks_at_10mhz():
    ic = Icount()
    t = AclintMtimer(ic.clock)
    ic.advance(1_000_000_000)
    assert t.read_time() == 10_000_000
    assert t.read(MTIME, 4) == 10_000_000 and t.read(MTIME + 4, 4) == 0
    ic.advance(999)
    assert t.read_time() == 10_000_009


def test_timecmp_fires_at_the_exact_virtual_time():
    ic = Icount()
    t = AclintMtimer(ic.clock)
    # program timecmp = 1000 ticks (100 us) the RV32 way: hi first as all-ones
    t.write(0x4, 4, 0xFFFFFFFF)
    assert t.mtip_irqs[0].level == 0
    t.write(0x0, 4, 1000)
    t.write(0x4, 4, 0)
    assert t.read(0x0, 8) == 1000
    assert ic.clock.next_deadline() == 100_000
    ic.advance(99_999)
    assert t.mtip_irqs[0].level == 0 and t.read_time() == 999
    ic.advance(1)
    assert t.mtip_irqs[0].level == 1
    # moving the compare into the future lowers MTIP again
    t.write(0x0, 8, 5000)
    assert t.mtip_irqs[0].level == 0


def test_writing_mtime_rearms_the_compare():
    ic = Icount()
    t = AclintMtimer(ic.clock)
    t.write(0x0, 8, 2000)
    t.write(MTIME, 8, 1990)
    assert t.read_time() == 1990 and t.mtip_irqs[0].level == 0
    ic.advance(999)
    assert t.mtip_irqs[0].level == 0
    ic.advance(1)
    assert t.mtip_irqs[0].level == 1
    t.write(MTIME + 4, 4, 1)              # time_hi
    assert t.read_time() >> 32 == 1
    assert t.mtip_irqs[0].level == 1
    t.reset()
    assert t.read_time() == 0


def test_per_hart_timers_and_odd_offsets():
    ic = Icount()
    t = AclintMtimer(ic.clock, num_harts=2)
    t.write(0x8, 8, 10)
    t.write(0x0, 8, 20)
    assert [l.level for l in t.mtip_irqs] == [0, 0]
    ic.advance(1000)
    assert [l.level for l in t.mtip_irqs] == [0, 1]
    ic.advance(1000)
    assert [l.level for l in t.mtip_irqs] == [1, 1]
    assert t.read(0x2, 4) == 0            # misaligned inside a timecmp: 0
    assert t.read(0x10, 8) == 0           # past the harts


def test_bus_access_sizes():
    ic = Icount()
    space = AddressSpace()
    swi, t = AclintSwi(), AclintMtimer(ic.clock)
    space.map(0x2000000, MmioRegion("swi", swi.size, swi))
    space.map(0x2004000, MmioRegion("mtimer", t.size, t))
    space.write(0x2004000, 8, 123)
    assert space.read(0x2004000, 4) == 123
    with pytest.raises(BusError):
        space.read(0x200BFF8, 2)
    with pytest.raises(BusError):
        space.write(0x2000000, 1, 1)
    with pytest.raises(BusError):
        space.read(0x2000000, 8)


def test_msip():
    swi = AclintSwi(num_harts=2)
    seen = []
    swi.msip_irqs[1].connect(seen.append)
    swi.write(4, 4, 0xFFFFFFFF)
    assert swi.read(4, 4) == 1 and seen == [1]
    assert swi.read(0, 4) == 0
    swi.write(4, 4, 2)
    assert swi.read(4, 4) == 0 and seen == [1, 0]
    swi.write(4, 4, 1)
    swi.reset()
    assert swi.read(4, 4) == 0


def test_snapshot_restores_a_pending_compare():
    ic = Icount()
    t = AclintMtimer(ic.clock)
    t.write(0x0, 8, 100)
    state = t.save_state()
    t2 = AclintMtimer(ic.clock)
    t2.load_state(state)
    assert t2.mtip_irqs[0].level == 0
    ic.advance(10_000)
    assert t2.mtip_irqs[0].level == 1
