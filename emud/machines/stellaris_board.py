"""The lm3s6965evb board's memory map and devices, as QEMU 7.2's
hw/arm/stellaris.c builds `-M lm3s6965evb` (checked with `info mtree -f` and
`info qtree`).

    0x00000000-0x0003ffff  flash, 256 KiB (read-only to the guest)
    0x20000000-0x2000ffff  SRAM, 64 KiB
    0x22000000, 0x42000000 bit-band aliases of 0x20000000 and 0x40000000
    0x40000000             watchdog (the Luminary CMSDK variant)     IRQ 18
    0x40008000             SSI (PL022)                               IRQ 7
                           on its bus: the SSD0323 OLED (chip select GPIO D0,
                           active high; data/command GPIO C7) and the SD card
                           adapter, no card (chip select D0, active low)
    0x40020000             I2C master, nothing on its bus            IRQ 8
    0x40038000             ADC, triggered by the GPTMs               IRQ 14-17
    0x40048000             ethernet, with no network (QEMU's -nic none)  IRQ 42
    0x40004000-0x40007000, 0x40024000-0x40026000  GPIO A-G (PL061)  IRQ 0-4, 30, 31
    0x4000c000, 0x4000d000, 0x4000e000  UART 0-2 (PL011)           IRQ 5, 6, 33
    0x40030000-0x40033000  GPTM timers 0-3                          IRQ 19, 21, 23, 35
    0x400fe000             system control (ssys)                    IRQ 28
    RAZ/WI (QEMU's unimplemented devices): I2C-0 0x40002000, I2C-2 0x40021000,
    PWM 0x40028000, QEI-0/1 0x4002c000/0x4002d000, analogue comparator
    0x4003c000, hibernation 0x400fc000, flash control 0x400fd000.

Everything else reads as zero and ignores writes, with no BusFault: QEMU's
stellaris.c sets ignore_memory_transaction_failures (Lm3s6965Machine does
too). Not modelled: the gamepad (QEMU's keys on GPIO E0-3/F1: no display
here), a network behind the ethernet.
The system clock (ssys) drives the GPTMs, the watchdog and SysTick.
"""
from __future__ import annotations

from typing import Callable, List, Sequence

from ..devices.cmsdk_watchdog import CmsdkWatchdog
from ..devices.pl011 import Pl011
from ..devices.pl022 import Pl022
from ..devices.pl061 import Pl061
from ..devices.ssd0323 import Ssd0323
from ..devices.ssi_sd import SsiSd
from ..devices.stellaris_adc import StellarisAdc
from ..devices.stellaris_enet import StellarisEnet
from ..devices.stellaris_i2c import StellarisI2c
from ..devices.stellaris_gptm import StellarisGptm
from ..devices.stellaris_sysctl import StellarisSysCtl, user_regs_for_mac
from ..memory import RamRegion, RomRegion
from .cortexm_board import IrqSink, map_bitband, map_unimplemented

NUM_IRQ = 64
FLASH_SIZE = 256 << 10
SRAM_BASE, SRAM_SIZE = 0x20000000, 64 << 10
UART_BASES, UART_IRQS = (0x4000C000, 0x4000D000, 0x4000E000), (5, 6, 33)
GPIO_BASES = (0x40004000, 0x40005000, 0x40006000, 0x40007000, 0x40024000, 0x40025000, 0x40026000)
GPIO_IRQS = (0, 1, 2, 3, 4, 30, 31)
GPTM_IRQS = (19, 21, 23, 35)
WATCHDOG_IRQ, SSYS_IRQ = 18, 28
SSI_IRQ, I2C_IRQ, ADC_IRQS, ENET_IRQ = 7, 8, (14, 15, 16, 17), 42
GPIO_C, GPIO_D = 2, 3
#: lm3s6965's identification registers, as QEMU's board table has them
SSYS_IDS = dict(did0=0x10010002, did1=0x1073402E,
                dc=[0x00FF007F, 0x001133FF, 0x030F5317, 0x0F0F87FF, 0x5000007F])

UNIMPLEMENTED = (
    ("i2c-0", 0x40002000, 0x1000), ("i2c-2", 0x40021000, 0x1000), ("PWM", 0x40028000, 0x1000),
    ("QEI-0", 0x4002C000, 0x1000), ("QEI-1", 0x4002D000, 0x1000),
    ("analogue-comparator", 0x4003C000, 0x1000), ("hibernation", 0x400FC000, 0x1000),
    ("flash-control", 0x400FD000, 0x1000),
)


