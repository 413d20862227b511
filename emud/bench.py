"""`python -m emud.bench`: guest MIPS on our integer workloads, beside QEMU.

Runs the prebuilt ``examples/build/<elf>-rv32|rv64.elf`` (``bench-<name>``,
and ``rtos-mix`` for the ``rtos`` workload: firmware of a real RTOS's shape,
many tasks and code paths, a tick interrupt switching context) in-process on
the ``virt`` machine, exactly as ``emud -kernel ELF -nographic`` would (the
UART output is captured, not printed), and reports per workload:

* guest instructions, wall seconds, guest MIPS;
* translation time share, TB count, translations, chain links, the share of
  TB entries reached through a chained exit (from a second, counting pass:
  ``--no-counts`` skips it), jump-cache and TB-cache hit rates;
* a warm figure: the same workload run again after a system reset in the
  same process (translation cache and JIT warm), what a long session sustains
  (``--warm-runs N`` for more of them: PyPy's JIT goes on warming for a few);
* the same ELF's wall time under ``qemu-system-riscv32/64 -M virt -bios none
  -kernel ELF -nographic`` in the same run, less QEMU's start-up (a run of the
  hello example), and the ratio emud/QEMU.

``--arch arm`` runs the Cortex-M twins of the four integer workloads
instead (``examples/build/bench-<name>-mps2-an385.elf``: the same sources
through ``bench.h``'s Cortex-M path) on ``-M mps2-an385 -semihosting``, and
QEMU as ``qemu-system-arm -M mps2-an385 -nographic -semihosting -kernel ELF``
(start-up measured on ``cortexm-hello-mps2-an385.elf``); ``rtos`` has no
twin yet.

``--fresh`` makes each run (every workload, every ``--repeat``, the counting
pass) in a process of its own, forked before any emulation: "cold" is then
what a user starting emud on that firmware gets. Without it the workloads
run one after the other in one process, and on PyPy the JIT code left by
one changes the next one's speed (docs/PERFORMANCE.md, twelfth pass).

The first line names the runtime (CPython or PyPy, and its version). Runs
under PyPy too: ``pypy3 -m emud.bench``. ``--quick`` runs one short workload
for CI; a benchmark never asserts on time, it only checks the guest's own
result (each workload verifies itself and exits 0).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from typing import Any, Dict, List, Optional

import trio

#: workload name -> the example it runs (examples/<stem>.c)
WORKLOAD_ELFS = {"crc32": "bench-crc32", "sieve": "bench-sieve", "matmul": "bench-matmul",
                 "dhry": "bench-dhry", "rtos": "rtos-mix"}
WORKLOADS = tuple(WORKLOAD_ELFS)
#: the Cortex-M twins (--arch arm): the board they are built for and run on
ARM_MACHINE = "mps2-an385"
ARM_WORKLOADS = ("crc32", "sieve", "matmul", "dhry")
#: emud's and QEMU's command line for the Cortex-M twins (besides -kernel)
ARM_EMUD_ARGS = ["-M", ARM_MACHINE, "-semihosting"]
ARM_QEMU_ARGS = ["-M", ARM_MACHINE, "-nographic", "-semihosting"]
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BUILD = os.path.join(os.path.dirname(HERE), "examples", "build")


def runtime_name() -> str:
    impl = platform.python_implementation()
    ver = platform.python_version()
    if impl == "PyPy":
        pypy = ".".join(str(v) for v in sys.pypy_version_info[:3])  # type: ignore[attr-defined]
        return "PyPy %s (Python %s)" % (pypy, ver)
    return "%s %s" % (impl, ver)


def elf_stem(name: str) -> str:
    return WORKLOAD_ELFS.get(name, "bench-" + name)


def target_suffix(xlen: int) -> str:
    """How the ELF names its target: rv32 / rv64, or the board (xlen 0: Cortex-M)."""
    return "rv%d" % xlen if xlen else ARM_MACHINE


def elf_path(build: str, name: str, xlen: int) -> str:
    return os.path.join(build, "%s-%s.elf" % (elf_stem(name), target_suffix(xlen)))


def expected_output(build: str, name: str, xlen: int) -> Optional[str]:
    """What the workload prints (examples/expected/, recorded from QEMU), if recorded."""
    path = os.path.join(os.path.dirname(os.path.abspath(build)), "expected",
                        "%s-%s.out" % (elf_stem(name), target_suffix(xlen)))
    if not os.path.exists(path):
        return None
    with open(path, encoding="latin-1") as f:
        return f.read()


def run_emud(path: str, count: bool = False, extra_args: Optional[List[str]] = None,
             warm: int = 0) -> Dict[str, Any]:
    """Run one ELF to its exit in-process, then ``warm`` times more after a
    system reset; return timing and TB statistics."""
    from .cli import _parser, build_machine

    args = _parser().parse_args(["-kernel", path, "-nographic", "-serial", "none"] + list(extra_args or []))
    machine, serial = build_machine(args)
    engine = machine.accel.engine
    engine.count_execs = count
    output: List[bytes] = []
    machine.uart_listeners().append(output.append)
    stats = _timed_run(machine)
    stats["output"] = b"".join(output).decode("latin-1")
    # the same workload again after a system reset, in the same process: what
    # a long-running session sustains once the translation cache (and, on
    # PyPy, the JIT) is warm; PyPy's JIT goes on warming for a few runs
    before = stats["instructions"]
    warm_runs = []
    for _ in range(warm):
        machine.reset()
        again = _timed_run(machine)
        warm_runs.append({"instructions": again["instructions"] - before, "seconds": again["seconds"],
                          "cpu_seconds": again["cpu_seconds"], "exit_code": again["exit_code"]})
        before = again["instructions"]
    if warm_runs:
        stats["warm_runs"] = warm_runs
    return stats


def run_emud_fresh(path: str, **kwargs: Any) -> Dict[str, Any]:
    """:func:`run_emud` in a child forked from this process (which has not
    emulated anything): no JIT code or caches from an earlier run. In-process
    where fork is missing."""
    if not hasattr(os, "fork"):
        return run_emud(path, **kwargs)
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 0
        try:
            os.close(read_fd)
            try:
                result: Any = {"stats": run_emud(path, **kwargs)}
            except BaseException as e:       # reported by the parent, with its type
                result = {"error": "%s: %s" % (type(e).__name__, e)}
                status = 1
            with os.fdopen(write_fd, "w") as out:
                json.dump(result, out)
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "r") as inp:
        data = inp.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError("the benchmark's child process died (wait status %d)" % status)
    result = json.loads(data)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result["stats"]


def _timed_run(machine) -> Dict[str, Any]:
    """Run the machine until the guest exits; timing and statistics."""
    async def main() -> Optional[int]:
        result: Dict[str, Optional[int]] = {}
        async with trio.open_nursery() as nursery:
            async def runner() -> None:
                result["code"] = await machine.run()
            machine.resume()
            nursery.start_soon(runner)
            while True:
                event = await machine.wait_for_stop()
                if event.reason == "exited":
                    break
                await machine._changed.wait()
            machine.request_quit(event.exit_code or 0)
        return result.get("code")

    machine._quit_event = trio.Event() if machine._quit_event.is_set() else machine._quit_event
    t0 = time.perf_counter()
    c0 = time.process_time()
    code = trio.run(main)
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0
    stats = machine.statistics()
    stats["seconds"] = seconds
    stats["cpu_seconds"] = cpu_seconds
    stats["exit_code"] = code
    return stats


def run_qemu(path: str, xlen: int, timeout: float = 300.0) -> Optional[float]:
    """QEMU's wall time for one run of the ELF (xlen 0: Cortex-M), None if it failed."""
    exe = shutil.which("qemu-system-riscv%d" % xlen if xlen else "qemu-system-arm")
    if exe is None:
        return None
    machine = ARM_QEMU_ARGS if not xlen else ["-M", "virt", "-bios", "none", "-nographic"]
    cmd = [exe] + machine + ["-kernel", path, "-monitor", "none", "-serial", "null"]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return time.perf_counter() - t0


