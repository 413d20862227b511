"""Stellaris GPTM (32-bit one-shot/periodic and RTC modes) against emud's
clock, the system clock that ssys derives from RCC/RCC2, and PL061 pins."""
from emud.devices.pl061 import Pl061
from emud.devices.stellaris_gptm import StellarisGptm
from emud.devices.stellaris_sysctl import StellarisSysCtl
from emud.machines.stellaris_board import SSYS_IDS
from tests.devices.clocks import ManualClock


def test_gptm_periodic_and_one_shot():
    mc = ManualClock()
    g = StellarisGptm(mc.clock, 12_500_000)          # 80 ns a tick
    g.write(0x28, 4, 1000)
    g.write(0x04, 4, 2)                              # periodic
    g.write(0x18, 4, 1)
    g.write(0x0C, 4, 1)
    mc.advance(80_000 - 1)
    assert g.irq.level == 0
    mc.advance(1)
    assert g.irq.level == 1 and g.read(0x1C, 4) == 1
    g.write(0x24, 4, 1)
    assert g.read(0x1C, 4) == 0 and g.irq.level == 0
    mc.advance(80_000)
    assert g.read(0x1C, 4) == 1
    g.write(0x0C, 4, 0)
    g.write(0x24, 4, 1)
    g.write(0x04, 4, 1)                              # one-shot: TAEN clears at time-out
    g.write(0x0C, 4, 1)
    mc.advance(80_000)
    assert g.read(0x0C, 4) == 0 and g.read(0x1C, 4) == 1
    g.write(0x24, 4, 1)
    mc.advance(1_000_000)
    assert g.read(0x1C, 4) == 0


def test_gptm_rtc_mode_counts_seconds_to_match():
    mc = ManualClock()
    g = StellarisGptm(mc.clock, 12_500_000)
    g.write(0x00, 4, 1)
    g.write(0x30, 4, 2)
    g.write(0x0C, 4, 1)
    mc.advance(2_000_000_000)
    assert g.read(0x48, 4) == 2 and g.read(0x1C, 4) == 0
    mc.advance(1_000_000_000)
    assert g.read(0x48, 4) == 0 and g.read(0x1C, 4) == 8


def test_sysclk_from_rcc_and_rcc2():
    s = StellarisSysCtl(**SSYS_IDS)
    seen = []
    s.add_clock_listener(seen.append)
    assert seen == [12_500_000]
    s.write(0x60, 4, (s.rcc & ~(0xF << 23)) | (3 << 23))       # SYSDIV 3: 50 MHz
    assert seen[-1] == 50_000_000
    s.write(0x70, 4, 0x80000000 | (4 << 23))                   # RCC2 wins: /5
    assert seen[-1] == 40_000_000


def test_pl061_inputs_edges_and_outputs():
    g = Pl061(luminary=True)
    g.write(0x400, 4, 0x01)            # pin 0 output, others inputs
    g.write(0x4, 4, 1)                 # DATA via mask 0x01
    assert g.outputs[0].level == 1
    g.write(0x410, 4, 0x02)            # IE pin 1, falling edge (IEV 0)
    g.set_input(1, 1)
    assert g.irq.level == 0
    g.set_input(1, 0)
    assert g.irq.level == 1 and g.read(0x414, 4) == 0x02
    g.write(0x41C, 4, 0x02)
    assert g.irq.level == 0
    g.set_input(0, 0)                  # an output pin ignores its input
    assert g.read(0x3FC, 4) & 1 == 1
