"""The DTB writer, checked by dtc and against QEMU's own virt tree."""
import shutil
import struct
import subprocess

import pytest

from emud.fdt import Fdt, build_virt_dtb, virt_fdt_address

needs_dtc = pytest.mark.skipif(shutil.which("dtc") is None, reason="dtc not installed")


def dts(blob, tmp_path):
    path = tmp_path / "t.dtb"
    path.write_bytes(blob)
    res = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", str(path)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "ERROR" not in res.stderr
    return res.stdout


def test_header_and_blocks():
    fdt = Fdt()
    fdt.reservations.append((0x80000000, 0x1000))
    fdt.root.set("compatible", "x").add_node("a@1").set("reg", [1, 2]).set("flag")
    blob = fdt.to_bytes()
    magic, total, off_struct, off_strings, off_rsv, version, last, cpu, size_strings, size_struct = \
        struct.unpack(">10I", blob[:40])
    assert magic == 0xD00DFEED and total == len(blob) and version == 17 and last == 16
    assert off_rsv == 40 and off_rsv % 8 == 0
    assert struct.unpack(">QQQQ", blob[40:72]) == (0x80000000, 0x1000, 0, 0)
    assert off_struct == 72 and off_strings == off_struct + size_struct
    assert blob[off_strings:off_strings + size_strings] == b"compatible\0reg\0flag\0"
    assert blob[off_struct + size_struct - 4:off_struct + size_struct] == struct.pack(">I", 9)


@needs_dtc
def test_dtc_reads_every_property_kind(tmp_path):
    fdt = Fdt()
    n = fdt.root.add_node("node@10")
    n.set("u32", 0x1234).set("cells", [1, 2, 3]).set("str", "hello")
    n.set("strs", ["a", "bc"]).set("empty").set("bytes", b"\x01\x02\x03").set_u64("big", 1 << 40)
    out = dts(fdt.to_bytes(), tmp_path)
    assert "u32 = <0x1234>;" in out
    assert "cells = <0x01 0x02 0x03>;" in out
    assert 'str = "hello";' in out
    assert 'strs = "a\\0bc";' in out
    assert "empty;" in out
    assert "bytes = [01 02 03];" in out
    assert "big = <0x100 0x00>;" in out


@needs_dtc
def test_virt_tree_matches_qemu_layout(tmp_path):
    blob = build_virt_dtb(ram_size=128 << 20, num_harts=2, isa="rv32imac_zicsr_zifencei",
                          bootargs="console=ttyS0")
    out = dts(blob, tmp_path)
    for line in ('compatible = "riscv-virtio";', 'model = "riscv-virtio,qemu";',
                 "timebase-frequency = <0x989680>;",
                 'riscv,isa = "rv32imac_zicsr_zifencei";',
                 'compatible = "riscv,cpu-intc";',
                 "reg = <0x00 0x80000000 0x00 0x8000000>;",
                 "reg = <0x00 0x2000000 0x00 0x10000>;",
                 "reg = <0x00 0xc000000 0x00 0x600000>;",
                 "riscv,ndev = <0x60>;",
                 'compatible = "sifive,plic-1.0.0\\0riscv,plic0";',
                 'compatible = "sifive,clint0\\0riscv,clint0";',
                 "reg = <0x00 0x10000000 0x00 0x100>;",
                 'compatible = "ns16550a";',
                 "interrupts = <0x0a>;", "interrupts = <0x0b>;",
                 'compatible = "google,goldfish-rtc";',
                 'compatible = "sifive,test1\\0sifive,test0\\0syscon";',
                 "value = <0x5555>;", "value = <0x7777>;",
                 'stdout-path = "/soc/serial@10000000";',
                 'bootargs = "console=ttyS0";'):
        assert line in out, line
    for node in ("cpu@0 {", "cpu@1 {", "memory@80000000 {", "clint@2000000 {", "plic@c000000 {",
                 "serial@10000000 {", "test@100000 {", "rtc@101000 {", "chosen {", "core1 {"):
        assert node in out, node
    # phandles as QEMU numbers them: from the last hart down, cpu@1 1, its intc 2, cpu@0 3, its intc 4
    assert "interrupts-extended = <0x04 0x03 0x04 0x07 0x02 0x03 0x02 0x07>;" in out
    assert "interrupts-extended = <0x04 0x0b 0x04 0x09 0x02 0x0b 0x02 0x09>;" in out


