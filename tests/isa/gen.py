"""Generate self-checking ISA tests for the integer instructions.

Each instruction is run on edge values and its result compared with the
value computed here from the RISC-V spec, in the harness of
``tests/isa/src/isa_rt.S`` (one ``TEST n`` per case, checks numbered 1..255,
so big groups are split in chunks). QEMU must pass every generated test:
a case QEMU fails is a bug in this file.

``generated_tests(xlen)`` -> ``{name: assembly source}``;
``python tests/isa/gen.py 64 DIR`` writes them out for reading.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Dict, List, Tuple

MAX_CHECKS = 250


def mask(v: int, bits: int) -> int:
    return v & ((1 << bits) - 1)


def sext(v: int, bits: int) -> int:
    v = mask(v, bits)
    return v - (1 << bits) if v >> (bits - 1) else v


def edge_values(xlen: int) -> List[int]:
    vals = [0, 1, 2, 3, 7, 0x7f, 0x80, 0x7ff, 0x800, 0xfff, 0x1234, 0x7fff, 0x8000, 0xffff,
            0x12345678, 0x7fffffff, 0x80000000, 0xffffffff, -1, -2, -0x800, -0x801,
            0x55555555, 0xaaaaaaaa]
    if xlen == 64:
        vals += [0x100000000, 0x7fffffffffffffff, 0x8000000000000000, 0x123456789abcdef0,
                 0xfedcba9876543210, 0x00000000ffffffff, 0xffffffff00000000, 0x5555555555555555]
    return sorted({mask(v, xlen) for v in vals})


def pairs(xlen: int) -> List[Tuple[int, int]]:
    """A spread of operand pairs: every edge value against a few partners."""
    vals = edge_values(xlen)
    partners = [0, 1, mask(-1, xlen), 1 << (xlen - 1), mask((1 << (xlen - 1)) - 1, xlen), 0x80000000,
                0x7ff, mask(-2, xlen)]
    out = []
    for i, a in enumerate(vals):
        out.append((a, partners[i % len(partners)]))
        out.append((partners[(i + 3) % len(partners)], a))
    out += [(a, a) for a in vals[::5]]
    return out


# -- semantics: f(a, b, xlen) on unsigned XLEN-bit values -> unsigned XLEN-bit result --

def _div(a: int, b: int, bits: int) -> int:
    sa, sb = sext(a, bits), sext(b, bits)
    if sb == 0:
        return mask(-1, bits)
    if sa == -(1 << (bits - 1)) and sb == -1:
        return mask(sa, bits)
    q = abs(sa) // abs(sb)
    return mask(q if (sa < 0) == (sb < 0) else -q, bits)


def _rem(a: int, b: int, bits: int) -> int:
    sa, sb = sext(a, bits), sext(b, bits)
    if sb == 0:
        return mask(sa, bits)
    if sa == -(1 << (bits - 1)) and sb == -1:
        return 0
    r = abs(sa) % abs(sb)
    return mask(r if sa >= 0 else -r, bits)


def _divu(a: int, b: int, bits: int) -> int:
    a, b = mask(a, bits), mask(b, bits)
    return mask(-1, bits) if b == 0 else a // b


def _remu(a: int, b: int, bits: int) -> int:
    a, b = mask(a, bits), mask(b, bits)
    return a if b == 0 else a % b


def _w(f: Callable[[int, int, int], int]) -> Callable[[int, int, int], int]:
    """An RV64 *W op: 32-bit operation, sign-extended result."""
    return lambda a, b, x: mask(sext(f(mask(a, 32), mask(b, 32), 32), 32), x)


RTYPE: Dict[str, Callable[[int, int, int], int]] = {
    "add": lambda a, b, x: mask(a + b, x),
    "sub": lambda a, b, x: mask(a - b, x),
    "sll": lambda a, b, x: mask(a << (b & (x - 1)), x),
    "slt": lambda a, b, x: int(sext(a, x) < sext(b, x)),
    "sltu": lambda a, b, x: int(a < b),
    "xor": lambda a, b, x: a ^ b,
    "srl": lambda a, b, x: a >> (b & (x - 1)),
    "sra": lambda a, b, x: mask(sext(a, x) >> (b & (x - 1)), x),
    "or": lambda a, b, x: a | b,
    "and": lambda a, b, x: a & b,
}
MTYPE: Dict[str, Callable[[int, int, int], int]] = {
    "mul": lambda a, b, x: mask(a * b, x),
    "mulh": lambda a, b, x: mask((sext(a, x) * sext(b, x)) >> x, x),
    "mulhsu": lambda a, b, x: mask((sext(a, x) * b) >> x, x),
    "mulhu": lambda a, b, x: (a * b) >> x,
    "div": lambda a, b, x: _div(a, b, x),
    "divu": lambda a, b, x: _divu(a, b, x),
    "rem": lambda a, b, x: _rem(a, b, x),
    "remu": lambda a, b, x: _remu(a, b, x),
}
RTYPE_W: Dict[str, Callable[[int, int, int], int]] = {
    "addw": _w(lambda a, b, x: a + b),
    "subw": _w(lambda a, b, x: a - b),
    "sllw": _w(lambda a, b, x: a << (b & 31)),
    "srlw": _w(lambda a, b, x: a >> (b & 31)),
    "sraw": _w(lambda a, b, x: sext(a, 32) >> (b & 31)),
    "mulw": _w(lambda a, b, x: a * b),
    "divw": _w(_div),
    "divuw": _w(_divu),
    "remw": _w(_rem),
    "remuw": _w(_remu),
}
IMM_OPS: Dict[str, Tuple[str, bool]] = {
    # immediate form -> (register op with the same semantics, is_shift)
    "addi": ("add", False), "slti": ("slt", False), "sltiu": ("sltu", False),
    "xori": ("xor", False), "ori": ("or", False), "andi": ("and", False),
    "slli": ("sll", True), "srli": ("srl", True), "srai": ("sra", True),
}
IMM_OPS_W: Dict[str, Tuple[str, bool]] = {
    "addiw": ("addw", False), "slliw": ("sllw", True), "srliw": ("srlw", True), "sraiw": ("sraw", True),
}
IMMEDIATES = [0, 1, -1, 2, 0x7ff, -0x800, 0x555, -0x556, 0x80, 0x7f, -2, 0x400]
BRANCHES: Dict[str, Callable[[int, int, int], bool]] = {
    "beq": lambda a, b, x: a == b,
    "bne": lambda a, b, x: a != b,
    "blt": lambda a, b, x: sext(a, x) < sext(b, x),
    "bge": lambda a, b, x: sext(a, x) >= sext(b, x),
    "bltu": lambda a, b, x: a < b,
    "bgeu": lambda a, b, x: a >= b,
}


AMOS: Dict[str, Callable[[int, int, int], int]] = {
    # (old memory value, rs2, width) -> new memory value, all unsigned width-bit
    "amoswap": lambda m, r, b: r,
    "amoadd": lambda m, r, b: mask(m + r, b),
    "amoxor": lambda m, r, b: m ^ r,
    "amoand": lambda m, r, b: m & r,
    "amoor": lambda m, r, b: m | r,
    "amomin": lambda m, r, b: m if sext(m, b) < sext(r, b) else r,
    "amomax": lambda m, r, b: m if sext(m, b) > sext(r, b) else r,
    "amominu": lambda m, r, b: min(m, r),
    "amomaxu": lambda m, r, b: max(m, r),
}


class Writer:
    """Accumulates cases and splits them into files of at most MAX_CHECKS."""

    def __init__(self, group: str, xlen: int, comment: str, data: str = "", prologue: str = "") -> None:
        self.group, self.xlen, self.comment, self.data = group, xlen, comment, data
        self.prologue = prologue
        self.files: List[List[str]] = [[]]

    def case(self, lines: List[str]) -> None:
        if len(self.files[-1]) >= MAX_CHECKS:
            self.files.append([])
        n = len(self.files[-1]) + 1
        self.files[-1].append(f"    TEST {n}\n" + "".join(f"    {l}\n" for l in lines))

    def render(self) -> Dict[str, str]:
        out = {}
        for i, cases in enumerate(self.files):
            if not cases:
                continue
            name = self.group if len(self.files) == 1 else f"{self.group}_{i}"
            out[name] = (f"/* Generated by tests/isa/gen.py (rv{self.xlen}): {self.comment} */\n"
                         "#include \"isa.h\"\n    .text\n    .globl test_main\ntest_main:\n"
                         + self.prologue + "".join(cases) + "    j pass\n" + self.data)
        return out


def h(v: int) -> str:
    return hex(v)


def gen_rr(w: Writer, ops: Dict[str, Callable[[int, int, int], int]], xlen: int) -> None:
    for op, f in ops.items():
        for i, (a, b) in enumerate(pairs(xlen)):
            r = f(a, b, xlen)
            if i % 9 == 4:      # destination = first source
                w.case([f"li a1, {h(a)}", f"li a2, {h(b)}", f"{op} a1, a1, a2", f"CHECK a1, {h(r)}"])
            elif i % 9 == 7:    # destination = second source
                w.case([f"li a1, {h(a)}", f"li a2, {h(b)}", f"{op} a2, a1, a2", f"CHECK a2, {h(r)}"])
            else:
                w.case([f"li a1, {h(a)}", f"li a2, {h(b)}", f"{op} a0, a1, a2", f"CHECK a0, {h(r)}"])
        # writes to x0 are dropped
        w.case([f"li a1, 5", f"li a2, 7", f"{op} zero, a1, a2", "CHECK zero, 0"])


def gen_imm(w: Writer, ops: Dict[str, Tuple[str, bool]], xlen: int) -> None:
    for op, (reg_op, is_shift) in ops.items():
        f = {**RTYPE, **RTYPE_W}[reg_op]
        shamt_bits = 5 if op.endswith("w") or xlen == 32 else 6
        imms = ([0, 1, 2, 7, 15, 16, 31] + ([32, 33, 63] if shamt_bits == 6 else [])) if is_shift else IMMEDIATES
        for a in edge_values(xlen)[::2] + [mask(-1, xlen)]:
            for imm in imms[::3] if not is_shift else imms[::2]:
                r = f(a, mask(imm, xlen), xlen)
                w.case([f"li a1, {h(a)}", f"{op} a0, a1, {imm}", f"CHECK a0, {h(r)}"])
        for imm in imms:
            a = 0x80000000 if not is_shift else mask(-0x1234567, xlen)
            r = f(a, mask(imm, xlen), xlen)
            w.case([f"li a1, {h(a)}", f"{op} a1, a1, {imm}", f"CHECK a1, {h(r)}"])


def gen_upper(w: Writer, xlen: int) -> None:
    for imm in [0, 1, 0x7ffff, 0x80000, 0xfffff, 0x12345, 0xabcde]:
        r = mask(sext(imm << 12, 32), xlen)
        w.case([f"lui a0, {h(imm)}", f"CHECK a0, {h(r)}"])
        w.case(["1:", f"auipc a0, {h(imm)}", "la a1, 1b", "sub a0, a0, a1", f"CHECK a0, {h(r)}"])


def gen_branches(w: Writer, xlen: int) -> None:
    vals = [0, 1, mask(-1, xlen), 1 << (xlen - 1), mask((1 << (xlen - 1)) - 1, xlen), 0x80000000, 2]
    for op, f in BRANCHES.items():
        for a in vals:
            for b in vals[::2] + [a]:
                taken = f(a, b, xlen)
                w.case([f"li a1, {h(a)}", f"li a2, {h(b)}", "li a0, 0", f"{op} a1, a2, 1f",
                        "li a0, 1", "1:", f"CHECK a0, {0 if taken else 1}"])
        # backward taken branch
        a, b = (3, 3) if f(3, 3, xlen) else (1, 2)
        w.case(["j 2f", "1: li a0, 7", "j 3f", f"2: li a1, {a}", f"li a2, {b}", "li a0, 0",
                f"{op} a1, a2, 1b", "3:", f"CHECK a0, {7 if f(a, b, xlen) else 0}"])


LOAD_DATA = [0x80, 0x7f, 0xff, 0x01, 0xaa, 0x55, 0x12, 0x34, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
             0x00, 0x80, 0x00, 0x00, 0x01, 0x00, 0x00, 0x80, 0xef, 0xbe, 0xad, 0xde, 0x0d, 0xf0, 0xad, 0x0b]


def gen_loads(w: Writer, xlen: int) -> None:
    loads = {"lb": (1, True), "lbu": (1, False), "lh": (2, True), "lhu": (2, False), "lw": (4, True)}
    if xlen == 64:
        loads.update({"lwu": (4, False), "ld": (8, True)})
    base = 16   # s0 points at ldata + 16 so negative offsets reach the start
    for op, (size, signed) in loads.items():
        for off in range(-16, 16, size):
            v = int.from_bytes(bytes(LOAD_DATA[base + off: base + off + size]), "little")
            r = mask(sext(v, size * 8), xlen) if signed else v
            w.case([f"{op} a0, {off}(s0)", f"CHECK a0, {h(r)}"])
        # load into the base register itself
        v = int.from_bytes(bytes(LOAD_DATA[base: base + size]), "little")
        r = mask(sext(v, size * 8), xlen) if signed else v
        w.case([f"mv a3, s0", f"{op} a3, 0(a3)", f"CHECK a3, {h(r)}"])


def gen_stores(w: Writer, xlen: int) -> None:
    stores = {"sb": 1, "sh": 2, "sw": 4}
    if xlen == 64:
        stores["sd"] = 8
    value = mask(0xf1e2d3c4b5a69788, xlen)
    for op, size in stores.items():
        for off in range(-8, 8, size):
            mem = bytearray(16)                         # s1 -> sdata + 8, zeroed per case
            start = 8 + off
            mem[start:start + size] = mask(value, size * 8).to_bytes(size, "little")
            lines = ["sw zero, -8(s1)", "sw zero, -4(s1)", "sw zero, 0(s1)", "sw zero, 4(s1)",
                     f"li a1, {h(value)}", f"{op} a1, {off}(s1)"]
            for woff in range(-8, 8, 4):
                word = int.from_bytes(bytes(mem[8 + woff: 12 + woff]), "little")
                lines += [f"lwu a0, {woff}(s1)" if xlen == 64 else f"lw a0, {woff}(s1)", f"CHECK a0, {h(word)}"]
            w.case(lines)


def gen_amo(w: Writer, xlen: int) -> None:
    widths = {"w": 32, "d": 64} if xlen == 64 else {"w": 32}
    for suffix, bits in widths.items():
        ld, sd = ("lw", "sw") if bits == 32 else ("ld", "sd")
        vals = [0, 1, 5, mask(-1, bits), 1 << (bits - 1), (1 << (bits - 1)) - 1, 0x80000000, 0x7fffffff]
        for op, f in AMOS.items():
            for i, m in enumerate(vals):
                r = vals[(i * 3 + 1) % len(vals)]
                new = f(m, r, bits)
                order = ["", ".aq", ".rl", ".aqrl"][i % 4]
                w.case([f"li a1, {h(mask(sext(m, bits), xlen))}", f"{sd} a1, 0(s0)",
                        f"li a2, {h(mask(sext(r, bits), xlen))}", f"{op}.{suffix}{order} a0, a2, (s0)",
                        f"CHECK a0, {h(mask(sext(m, bits), xlen))}", f"{ld} a3, 0(s0)",
                        f"CHECK a3, {h(mask(sext(new, bits), xlen))}"])
            # rd = x0 still writes memory
            w.case(["li a1, 3", f"{sd} a1, 0(s0)", "li a2, 4", f"{op}.{suffix} zero, a2, (s0)", f"{ld} a3, 0(s0)",
                    f"CHECK a3, {h(f(3, 4, bits))}"])


def generated_tests(xlen: int) -> Dict[str, str]:
    out: Dict[str, str] = {}
    w = Writer("gen_rv_i_reg", xlen, "register-register ALU ops on edge values")
    gen_rr(w, RTYPE, xlen)
    out.update(w.render())
    w = Writer("gen_rv_i_imm", xlen, "register-immediate ALU ops and shifts")
    gen_imm(w, IMM_OPS, xlen)
    out.update(w.render())
    w = Writer("gen_rv_i_upper_branch", xlen, "lui, auipc and every branch, both ways")
    gen_upper(w, xlen)
    gen_branches(w, xlen)
    out.update(w.render())
    w = Writer("gen_rv_m", xlen, "M extension incl. division by zero and overflow")
    gen_rr(w, MTYPE, xlen)
    out.update(w.render())
    data = ("    .data\n    .balign 16\nldata:\n" + "".join(f"    .byte {h(b)}\n" for b in LOAD_DATA)
            + "    .bss\n    .balign 16\nsdata: .space 16\n")
    w = Writer("gen_rv_i_loadstore", xlen, "every load and store width, sign and offset", data,
               prologue="    la s0, ldata + 16\n    la s1, sdata + 8\n")
    gen_loads(w, xlen)
    gen_stores(w, xlen)
    out.update(w.render())
    w = Writer("gen_rv_a", xlen, "every AMO, both widths, all orderings",
               "    .bss\n    .balign 16\namodata: .space 16\n", prologue="    la s0, amodata\n")
    gen_amo(w, xlen)
    out.update(w.render())
    if xlen == 64:
        w = Writer("gen_rv64_w", xlen, "RV64 *W ops (32-bit, sign-extended), incl. M")
        gen_rr(w, RTYPE_W, xlen)
        gen_imm(w, IMM_OPS_W, xlen)
        out.update(w.render())
    return out


if __name__ == "__main__":
    xlen = int(sys.argv[1]) if len(sys.argv) > 1 else 32
    dest = Path(sys.argv[2] if len(sys.argv) > 2 else ".")
    dest.mkdir(parents=True, exist_ok=True)
    for name, text in generated_tests(xlen).items():
        (dest / f"{name}-rv{xlen}.S").write_text(text)
        print(dest / f"{name}-rv{xlen}.S", text.count("TEST "))
