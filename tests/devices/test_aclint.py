"""ACLINT MSWI + MTIMER + SSWI: registers, 10 MHz time base, MTIP at the right virtual time."""
import pytest

from emud.clock import VirtualClock
from emud.devices.aclint import AclintMtimer, AclintSswi, AclintSwi
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


def test_sswi_setssip_is_write_one_to_set_and_reads_zero():
    # QEMU's riscv_aclint_swi with sswi=1: 1 raises the hart's SSIP, 0 does nothing, reads give 0
    sswi = AclintSswi(num_harts=2)
    seen = []
    sswi.ssip_irqs[1].connect(seen.append)
    sswi.write(4, 4, 0xFFFFFFFF)
    assert seen == [1, 0] and sswi.read(4, 4) == 0      # a pulse: the hart latches SSIP
    sswi.write(4, 4, 0)
    sswi.write(4, 4, 2)
    sswi.write(0x3FFC, 4, 1)                            # past the harts: ignored
    assert seen == [1, 0]
    space = AddressSpace()
    space.map(0x2F00000, MmioRegion("sswi", sswi.size, sswi))
    assert sswi.size == 0x4000
    space.write(0x2F00000, 4, 1)
    with pytest.raises(BusError):
        space.write(0x2F00000, 1, 1)
    with pytest.raises(BusError):
        space.read(0x2F00000, 8)


@pytest.mark.parametrize("aclint", [False, True])
def test_virt_sswi_only_with_aclint_on_and_it_pends_nothing_on_m_mode_harts(aclint):
    from emud.machines.virt import VirtMachine
    m = VirtMachine(xlen=32, smp=2, aclint=aclint)
    if not aclint:
        with pytest.raises(BusError):
            m.bus.write(0x2F00004, 4, 1)
        return
    before = [cpu.mip for cpu in m.cpus]
    m.bus.write(0x2F00004, 4, 1)                        # SETSSIP of hart 1
    assert m.bus.read(0x2F00004, 4) == 0
    assert [cpu.mip for cpu in m.cpus] == before        # no S-mode: mip.SSIP is read-only zero
    m.bus.write(0x2000004, 4, 1)                        # the MSWI still works as without aclint
    assert m.cpus[1].mip & 0x8 and not m.cpus[0].mip & 0x8


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


# -- the compare deadline as QEMU 7.2 computes it (riscv_aclint_mtimer_write_timecmp) --------------

def test_deadline_is_qemus_formula_from_the_exact_write_time():
    """next = now + muldiv64(mtimecmp - mtime, 1e9, timebase): the deadline
    keeps the write's position inside the 100 ns mtime tick, so it is not a
    whole tick boundary (a naive 'cmp * 100' would be)."""
    ic = Icount()
    t = AclintMtimer(ic.clock)
    ic.advance(12345)                        # mtime = 123, 45 ns into the tick
    t.write(0, 8, 200)
    assert t._timers[0].deadline == 12345 + (200 - 123) * 100 == 20045
    ic.advance(20045 - 12345 - 1)
    assert t.mtip_irqs[0].level == 0
    ic.advance(1)
    assert t.mtip_irqs[0].level == 1


def test_far_future_compare_never_fires():
    ic = Icount()
    t = AclintMtimer(ic.clock)
    t.write(0, 8, (1 << 64) - 1)             # QEMU parks the timer at INT64_MAX ns
    ic.advance(10 ** 12)
    assert t.mtip_irqs[0].level == 0


# -- on the machine: the time a guest access sees, and the quantum it ends --------------------------

def _virt(code_words, icount_shift=0):
    """An RV32 virt machine under -icount with raw code at the RAM base."""
    from emud.chardev import MemoryChardev
    from emud.machines.virt import VirtMachine
    m = VirtMachine(xlen=32, serial=MemoryChardev(), icount_shift=icount_shift)
    m.bus.write_bytes(0x80000000, b"".join(w.to_bytes(4, "little") for w in code_words))
    m.set_entry(0x80000000)
    return m


def _run(m, until=None, timeout=30):
    """Run until the guest stops (or ``until()`` is true); the stop event."""
    import trio

    async def main():
        async with trio.open_nursery() as nursery:
            await nursery.start(m.run)
            m.resume()
            with trio.fail_after(timeout):
                if until is None:
                    event = await m.wait_for_stop()
                else:
                    while not until():
                        await trio.sleep(0.005)
                    event = None
            m.request_quit()
        return event
    return trio.run(main)


LUI_T0_MTIMECMP = 0x020042B7       # lui t0, 0x2004      (t0 = mtimecmp of hart 0)
ADDI_T1_1000 = 0x3E800313          # addi t1, zero, 1000
SW_T1_T0 = 0x0062A023              # sw t1, 0(t0)
NOP = 0x00000013
LUI_T2_TEST = 0x001003B7           # lui t2, 0x100       (sifive_test)
LI_T3_PASS = 0x00005E37            # lui t3, 0x5
ADDI_T3_555 = 0x555E0E13           # addi t3, t3, 0x555  (0x5555: pass)
SW_T3_T2 = 0x01C3A023              # sw t3, 0(t2)


def test_mtimecmp_write_inside_a_block_sees_the_exact_instruction_count():
    """Under -icount shift=0 a guest store to mtimecmp arms the deadline
    from the time at *that* instruction, as QEMU does: the 6 instructions of
    the reset ROM, the 9 before the store in the same block, and the store
    itself (QEMU charges an I/O instruction before its access) = 16 ns, so
    the deadline is 16 + (1000 - 0) * 100. This needs the TCG slow path (st_slow/ld_slow) to
    see the instruction count of the access, not of the block's start
    (emud/tcg: cpu.budget is only synced at block exits and 'rw' helper
    calls; an MMIO access in the middle of a block reads a stale
    instructions_retired())."""
    code = [LUI_T0_MTIMECMP, ADDI_T1_1000] + [NOP] * 7 + [SW_T1_T0,
            LUI_T2_TEST, LI_T3_PASS, ADDI_T3_555, SW_T3_T2]
    m = _virt(code)
    event = _run(m)
    assert event.reason == "exited" and event.exit_code == 0
    assert m.mtimer.timecmp[0] == 1000
    assert m.mtimer._timers[0].deadline == 6 + 9 + 1 + 1000 * 100


def test_a_deadline_armed_mid_quantum_ends_the_quantum():
    """The quantum that writes mtimecmp must stop at the new deadline (QEMU
    kicks the vCPU to recompute its budget), not run on to its planned end
    (20000 instructions): the timer fires with the clock exactly at the
    deadline the write armed."""
    code = [LUI_T0_MTIMECMP, 0x00A00313, SW_T1_T0, 0x0000006F]   # mtimecmp = 10 ticks; j .
    armed, fired = [], []
    m = _virt(code)
    add_timer = m.clock.add_timer

    def spy(deadline, callback):
        armed.append(deadline)
        return add_timer(deadline, callback)
    m.clock.add_timer = spy
    m.mtimer.mtip_irqs[0].connect(lambda level: level and m.run_state == "running"
                                  and fired.append(m.clock.now_ns()))
    _run(m, until=lambda: fired)
    assert len(armed) == 1 and 1000 < armed[0] < 1010
    assert fired == armed
