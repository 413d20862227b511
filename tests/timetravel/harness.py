"""In-process machines for the time-travel tests, and the "straight run" they
are checked against: a fresh machine, recording from the start, run forward
by exact instruction counts only (no checkpoint ever restored)."""
from __future__ import annotations

import hashlib
from typing import Any, Dict, Iterable, List, Tuple

import trio

from emud.chardev import MemoryChardev
from emud.debug import STAY, ResumeAction
from emud.machines import registry


def build(path, machine: str = "virt", **kw):
    """(machine, serial MemoryChardev) with the ELF loaded."""
    cls = registry.machine_class(machine)
    image = cls.load_kernel(str(path))
    serial = MemoryChardev()
    if machine == "virt":
        m = cls(xlen=image.xlen, serial=serial, **kw)
        m.uart.set_chardev(serial)
    else:
        m = cls(**kw)
        m.attach_serial(serial)
    m.load_image(image)
    m.set_kernel(image.entry)
    return m, serial


def state(m) -> Tuple[Any, ...]:
    """Every hart's saved state, every RAM region's digest, the position."""
    harts = [cpu.save_state() for cpu in m.cpus]
    ram = hashlib.sha256()
    for _, region in m.bus.ram_regions():
        ram.update(bytes(region.data))
    return repr(harts), ram.hexdigest(), m.history_position()


async def run_steps(m, count: int, hart=None) -> Any:
    """Run ``count`` instructions (of ``hart`` only, the others as their turns come)."""
    if hart is None:
        m.resume(None, ResumeAction("step", count=count))
    else:
        m.resume({hart: ResumeAction("step", count=count)}, STAY)
    return await m.wait_for_stop()


async def straight_states(path, positions: Iterable[int], **kw) -> Dict[int, Tuple[Any, ...]]:
    """The state at each position, from one straight forward run (one hart)."""
    out: Dict[int, Tuple[Any, ...]] = {}
    m, _ = build(path, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        for pos in sorted(set(positions)):
            here = m.history_position()
            if pos > here:
                await run_steps(m, pos - here)
            assert m.history_position() == pos
            out[pos] = state(m)
        m.request_quit()
    return out


async def breakpoint_hits(path, pc: int, end: int, **kw) -> List[int]:
    """The positions at which a forward run up to ``end`` stops at a breakpoint at ``pc``."""
    hits: List[int] = []
    m, _ = build(path, **kw)
    async with trio.open_nursery() as nursery:
        await nursery.start(m.run)
        m.record_start()
        m.add_breakpoint("sw", pc)
        while m.history_position() < end:
            m.resume(None, ResumeAction("step", count=end - m.history_position()))
            stop = await m.wait_for_stop()
            if stop.reason != "breakpoint":
                break
            hits.append(m.history_position())
            # step over it: the next resume executes the instruction at the breakpoint
        m.request_quit()
    return hits
