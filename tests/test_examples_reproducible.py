"""`make -C examples` gives the same bytes wherever the checkout lives: no
absolute build path in the ELFs (debug info of C and assembly sources), so
rebuilding leaves the committed ELFs as they are."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def build_in(root: Path, target: str) -> bytes:
    (root / "tests" / "firmware").mkdir(parents=True)
    shutil.copytree(REPO / "tests" / "firmware" / "common", root / "tests" / "firmware" / "common")
    shutil.copytree(REPO / "examples", root / "examples", ignore=shutil.ignore_patterns("build", "expected"))
    subprocess.run(["make", "-s", "-C", str(root / "examples"), target], check=True, capture_output=True)
    return (root / "examples" / target).read_bytes()


@pytest.mark.parametrize("target, gcc", [("build/hello-rv32.elf", "riscv64-unknown-elf-gcc"),
                                         ("build/semihosting-hello-rv64.elf", "riscv64-unknown-elf-gcc"),
                                         ("build/cortexm-hello-lm3s6965evb.elf", "arm-none-eabi-gcc")])
def test_two_checkouts_build_the_same_elf(tmp_path, target, gcc):
    if shutil.which(gcc) is None or shutil.which("make") is None:
        pytest.skip("%s (and make) not installed" % gcc)
    one = build_in(tmp_path / "one", target)
    two = build_in(tmp_path / "elsewhere" / "two", target)
    assert str(tmp_path).encode() not in one
    assert one == two


def test_committed_cortexm_elf_is_what_make_builds(tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("make") is None:
        pytest.skip("arm-none-eabi-gcc (and make) not installed")
    target = "build/cortexm-systick-mps2-an385.elf"
    assert build_in(tmp_path / "one", target) == (REPO / "examples" / target).read_bytes()
