"""PMP rules: address matching, priority, M-mode and locking, interning."""
import pytest

from emud.cpu.riscv.cpu import FLAG_DATA_CHECKED, FLAG_FETCH_CHECKED, PRV_M, PRV_U, RiscvCPU
from emud.cpu.riscv.pmp import NEEDS, R, W, X, compile_entries, rules_by_id, rules_for

NAPOT, TOR, NA4, LOCK = 0x18, 0x08, 0x10, 0x80
PAGE = 0x80001000


def config(*entries):
    """(cfg byte, pmpaddr) pairs -> the two 16-entry arrays."""
    cfg, addr = [0] * 16, [0] * 16
    for i, (c, a) in enumerate(entries):
        cfg[i], addr[i] = c, a
    return cfg, addr


def napot(base, size):
    return (base >> 2) | ((size >> 3) - 1)


def test_napot_tor_na4_ranges():
    cfg, addr = config((NAPOT | R, napot(PAGE, 4096)), (TOR | W, (PAGE + 0x3000) >> 2),
                       (NA4 | X, (PAGE + 0x5000) >> 2), (NAPOT | R, (1 << 32) - 1))
    assert compile_entries(cfg, addr) == [
        (PAGE, PAGE + 0x1000, R, False),
        (napot(PAGE, 4096) << 2, PAGE + 0x3000, W, False),   # TOR from the previous pmpaddr
        (PAGE + 0x5000, PAGE + 0x5004, X, False),
        (0, 1 << 35, R, False),                              # all ones: more than the address space
    ]


def test_tor_below_its_base_matches_nothing_and_off_entries_are_skipped():
    cfg, addr = config((0, 0x200), (TOR | R, 0x100), (0, 0x300))
    assert compile_entries(cfg, addr) == []


def test_priority_partial_match_and_no_match():
    cfg, addr = config((NAPOT | R, napot(PAGE, 4096)), (NAPOT | R | W | X, (1 << 32) - 1))
    rules = rules_for(cfg, addr)
    assert rules.allows(PAGE, 4, R, False) and not rules.allows(PAGE, 4, W, False)
    assert rules.allows(PAGE - 4, 4, W, False)                  # entry 1
    assert not rules.allows(PAGE - 2, 4, R, False)              # straddles entry 0: fails
    assert rules.allows(PAGE, 4, W, True)                       # M-mode, unlocked
    only_page = rules_for(*config((NAPOT | R, napot(PAGE, 4096))))
    assert not only_page.allows(PAGE - 4, 4, R, False)           # no match: U fails
    assert only_page.allows(PAGE - 4, 4, W | X, True)            # M passes
    assert not rules_for([0] * 16, [0] * 16).allows(PAGE, 4, R, False)


def test_locked_entries_bind_machine_mode():
    rules = rules_for(*config((NAPOT | R | LOCK, napot(PAGE, 4096))))
    assert rules.locked
    assert rules.allows(PAGE, 4, R, True) and not rules.allows(PAGE, 4, W, True)
    assert NEEDS["amo"] == R | W


def test_a_configuration_keeps_its_id():
    a = rules_for(*config((NAPOT | R, napot(PAGE, 4096))))
    b = rules_for(*config((NAPOT | R | W, napot(PAGE, 4096))))
    assert a.id != b.id
    assert rules_for(*config((NAPOT | R, napot(PAGE, 4096)))) is a and rules_by_id(a.id) is a
    assert "0x80001000-0x80001fff r" in repr(a)


@pytest.mark.parametrize("xlen", [32, 64])
def test_tb_flags_say_what_translation_must_check(xlen):
    cpu = RiscvCPU(xlen=xlen)
    assert cpu.tb_flags() == PRV_M and cpu.data_guard is None        # plain M-mode
    cpu.priv = PRV_U
    flags = cpu.tb_flags()
    assert flags & 3 == PRV_U and flags & FLAG_DATA_CHECKED and flags & FLAG_FETCH_CHECKED
    assert cpu.data_guard is not None
    cpu.priv = PRV_M
    cpu.mstatus |= 1 << 17                                            # MPRV, MPP = U
    flags = cpu.tb_flags()
    assert flags & FLAG_DATA_CHECKED and not flags & FLAG_FETCH_CHECKED
    with pytest.raises(Exception) as e:
        cpu.data_guard(cpu, PAGE, 4, "store", 0x80000000)
    assert e.value.cause == 7 and e.value.tval == PAGE
    cpu.mstatus = 0
    cpu.pmpcfg[0], cpu.pmpaddr[0] = NAPOT | R | LOCK, napot(PAGE, 4096)
    cpu.pmp_changed()
    flags = cpu.tb_flags()
    assert flags & FLAG_DATA_CHECKED and flags & FLAG_FETCH_CHECKED and flags >> 4 == cpu.pmp.id
