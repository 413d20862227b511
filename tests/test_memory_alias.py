"""One RAM region mapped twice, back to back (a board's mirror, as mps2's
SSRAM1 at 0x0 and 0x400000): each mapping sees the region from its start."""
from emud.memory import AddressSpace, RamRegion


def test_adjacent_mirror_of_the_same_region_starts_again_at_offset_0():
    bus = AddressSpace()
    ram = RamRegion("ram", 0x1000)
    bus.map(0x0, ram)
    bus.map(0x1000, ram)
    bus.write(0x10, 4, 0x11223344)
    assert bus.read(0x1010, 4) == 0x11223344
    bus.write(0x1FFC, 4, 0x55)
    assert bus.read(0xFFC, 4) == 0x55
    assert [(lo, hi) for lo, hi, _, _ in bus.describe()] == [(0x0, 0xFFF), (0x1000, 0x1FFF)]


def test_contiguous_pieces_of_one_mapping_still_merge():
    bus = AddressSpace()
    ram = RamRegion("ram", 0x3000)
    bus.map(0x0, ram)
    bus.map(0x1000, RamRegion("other", 0x1000), priority=-1)   # under it: splits the points only
    assert [(lo, hi) for lo, hi, _, _ in bus.describe()] == [(0x0, 0x2FFF)]
