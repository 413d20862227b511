"""A store whose write makes the engine leave the running block (an NVIC
register write, SysTick being enabled: a timer armed; a store onto translated
code) is not the end of its instruction: STM/STMDB/PUSH's later stores and
base writeback, STR's pre/post-index writeback, STRD's second word, the IT
state advance after a conditional store must still happen. Before, the exit
was taken right after that store and the instruction counted as retired.
firmware/store_exit.c prints each result; compiled blocks (tier-up=0) and
interpreted ones (tier 0) give what the architecture says, and what
qemu-system-arm gives."""
from __future__ import annotations

import pytest

from .build import build
from .test_programs import run_emud, run_qemu

EXPECT = {
    "stm_wb": 8, "stm_ipr0": 0x20406080, "stm_ipr1": 0xa0c0e020,
    "stmdb_wb": 0, "stmdb_ipr0": 0x40608000, "stmdb_ipr1": 0x60e0a020, "stmdb_ipr2": 0x20406080,
    "push_sp": 0, "push_ipr0": 0xa0c0e020, "push_ipr1": 0x40608000,
    "post_wb": 4, "pre_wb": 8, "idx_ipr0": 0x60e0a020, "idx_ipr2": 0x60e0a020,
    "syst_wb": 4, "syst_on": 1,
    "strd_wb": 0, "strd_ipr1": 0x40608000, "strd_ipr2": 0x60e0a020,
    "it_r3": 5, "it_ipr0": 0x20406080,
    "smc_wb": 8, "smc_word": 0x5a5a,
}


def _values(out):
    return {k: int(v, 16) for k, v in (line.split("=", 1) for line in out.splitlines() if "=" in line)}


@pytest.mark.parametrize("tier_up", ["0", "32", "1000000"])
def test_the_rest_of_a_store_instruction_runs_after_an_exit_request(tier_up):
    code, out, m = run_emud(build("store_exit", "m3", "-O2"), "m3", accel_options={"tier-up": tier_up})
    assert code == 0
    assert _values(out) == EXPECT


@pytest.mark.qemu
def test_same_as_qemu():
    elf = build("store_exit", "m3", "-O2")
    code, out, _ = run_emud(elf, "m3")
    qcode, qout = run_qemu(elf)
    assert out.splitlines() == qout.splitlines()
    assert code == qcode == 0
