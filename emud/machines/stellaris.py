"""`-M lm3s6965evb`: QEMU 7.2's Stellaris LM3S6965 evaluation board
(Cortex-M3, 64 external IRQs, 8 priority bits as QEMU 7.2 has them: the
real part implements 3). The CPU clock is ssys's system clock (12.5 MHz
at reset, set by RCC/RCC2); SysTick has no external reference clock, as on
QEMU. The map and devices: stellaris_board.py.

``nic_mac``: the first network card's MAC address, which ssys's USER0/USER1
show (QEMU's stellaris.c reads nd_table[0]): QEMU's default NIC has
52:54:00:12:34:56; with -nic none, -net none or -nodefaults there is none
and the registers read 0 (the ethernet keeps the default MAC either way)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from .cortexm import CortexMMachine
from .stellaris_board import NUM_IRQ, SRAM_BASE, SRAM_SIZE, Lm3s6965Board

QEMU_DEFAULT_MAC = bytes((0x52, 0x54, 0x00, 0x12, 0x34, 0x56))


class Lm3s6965Machine(CortexMMachine):
    name = "lm3s6965evb"
    description = "Stellaris LM3S6965EVB (Cortex-M3)"
    board_class = Lm3s6965Board
    num_irq = NUM_IRQ
    cpu_hz = 12_500_000
    refclk_hz = 0
    uart_count = 3       # PL011 UART 0-2, one per -serial in turn
    cpu_qom_path = "/machine/unattached/device[1]/cpu"     # QEMU's armv7m is not a child of the board
    ram_base, ram_size = SRAM_BASE, SRAM_SIZE
    # as QEMU's stellaris.c sets for both Stellaris boards: a load from
    # 0x60000000 (nothing there) reads 0, with no BusFault
    ignore_memory_transaction_failures = True
    # -nic user and the like: its ethernet has nothing to connect to (cli.py)
    network_lacks = "has no network backend for its ethernet"

    def __init__(self, *args: Any, nic_mac: Optional[bytes] = QEMU_DEFAULT_MAC, **kwargs: Any) -> None:
        self.nic_mac = nic_mac      # (the board reads it as it is built)
        super().__init__(*args, **kwargs)

    @staticmethod
    def nic_properties(default_nic: bool) -> Dict[str, Any]:
        """The command line's network: with QEMU's default NIC or none at all."""
        return {} if default_nic else {"nic_mac": None}

    @property
    def display(self):
        # the OLED on the SSI bus: QEMU's graphic console 0 for this board
        return self.board.oled

    def connect_clocks(self) -> None:
        # SysTick counts ssys's system clock (QEMU: the NVIC's cpuclk is ssys's SYSCLK)
        self.board.ssys.add_clock_listener(self.systick.set_cpu_clock_hz)
        self.board.ssys.add_clock_listener(self.clock.set_cpu_hz)
