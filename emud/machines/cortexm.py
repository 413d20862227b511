"""A Cortex-M machine: a board (memory map and devices, cortexm_board.py) plus
the Cortex-M3 core, its NVIC (with SCS/SCB/MPU at 0xE000E000) and SysTick,
in the generic Machine (base.py), as QEMU's armv7m container puts them
together.

The core and the NVIC come from emud/cpu/arm and emud/devices/armv7m_nvic.py
(written alongside this file); :func:`_core_parts` is the one place that
imports them, so a build without them fails here with one clear line.
Reset is the architecture's: the core loads SP and PC from the vector table
at VTOR (0 at reset), from the image already in memory.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..accel.base import AccelError
from .base import Machine
from .semihosting_setup import attach_semihosting

NVIC_BASE = 0xE000E000


class CortexMUnavailable(AccelError):
    """The Cortex-M core is not part of this build (one line for the user)."""


def _core_parts():
    try:
        from ..cpu.arm import CortexMCPU, ArmFrontend          # type: ignore[attr-defined]
        from ..devices.armv7m_nvic import Nvic                  # type: ignore[import]
        from ..devices.armv7m_systick import SysTick            # type: ignore[import]
    except ImportError as e:
        raise CortexMUnavailable("the Cortex-M core is not available in this build (%s)" % e) from None
    return CortexMCPU, ArmFrontend, Nvic, SysTick


class CortexMMachine(Machine):
    """Subclasses set ``name``, ``board_class``, ``num_irq``, ``prio_bits``,
    ``cpu_hz``, ``refclk_hz`` and ``ram_base``/``ram_size`` (what -kernel
    errors quote)."""

    board_class: Any = None
    num_irq = 32
    prio_bits = 3          # the Cortex-M3's, in QEMU
    arch_name = "arm"
    xlen = 32

    def __init__(self, serials=(), icount_shift: Optional[int] = None, log=None, accel: str = "tcg",
                 accel_options: Optional[Dict[str, Any]] = None, semihosting=None, no_reboot: bool = False,
                 **_ignored) -> None:
        super().__init__(icount_shift)
        if accel != "tcg":
            raise AccelError("accelerator %r is not available (this build has: tcg)" % accel)
        CortexMCPU, ArmFrontend, Nvic, SysTick = _core_parts()
        from ..accel.tcg import TcgAccelerator
        self.no_reboot = no_reboot
        self.nvic = Nvic(num_irq=self.num_irq, prio_bits=self.prio_bits)
        self.board = self.board_class(self, self._nvic_input, self._nmi, self._guest_reset, serials)
        self.systick = SysTick(self.clock, self.systick_clock_hz())
        self.cpus = [CortexMCPU(0)]
        self.nvic.attach(self.cpus[0], self.systick)
        self.map_device("nvic", NVIC_BASE, self.nvic, 0x1000)
        for uart in self.board.uarts:
            uart.output_listeners.append(self.uart_output)
        if semihosting is not None:
            attach_semihosting(self, semihosting)
        self.frontend = ArmFrontend()
        self.accel = TcgAccelerator(self.frontend, self.bus, log=log, options=accel_options)
        self.finish_init()

    def systick_clock_hz(self) -> float:
        return self.cpu_hz

    def _nvic_input(self, n: int):
        line = self.nvic.irq(n)

        def sink(level: int) -> None:
            line.set(level)
            self.kick()
        return sink

    def _nmi(self, level: int) -> None:
        self.nvic.set_nmi(level)
        self.kick()

    def _guest_reset(self) -> None:
        if self.no_reboot:
            self.request_shutdown(0)
        else:
            self.request_guest_reset()

    def board_reset(self) -> None:
        # the core reads SP and PC from the vector table at VTOR on its reset
        for cpu in self.cpus:
            cpu.reset_from_vector_table(self.bus)


def load_kernel(path: str):
    """QEMU's armv7m_load_kernel: an ELF where its segments say, or a raw image at 0."""
    from ..loader import is_elf, load_elf, load_raw
    return load_elf(path, expect_machine="EM_ARM") if is_elf(path) else load_raw(path, 0)