class Lm3s6965Board:
    def __init__(self, host, irq: Callable[[int], IrqSink], nmi: IrqSink,
                 request_reset: Callable[[], None], serials: Sequence = ()) -> None:
        bus, clock = host.bus, host.clock
        self.flash = RomRegion("stellaris.flash", FLASH_SIZE)
        bus.map(0, self.flash)
        self.sram = RamRegion("stellaris.sram", SRAM_SIZE)
        bus.map(SRAM_BASE, self.sram)
        for name, base, size in UNIMPLEMENTED:
            map_unimplemented(host, name, base, size)
        map_bitband(host)

        # USER0/USER1: the network card's MAC (the host's nic_mac; none: zeros, as QEMU's -nic none)
        user0, user1 = user_regs_for_mac(getattr(host, "nic_mac", None) or bytes(6))
        self.ssys = StellarisSysCtl(**SSYS_IDS, user0=user0, user1=user1)
        self.ssys.irq.connect(irq(SSYS_IRQ))
        host.map_device("ssys", 0x400FE000, self.ssys)

        self.watchdog = CmsdkWatchdog(clock, self.ssys.sysclk_hz(), luminary=True,
                                      on_reset=request_reset, name="watchdog")
        self.watchdog.irq.connect(irq(WATCHDOG_IRQ))
        host.map_device("watchdog", 0x40000000, self.watchdog)
        self.ssys.add_clock_listener(self.watchdog.set_clock_hz)

        self.adc = StellarisAdc()
        for line, n in zip(self.adc.irqs, ADC_IRQS):
            line.connect(irq(n))
        host.map_device("adc", 0x40038000, self.adc)

        self.gptms: List[StellarisGptm] = []
        for i, n in enumerate(GPTM_IRQS):
            gptm = StellarisGptm(clock, self.ssys.sysclk_hz(), name="gptm%d" % i)
            gptm.irq.connect(irq(n))
            host.map_device("gptm%d" % i, 0x40030000 + 0x1000 * i, gptm)
            self.ssys.add_clock_listener(gptm.set_clock_hz)
            gptm.trigger.connect(self.adc.trigger)
            self.gptms.append(gptm)

        self.gpios: List[Pl061] = []
        for i, (base, n) in enumerate(zip(GPIO_BASES, GPIO_IRQS)):
            gpio = Pl061(luminary=True, name="gpio%s" % "ABCDEFG"[i])
            gpio.irq.connect(irq(n))
            host.map_device(gpio.name, base, gpio)
            self.gpios.append(gpio)

        self.uarts: List[Pl011] = []
        for i, (base, n) in enumerate(zip(UART_BASES, UART_IRQS)):
            uart = Pl011(serials[i] if i < len(serials) else None, luminary=True, name="uart%d" % i)
            uart.irq.connect(irq(n))
            host.map_device("uart%d" % i, base, uart)
            self.uarts.append(uart)

        self.i2c = StellarisI2c()
        self.i2c.irq.connect(irq(I2C_IRQ))
        host.map_device("i2c", 0x40020000, self.i2c)
        self._build_ssi(host, irq)
        self.enet = StellarisEnet()
        self.enet.irq.connect(irq(ENET_IRQ))
        host.map_device("stellaris_enet", 0x40048000, self.enet)

    def _build_ssi(self, host, irq) -> None:
        self.ssi = Pl022()
        self.ssi.irq.connect(irq(SSI_IRQ))
        host.map_device("pl022", 0x40008000, self.ssi)   # QEMU's region name
        self.sd = self.ssi.bus.attach(SsiSd())
        self.oled = self.ssi.bus.attach(Ssd0323())

        # QEMU wires GPIO D0 to both chip selects (SD active low, OLED active
        # high) and C7 to the OLED's data/command input
        def chip_select(level: int) -> None:
            self.sd.set_cs(level)
            self.oled.set_cs(level)
        self.gpios[GPIO_D].outputs[0].connect(chip_select)
        self.gpios[GPIO_C].outputs[7].connect(self.oled.set_dc)
        # as QEMU's board: D0 starts high (OLED selected), a level the GPIO
        # port does not know of until it drives the pin
        chip_select(1)

    @property
    def sysclk_hz(self) -> float:
        return self.ssys.sysclk_hz()
