"""SiFive PLIC as QEMU's hw/intc/sifive_plic.c and virt configure it.

Layout (offsets from 0xc000000 on virt):
  0x000000 + 4*src        source priority (0..7; WARL: value % 8)
  0x001000 + 4*word       pending bits (read-only)
  0x002000 + 0x80*ctx     enable bits of context ctx, one word per 32 sources
  0x200000 + 0x1000*ctx   +0 priority threshold, +4 claim (read) / complete (write)

Contexts follow the hart config string, QEMU style: "MS,MS" is hart 0 M,
hart 0 S, hart 1 M, hart 1 S. Each context drives one output IrqLine
(``context_irqs[ctx]``): the machine wires M contexts to the hart's MEIP.

Interrupt inputs, as QEMU 7.2 behaves (checked against it by
tests/devices/test_qemu_oracle.py): a rising line sets the source's pending
bit; a falling line does *not* clear it (only a claim does). A claim returns
the highest-priority pending, enabled, unclaimed source above the threshold
(ties: the lowest number), clears its pending bit and marks it claimed until
the guest writes it back to complete. QEMU's devices re-raise their line on
every register update, so a source whose line was still high when claimed is
pending again by the time it is completed; we model that by re-pending such
a source at complete (and any source whose line is high then).

Priorities: QEMU 7.2 maps source 1's priority at +4 (source 0 has none and
reads 0); the word for "source 96" at +0x180 stores a value but there is no
such source (riscv,ndev = 96, 96 sources counting 0). The pending words span
num_sources / 8 bytes in QEMU 7.2 (12 with 96 sources: +0x100c is no register).

-d guest_errors: an access to no register logs QEMU 7.2's messages
("sifive_plic_read: Invalid register read 0x...", and for writes the
register write, pending write, enable write and context write ones).
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from emud.devices.base import Device, IrqLine

VIRT_NUM_SOURCES = 96
VIRT_NUM_PRIORITIES = 7
PRIORITY_BASE = 0x0
PENDING_BASE = 0x1000
ENABLE_BASE = 0x2000
ENABLE_STRIDE = 0x80
CONTEXT_BASE = 0x200000
CONTEXT_STRIDE = 0x1000
VIRT_PLIC_SIZE = 0x600000   # room for virt's 512 harts x 2 contexts


def parse_hart_config(config: str) -> List[Tuple[int, str]]:
    """"MS,MS" -> [(0,'M'), (0,'S'), (1,'M'), (1,'S')]: (hart, mode) per context."""
    out: List[Tuple[int, str]] = []
    for hart, modes in enumerate(config.split(",")):
        if not modes or len(set(modes)) != len(modes) or any(m not in "MSU" for m in modes):
            raise ValueError("plic: invalid hart config %r" % config)
        out.extend((hart, m) for m in modes)
    return out


class Plic(Device):
    name = "plic"
    region_name = "riscv.sifive.plic"
    access_sizes = (4,)
    state_fields = ("source_priority", "target_priority", "pending", "claimed", "enable", "levels",
                    "repend")

    def __init__(self, num_harts: int = 1, hart_config: str = None,
                 num_sources: int = VIRT_NUM_SOURCES, num_priorities: int = VIRT_NUM_PRIORITIES,
                 size: int = VIRT_PLIC_SIZE, name: str = "plic") -> None:
        self.name = name
        self.size = size
        self.hart_config = hart_config or ",".join(["MS"] * num_harts)
        self.contexts = parse_hart_config(self.hart_config)
        self.num_sources = num_sources          # including the reserved source 0
        self.num_priorities = num_priorities
        self.words = (num_sources + 31) >> 5
        self.context_irqs: List[IrqLine] = [
            IrqLine("%s.hart%d.%seip" % (name, hart, mode.lower())) for hart, mode in self.contexts]
        self.reset()

    # -- convenience for the machine -----------------------------------------------
    def context_of(self, hart: int, mode: str = "M") -> int:
        return self.contexts.index((hart, mode))

    def irq_input(self, source: int):
        """A sink callable(level) for ``IrqLine.connect``: source ``source``."""
        return lambda level: self.set_irq(source, level)

    # -- state -------------------------------------------------------------------------
    def reset(self) -> None:
        n = len(self.contexts)
        # one extra word: QEMU 7.2 stores a priority for "source num_sources"
        self.source_priority = [0] * (self.num_sources + 1)
        self.target_priority = [0] * n
        self.pending = [0] * self.words
        self.claimed = [0] * self.words
        self.enable = [0] * (self.words * n)
        # input line levels survive a PLIC reset only as far as the devices
        # re-raise them; devices reset too, so start low
        self.levels = [0] * self.num_sources
        self.repend = [0] * self.num_sources   # claimed while its line was high
        for line in self.context_irqs:
            line.lower()

    def _set_bit(self, arr: List[int], irq: int, on: bool) -> None:
        if on:
            arr[irq >> 5] |= 1 << (irq & 31)
        else:
            arr[irq >> 5] &= ~(1 << (irq & 31))

    def _best(self, ctx: int) -> int:
        best, best_prio = 0, self.target_priority[ctx]
        base = ctx * self.words
        for w in range(self.words):
            bits = self.pending[w] & ~self.claimed[w] & self.enable[base + w]
            while bits:
                low = bits & -bits
                irq = (w << 5) + low.bit_length() - 1
                bits ^= low
                if irq < self.num_sources and self.source_priority[irq] > best_prio:
                    best, best_prio = irq, self.source_priority[irq]
        return best

    def _update(self) -> None:
        for ctx, line in enumerate(self.context_irqs):
            line.set(self._best(ctx) != 0)

    # -- inputs -------------------------------------------------------------------------
    def set_irq(self, source: int, level: int) -> None:
        if not 0 < source < self.num_sources:
            raise ValueError("plic: no interrupt source %d" % source)
        level = 1 if level else 0
        self.levels[source] = level
        if level:
            self._set_bit(self.pending, source, True)
            self._update()

    # -- registers ------------------------------------------------------------------------
    def _legal_priority(self, value: int):
        n = self.num_priorities
        if (n + 1) & n == 0:
            return value % (n + 1)
        return value if value <= n else None

    def read(self, offset: int, size: int) -> int:
        if PRIORITY_BASE + 4 <= offset < PRIORITY_BASE + 4 + 4 * self.num_sources:
            return self.source_priority[(offset - PRIORITY_BASE) >> 2]
        if PENDING_BASE <= offset < PENDING_BASE + (self.num_sources >> 3):
            return self.pending[(offset - PENDING_BASE) >> 2]
        n = len(self.contexts)
        if ENABLE_BASE <= offset < ENABLE_BASE + n * ENABLE_STRIDE:
            ctx = (offset - ENABLE_BASE) // ENABLE_STRIDE
            word = (offset & (ENABLE_STRIDE - 1)) >> 2
            if word < self.words:
                return self.enable[ctx * self.words + word]
        elif CONTEXT_BASE <= offset < CONTEXT_BASE + n * CONTEXT_STRIDE:
            ctx = (offset - CONTEXT_BASE) // CONTEXT_STRIDE
            reg = offset & (CONTEXT_STRIDE - 1)
            if reg == 0:
                return self.target_priority[ctx]
            if reg == 4:
                return self.claim(ctx)
        self.guest_error("sifive_plic_read: Invalid register read 0x%x\n", offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        value &= 0xFFFFFFFF
        if PRIORITY_BASE + 4 <= offset < PRIORITY_BASE + 4 + 4 * self.num_sources:
            prio = self._legal_priority(value)
            if prio is not None:
                self.source_priority[(offset - PRIORITY_BASE) >> 2] = prio
                self._update()
            return
        if PENDING_BASE <= offset < PENDING_BASE + (self.num_sources >> 3):
            # pending bits are read-only (QEMU's message has no newline)
            self.guest_error("sifive_plic_write: invalid pending write: 0x%x", offset)
            return
        n = len(self.contexts)
        if ENABLE_BASE <= offset < ENABLE_BASE + n * ENABLE_STRIDE:
            ctx = (offset - ENABLE_BASE) // ENABLE_STRIDE
            word = (offset & (ENABLE_STRIDE - 1)) >> 2
            if word < self.words:
                self.enable[ctx * self.words + word] = value
                # QEMU re-evaluates only on the next event; we do it now,
                # which can only make an interrupt visible sooner
                self._update()
            else:
                self.guest_error("sifive_plic_write: Invalid enable write 0x%x\n", offset)
            return
        if CONTEXT_BASE <= offset < CONTEXT_BASE + n * CONTEXT_STRIDE:
            ctx = (offset - CONTEXT_BASE) // CONTEXT_STRIDE
            reg = offset & (CONTEXT_STRIDE - 1)
            if reg == 0:
                prio = self._legal_priority(value)
                if prio is not None:
                    self.target_priority[ctx] = prio
                    self._update()
            elif reg == 4:
                self.complete(ctx, value)
            else:
                self.guest_error("sifive_plic_write: Invalid context write 0x%x\n", offset)
            return
        self.guest_error("sifive_plic_write: Invalid register write 0x%x\n", offset)

    def claim(self, ctx: int) -> int:
        irq = self._best(ctx)
        if irq:
            self._set_bit(self.pending, irq, False)
            self._set_bit(self.claimed, irq, True)
            self.repend[irq] = self.levels[irq]
        self._update()
        return irq

    def complete(self, ctx: int, irq: int) -> None:
        if irq < self.num_sources:
            self._set_bit(self.claimed, irq, False)
            if self.levels[irq] or self.repend[irq]:
                self._set_bit(self.pending, irq, True)
            self.repend[irq] = 0
            self._update()

    def load_state(self, state: Dict[str, Any]) -> None:
        super().load_state(state)
        self._update()

    def info(self) -> Dict[str, Any]:
        d = super().info()
        pending = [i for i in range(1, self.num_sources) if self.pending[i >> 5] >> (i & 31) & 1]
        claimed = [i for i in range(1, self.num_sources) if self.claimed[i >> 5] >> (i & 31) & 1]
        d.update(pending=pending, claimed=claimed,
                 contexts=["hart%d-%s" % c for c in self.contexts],
                 outputs=[line.level for line in self.context_irqs])
        return d
