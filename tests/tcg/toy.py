"""A toy guest used to test the architecture-neutral pipeline (translator
loop, optimizer, back end, TB cache, execution loop) without RISC-V.

Encoding: 4-byte little-endian words ``op | rd << 8 | rs << 16 | imm8 << 24``.
  1 ADDI rd, rs, imm     rd = rs + sext(imm)
  2 BNE  rd, rs, imm     if rd != rs: pc += sext(imm) * 4
  3 LW   rd, imm(rs)     rd = mem32[rs + sext(imm)]
  4 SW   rd, imm(rs)     mem32[rs + sext(imm)] = rd
  5 JR   rs              pc = rs
  6 TRAP imm             raise trap cause imm
  7 HALT                 exit_tb (the dispatcher sees halted)
  8 BNEX rd, rs, imm     BNE as a side exit: taken, it leaves the TB; not
                         taken, the TB goes on (as front ends make forward
                         conditional branches)
"""
from __future__ import annotations

from emud.cpu.base import CPUState
from emud.tcg.translator import Frontend, GuestTrap


def enc(op, rd=0, rs=0, imm=0):
    return (op | rd << 8 | rs << 16 | (imm & 0xFF) << 24).to_bytes(4, "little")


def sext8(v):
    return v - 256 if v & 0x80 else v


class ToyCPU(CPUState):
    xlen = 32
    num_regs = 8

    def __init__(self):
        super().__init__(0)
        self.traps = []

    def reset(self):
        self.x = [0] * 8

    def do_exception(self, trap):
        self.traps.append((trap.pc, trap.cause))
        self.pc = trap.pc + 4   # resume after the trapping insn

    def fetch_fault(self, pc):
        return GuestTrap(pc, 100, pc)

    def mem_fault(self, kind, addr, pc, misaligned=False):
        return GuestTrap(pc, 101 if kind == "load" else 102, addr)


def _trap(cpu, pc, cause):
    raise GuestTrap(pc, cause)


def _halt(cpu):
    cpu.halted = True


class ToyFrontend(Frontend):
    name = "toy"
    xlen = 32
    helpers = {"trap": _trap, "halt": _halt}

    def insn_length(self, first_halfword):
        return 4

    def translate_insn(self, ctx):
        b, insn = ctx.b, ctx.insn
        op, rd, rs, imm = insn & 0xFF, (insn >> 8) & 0xFF, (insn >> 16) & 0xFF, sext8(insn >> 24)
        src = b.reg(rs) if rs else 0
        if op == 1:
            if rd:
                b.mov(b.reg(rd), b.add(src, imm & 0xFFFFFFFF))
        elif op == 2:
            label = b.label()
            b.brcond("ne", b.reg(rd) if rd else 0, src, label)
            b.goto_tb(0, ctx.next_pc)
            b.set_label(label)
            b.goto_tb(1, (ctx.pc + imm * 4) & 0xFFFFFFFF)
            ctx.end_tb()
        elif op == 8:
            stay = b.label()
            b.brcond("eq", b.reg(rd) if rd else 0, src, stay)
            b.goto_tb(0, (ctx.pc + imm * 4) & 0xFFFFFFFF)
            b.set_label(stay)
        elif op == 3:
            v = b.ld(b.add(src, imm & 0xFFFFFFFF), 4)
            if rd:
                b.mov(b.reg(rd), v)
        elif op == 4:
            b.st(b.add(src, imm & 0xFFFFFFFF), b.reg(rd) if rd else 0, 4)
        elif op == 5:
            b.exit_indirect(src)
            ctx.end_tb()
        elif op == 6:
            b.call("trap", ctx.pc, imm, flags="noreturn")
            ctx.end_tb()
        elif op == 7:
            b.call("halt")
            b.exit_tb(ctx.next_pc)
            ctx.end_tb()
        else:
            b.call("trap", ctx.pc, 2, flags="noreturn")
            ctx.end_tb()

    def disassemble(self, code, pc):
        return [(pc, 4, "toy", code.hex())]
