"""A Cortex-M machine: a board (memory map and devices, cortexm_board.py) plus
the Cortex-M3 core, its NVIC (with SCS/SCB/MPU at 0xE000E000) and SysTick,
in the generic Machine (base.py), as QEMU's armv7m container puts them
together.

The core and the NVIC come from emud/cpu/arm and emud/devices/armv7m_nvic.py
(written alongside this file); :func:`_core_parts` is the one place that
imports them, so a build without them fails here with one clear line.
Reset is the architecture's: the core loads SP and PC from the vector table
at VTOR (0 at reset), from the image already in memory.

-d guest_errors: the -d/-D log reaches every device and the bus, whose page
rule uses M-profile QEMU's 1 KiB target pages.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..accel.base import AccelError
from .base import Machine
from .cortexm_board import map_unimplemented
from .semihosting_setup import attach_semihosting

NVIC_BASE = 0xE000E000
PPB_BASE, PPB_SIZE = 0xE0000000, 0x100000
#: the machine properties QEMU 7.2 gives every machine (qemu-system-arm -M mps2-an385,help):
#: accepted on these boards, none changes them; the booleans must be on or off
QEMU_MACHINE_PROPERTIES = ("append", "boot", "confidential-guest-support", "dt-compatible", "dtb",
                           "dump-guest-core", "dumpdtb", "firmware", "graphics", "initrd", "kernel", "mem-merge",
                           "memory-backend", "memory-encryption", "memory", "phandle-start", "smp",
                           "suppress-vmdesc", "usb")
#: (graphics= is read by vl.c itself, which takes any value)
QEMU_BOOL_PROPERTIES = ("dump-guest-core", "mem-merge", "suppress-vmdesc", "usb")
#: -cpu names emud's core can be (QEMU's lm3s6965evb takes any M core)
CPU_PROFILES = {"cortex-m3": "v7m", "cortex-m0": "v6m"}


class CortexMUnavailable(AccelError):
    """The Cortex-M core is not part of this build (one line for the user)."""


def _core_parts():
    try:
        from ..cpu.arm import ArmCPU, ThumbFrontend
        from ..devices.armv7m_nvic import ArmV7MNvic
        from ..devices.armv7m_systick import ArmV7MSysTick
    except ImportError as e:
        raise CortexMUnavailable("the Cortex-M core is not available in this build (%s)" % e) from None
    return ArmCPU, ThumbFrontend, ArmV7MNvic, ArmV7MSysTick


class CortexMMachine(Machine):
    """Subclasses set ``name``, ``board_class``, ``num_irq``, ``prio_bits``,
    ``cpu_hz``, ``refclk_hz`` (0: SysTick has no reference clock) and
    ``ram_base``/``ram_size`` (what -kernel errors quote)."""

    board_class: Any = None
    num_irq = 32
    prio_bits = 8          # QEMU 7.2's NVIC implements all 8 on every board
    cpu_hz = 25_000_000
    refclk_hz = 0
    profile = "v7m"        # Cortex-M3
    cpu_models = tuple(CPU_PROFILES)    # what -cpu may name; the default first
    arch_name = "arm"
    xlen = 32
    #: where QEMU's QOM tree has the core (query-cpus-fast)
    cpu_qom_path = "/machine/armv7m/cpu"
    #: QEMU's MachineClass.ignore_memory_transaction_failures (legacy boards):
    #: a data access nothing answers (or a device refuses) reads as zero and
    #: writes are dropped, no BusFault
    ignore_memory_transaction_failures = False

    def __init__(self, serials=(), icount_shift: Optional[int] = None, icount_adaptive: bool = False,
                 icount_sleep: bool = True, log=None, accel: str = "tcg",
                 accel_options: Optional[Dict[str, Any]] = None, semihosting=None, no_reboot: bool = False,
                 smp: int = 1, profile: Optional[str] = None, **_ignored) -> None:
        super().__init__(icount_shift, icount_adaptive, icount_sleep)
        if accel != "tcg":
            raise AccelError("accelerator %r is not available (this build has: tcg)" % accel)
        if smp != 1:
            raise ValueError("Invalid SMP CPUs %d. The max CPUs supported by machine '%s' is 1" % (smp, self.name))
        self.profile = profile or self.profile
        ArmCPU, ThumbFrontend, ArmV7MNvic, ArmV7MSysTick = _core_parts()
        from ..accel.tcg import TcgAccelerator
        self.no_reboot = no_reboot
        cpu = ArmCPU(0, self.profile)
        cpu.bus = self.bus
        cpu.ignore_memory_transaction_failures = self.ignore_memory_transaction_failures
        cpu.log = log
        self.cpus = [cpu]
        self.systick = ArmV7MSysTick(self.clock, cpu_hz=self.cpu_hz, ref_hz=self.refclk_hz or None)
        # realtime: an instruction takes at least a cycle of the core's clock (clock.py)
        self.clock.set_cpu_hz(self.cpu_hz)
        self.nvic = ArmV7MNvic(cpu, num_irq=self.num_irq, prio_bits=self.prio_bits, systick=self.systick,
                               on_reset_request=self._guest_reset, on_pending=self.kick)
        self.board = self.board_class(self, self._nvic_input, self.nvic.nmi.set, self._guest_reset, serials)
        self.connect_clocks()
        self.map_device("nvic", NVIC_BASE, self.nvic)
        # the rest of the PPB reads as zero and ignores writes, as QEMU 7.2's
        # "nvic-default" (which logs it under -d unimp, not guest_errors)
        map_unimplemented(self, "nvic-default", PPB_BASE, PPB_SIZE, priority=-1)
        # SysTick answers inside the SCS window (the NVIC forwards 0x10-0x1f) but
        # resets and snapshots as a device of its own, as QEMU's armv7m has it
        self.devices_by_name["systick"] = (self.systick, NVIC_BASE + 0x10, 0x10)
        for uart in self.board.uarts:
            uart.output_listeners.append(self.uart_output)
        # -d guest_errors: the devices and the bus report bad accesses to the log;
        # M-profile QEMU has 1 KiB target pages (the bus's subpage rule)
        for device, _, _ in self.devices_by_name.values():
            device.guest_log = log
        self.bus.guest_log = log
        self.bus.page_bits = 10
        if semihosting is not None:
            attach_semihosting(self, semihosting)
        self.frontend = ThumbFrontend(self.profile)
        self.accel = TcgAccelerator(self.frontend, self.bus, log=log, options=accel_options)
        self.finish_init()
        # QEMU resets the core once as the machine is built, before the loader puts the
        # image in memory (-d int: "Loaded reset SP 0x0 PC 0x0"); load_image resets it again
        cpu.reset()

    def qmp_cpu_info(self, hart: int) -> Dict[str, Any]:
        return {"qom-path": self.cpu_qom_path, "target": "arm"}

    def hart_description(self, hart: int) -> str:
        # the monitor's words too ("hart" is RISC-V's)
        return self.thread_extra_info(hart)

    def connect_clocks(self) -> None:
        """A board whose processor clock changes connects SysTick and the
        guest clock's per-instruction bound (clock.set_cpu_hz) to it here."""

    def _nvic_input(self, n: int):
        return self.nvic.irq(n).set

    def _guest_reset(self) -> None:
        if self.no_reboot:
            self.request_shutdown(0)
        else:
            self.request_guest_reset()

    def attach_serial(self, chardev, index: int = 0) -> None:
        """UART ``index`` on ``chardev`` (the index-th -serial), as QEMU's serial_hd(index)."""
        self.board.uarts[index].set_chardev(chardev)

    # -- what the command line asks of a machine class (cli.py, via the registry) --
    @staticmethod
    def load_kernel(path: str):
        """QEMU's armv7m_load_kernel: an ELF where its segments say, or a raw image at 0."""
        from ..loader import is_elf, load_elf, load_raw
        return load_elf(path, expect_machine="EM_ARM") if is_elf(path) else load_raw(path, 0)

    @classmethod
    def cpu_properties(cls, cpu: Optional[str], image, kernel: Optional[str]) -> Dict[str, Any]:
        """-cpu: the cores the board takes, as the constructor's profile."""
        if not cpu:
            return {}
        name = cpu.split(",")[0].lower()
        if name not in CPU_PROFILES:
            raise ValueError("unable to find CPU model '%s' (emud has: %s)" % (name, ", ".join(CPU_PROFILES)))
        if name not in cls.cpu_models:
            raise ValueError("This board can only be used with CPU %s-arm-cpu" % cls.cpu_models[0])
        return {"profile": CPU_PROFILES[name]}

    #: the RAM size -m must name (QEMU's MPS2 boards check it), None: -m is ignored (lm3s)
    fixed_ram_size: Optional[int] = None

    @classmethod
    def check_ram_size(cls, size: Optional[int]) -> None:
        """-m SIZE (None: not given) as QEMU's board init takes it: ValueError with its line."""
        if size and cls.fixed_ram_size is not None and size != cls.fixed_ram_size:
            raise ValueError("Invalid RAM size, should be %d MiB" % (cls.fixed_ram_size >> 20))

    @classmethod
    def check_machine_property(cls, name: str, value: str) -> None:
        """-M BOARD,NAME=VALUE as QEMU 7.2 takes it: its generic machine properties are
        accepted (and change nothing here), anything else refused with QEMU's line."""
        if name not in QEMU_MACHINE_PROPERTIES:
            raise ValueError("Property '%s-machine.%s' not found" % (cls.name, name))
        if name in QEMU_BOOL_PROPERTIES and value not in ("on", "off", "yes", "no", "true", "false"):
            raise ValueError("Parameter '%s' expects 'on' or 'off'" % name)
        if name == "memory-backend":
            raise ValueError("Memory backend '%s' not found" % value)

    def set_kernel(self, next_addr: int) -> None:
        """Nothing to point at the kernel: the core starts from its vector table."""

    def start_hart_at(self, hart: int, addr: int) -> None:
        from ..loader import LoaderError
        raise LoaderError("-device loader,cpu-num=%d: not supported on %s (the core starts from the "
                          "vector table at 0)" % (hart, self.name))

    def load_image(self, image) -> None:
        # the core takes SP and PC from the vector table the image brings
        super().load_image(image)
        for cpu in self.cpus:
            cpu.reset()

