"""The Cortex-M machine classes and the -M registry."""
import pytest

from emud.machines import registry
from emud.machines.cortexm import CortexMMachine, CortexMUnavailable


def test_registry_names_qemus_machines():
    assert registry.machine_class("mps2-an385").name == "mps2-an385"
    assert registry.machine_class("lm3s6965evb").name == "lm3s6965evb"
    assert registry.machine_class("virt").name == "virt"
    with pytest.raises(registry.UnknownMachine, match="available: lm3s6965evb, mps2-an385, virt"):
        registry.machine_class("raspi3b")
    assert "mps2-an385" in registry.help_text()


def test_machine_without_the_core_is_one_clear_error_or_builds():
    cls = registry.machine_class("mps2-an385")
    try:
        m = cls()
    except CortexMUnavailable as e:
        assert "Cortex-M core is not available" in str(e)
        return
    assert m.bus.find(0x40004000) is not None and m.bus.find(0xE000E000) is not None


def test_raw_kernel_loads_at_0(tmp_path):
    raw = tmp_path / "fw.bin"
    raw.write_bytes(b"\x00\x10\x00\x20\x09\x00\x00\x00")
    image = CortexMMachine.load_kernel(str(raw))
    assert image.segments[0].addr == 0


# -- the core wired to the boards (values read on qemu-system-arm 7.2 by firmware:
#    a 0xFF written to an IPR byte, ICTR, SysTick CSR and CALIB at reset) --------

def _machine(name, **kw):
    return registry.machine_class(name)(**kw)


@pytest.mark.parametrize("name, ictr, csr, calib", [
    ("mps2-an385", 0, 0, 0x270F),            # 32 IRQs; 1 MHz reference clock: TENMS 9999
    ("lm3s6965evb", 1, 4, 0x80000000),       # 64 IRQs; no reference clock: CLKSOURCE stuck, NOREF
])
def test_nvic_and_systick_as_qemu_builds_them(name, ictr, csr, calib):
    m = _machine(name)
    bus = m.bus
    bus.write(0xE000E400, 1, 0xFF)
    assert bus.read(0xE000E400, 1) == 0xFF   # QEMU 7.2: 8 priority bits on both boards
    assert bus.read(0xE000E004, 4) == ictr
    assert (bus.read(0xE000E010, 4), bus.read(0xE000E01C, 4)) == (csr, calib)
    bus.write(0xE000E104, 4, 0xFFFFFFFF)     # ISER1: IRQs 32-63 exist only on lm3s
    assert bus.read(0xE000E104, 4) == (0xFFFFFFFF if ictr else 0)


def test_devices_reach_the_core_through_the_nvic():
    m = _machine("mps2-an385")
    m.board.timers[0].irq.set(1)
    assert m.nvic.pending[16 + 8] and m.cpus[0].exit_request
    m.board.watchdog.irq.set(1)               # mps2's watchdog is wired to NMI
    assert m.nvic.pending[2]


def test_lm3s_systick_counts_the_system_clock():
    m = _machine("lm3s6965evb")
    assert m.systick.cpu_hz == 12_500_000
    m.bus.write(0x400FE060, 4, (0x078E3AC0 & ~(0xF << 23)) | (3 << 23) | (1 << 22))   # RCC: USESYSDIV, SYSDIV 3
    assert m.systick.cpu_hz == 50_000_000


def test_reset_reloads_sp_and_pc_and_resets_systick(tmp_path):
    raw = tmp_path / "fw.bin"
    raw.write_bytes((0x20001000).to_bytes(4, "little") + (0x41).to_bytes(4, "little"))
    m = _machine("mps2-an385")
    m.load_image(m.load_kernel(str(raw)))
    cpu = m.cpus[0]
    assert (cpu.x[13], cpu.pc, cpu.thumb) == (0x20001000, 0x40, 1)
    m.bus.write(0xE000E014, 4, 1000)
    cpu.pc = 0x100
    m.reset()
    assert (cpu.pc, m.bus.read(0xE000E014, 4)) == (0x40, 0)


def test_cpu_option_picks_the_core():
    mps2, lm3s = registry.machine_class("mps2-an385"), registry.machine_class("lm3s6965evb")
    assert mps2.cpu_properties("cortex-m3", None, None) == {"profile": "v7m"}
    with pytest.raises(ValueError, match="only be used with CPU cortex-m3-arm-cpu"):
        mps2.cpu_properties("cortex-m0", None, None)
    assert lm3s.cpu_properties("cortex-m0", None, None) == {"profile": "v6m"}
    assert _machine("lm3s6965evb", profile="v6m").cpus[0].profile == "v6m"
    with pytest.raises(ValueError, match="unable to find CPU model 'cortex-m7'"):
        lm3s.cpu_properties("cortex-m7", None, None)
    with pytest.raises(ValueError, match="max CPUs supported by machine 'mps2-an385' is 1"):
        _machine("mps2-an385", smp=2)


def test_listings_are_thumb_and_sized_by_the_front_end():
    m = _machine("mps2-an385")
    m.bus.write_bytes(0x100, bytes.fromhex("80b5" "00e80000" "00bf"))   # push; an undecodable 32-bit; nop
    assert [(a, len(c), mn) for a, c, mn, _ in m.disassemble(0x100, 3)] == \
        [(0x100, 2, "push"), (0x102, 4, ".insn"), (0x106, 2, "nop")]
    m.frontend.disassemble = lambda code, pc: []      # a front end capstone cannot help
    assert [(a, len(c)) for a, c, _, _ in m.disassemble(0x100, 3)] == [(0x100, 2), (0x102, 4), (0x106, 2)]


def test_thumb_function_symbols_are_at_their_code():
    from tests.support.run import REPO
    image = CortexMMachine.load_kernel(str(REPO / "examples" / "build" / "cortexm-systick-mps2-an385.elf"))
    main = image.symbols.lookup("main")
    assert main % 2 == 0 and image.symbols.symbolize(main + 2) == ("main", 2)
