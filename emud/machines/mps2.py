"""`-M mps2-an385`: QEMU 7.2's MPS2 with the AN385 FPGA image (Cortex-M3,
25 MHz, 32 external IRQs). The map and devices: mps2_board.py."""
from __future__ import annotations

from .cortexm import CortexMMachine
from .mps2_board import NUM_IRQ, SYSCLK_HZ, Mps2An385Board

#: SysTick's external reference clock on QEMU's mps2 (armv7m refclk)
REFCLK_HZ = 1_000_000


class Mps2An385Machine(CortexMMachine):
    name = "mps2-an385"
    description = "ARM MPS2 with AN385 FPGA image for Cortex-M3"
    board_class = Mps2An385Board
    num_irq = NUM_IRQ
    cpu_hz = SYSCLK_HZ
    refclk_hz = REFCLK_HZ
    cpu_models = ("cortex-m3",)       # QEMU's mps2 refuses any other
    uart_count = 5       # CMSDK UART 0-4, one per -serial in turn (QEMU takes 4 at most)
    ram_base, ram_size = 0x0, 0x400000
    fixed_ram_size = 16 << 20         # QEMU: "Invalid RAM size, should be 16 MiB" for any other -m
