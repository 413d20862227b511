"""A small flattened device tree (DTB, version 17) writer, and the device
tree of our RISC-V ``virt`` machine, laid out as QEMU's hw/riscv/virt.c does.

Blob layout (all big-endian): a 40-byte header, the memory reservation map
(pairs of u64 address/size ending with 0/0), the structure block (BEGIN_NODE
name, PROP len nameoff value, END_NODE, ..., END; every item padded to 4
bytes) and the strings block (property names, each stored once).
"""
from __future__ import annotations

import struct
from typing import Dict, Iterable, List, Optional, Sequence, Tuple, Union

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE = 1
FDT_END_NODE = 2
FDT_PROP = 3
FDT_END = 9
FDT_VERSION = 17
FDT_LAST_COMP_VERSION = 16

PropValue = Union[None, int, str, bytes, Sequence[int], Sequence[str]]


def _pad4(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def encode_value(value: PropValue) -> bytes:
    """None -> empty; int -> one u32 cell; str -> NUL-terminated string;
    list of str -> string list; list of int -> u32 cells; bytes -> as is."""
    if value is None:
        return b""
    if isinstance(value, bool):
        raise TypeError("fdt: use None for an empty (boolean) property")
    if isinstance(value, int):
        return struct.pack(">I", value & 0xFFFFFFFF)
    if isinstance(value, str):
        return value.encode() + b"\0"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    items = list(value)
    if all(isinstance(v, str) for v in items) and items:
        return b"".join(v.encode() + b"\0" for v in items)
    return b"".join(struct.pack(">I", v & 0xFFFFFFFF) for v in items)


def u64_cells(value: int) -> List[int]:
    """A 64-bit number as two u32 cells (high, low)."""
    return [(value >> 32) & 0xFFFFFFFF, value & 0xFFFFFFFF]


class FdtNode:
    def __init__(self, name: str) -> None:
        self.name = name
        self.props: Dict[str, bytes] = {}
        self.children: List["FdtNode"] = []

    def add_node(self, name: str) -> "FdtNode":
        node = FdtNode(name)
        self.children.append(node)
        return node

    def child(self, name: str) -> Optional["FdtNode"]:
        for c in self.children:
            if c.name == name:
                return c
        return None

    def set(self, name: str, value: PropValue = None) -> "FdtNode":
        self.props[name] = encode_value(value)
        return self

    def set_u64(self, name: str, *values: int) -> "FdtNode":
        self.props[name] = b"".join(struct.pack(">Q", v & ((1 << 64) - 1)) for v in values)
        return self


class Fdt:
    def __init__(self, boot_cpuid: int = 0) -> None:
        self.root = FdtNode("")
        self.reservations: List[Tuple[int, int]] = []
        self.boot_cpuid = boot_cpuid
        self._next_phandle = 1

    def alloc_phandle(self) -> int:
        p = self._next_phandle
        self._next_phandle += 1
        return p

    def to_bytes(self, min_size: int = 0) -> bytes:
        strings = bytearray()
        offsets: Dict[str, int] = {}

        def name_off(name: str) -> int:
            if name not in offsets:
                offsets[name] = len(strings)
                strings.extend(name.encode() + b"\0")
            return offsets[name]

        structure = bytearray()

        def emit(node: FdtNode) -> None:
            structure.extend(struct.pack(">I", FDT_BEGIN_NODE))
            structure.extend(_pad4(node.name.encode() + b"\0"))
            for pname, pvalue in node.props.items():
                structure.extend(struct.pack(">III", FDT_PROP, len(pvalue), name_off(pname)))
                structure.extend(_pad4(pvalue))
            for c in node.children:
                emit(c)
            structure.extend(struct.pack(">I", FDT_END_NODE))

        emit(self.root)
        structure.extend(struct.pack(">I", FDT_END))

        rsv = b"".join(struct.pack(">QQ", a, s) for a, s in self.reservations) + struct.pack(">QQ", 0, 0)
        header_size = 40
        off_rsv = header_size                      # 8-aligned
        off_struct = off_rsv + len(rsv)
        off_strings = off_struct + len(structure)
        total = off_strings + len(strings)
        pad = max(0, min_size - total)
        header = struct.pack(">10I", FDT_MAGIC, total + pad, off_struct, off_strings, off_rsv,
                             FDT_VERSION, FDT_LAST_COMP_VERSION, self.boot_cpuid,
                             len(strings), len(structure))
        return header + rsv + bytes(structure) + bytes(strings) + b"\0" * pad


# -- the virt machine's tree ------------------------------------------------------------

VIRT_TEST = (0x100000, 0x1000)
VIRT_RTC = (0x101000, 0x1000)
VIRT_CLINT = (0x2000000, 0x10000)
VIRT_ACLINT_SSWI = (0x2F00000, 0x4000)
ACLINT_SWI_SIZE = 0x4000
ACLINT_MTIMECMP, ACLINT_MTIME = 0x0, 0x7FF8     # offsets in the MTIMER
VIRT_PLIC = (0xC000000, 0x600000)
VIRT_UART0 = (0x10000000, 0x100)
UART0_IRQ = 10
RTC_IRQ = 11
UART_CLOCK_FREQ = 0x384000      # 3.6864 MHz, as QEMU advertises
IRQ_S_SOFT, IRQ_M_SOFT, IRQ_M_TIMER, IRQ_S_EXT, IRQ_M_EXT = 1, 3, 7, 9, 11


def _reg(base: int, size: int) -> List[int]:
    return u64_cells(base) + u64_cells(size)


def build_virt_dtb(ram_base: int = 0x80000000, ram_size: int = 128 << 20, num_harts: int = 1,
                   isa: str = "rv32imac_zicsr_zifencei", timebase: int = 10_000_000,
                   mmu_type: Optional[str] = None, plic_hart_config: Optional[str] = None,
                   plic_ndev: int = 96, bootargs: Optional[str] = None,
                   stdout_path: Optional[str] = "/soc/serial@10000000",
                   uart: bool = True, rtc: bool = True, test: bool = True,
                   initrd: Optional[Tuple[int, int]] = None,
                   extra_reservations: Iterable[Tuple[int, int]] = (), aclint: bool = False) -> bytes:
    """The device tree of emud's virt machine, as bytes.

    ``plic_hart_config`` is the PLIC's context string ("MS,MS" = M and S
    context per hart, QEMU's default; "M,M" for M-mode-only harts); it sets
    the PLIC's ``interrupts-extended``. ``plic_ndev``: QEMU 7.2 advertises 96.
    ``mmu_type`` (e.g. "riscv,sv32") is omitted when None: we model no MMU.
    ``initrd`` = (start, end) adds linux,initrd-start/-end to /chosen.
    ``aclint`` (``-M virt,aclint=on``): the ACLINT's mswi, mtimer and sswi
    nodes instead of the clint node, as QEMU 7.2's create_fdt_socket_aclint.
    Phandles are numbered as QEMU numbers them: the harts from the last one
    down (cpu, then its interrupt controller), then the PLIC, then the test
    device.
    """
    fdt = Fdt()
    fdt.reservations.extend(extra_reservations)
    root = fdt.root
    root.set("#address-cells", 2).set("#size-cells", 2)
    root.set("compatible", "riscv-virtio").set("model", "riscv-virtio,qemu")

    hart_config = plic_hart_config or ",".join(["MS"] * num_harts)
    hart_modes = hart_config.split(",")
    if len(hart_modes) != num_harts:
        raise ValueError("fdt: PLIC hart config %r does not match %d harts" % (hart_config, num_harts))

    # /cpus
    cpus = root.add_node("cpus")
    cpus.set("#address-cells", 1).set("#size-cells", 0).set("timebase-frequency", timebase)
    cpu_phandles, intc_phandles = [0] * num_harts, [0] * num_harts
    for h in reversed(range(num_harts)):
        cpu_phandles[h] = fdt.alloc_phandle()
        intc_phandles[h] = fdt.alloc_phandle()
    for h in range(num_harts):
        cpu = cpus.add_node("cpu@%x" % h)
        cpu.set("phandle", cpu_phandles[h]).set("device_type", "cpu").set("reg", h).set("status", "okay")
        cpu.set("compatible", "riscv").set("riscv,isa", isa)
        if mmu_type:
            cpu.set("mmu-type", mmu_type)
        intc = cpu.add_node("interrupt-controller")
        intc.set("#interrupt-cells", 1).set("interrupt-controller")
        intc.set("compatible", "riscv,cpu-intc").set("phandle", intc_phandles[h])
    cluster = cpus.add_node("cpu-map").add_node("cluster0")
    for h in range(num_harts):
        cluster.add_node("core%d" % h).set("cpu", cpu_phandles[h])

    mem = root.add_node("memory@%x" % ram_base)
    mem.set("device_type", "memory").set("reg", _reg(ram_base, ram_size))

    soc = root.add_node("soc")
    soc.set("#address-cells", 2).set("#size-cells", 2).set("compatible", "simple-bus").set("ranges")

    if aclint:
        _aclint_nodes(soc, intc_phandles)
    else:
        clint = soc.add_node("clint@%x" % VIRT_CLINT[0])
        cells: List[int] = []
        for h in range(num_harts):
            cells += [intc_phandles[h], IRQ_M_SOFT, intc_phandles[h], IRQ_M_TIMER]
        clint.set("interrupts-extended", cells).set("reg", _reg(*VIRT_CLINT))
        clint.set("compatible", ["sifive,clint0", "riscv,clint0"])

    plic = soc.add_node("plic@%x" % VIRT_PLIC[0])
    plic_ph = fdt.alloc_phandle()
    cells = []
    for h, modes in enumerate(hart_modes):
        for m in modes:
            if m == "M":
                cells += [intc_phandles[h], IRQ_M_EXT]
            elif m == "S":
                cells += [intc_phandles[h], IRQ_S_EXT]
    plic.set("phandle", plic_ph).set("riscv,ndev", plic_ndev).set("reg", _reg(*VIRT_PLIC))
    plic.set("interrupts-extended", cells).set("interrupt-controller")
    plic.set("compatible", ["sifive,plic-1.0.0", "riscv,plic0"])
    plic.set("#address-cells", 0).set("#interrupt-cells", 1)

    if test:
        node = soc.add_node("test@%x" % VIRT_TEST[0])
        test_ph = fdt.alloc_phandle()
        node.set("phandle", test_ph).set("reg", _reg(*VIRT_TEST))
        node.set("compatible", ["sifive,test1", "sifive,test0", "syscon"])
        for name, value, compat in (("poweroff", 0x5555, "syscon-poweroff"),
                                    ("reboot", 0x7777, "syscon-reboot")):
            n = root.add_node(name)
            n.set("value", value).set("offset", 0).set("regmap", test_ph).set("compatible", compat)

    if uart:
        node = soc.add_node("serial@%x" % VIRT_UART0[0])
        node.set("interrupts", UART0_IRQ).set("interrupt-parent", plic_ph)
        node.set("clock-frequency", UART_CLOCK_FREQ).set("reg", _reg(*VIRT_UART0))
        node.set("compatible", "ns16550a")

    if rtc:
        node = soc.add_node("rtc@%x" % VIRT_RTC[0])
        node.set("interrupts", RTC_IRQ).set("interrupt-parent", plic_ph)
        node.set("reg", _reg(*VIRT_RTC)).set("compatible", "google,goldfish-rtc")

    chosen = root.add_node("chosen")
    if stdout_path and uart:
        chosen.set("stdout-path", stdout_path)
    if bootargs:
        chosen.set("bootargs", bootargs)
    if initrd is not None:
        chosen.set("linux,initrd-start", u64_cells(initrd[0]))
        chosen.set("linux,initrd-end", u64_cells(initrd[1]))
    return fdt.to_bytes()


def _aclint_nodes(soc: FdtNode, intc_phandles: List[int]) -> None:
    """QEMU 7.2's ACLINT nodes: the MSWI and the SSWI are interrupt
    controllers (no cells) wired to each hart's M / S software interrupt; the
    MTIMER's reg lists mtime first, then the mtimecmp array."""
    def wired(irq: int) -> List[int]:
        return [cell for ph in intc_phandles for cell in (ph, irq)]

    base = VIRT_CLINT[0]
    mswi = soc.add_node("mswi@%x" % base)
    mswi.set("compatible", "riscv,aclint-mswi").set("reg", _reg(base, ACLINT_SWI_SIZE))
    mswi.set("interrupts-extended", wired(IRQ_M_SOFT)).set("interrupt-controller").set("#interrupt-cells", 0)
    mtimer_base = base + ACLINT_SWI_SIZE
    mtimer = soc.add_node("mtimer@%x" % mtimer_base)
    mtimer.set("compatible", "riscv,aclint-mtimer")
    mtimer.set("reg", _reg(mtimer_base + ACLINT_MTIME, VIRT_CLINT[1] - ACLINT_SWI_SIZE - ACLINT_MTIME)
               + _reg(mtimer_base + ACLINT_MTIMECMP, ACLINT_MTIME))
    mtimer.set("interrupts-extended", wired(IRQ_M_TIMER))
    sswi = soc.add_node("sswi@%x" % VIRT_ACLINT_SSWI[0])
    sswi.set("compatible", "riscv,aclint-sswi").set("reg", _reg(*VIRT_ACLINT_SSWI))
    sswi.set("interrupts-extended", wired(IRQ_S_SOFT)).set("interrupt-controller").set("#interrupt-cells", 0)


def virt_fdt_address(ram_base: int, ram_size: int, fdt_size: int) -> int:
    """Where QEMU 7.2 (riscv_load_fdt) puts the tree: the highest 2 MiB-aligned
    spot below the end of RAM (capped at 3 GiB) that fits it; 0x87e00000 for
    128 MiB at 0x80000000."""
    end = ram_base + ram_size
    top = min(end, 3072 << 20) if ram_base < (3072 << 20) else end
    return (top - fdt_size) & ~((2 << 20) - 1)