def best_qemu(path: str, xlen: int, runs: int = 3) -> Optional[float]:
    """The best of a few QEMU runs: they are short, and a busy machine
    stretches single ones."""
    times = [run_qemu(path, xlen) for _ in range(runs)]
    return None if None in times else min(times)   # type: ignore[type-var]


_QEMU_STARTUP: Dict[int, Optional[float]] = {}


def qemu_startup(build: str, xlen: int) -> Optional[float]:
    """QEMU's start-up and shutdown: the best of 3 runs of the hello example,
    which does next to nothing, so that a workload's QEMU time can be
    compared with emud's in-process run (which has no start-up)."""
    if xlen not in _QEMU_STARTUP:
        hello = os.path.join(build, "%s-%s.elf" % ("hello" if xlen else "cortexm-hello", target_suffix(xlen)))
        _QEMU_STARTUP[xlen] = best_qemu(hello, xlen) if os.path.exists(hello) else None
    return _QEMU_STARTUP[xlen]


def _pct(x: float) -> str:
    return "%5.1f%%" % (100.0 * x)


def report(name: str, xlen: int, s: Dict[str, Any], counted: Optional[Dict[str, Any]],
           qemu: Optional[float], qemu_note: str = "not installed",
           qemu_startup_seconds: Optional[float] = None) -> List[str]:
    insns = s["instructions"]
    secs = s["seconds"]
    mips = insns / secs / 1e6 if secs else 0.0
    cpu_secs = s["cpu_seconds"]
    lines = ["%s-%s: %s" % (name, target_suffix(xlen), "ok" if s["exit_code"] == 0 else "FAILED (exit %r)" % s["exit_code"]),
             "  guest instructions  %12d" % insns,
             "  seconds             %12.3f  (process CPU %.3f s)" % (secs, cpu_secs),
             "  guest MIPS          %12.2f  (per CPU second: %.2f)" % (mips, insns / cpu_secs / 1e6 if cpu_secs else 0),
             "  translation share   %12s  (%d translations, %.3f s)" % (
                 _pct(s["translate_seconds"] / secs if secs else 0), s["translations"], s["translate_seconds"]),
             "  interpreted TBs     %12d  (tier 0; %d got hot and were compiled)" % (
                 s.get("interpreted", 0), s.get("tier_ups", 0)),
             "  TB count            %12d%s" % (s["tb_count"], "  (dispatch: PyPy residual calls, many hot TBs)"
                                                 if s.get("opaque_dispatch") else ""),
             "  chain links         %12d" % s["chain_links"]]
    lookups = s["dispatch_lookups"]
    lines.append("  jump-cache hits     %12s  (%d of %d dispatcher lookups)" % (
        _pct(s["jump_cache_hit_rate"]), s["jump_cache_hits"], lookups))
    lines.append("  translation cache   %12d  (translations served from it: no translate/compile)" % s.get(
        "translation_cache_hits", 0))
    finds = s["tb_cache_hits"] + s["translations"]
    lines.append("  TB-cache hits       %12s  (%d of %d finds)" % (
        _pct(s["tb_cache_hits"] / finds if finds else 0), s["tb_cache_hits"], finds))
    if counted is not None:
        execs = counted["tb_execs"]
        entered = counted["dispatch_lookups"] + counted["translations"]
        chained = max(0, execs - entered)
        lines.append("  TB executions       %12d  (counting pass, %.2f insns/TB)" % (execs, counted["instructions"] / execs if execs else 0))
        lines.append("  chain hit rate      %12s  (TB entries not from the dispatcher)" % _pct(chained / execs if execs else 0))
    for i, w in enumerate(s.get("warm_runs", ())):
        wi, ws, wc = w["instructions"], w["seconds"], w["cpu_seconds"]
        lines.append("  %-20s%12.2f  (per CPU second: %.2f; %s run after system_reset%s)" % (
            "warm guest MIPS" if i == 0 else "  run %d" % (i + 2),
            wi / ws / 1e6 if ws else 0, wi / wc / 1e6 if wc else 0, "a second" if i == 0 else "the next",
            "" if w["exit_code"] == 0 else ", FAILED"))
    run = None if qemu is None or qemu_startup_seconds is None else qemu - qemu_startup_seconds
    if run is not None and run >= 0.25 * qemu:
        lines.append("  qemu seconds        %12.3f  (%.3f s with its start-up) emud/QEMU = %.1fx" % (
            run, qemu, secs / run))
    elif run is not None:
        # a few ms of QEMU run would be the difference of two noisy process
        # times: only the bound that its whole run gives
        lines.append("  qemu seconds        %12.3f  (mostly its start-up, %.3f s) emud/QEMU > %.1fx" % (
            qemu, qemu_startup_seconds, secs / qemu))
    elif qemu is not None:
        lines.append("  qemu seconds        %12.3f  emud/QEMU = %.1fx" % (qemu, secs / qemu if qemu else 0))
    else:
        lines.append("  qemu                %12s" % qemu_note)
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["timetravel"]:      # python -m emud.bench timetravel: emud/bench_timetravel.py
        from .bench_timetravel import main as timetravel_main
        return timetravel_main(argv[1:])
    p = argparse.ArgumentParser(prog="python -m emud.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("workloads", nargs="*", default=[], metavar="NAME",
                   help="workloads to run (%s; default: all)" % ", ".join(WORKLOADS))
    p.add_argument("--xlen", choices=("32", "64", "both"), default="32", help="which RISC-V ELFs (default 32)")
    p.add_argument("--arch", choices=("riscv", "arm"), default="riscv",
                   help="riscv: the virt workloads; arm: their Cortex-M twins on %s (%s)" % (
                       ARM_MACHINE, ", ".join(ARM_WORKLOADS)))
    p.add_argument("--quick", action="store_true", help="one short workload (crc32-rv32), for CI")
    p.add_argument("--no-counts", action="store_true", help="skip the counting pass (chain hit rate)")
    p.add_argument("--no-qemu", action="store_true", help="do not time QEMU")
    p.add_argument("--regions", nargs="?", const="on", choices=("on", "off"), default=None,
                   help="region translation (several guest blocks per TB) from the start, or never (as "
                        "-accel tcg,regions=on|off; default: RISC-V on PyPy switches to it past a few dozen "
                        "compiled TBs)")
    p.add_argument("--tb-size", type=float, default=None, metavar="MIB",
                   help="code cache bound (as -accel tcg,tb-size=MIB); small values force flushes")
    p.add_argument("--tb-cache", default=None, metavar="DIR",
                   help="compiled code kept on disk across runs (as -accel tcg,tb-cache=DIR): run twice, "
                        "the second process's cold run is what a warm disk cache gives")
    p.add_argument("--tier-up", type=int, default=None, metavar="N",
                   help="interpreted runs of a block before it is compiled (as -accel tcg,tier-up=N; 0: compile at once)")
    p.add_argument("--no-warm", action="store_true", help="skip the warm second run of each workload")
    p.add_argument("--warm-runs", type=int, default=1, metavar="N",
                   help="warm runs after the cold one, each after a system reset (default 1; PyPy's JIT "
                        "goes on warming for a few)")
    p.add_argument("--repeat", type=int, default=1, help="timed runs per workload; the best is reported")
    p.add_argument("--fresh", action="store_true",
                   help="each run in a process of its own (forked before any emulation): no JIT code or "
                        "caches from the workloads before")
    p.add_argument("--build", default=DEFAULT_BUILD, help="directory of the prebuilt ELFs")
    opts = p.parse_args(argv)
    known = ARM_WORKLOADS if opts.arch == "arm" else WORKLOADS
    names = opts.workloads or list(known)
    for n in names:
        if n not in known:
            p.error("unknown workload %r (known: %s)" % (n, ", ".join(known)))
    xlens = [32, 64] if opts.xlen == "both" else [int(opts.xlen)]
    if opts.quick:
        names, xlens = ["crc32"], [32]
        opts.no_counts = True
    if opts.arch == "arm":
        xlens = [0]     # the one Cortex-M target: target_suffix(0)
    accel = "tcg"
    if opts.tb_size is not None:
        accel += ",tb-size=%g" % opts.tb_size
    if opts.tier_up is not None:
        accel += ",tier-up=%d" % opts.tier_up
    if opts.tb_cache:
        accel += ",tb-cache=%s" % opts.tb_cache
    if opts.regions:
        accel += ",regions=%s" % opts.regions
    extra = ["-accel", accel] + (ARM_EMUD_ARGS if opts.arch == "arm" else [])
    run = run_emud_fresh if opts.fresh else run_emud
    print("emud.bench on %s, %s" % (runtime_name(), platform.machine()))
    failed = False
    summary = []
    for xlen in xlens:
        for name in names:
            path = elf_path(opts.build, name, xlen)
            if not os.path.exists(path):
                print("%s-%s: missing %s" % (name, target_suffix(xlen), path))
                failed = True
                continue
            best = None
            for _ in range(max(1, opts.repeat)):
                s = run(path, extra_args=extra, warm=0 if opts.no_warm else max(0, opts.warm_runs))
                if best is None or s["seconds"] < best["seconds"]:
                    best = s
            counted = None if opts.no_counts else run(path, count=True, extra_args=extra)
            qemu = None if opts.no_qemu else best_qemu(path, xlen)
            note = "skipped (--no-qemu)" if opts.no_qemu else "not installed"
            startup = qemu_startup(opts.build, xlen) if qemu is not None else None
            print("\n".join(report(name, xlen, best, counted, qemu, note, startup)), flush=True)
            failed |= best["exit_code"] != 0 or any(w["exit_code"] != 0 for w in best.get("warm_runs", ()))
            want = expected_output(opts.build, name, xlen)
            if want is not None and best["output"] != want:
                print("  output differs from examples/expected (got %r)" % best["output"][-200:])
                failed = True
            summary.append((name, xlen, best["instructions"] / best["seconds"] / 1e6,
                            best["instructions"] / best["cpu_seconds"] / 1e6))
    if len(summary) > 1:
        print("summary (guest MIPS wall/CPU): " + ", ".join(
            "%s-%s %.1f/%.1f" % (n, target_suffix(x), w, c) for n, x, w, c in summary))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
