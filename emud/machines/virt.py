"""The RISC-V `virt` board, compatible with QEMU 7.2's for `-bios none`.

Memory map (QEMU's hw/riscv/virt.c, checked with `info mtree -f`):

    0x00001000-0x0000ffff  mrom: reset vector + fw_dynamic info
    0x00100000-0x00100fff  sifive_test (exit / reset)
    0x00101000-0x00101023  goldfish_rtc                          IRQ 11
    0x02000000-0x02003fff  ACLINT SWI (msip per hart)
    0x02004000-0x0200bfff  ACLINT MTIMER (mtimecmp per hart, mtime at 0x200bff8)
    0x02f00000-0x02f03fff  ACLINT SSWI (setssip per hart), only with aclint=on
    0x0c000000-0x0c5fffff  PLIC (96 sources; contexts per hart: M, S)
    0x10000000-0x10000007  ns16550a UART                         IRQ 10
    0x80000000-...         RAM (default 128 MiB); the device tree at the top
                           2 MiB-aligned spot (0x87e00000 with 128 MiB)

Not modelled (accesses fault): virtio-mmio slots, fw_cfg, CFI flash, PCIe.

Reset: every hart starts at 0x1000, where the ROM does what QEMU 7.2's does
with -bios none: a0 = mhartid, a1 = device tree address, a2 = fw_dynamic
info (next_addr: the kernel's lowest load address), jump to the start of
RAM, whatever the ELF's entry point says.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from ..accel.tcg import TcgAccelerator
from ..accel.base import AccelError
from ..cpu.riscv import RiscvCPU, RiscvFrontend
from ..cpu.riscv.cpu import CAUSE_ILLEGAL
from ..cpu.riscv.missing_ext import missing_extension
from ..devices.aclint import AclintMtimer, AclintSswi, AclintSwi
from ..devices.goldfish_rtc import GoldfishRtc
from ..devices.plic import Plic
from ..devices.sifive_test import SifiveTest
from ..devices.uart16550 import Uart16550
from ..fdt import build_virt_dtb, virt_fdt_address
from ..internal import stderr_line
from ..memory import RamRegion, RomRegion
from .base import Machine
from .semihosting_setup import attach_semihosting

MROM_BASE, MROM_SIZE = 0x1000, 0xF000
TEST_BASE = 0x100000
RTC_BASE = 0x101000
ACLINT_SWI_BASE = 0x2000000
ACLINT_MTIMER_BASE = 0x2004000
ACLINT_MTIMER_SIZE = 0x8000
ACLINT_SSWI_BASE = 0x2F00000
PLIC_BASE = 0xC000000
UART_BASE = 0x10000000
UART_SIZE = 8
RAM_BASE = 0x80000000
DEFAULT_RAM_SIZE = 128 << 20
UART_IRQ = 10
RTC_IRQ = 11
FW_DYNAMIC_INFO_MAGIC = 0x4942534F  # "OSBI"
FW_DYNAMIC_INFO_VERSION = 2
FW_DYNAMIC_INFO_NEXT_MODE_S = 1
#: QEMU 7.2's VIRT_CPUS_MAX: the PLIC (2 contexts a hart in 0x600000), the
#: ACLINT and the device tree are sized for it
VIRT_CPUS_MAX = 512

# mip bits the devices drive
MSIP, MTIP, MEIP = 3, 7, 11


def reset_rom(xlen: int, start_addr: int, next_addr: int, fdt_addr: int) -> bytes:
    """QEMU 7.2's riscv_setup_rom_reset_vec() with -bios none, word for word:
    the reset vector jumps to ``start_addr`` (the start of RAM: with -bios
    none that is where the firmware is, whatever the ELF's entry says), with
    a0 = mhartid, a1 = the device tree, a2 = the fw_dynamic info that follows,
    whose next_addr is the kernel's lowest load address (0 without -kernel)."""
    load = 0x0202B583 if xlen == 64 else 0x0202A583      # ld/lw a1, 32(t0)
    load_t0 = 0x0182B283 if xlen == 64 else 0x0182A283   # ld/lw t0, 24(t0)
    words = [
        0x00000297,            # auipc t0, 0
        0x02828613,            # addi  a2, t0, 40  (fw_dynamic info)
        0xF1402573,            # csrr  a0, mhartid
        load, load_t0,
        0x00028067,            # jr t0
        start_addr & 0xFFFFFFFF, start_addr >> 32,
        fdt_addr & 0xFFFFFFFF, fdt_addr >> 32,
    ]
    rom = b"".join(w.to_bytes(4, "little") for w in words)
    # struct fw_dynamic_info { magic, version, next_addr, next_mode, options, boot_hart } in XLEN words
    word = xlen // 8
    info = [FW_DYNAMIC_INFO_MAGIC, FW_DYNAMIC_INFO_VERSION, next_addr, FW_DYNAMIC_INFO_NEXT_MODE_S, 0, 0]
    rom += b"".join(v.to_bytes(word, "little") for v in info)
    return rom


class VirtMachine(Machine):
    name = "virt"

    def __init__(self, xlen: int = 32, ram_size: int = DEFAULT_RAM_SIZE, smp: int = 1,
                 serial=None, icount_shift: Optional[int] = None, log=None,
                 accel: str = "tcg", accel_options: Optional[Dict[str, Any]] = None,
                 semihosting: Optional[Dict[str, Any]] = None, no_reboot: bool = False, aclint: bool = False,
                 icount_adaptive: bool = False, icount_sleep: bool = True, rtc_clock: str = "host") -> None:
        super().__init__(icount_shift, icount_adaptive, icount_sleep)
        if accel != "tcg":
            raise AccelError("accelerator %r is not available (this build has: tcg)" % accel)
        if not 1 <= smp <= VIRT_CPUS_MAX:
            raise ValueError("-smp %d: the max CPUs supported by machine 'virt' is %d" % (smp, VIRT_CPUS_MAX))
        # the -icount settings, as given (the clock honours them, clock.py):
        # shift=auto (QEMU moves the shift, from icount_shift, so that guest
        # time keeps pace with real time) and sleep=on|off (QEMU's default on:
        # idle guest time passes in real time; off: it is skipped)
        self.icount_adaptive = icount_adaptive
        self.icount_sleep = icount_sleep
        self.xlen = xlen
        self.arch_name = "riscv:rv%d" % xlen
        self.ram_base = RAM_BASE
        self.ram_size = ram_size
        self.no_reboot = no_reboot
        self.serial = serial
        self.kernel_addr = 0          # fw_dynamic next_addr: 0 until a kernel is loaded, as QEMU
        self.start_pcs: Dict[int, int] = {}     # -device loader,cpu-num=N: hart N starts there

        bus = self.bus
        self.mrom = RomRegion("riscv_virt_board.mrom", MROM_SIZE)
        bus.map(MROM_BASE, self.mrom)
        self.ram = RamRegion("riscv_virt_board.ram", ram_size)
        bus.map(RAM_BASE, self.ram)

        self.cpus = [RiscvCPU(hart, xlen) for hart in range(smp)]

        self.test = SifiveTest(on_exit=self._guest_exit, on_reset=self._guest_reset)
        self.map_device("sifive_test", TEST_BASE, self.test, 0x1000)
        self.rtc = GoldfishRtc(self.clock, clock_source=rtc_clock)
        self.map_device("goldfish_rtc", RTC_BASE, self.rtc)
        self.swi = AclintSwi(smp)
        self.map_device("aclint-swi", ACLINT_SWI_BASE, self.swi, 0x4000)
        self.mtimer = AclintMtimer(self.clock, smp)
        self.map_device("aclint-mtimer", ACLINT_MTIMER_BASE, self.mtimer, ACLINT_MTIMER_SIZE)
        # -M virt,aclint=on (QEMU: TCG only): the same MSWI and MTIMER, plus an
        # SSWI. Its lines stay unconnected: our harts have no S-mode, so no
        # SSIP for it to set (docs/COMPATIBILITY.md)
        self.aclint = aclint
        self.sswi = AclintSswi(smp) if aclint else None
        if self.sswi is not None:
            self.map_device("aclint-sswi", ACLINT_SSWI_BASE, self.sswi)
        self.plic = Plic(smp)
        self.map_device("plic", PLIC_BASE, self.plic)
        self.uart = Uart16550(serial, self.clock)
        self.map_device("serial", UART_BASE, self.uart, UART_SIZE)
        self.uart.output_listeners.append(self.uart_output)
        # -d guest_errors: the devices and the bus report bad accesses to the log
        for device, _, _ in self.devices_by_name.values():
            device.guest_log = log
        bus.guest_log = log

        for cpu in self.cpus:
            h = cpu.hart_id
            cpu.read_time = self.mtimer.read_time
            self.swi.msip_irqs[h].connect(self._irq_sink(cpu, MSIP))
            self.mtimer.mtip_irqs[h].connect(self._irq_sink(cpu, MTIP))
            self.plic.context_irqs[self.plic.context_of(h, "M")].connect(self._irq_sink(cpu, MEIP))
        self.uart.irq.connect(lambda level: self.plic.set_irq(UART_IRQ, level))
        self.rtc.irq.connect(lambda level: self.plic.set_irq(RTC_IRQ, level))

        if semihosting is not None:
            attach_semihosting(self, semihosting)

        self.frontend = RiscvFrontend(xlen)
        self.accel = TcgAccelerator(self.frontend, bus, log=log, options=accel_options)
        self.trap_listeners.append(self._explain_missing_extension)
        self.dtb = build_virt_dtb(RAM_BASE, ram_size, smp, isa=self.isa_string(),
                                  plic_hart_config=self.plic.hart_config, aclint=aclint)
        self.fdt_addr = virt_fdt_address(RAM_BASE, ram_size, len(self.dtb))
        self.finish_init()
        self.board_reset()

    def _explain_missing_extension(self, hart: int, cause: int, pc: int, is_interrupt: bool) -> None:
        """One line, the first time a hart traps on an instruction of an
        extension emud does not implement (floating point): the guest sees
        QEMU's trap for a CPU without it, the user learns why it hangs."""
        if is_interrupt or cause != CAUSE_ILLEGAL:
            return
        cpu = self._cpu(hart)
        insn = cpu.mtval
        ext = missing_extension(insn, self.xlen)
        if ext is None:
            return
        self.trap_listeners.remove(self._explain_missing_extension)
        stderr_line("hart %d: the instruction 0x%x at 0x%x needs the %s extension, which emud's "
                    "harts do not have (%s): it traps as an illegal instruction, as on QEMU with "
                    "-cpu rv%d,f=false,d=false" % (hart, insn, pc, ext, self.isa_string(), self.xlen))

    def qmp_cpu_info(self, hart: int) -> Dict[str, Any]:
        # QEMU 7.2's virt: one socket, its harts in soc0's array
        return {"qom-path": "/machine/soc0/harts[%d]" % hart, "props": {"core-id": hart},
                "target": "riscv%d" % self.xlen}

    def isa_string(self) -> str:
        return "rv%dimac_zicsr_zifencei" % self.xlen

    def _irq_sink(self, cpu, bit: int) -> Callable[[int], None]:
        def sink(level: int) -> None:
            cpu.set_irq(bit, level)
            self.kick()
        return sink

    def _guest_exit(self, code: int) -> None:
        self.request_shutdown(code)

    def _guest_reset(self) -> None:
        if self.no_reboot:
            self.request_shutdown(0)
        else:
            self.request_guest_reset()

    # -- what the command line asks of a machine class (cli.py, via the registry) --
    @staticmethod
    def load_kernel(path: str):
        """-kernel: an ELF where it says, or a raw binary at the start of RAM."""
        from ..loader import is_elf, load_elf, load_raw
        return load_elf(path) if is_elf(path) else load_raw(path, RAM_BASE)

    @staticmethod
    def cpu_properties(cpu: Optional[str], image, kernel: Optional[str]) -> Dict[str, Any]:
        """-cpu rv32|rv64 (the ELF's class without it): the constructor's xlen."""
        xlen = getattr(image, "xlen", None)
        if cpu:
            name = cpu.split(",")[0].lower()
            if name.startswith("rv32"):
                cpu_xlen = 32
            elif name.startswith("rv64") or name in ("any", "max"):
                cpu_xlen = 64
            else:
                raise ValueError("-cpu %s: unknown CPU (use rv32 or rv64)" % cpu)
            if xlen is not None and xlen != cpu_xlen:
                raise ValueError("-cpu %s cannot run %s: it is an ELF%d file" % (cpu, kernel, xlen))
            xlen = cpu_xlen
        return {"xlen": xlen or 32}

    def attach_serial(self, chardev) -> None:
        self.uart.set_chardev(chardev)

    def load_image(self, image) -> None:
        """As QEMU's loader (ROM blobs copied with address_space_write_rom):
        the parts of a segment that fall on no RAM are dropped, e.g. the ELF
        headers that ``-Ttext=0x80000000`` puts in a first segment just below
        RAM. A segment with no byte in RAM is refused: nothing of it could run."""
        import dataclasses

        from ..loader import LoaderError, Segment
        pieces = []
        for seg in image.segments:
            data = seg.data + bytes(seg.memsz - len(seg.data))
            inside = [Segment(lo, data[lo - seg.addr:hi - seg.addr], hi - lo)
                      for lo, hi in self._ram_spans(seg.addr, seg.addr + seg.memsz)]
            if not inside:
                raise LoaderError("%s: segment at 0x%x-0x%x does not fit in the machine's memory (RAM is 0x%x-0x%x)"
                                  % (image.path, seg.addr, seg.addr + seg.memsz - 1, RAM_BASE,
                                     RAM_BASE + self.ram_size - 1))
            pieces += inside
        for seg in pieces:
            if seg.addr < self.fdt_addr + len(self.dtb) and self.fdt_addr < seg.addr + seg.memsz:
                raise LoaderError("%s: segment 0x%x-0x%x overlaps the device tree at 0x%x "
                                  "(give the machine more RAM with -m)" % (
                                      image.path, seg.addr, seg.addr + seg.memsz - 1, self.fdt_addr))
        super().load_image(dataclasses.replace(image, segments=pieces))

    def _ram_spans(self, start: int, end: int):
        for base, region in self.bus.ram_regions():
            lo, hi = max(start, base), min(end, base + region.size)
            if lo < hi:
                yield lo, hi

    def set_kernel(self, next_addr: int) -> None:
        """The kernel's address for the fw_dynamic info (the hart still starts
        at the start of RAM, as QEMU's with -bios none)."""
        self.kernel_addr = next_addr
        self.board_reset()

    set_entry = set_kernel      # the older name

    def start_hart_at(self, hart: int, addr: int) -> None:
        """-device loader,cpu-num=N: hart N starts at ``addr`` on every reset
        instead of the reset ROM (QEMU's generic loader sets its pc)."""
        if not 0 <= hart < len(self.cpus):
            from ..loader import LoaderError
            raise LoaderError("-device loader: cpu-num=%d, but the machine has %d hart(s)" % (hart, len(self.cpus)))
        self.start_pcs[hart] = addr
        self.board_reset()

    def board_reset(self) -> None:
        self.mrom.load(0, bytes(MROM_SIZE))
        self.mrom.load(0, reset_rom(self.xlen, RAM_BASE, self.kernel_addr, self.fdt_addr))
        self.bus.write_bytes(self.fdt_addr, self.dtb)
        for cpu in self.cpus:
            cpu.pc = self.start_pcs.get(cpu.hart_id, MROM_BASE)
