"""The MPS2 AN385 board's memory map and devices, as QEMU 7.2's hw/arm/mps2.c
builds `-M mps2-an385` (checked with `info mtree -f` and `info qtree`).

    0x00000000-0x003fffff  SSRAM1 (4 MiB; mirrored at 0x00400000)
    0x01000000-0x01003fff  block RAM (16 KiB, mirrored 3 times up to 0x0100ffff)
    0x20000000-0x203fffff  SSRAM2/3 (4 MiB; mirrored at 0x20400000)
    0x21000000-0x21ffffff  PSRAM (16 MiB, QEMU's "system memory")
    0x22000000, 0x42000000 bit-band aliases of 0x20000000 and 0x40000000
    0x40000000, 0x40001000 CMSDK APB timer 0, 1              IRQ 8, 9
    0x40002000             CMSDK APB dual timer               IRQ 10
    0x40004000.. 0x40007000, 0x40009000  CMSDK APB UART 0-4   RX/TX IRQ 0/1, 2/3,
                           4/5, 18/19, 20/21; the overrun IRQs of UARTs 0-2 ORed to 12
    0x40008000             CMSDK APB watchdog                 NMI
    0x40028000             FPGAIO (LEDs, buttons, 1 Hz / 100 Hz / prescaled counters)
    0x4002f000             SCC
    RAZ/WI (QEMU's unimplemented devices): 0x00800000-0x00ffffff, 0x01010000-
    0x1fffffff, 0x20800000-0x20ffffff, the APB/AHB/extra peripheral windows
    0x40000000-0x4002ffff where no device is modelled (GPIO 0x40010000-0x40013fff,
    I2S), 0x40030000-0x401fffff, VGA 0x41000000-0x411fffff.

Everything else faults, as on the board. Not modelled (QEMU has them; here
they read as zero like the window they sit in): the PL022 SPI controllers
at 0x40020000/0x40021000/0x40025000-0x40027000 and the SBCon I2C at
0x40022000/0x40023000/0x40029000/0x4002a000. The LAN9118 ethernet at
0x40200000 is not modelled and faults.
"""
from __future__ import annotations

from typing import Callable, List, Sequence

from ..devices.cmsdk_dualtimer import CmsdkDualTimer
from ..devices.cmsdk_timer import CmsdkTimer
from ..devices.cmsdk_uart import CmsdkUart
from ..devices.cmsdk_watchdog import CmsdkWatchdog
from ..devices.mps2_fpgaio import Mps2FpgaIO
from ..devices.mps2_scc import Mps2Scc
from ..devices.or_irq import OrIrq
from ..memory import RamRegion
from .cortexm_board import IrqSink, map_bitband, map_unimplemented

SYSCLK_HZ = 25_000_000
NUM_IRQ = 32
UART_BASES = (0x40004000, 0x40005000, 0x40006000, 0x40007000, 0x40009000)
UART_RX_IRQS = (0, 2, 4, 18, 20)      # TX is always the next one
UART_OVERFLOW_IRQ = 12
TIMER_IRQS = (8, 9)
DUALTIMER_IRQ = 10
SCC_ID, SCC_AID, SCC_CFG4 = 0x41043850, 0x00200008, 0x2
SCC_OSCCLK = (50_000_000, 24_576_000, 25_000_000)

#: (name, base, size) of QEMU's placeholders, in the order QEMU creates them
UNIMPLEMENTED = (
    ("RESERVED 1", 0x00800000, 0x00800000),
    ("RESERVED 2", 0x01010000, 0x1EFF0000),
    ("RESERVED 3", 0x20800000, 0x00800000),
    ("CMSDK APB peripheral region @0x40000000", 0x40000000, 0x00010000),
    ("CMSDK AHB peripheral region @0x40010000", 0x40010000, 0x00010000),
    ("Extra peripheral region @0x40020000", 0x40020000, 0x00010000),
    ("RESERVED 4", 0x40030000, 0x001D0000),
    ("VGA", 0x41000000, 0x00200000),
    ("cmsdk-ahb-gpio", 0x40010000, 0x1000),
    ("cmsdk-ahb-gpio", 0x40011000, 0x1000),
    ("cmsdk-ahb-gpio", 0x40012000, 0x1000),
    ("cmsdk-ahb-gpio", 0x40013000, 0x1000),
    ("i2s", 0x40024000, 0x400),
)


class Mps2An385Board:
    def __init__(self, host, irq: Callable[[int], IrqSink], nmi: IrqSink,
                 request_reset: Callable[[], None], serials: Sequence = ()) -> None:
        bus, clock = host.bus, host.clock
        self.ram_regions: List[RamRegion] = []
        self.ssram1 = self._ram(bus, "mps.ssram1", 0x0, 0x400000, mirrors=(0x400000,))
        self.blockram = self._ram(bus, "mps.blockram", 0x01000000, 0x4000,
                                  mirrors=(0x01004000, 0x01008000, 0x0100C000))
        self.ssram23 = self._ram(bus, "mps.ssram23", 0x20000000, 0x400000, mirrors=(0x20400000,))
        self.psram = self._ram(bus, "mps.ram", 0x21000000, 0x1000000)
        for name, base, size in UNIMPLEMENTED:
            map_unimplemented(host, name, base, size)
        map_bitband(host)

        overflow = OrIrq(6, "uart-overflow")
        overflow.out.connect(irq(UART_OVERFLOW_IRQ))
        self.uarts: List[CmsdkUart] = []
        for i, (base, rx) in enumerate(zip(UART_BASES, UART_RX_IRQS)):
            uart = CmsdkUart(serials[i] if i < len(serials) else None, SYSCLK_HZ, name="uart%d" % i)
            uart.rxint.connect(irq(rx))
            uart.txint.connect(irq(rx + 1))
            if i < 3:
                uart.txovrint.connect(overflow.input(2 * i))
                uart.rxovrint.connect(overflow.input(2 * i + 1))
            host.map_device("uart%d" % i, base, uart)
            self.uarts.append(uart)

        self.timers = []
        for i, n in enumerate(TIMER_IRQS):
            timer = CmsdkTimer(clock, SYSCLK_HZ, name="timer%d" % i)
            timer.irq.connect(irq(n))
            host.map_device("timer%d" % i, 0x40000000 + 0x1000 * i, timer)
            self.timers.append(timer)
        self.dualtimer = CmsdkDualTimer(clock, SYSCLK_HZ)
        self.dualtimer.timintc.connect(irq(DUALTIMER_IRQ))
        host.map_device("dualtimer", 0x40002000, self.dualtimer)
        self.watchdog = CmsdkWatchdog(clock, SYSCLK_HZ, on_reset=request_reset)
        self.watchdog.irq.connect(nmi)
        host.map_device("watchdog", 0x40008000, self.watchdog)
        self.scc = Mps2Scc(SCC_ID, SCC_AID, SCC_CFG4, SCC_OSCCLK)
        host.map_device("scc", 0x4002F000, self.scc)
        self.fpgaio = Mps2FpgaIO(clock, prescale_clk=SYSCLK_HZ, num_leds=2)
        host.map_device("fpgaio", 0x40028000, self.fpgaio)

    def _ram(self, bus, name: str, base: int, size: int, mirrors=()) -> RamRegion:
        region = RamRegion(name, size)
        for at in (base,) + tuple(mirrors):
            bus.map(at, region)
        self.ram_regions.append(region)
        return region
