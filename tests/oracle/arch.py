"""What the lockstep needs to know per guest architecture, keyed by the
target description's <architecture> (``riscv:rv32``, ``arm``...): how long
the instruction at pc is, and whether it waits for an interrupt (a step
over a wait with interrupts masked never returns on QEMU, so lockstep stops
there). Registers and their widths come from the target description."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict


@dataclass(frozen=True)
class Arch:
    insn_length: Callable[[bytes], int]      # from the first two bytes at pc
    waits: Callable[[bytes], bool]           # the instruction's bytes (insn_length of them)


def _riscv_length(head: bytes) -> int:
    return 4 if head[0] & 3 == 3 else 2


def _thumb_length(head: bytes) -> int:
    # 32-bit Thumb-2 encodings start with 0b11101, 0b11110 or 0b11111
    return 4 if (int.from_bytes(head[:2], "little") >> 11) >= 0b11101 else 2


THUMB_WFI = {bytes.fromhex("30bf"), bytes.fromhex("aff30380")}    # wfi, wfi.w

ARCHES: Dict[str, Arch] = {
    "riscv": Arch(_riscv_length, lambda insn: insn == (0x10500073).to_bytes(4, "little")),
    "arm": Arch(_thumb_length, lambda insn: insn in THUMB_WFI),
}


def arch_of(architecture: str) -> Arch:
    family = architecture.split(":", 1)[0]
    if family not in ARCHES:
        raise KeyError(f"no lockstep table for architecture {architecture!r}")
    return ARCHES[family]
