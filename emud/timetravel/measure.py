"""What time travel costs, measured in-process (no timed asserts anywhere:
this prints figures for the benchmark and docs/PERFORMANCE.md).

    python -m emud.timetravel.measure [--insns N] [--interval N] [ELF]

* ``record``: guest MIPS of the same run (same ``-icount`` shift) without and
  with recording, the ratio, and what history holds at the end;
* ``reverse-stepi``: seconds one reverse step takes at several places of a
  history of N instructions (from a checkpoint, the worst place of its gap:
  the whole gap before it is replayed; ``python -m emud.bench timetravel``
  steps back from every checkpoint);
* ``reverse-continue``: seconds from the end of that history back to a
  breakpoint hit near its start (every interval replayed), and to a write
  watchpoint on a variable written near the start (intervals that never
  wrote its chunk passed over).

:func:`measure` returns the figures as a dict, for ``emud.bench``.
"""
from __future__ import annotations

import argparse
import time
from typing import Any, Dict, Optional

import trio

from ..chardev import MemoryChardev
from ..debug import CONTINUE, ResumeAction
from ..loader import load_elf
from .recorder import DEFAULT_ICOUNT_SHIFT, DEFAULT_INTERVAL

DEFAULT_ELF = "examples/build/rtos-mix-rv32.elf"


def build(path: str, shift: int = DEFAULT_ICOUNT_SHIFT):
    from ..machines.virt import VirtMachine
    image = load_elf(path)
    serial = MemoryChardev()
    m = VirtMachine(xlen=image.xlen, serial=serial, icount_shift=shift, icount_sleep=False)
    m.uart.set_chardev(serial)
    m.load_image(image)
    m.set_entry(image.entry)
    return m


async def _run_for(m, insns: int) -> float:
    """Run ``insns`` instructions (a continue stopped by the budget of a step)."""
    started = time.perf_counter()
    m.resume(None, ResumeAction("step", count=insns))
    await m.wait_for_stop()
    return time.perf_counter() - started


async def _reverse(m, action, hart: Optional[int] = None) -> float:
    started = time.perf_counter()
    m.reverse_resume(action, hart)
    await m.wait_for_stop()
    return time.perf_counter() - started


async def _measure(path: str, insns: int, interval: int) -> Dict[str, Any]:
    out: Dict[str, Any] = {"elf": path, "instructions": insns, "interval": interval}
    async with trio.open_nursery() as nursery:
        plain = build(path)
        await nursery.start(plain.run)
        await _run_for(plain, min(insns, 2_000_000))          # warm: translations made
        plain.reset()
        t_plain = await _run_for(plain, insns)
        done = plain._total_retired()
        plain.request_quit()

        rec = build(path)
        await nursery.start(rec.run)
        await _run_for(rec, min(insns, 2_000_000))
        rec.reset()
        rec.record_start(interval=interval)
        t_rec = await _run_for(rec, insns)
        info = rec.record_info()
        out["record"] = {
            "plain_mips": done / t_plain / 1e6, "record_mips": (info["end"] - info["begin"]) / t_rec / 1e6,
            "cost": 1 - (t_plain / done) / (t_rec / max(1, info["end"] - info["begin"])),
            "checkpoints": info["checkpoints"], "history_bytes": info["bytes"],
        }

        # reverse-stepi from a checkpoint: the gap before it replayed whole (the
        # worst place of each gap); the checkpoints nearest a few places, and the end
        begin, end = info["begin"], info["end"]
        steps = {}
        history = rec.timetravel.history
        for frac in (0.1, 0.5, 0.9):
            cp = history.after(begin + int((end - begin) * frac)) or history.last
            if cp.position > begin:
                rec.seek(cp.position)
                steps[cp.position] = await _reverse(rec, ResumeAction("step"))
        rec.seek(end)
        steps[end] = await _reverse(rec, ResumeAction("step"))
        out["reverse_stepi_seconds"] = steps

        # reverse-continue to a breakpoint hit only near the start
        rec.seek(begin + 1000)
        early_pc = rec.read_register(0, "pc")
        rec.seek(end)
        bp = rec.add_breakpoint("hw", early_pc)
        t_bc = await _reverse(rec, CONTINUE)
        out["reverse_continue_breakpoint"] = {"seconds": t_bc, "landed": rec.history_position()}
        rec.delete_breakpoint(bp.number)

        # ... and to a write watchpoint on a word written near the start
        addr = _early_written_word(rec, begin, end)
        if addr is not None:
            rec.seek(end)
            wp = rec.add_breakpoint("write", addr, 1 << rec.timetravel.history.shift)
            t_wc = await _reverse(rec, CONTINUE)
            out["reverse_continue_watch"] = {"seconds": t_wc, "landed": rec.history_position(), "addr": addr}
            rec.delete_breakpoint(wp.number)
        rec.request_quit()
    return out


def _early_written_word(m, begin: int, end: int) -> Optional[int]:
    """The RAM chunk whose last write in history came earliest (after its
    first tenth, so that the search passes most of history)."""
    history = m.timetravel.history
    best = None
    for chunk, positions in history.index.items():
        last = positions[-1]
        if last > begin + (end - begin) // 10 and (best is None or last < best[0]):
            best = (last, chunk)
    return None if best is None else best[1] << history.shift


def measure(path: str = DEFAULT_ELF, insns: int = 100_000_000, interval: int = DEFAULT_INTERVAL) -> Dict[str, Any]:
    return trio.run(_measure, path, insns, interval)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emud.timetravel.measure", description=__doc__.split("\n\n")[0])
    parser.add_argument("elf", nargs="?", default=DEFAULT_ELF)
    parser.add_argument("--insns", type=int, default=100_000_000)
    parser.add_argument("--interval", type=int, default=DEFAULT_INTERVAL)
    args = parser.parse_args(argv)
    figures = measure(args.elf, args.insns, args.interval)
    rec = figures["record"]
    print("%s, %d instructions, a checkpoint every %d" % (args.elf, args.insns, args.interval))
    print("record: %.1f MIPS without, %.1f with recording: costs %.1f%%; %d checkpoints, %.1f MiB"
          % (rec["plain_mips"], rec["record_mips"], 100 * rec["cost"], rec["checkpoints"],
             rec["history_bytes"] / 2**20))
    for pos, secs in sorted(figures["reverse_stepi_seconds"].items()):
        print("reverse-stepi from %d: %.3f s" % (pos, secs))
    bc = figures["reverse_continue_breakpoint"]
    print("reverse-continue to a breakpoint at %d: %.2f s" % (bc["landed"], bc["seconds"]))
    wc = figures.get("reverse_continue_watch")
    if wc:
        print("reverse-continue to a write watchpoint (0x%x) at %d: %.2f s" % (wc["addr"], wc["landed"], wc["seconds"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
