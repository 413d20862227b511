"""The Cortex-M machine classes and the -M registry."""
import pytest

from emud.machines import registry
from emud.machines.cortexm import CortexMUnavailable, load_kernel


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
    image = load_kernel(str(raw))
    assert image.segments[0].addr == 0
