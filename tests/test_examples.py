"""The example firmware (examples/*.c): the committed prebuilt ELFs run on
QEMU and on emud with the README's command line and print what
examples/expected/<name>-rv<xlen>.out records (recorded from QEMU 7.2);
small builds of the benchmarks from source run on both and agree."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.run import emud_python, run, run_emud, run_qemu, trap_logs

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = ["hello", "timer", "uart-echo", "semihosting-hello",
         "bench-crc32", "bench-sieve", "bench-matmul", "bench-dhry", "rtos-mix"]
BENCHES = [n for n in NAMES if n.startswith("bench-")]
CASES = [(n, x) for n in NAMES for x in (32, 64)]
IDS = [f"{n}-rv{x}" for n, x in CASES]


def expected(name, xlen):
    return (EXAMPLES / "expected" / f"{name}-rv{xlen}.out").read_text()


def stdin_for(name):
    p = EXAMPLES / "expected" / f"{name}.in"
    return p.read_bytes() if p.exists() else None


def check_run(result, name, xlen):
    assert not result.timed_out and result.exit_code == 0, result.describe()
    assert result.text == expected(name, xlen), result.describe()
    if name == "semihosting-hello":
        # the semihosting console goes to stderr (QEMU 7.2 does so too)
        assert "Hello from semihosting!\n" in result.stderr.decode("utf-8", "replace"), result.describe()


def test_every_example_has_a_prebuilt_elf_and_expected_output():
    for name, xlen in CASES:
        assert (EXAMPLES / "build" / f"{name}-rv{xlen}.elf").is_file(), f"run make -C examples ({name})"
        assert (EXAMPLES / "expected" / f"{name}-rv{xlen}.out").is_file()
        assert (EXAMPLES / f"{name}.c").is_file()


@pytest.mark.qemu
@pytest.mark.parametrize("name,xlen", CASES, ids=IDS)
def test_example_on_qemu(require_qemu, name, xlen):
    require_qemu(xlen)
    elf = EXAMPLES / "build" / f"{name}-rv{xlen}.elf"
    r = run_qemu(elf, xlen, timeout=30, input=stdin_for(name), semihosting=name == "semihosting-hello")
    check_run(r, name, xlen)


@pytest.mark.parametrize("name,xlen", [c for c in CASES if not c[0].startswith("bench-")],
                         ids=[i for i in IDS if not i.startswith("bench-")])
def test_example_on_emud(name, xlen):
    elf = EXAMPLES / "build" / f"{name}-rv{xlen}.elf"
    r = run_emud(elf, xlen, timeout=120, input=stdin_for(name), semihosting=name == "semihosting-hello")
    check_run(r, name, xlen)


@pytest.mark.slow
@pytest.mark.parametrize("name,xlen", [c for c in CASES if c[0].startswith("bench-")],
                         ids=[i for i in IDS if i.startswith("bench-")])
def test_full_size_benchmark_on_emud(name, xlen):
    elf = EXAMPLES / "build" / f"{name}-rv{xlen}.elf"
    check_run(run_emud(elf, xlen, timeout=1200), name, xlen)


@pytest.mark.qemu
@pytest.mark.parametrize("xlen", [32, 64])
@pytest.mark.parametrize("name", BENCHES)
def test_small_benchmark_agrees_with_qemu(build_firmware, require_qemu, name, xlen):
    require_qemu(xlen)
    elf = build_firmware(name, xlen, defines={"BENCH_ITERS": 2})
    q = run_qemu(elf, xlen, timeout=30)
    assert q.exit_code == 0 and " ok\n" in q.text, q.describe()
    e = run_emud(elf, xlen, timeout=300)
    assert (e.exit_code, e.text) == (q.exit_code, q.text), e.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("xlen", [32, 64])
def test_timer_output_is_identical_under_icount(build_firmware, require_qemu, xlen):
    """With -icount the busy-loop counts between ticks are deterministic."""
    require_qemu(xlen)
    elf = build_firmware("timer", xlen, defines={"TICKS": 3, "TICK_INTERVAL": 200, "TIMER_BUSY": None})
    flags = dict(extra=["-icount", "shift=0,sleep=off"])
    q = run_qemu(elf, xlen, timeout=30, **flags)
    assert q.exit_code == 0 and "timer: done" in q.text, q.describe()
    e = run_emud(elf, xlen, timeout=300, **flags)
    assert (e.exit_code, e.text) == (q.exit_code, q.text), e.describe()


@pytest.mark.qemu
@pytest.mark.parametrize("xlen", [32, 64])
def test_trap_log_is_identical_under_icount(build_firmware, require_qemu, xlen, tmp_path):
    """``-d int`` prints QEMU's riscv_cpu_do_interrupt lines, trap for trap."""
    require_qemu(xlen)
    elf = build_firmware("timer", xlen, defines={"TICKS": 3, "TICK_INTERVAL": 200, "TIMER_BUSY": None})
    logs = trap_logs(elf, xlen, tmp_path)
    assert logs["qemu"].count("desc=m_timer") == 3
    assert logs["emud"] == logs["qemu"]