@needs_dtc
def test_m_only_plic_contexts(tmp_path):
    out = dts(build_virt_dtb(plic_hart_config="M"), tmp_path)
    assert "interrupts-extended = <0x02 0x0b>;" in out
    with pytest.raises(ValueError):
        build_virt_dtb(num_harts=2, plic_hart_config="MS")


@needs_dtc
@pytest.mark.qemu
def test_same_devices_as_qemu_dumpdtb(tmp_path):
    qemu = shutil.which("qemu-system-riscv32")
    if qemu is None:
        pytest.skip("qemu-system-riscv32 not installed")
    path = tmp_path / "qemu.dtb"
    subprocess.run([qemu, "-M", "virt,dumpdtb=%s" % path, "-bios", "none", "-nographic"],
                   capture_output=True, timeout=30)
    theirs = dts(path.read_bytes(), tmp_path)
    ours = dts(build_virt_dtb(), tmp_path)

    def props(text, node):
        start = text.index(node)
        body = text[start:text.index("};", start)]
        return {l.strip() for l in body.splitlines()[1:] if "=" in l or l.strip().endswith(";")}

    for node in ("serial@10000000 {", "rtc@101000 {", "test@100000 {", "clint@2000000 {",
                 "plic@c000000 {", "memory@80000000 {"):
        assert props(ours, node) == props(theirs, node), node


def dts_nodes(text):
    """A dtc listing as {node path: set of its property lines}."""
    nodes, stack = {}, []
    for line in text.splitlines():
        line = line.strip()
        if line.endswith("{"):
            stack.append(line[:-1].strip())
            nodes["/".join(stack)] = set()
        elif line == "};":
            stack.pop()
        elif line.endswith(";") and stack:
            nodes["/".join(stack)].add(line)
    return nodes


#: what QEMU's tree has and emud's leaves out: devices emud does not model
QEMU_ONLY_NODES = ("flash@", "fw-cfg@", "platform-bus@", "pmu", "pci@", "virtio_mmio@")


def qemu_dumpdtb(tmp_path, xlen, machine, *args):
    qemu = shutil.which("qemu-system-riscv%d" % xlen)
    if qemu is None:
        pytest.skip("qemu-system-riscv%d not installed" % xlen)
    path = tmp_path / "qemu.dtb"
    subprocess.run([qemu, "-M", "%s,dumpdtb=%s" % (machine, path), "-bios", "none", "-nographic", *args],
                   capture_output=True, timeout=30)
    return dts(path.read_bytes(), tmp_path)


@needs_dtc
@pytest.mark.qemu
@pytest.mark.parametrize("xlen, machine, smp", [(32, "virt", 1), (32, "virt,aclint=on", 1),
                                                (32, "virt,aclint=on", 8), (64, "virt,aclint=on", 8),
                                                (64, "virt,aclint=off", 3)])
def test_every_node_as_qemu_dumps_it(tmp_path, xlen, machine, smp):
    """Node by node, property by property, phandles included: the only
    differences are the devices emud does not model, the ISA string (ours
    says what we model), no mmu-type (no MMU) and QEMU's random rng-seed."""
    from emud.machines.virt import VirtMachine
    theirs = dts_nodes(qemu_dumpdtb(tmp_path, xlen, machine, "-smp", str(smp)))
    m = VirtMachine(xlen=xlen, smp=smp, aclint=machine.endswith("aclint=on"))
    ours = dts_nodes(dts(m.dtb, tmp_path))
    missing = [n for n in theirs if n not in ours and not any(p.startswith(QEMU_ONLY_NODES) for p in n.split("/"))]
    assert missing == []
    assert sorted(set(ours) - set(theirs)) == []
    for node, props in ours.items():
        mine, qemus = set(props), set(theirs[node])
        if node.split("/")[-1].startswith("cpu@"):
            qemus = {p for p in qemus if not p.startswith(("riscv,isa", "mmu-type"))}
            mine = {p for p in mine if not p.startswith("riscv,isa")}
        if node.endswith("/chosen"):
            qemus = {p for p in qemus if not p.startswith("rng-seed")}
        assert mine == qemus, node
    names = set(n.split("/")[-1] for n in ours)
    if machine.endswith("aclint=on"):
        assert {"mswi@2000000", "mtimer@2004000", "sswi@2f00000"} <= names and "clint@2000000" not in names
    else:
        assert "clint@2000000" in names and "sswi@2f00000" not in names


def test_fdt_address_like_qemu():
    assert virt_fdt_address(0x80000000, 128 << 20, 0x1000) == 0x87E00000
    assert virt_fdt_address(0x80000000, 4 << 30, 0x1000) == 0xBFE00000
