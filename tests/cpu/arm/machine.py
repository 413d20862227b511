"""A minimal Cortex-M machine for the CPU's own tests, built from
emud/machines/base.py's Machine the way virt.py does: 4 MiB of RAM at 0 (the
vector table, as on mps2-an385's SSRAM1) and at 0x20000000, the SCS (NVIC,
SCB, SysTick at 25 MHz with a 1 MHz reference clock) at 0xE000E000, and
semihosting (BKPT 0xAB) for output and exit.

``run(machine)`` drives it without trio: quanta of instructions under
-icount time (``shift``), idle periods skipped to the next timer.
"""
from __future__ import annotations

from typing import List, Optional

from emud.accel.tcg import TcgAccelerator
from emud.cpu.arm import ArmCPU, ThumbFrontend
from emud.devices.armv7m_nvic import ArmV7MNvic
from emud.devices.armv7m_systick import ArmV7MSysTick
from emud.machines.base import Machine
from emud.memory import RamRegion
from emud.semihosting import Semihosting

RAM_SIZE = 0x400000
SRAM_BASE = 0x20000000
SCS_BASE = 0xE000E000


class CortexMTestMachine(Machine):
    name = "cortex-m-test"

    def __init__(self, profile: str = "v7m", icount_shift: Optional[int] = 0, accel_options=None, log=None) -> None:
        super().__init__(icount_shift)
        self.arch_name = "arm"
        self.ram_base, self.ram_size = 0, RAM_SIZE
        self.bus.map(0, RamRegion("ram", RAM_SIZE))
        self.bus.map(SRAM_BASE, RamRegion("sram", RAM_SIZE // 2))
        cpu = ArmCPU(0, profile)
        cpu.bus = self.bus
        cpu.log = log
        self.systick = ArmV7MSysTick(self.clock, cpu_hz=25_000_000, ref_hz=1_000_000)
        self.nvic = ArmV7MNvic(cpu, num_irq=32, prio_bits=8, systick=self.systick,
                               on_reset_request=self.request_guest_reset, on_pending=self.kick)
        self.map_device("nvic", SCS_BASE, self.nvic)
        self.cpus = [cpu]
        self.console: List[bytes] = []
        cpu.semihosting = Semihosting(
            read_memory=self.bus.read_bytes, write_memory=self.bus.write_bytes,
            console_out=self.console.append, on_exit=self.request_shutdown,
            guest_ns=self.clock.now_ns)
        self.frontend = ThumbFrontend(profile)
        self.accel = TcgAccelerator(self.frontend, self.bus, log=log, options=accel_options)
        self.finish_init()

    def load_image(self, image) -> None:
        super().load_image(image)
        self.cpus[0].reset()

    def board_reset(self) -> None:
        self.cpus[0].load_vector_table()

    def output(self) -> str:
        return b"".join(self.console).decode("latin-1")


def run(m: Machine, max_insns: int = 20_000_000, quantum: int = 10_000) -> Optional[int]:
    """Run until the guest exits (its exit code), or None after ``max_insns``
    instructions or when it sleeps with nothing left to wake it."""
    cpu = m.cpus[0]
    clock = m.clock
    clock.start()
    while m.exit_code is None and cpu.instructions_retired() < max_insns:
        clock.run_quantum()
        cap = clock.insns_until_deadline()
        budget = quantum if cap is None else max(1, min(quantum, cap))
        m._running_cpu = cpu
        try:
            reason = m.accel.execute(cpu, budget, False, True, exact=cap is not None)
        finally:
            m._running_cpu = None
        clock.run_expired()
        if cpu.stop_request:
            cpu.stop_request = cpu.exit_request = False
            if m._pending_reset:
                m._pending_reset = False
                m.reset(keep_running=True)
        if reason == "halted" and not cpu.interrupt_pending():
            deadline = clock.next_deadline()
            if deadline is None:
                return None
            clock.warp_to(deadline)
            clock.run_expired()
        if cpu.halted and cpu.interrupt_pending():
            cpu.halted = False
    return m.exit_code


def load_elf(m: Machine, path) -> None:
    from emud.loader import load_elf as _load
    m.load_image(_load(str(path), "EM_ARM"))