@pytest.mark.qemu
@pytest.mark.parametrize("xlen", [32, 64])
def test_rtos_trap_log_is_identical_under_icount(build_firmware, require_qemu, xlen, tmp_path):
    """The RTOS-shaped example: its tasks yield with ecall and a 0.5 ms tick
    switches them. QEMU's icount counts an ecall as executed though it does
    not retire (emud: CPUState.charged), so every ecall moves the next timer
    interrupt: all of them land on the same instruction on both."""
    require_qemu(xlen)
    elf = build_firmware("rtos-mix", xlen, defines={"BENCH_ITERS": 300})
    logs = trap_logs(elf, xlen, tmp_path)
    assert logs["qemu"].count("desc=m_timer") >= 3 and logs["qemu"].count("desc=machine_ecall") >= 50
    assert logs["emud"] == logs["qemu"]


@pytest.mark.parametrize("accel", ["tcg,tier-up=0,regions=off", "tcg,regions=on"])
def test_rtos_trap_log_under_icount_does_not_depend_on_the_translation(build_firmware, tmp_path, accel):
    """Under icount a trap's place depends on instructions alone, not on how
    blocks were translated: an ecall (charged, not retired) ends the quantum,
    whose budget was the instructions left to the next timer deadline."""
    elf = build_firmware("rtos-mix", 32, defines={"BENCH_ITERS": 300})
    logs = {}
    for name, a in (("default", "tcg"), ("other", accel)):
        log = tmp_path / f"{name}.log"
        r = run_emud(elf, 32, timeout=300, extra=["-accel", a, "-icount", "shift=0,sleep=off", "-d", "int",
                                                  "-D", str(log)])
        assert r.exit_code == 0, r.describe()
        logs[name] = log.read_text()
    assert logs["default"].count("desc=m_timer") >= 3
    assert logs["other"] == logs["default"]


@pytest.mark.qemu
@pytest.mark.parametrize("code", [1, 42])
def test_exit_code_through_sifive_test(build_firmware, require_qemu, code):
    """main's return value n becomes exit status n on both."""
    require_qemu(32)
    src = {"ret.c": f"int main(void) {{ return {code}; }}\n"}
    elf = build_firmware(src, 32, name=f"ret{code}")
    assert run_qemu(elf, 32, timeout=10).exit_code == code
    assert run_emud(elf, 32, timeout=60).exit_code == code


# -- Cortex-M: examples/cortexm-*.c, built for each board as build/<name>-<machine>.elf

CORTEXM = ["cortexm-hello", "cortexm-systick", "cortexm-fault"]
#: semihosting exit codes other than 0 (cortexm-fault exits from its HardFault handler)
CORTEXM_EXIT = {"cortexm-fault": 3}
#: the command lines README gives, as projects write them for QEMU
BOARD_ARGS = {"mps2-an385": ["-nographic", "-semihosting"],
              "lm3s6965evb": ["-cpu", "cortex-m3", "-nographic", "-semihosting-config", "enable=on,target=native"]}
