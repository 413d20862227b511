"""PLIC: QEMU virt layout, claim/complete, priority and threshold."""
import pytest

from emud.devices.plic import Plic
from emud.memory import AddressSpace, BusError, MmioRegion

PRIO, PENDING, ENABLE, CTX = 0x0, 0x1000, 0x2000, 0x200000


def make(**kw):
    p = Plic(**kw)
    outs = [[] for _ in p.context_irqs]
    for i, line in enumerate(p.context_irqs):
        line.connect(outs[i].append)
    return p, outs


def test_contexts_are_m_then_s_per_hart():
    p, _ = make(num_harts=2)
    assert p.contexts == [(0, "M"), (0, "S"), (1, "M"), (1, "S")]
    assert p.context_of(1, "M") == 2 and p.size == 0x600000


def test_claim_complete_cycle():
    p, outs = make()
    p.write(PRIO + 4 * 10, 4, 1)
    p.write(ENABLE, 4, 1 << 10)
    p.set_irq(10, 1)
    assert p.read(PENDING, 4) == 1 << 10
    assert p.context_irqs[0].level == 1 and p.context_irqs[1].level == 0
    p.set_irq(10, 0)                         # QEMU 7.2: falling leaves it pending
    assert p.read(PENDING, 4) == 1 << 10
    assert p.read(CTX + 4, 4) == 10
    assert p.read(PENDING, 4) == 0 and p.context_irqs[0].level == 0
    assert p.read(CTX + 4, 4) == 0
    p.write(CTX + 4, 4, 10)
    assert p.context_irqs[0].level == 0 and p.read(CTX + 4, 4) == 0
    assert outs[0] == [1, 0]


def test_claimed_source_waits_for_complete():
    p, _ = make()
    p.write(PRIO + 4 * 10, 4, 1)
    p.write(ENABLE, 4, 1 << 10)
    p.set_irq(10, 1)
    p.set_irq(10, 0)
    assert p.read(CTX + 4, 4) == 10
    p.set_irq(10, 1)                         # raised again while in service
    assert p.read(PENDING, 4) == 1 << 10
    assert p.read(CTX + 4, 4) == 0 and p.context_irqs[0].level == 0
    p.set_irq(10, 0)
    p.write(CTX + 4, 4, 10)
    assert p.context_irqs[0].level == 1 and p.read(CTX + 4, 4) == 10


def test_priority_order_threshold_and_zero_priority():
    p, _ = make()
    for src, prio in ((1, 2), (2, 5), (33, 5), (40, 0)):
        p.write(PRIO + 4 * src, 4, prio)
    p.write(ENABLE, 4, 0b110)
    p.write(ENABLE + 4, 4, (1 << 1) | (1 << 8))
    for src in (1, 2, 33, 40):
        p.set_irq(src, 1)
    assert p.read(PENDING + 4, 4) == (1 << 1) | (1 << 8)
    p.write(CTX, 4, 5)                       # threshold 5 masks everything
    assert p.context_irqs[0].level == 0 and p.read(CTX + 4, 4) == 0
    p.write(CTX, 4, 4)
    assert p.read(CTX + 4, 4) == 2           # tie at 5: lowest id wins
    assert p.read(CTX + 4, 4) == 33
    assert p.read(CTX + 4, 4) == 0           # 1 has priority 2 <= 4
    p.write(CTX, 4, 0)
    assert p.read(CTX + 4, 4) == 1
    assert p.read(CTX + 4, 4) == 0           # 40 has priority 0: never


def test_priority_is_warl_mod_8_and_enable_words():
    p, _ = make()
    p.write(PRIO + 4, 4, 9)
    assert p.read(PRIO + 4, 4) == 1
    p.write(CTX, 4, 15)
    assert p.read(CTX, 4) == 7
    p.write(ENABLE + 8, 4, 0xFFFFFFFF)
    assert p.read(ENABLE + 8, 4) == 0xFFFFFFFF
    assert p.read(ENABLE + 12, 4) == 0       # only 3 words per context
    p.write(PENDING, 4, 0xFFFF)              # read-only
    assert p.read(PENDING, 4) == 0
    assert p.read(PRIO + 4 * 97, 4) == 0     # past QEMU's extra "source 96" word
    p.write(PRIO, 4, 3)
    assert p.read(PRIO, 4) == 0              # source 0 has no priority


def test_s_context_is_separate():
    p, _ = make()
    p.write(PRIO + 4 * 11, 4, 3)
    p.write(ENABLE + 0x80, 4, 1 << 11)       # context 1 = hart 0 S
    p.set_irq(11, 1)
    assert p.context_irqs[0].level == 0 and p.context_irqs[1].level == 1
    assert p.read(CTX + 0x1000 + 4, 4) == 11


def test_bus_only_word_accesses_and_bad_source():
    p, _ = make()
    space = AddressSpace()
    space.map(0xC000000, MmioRegion("plic", p.size, p))
    space.write(0xC000028, 4, 1)
    assert space.read(0xC000028, 4) == 1
    with pytest.raises(BusError):
        space.read(0xC000028, 1)
    with pytest.raises(BusError):
        space.read(0xC000028, 8)
    with pytest.raises(ValueError):
        p.set_irq(96, 1)


def test_irq_input_helper_and_snapshot():
    from emud.devices.base import IrqLine
    p, _ = make()
    line = IrqLine("uart")
    line.connect(p.irq_input(10))
    p.write(PRIO + 40, 4, 1)
    p.write(ENABLE, 4, 1 << 10)
    line.raise_()
    state = p.save_state()
    q, _ = make()
    q.load_state(state)
    assert q.context_irqs[0].level == 1 and q.read(CTX + 4, 4) == 10