CORTEXM_CASES = [(n, m) for n in CORTEXM for m in sorted(BOARD_ARGS)]


def cortexm_args(name, machine):
    return ["-M", machine, *BOARD_ARGS[machine], "-kernel", str(EXAMPLES / "build" / f"{name}-{machine}.elf")]


def check_cortexm(result, name, machine):
    assert not result.timed_out and result.exit_code == CORTEXM_EXIT.get(name, 0), result.describe()
    assert result.text == (EXAMPLES / "expected" / f"{name}-{machine}.out").read_text(), result.describe()


def test_every_cortexm_example_has_a_prebuilt_elf_and_expected_output():
    for name, machine in CORTEXM_CASES:
        assert (EXAMPLES / "build" / f"{name}-{machine}.elf").is_file(), f"run make -C examples cortexm ({name})"
        assert (EXAMPLES / "expected" / f"{name}-{machine}.out").is_file()


@pytest.mark.qemu
@pytest.mark.parametrize("name,machine", CORTEXM_CASES + [(n, "mps2-an385") for n in BENCHES])
def test_cortexm_example_on_qemu(name, machine):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    check_cortexm(run(["qemu-system-arm", *cortexm_args(name, machine)], timeout=30), name, machine)


@pytest.mark.parametrize("name,machine", CORTEXM_CASES)
def test_cortexm_example_on_emud(name, machine):
    check_cortexm(run([emud_python(), "-m", "emud", *cortexm_args(name, machine)], timeout=120), name, machine)


# -- the integer workloads' Cortex-M twins (python -m emud.bench --arch arm):
# bench-*.c through bench.h's Cortex-M path, build/bench-<name>-mps2-an385.elf

CORTEXM_BENCHES = [(n, "mps2-an385") for n in BENCHES]


def make_cortexm_bench(tmp_path, name, defs=""):
    """Build one twin with examples/Makefile's own rule into tmp_path."""
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    elf = tmp_path / f"{name}-mps2-an385.elf"
    r = run(["make", "-s", "-C", str(EXAMPLES), f"BUILD={tmp_path}", f"BENCH_DEFS={defs}", str(elf)], timeout=120)
    assert r.exit_code == 0 and elf.is_file(), r.describe()
    return elf


def test_every_cortexm_bench_has_a_prebuilt_elf_and_expected_output():
    for name, machine in CORTEXM_BENCHES:
        assert (EXAMPLES / "build" / f"{name}-{machine}.elf").is_file(), f"run make -C examples cortexm-bench ({name})"
        assert (EXAMPLES / "expected" / f"{name}-{machine}.out").is_file()


@pytest.mark.parametrize("name", BENCHES)
def test_cortexm_bench_prebuilt_elf_is_reproducible(tmp_path, name):
    """make -C examples cortexm-bench gives back the committed ELF, byte for byte."""
    elf = make_cortexm_bench(tmp_path, name)
    assert elf.read_bytes() == (EXAMPLES / "build" / elf.name).read_bytes()


@pytest.mark.slow
@pytest.mark.parametrize("name,machine", CORTEXM_BENCHES)
def test_full_size_cortexm_bench_on_emud(name, machine):
    check_cortexm(run([emud_python(), "-m", "emud", *cortexm_args(name, machine)], timeout=1200), name, machine)


@pytest.mark.qemu
@pytest.mark.parametrize("name", BENCHES)
def test_small_cortexm_bench_agrees_with_qemu(tmp_path, name):
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm not installed")
    elf = make_cortexm_bench(tmp_path, name, "-DBENCH_ITERS=2")
    args = ["-M", "mps2-an385", *BOARD_ARGS["mps2-an385"], "-kernel", str(elf)]
    q = run(["qemu-system-arm", *args], timeout=30)
    assert q.exit_code == 0 and " ok\n" in q.text, q.describe()
    e = run([emud_python(), "-m", "emud", *args], timeout=300)
    assert (e.exit_code, e.text) == (q.exit_code, q.text), e.describe()
