"""Tier 0: a block's IR decoded once into a list of small closures.

The execution engine runs a new block this way until it is hot enough to be
worth compiling (exec.TIER_UP_CALLS). Semantics are exactly those of the
reference interpreter, :func:`interp.run_ops` (tests/tcg/test_tier0.py runs
both on the same ops); what differs is when the work is done: operands are
classified (constant, scratch temp, guest register), constants masked,
labels resolved and opcode functions looked up once, when the block is made,
so that a run is one closure call per op with no dictionary or string work.
On a cold PyPy that makes a block run ~3x cheaper than run_ops.

A step is ``step(cpu, x, t, s)`` (x: cpu.x; t: the scratch temps; s: [pc,
length, started, a deferred store's exit request] of the instruction being
run) and returns None for the next step, the index of a branch target, or
EXIT.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from .interp import BINARY, CMP, UNARY, IRError, Load, Store, _sext
from .ir import Op, Temp, deferred_stores
from .translator import ExitRequest, TBExit

EXIT = -1
CONST, TEMP, REG = 0, 1, 2

class _Decoder:
    def __init__(self, ops: Sequence[Op], load: Load, store: Store, helpers: Dict[str, Callable],
                 signed_regs: bool) -> None:
        self.ops = ops
        self.load, self.store, self.helpers = load, store, helpers
        self.signed_regs = signed_regs
        self.slots: Dict[Temp, int] = {}
        self.label_step: Dict[int, int] = {}
        self.pending: List = []      # (branch's target cell, label, its step index)

    def operand(self, v, w: int):
        """(kind, payload) of a value operand read at width w."""
        if isinstance(v, Temp):
            if v.is_global:
                return REG, v.reg
            return TEMP, self.slots.setdefault(v, len(self.slots))
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
            return CONST, v & ((1 << w) - 1)
        raise IRError("bad operand %r" % (v,))

    def reader(self, v, w: int) -> Callable:
        """A function (x, t) -> the operand's value at width w (for the
        less frequent ops; the frequent ones read operands inline)."""
        kind, p = self.operand(v, w)
        m = (1 << w) - 1
        if kind == CONST:
            return lambda x, t: p
        if kind == TEMP:
            return lambda x, t: t[p] & m
        return lambda x, t: x[p] & m

    def writer(self, d: Temp, w: int) -> Callable:
        """A function (x, t, value) storing a result of width w."""
        m = (1 << w) - 1
        if not d.is_global:
            p = self.slots.setdefault(d, len(self.slots))

            def put_temp(x, t, v):
                t[p] = v & m
            return put_temp
        reg = d.reg
        if self.signed_regs and w == 64:
            def put_signed(x, t, v):
                v &= m
                x[reg] = v - 0x10000000000000000 if v >> 63 else v
            return put_signed

        def put_reg(x, t, v):
            x[reg] = v & m
        return put_reg

    # -- steps -----------------------------------------------------------------------
    def binary(self, fn, d, a, b, w: int):
        ka, pa = self.operand(a, w)
        kb, pb = self.operand(b, w)
        m = (1 << w) - 1
        put = self.writer(d, w)

        def step(cpu, x, t, s):
            va = pa if ka == CONST else (t[pa] & m if ka == TEMP else x[pa] & m)
            vb = pb if kb == CONST else (t[pb] & m if kb == TEMP else x[pb] & m)
            put(x, t, fn(va, vb, w))
        return step

    def unary(self, fn, d, a, w: int):
        ka, pa = self.operand(a, w)
        m = (1 << w) - 1
        put = self.writer(d, w)

        def step(cpu, x, t, s):
            put(x, t, fn(pa if ka == CONST else (t[pa] & m if ka == TEMP else x[pa] & m), w))
        return step

    def brcond(self, a, b, cond: str, label: int, here: int, w: int):
        ka, pa = self.operand(a, w)
        kb, pb = self.operand(b, w)
        m = (1 << w) - 1
        test = CMP[cond]
        targets = [None]     # the label's step: resolved once every step is decoded

        def step(cpu, x, t, s):
            va = pa if ka == CONST else (t[pa] & m if ka == TEMP else x[pa] & m)
            vb = pb if kb == CONST else (t[pb] & m if kb == TEMP else x[pb] & m)
            if test(va, vb, w):
                return targets[0]
            return None
        self.pending.append((targets, label, here))
        return step

    def setcond(self, d, a, b, cond: str, w: int):
        ra, rb, put, test = self.reader(a, w), self.reader(b, w), self.writer(d, w), CMP[cond]

        def step(cpu, x, t, s):
            put(x, t, 1 if test(ra(x, t), rb(x, t), w) else 0)
        return step

    def movcond(self, d, a, b, c, e, cond: str, w: int):
        ra, rb, rc, re = (self.reader(v, w) for v in (a, b, c, e))
        put, test = self.writer(d, w), CMP[cond]

        def step(cpu, x, t, s):
            put(x, t, rc(x, t) if test(ra(x, t), rb(x, t), w) else re(x, t))
        return step

    def ld(self, d, a, size: int, signed: bool, kind: str, w: int):
        ra, put, load = self.reader(a, w), self.writer(d, w), self.load
        sext = _sext(8 * size) if signed else None

        def step(cpu, x, t, s):
            v = load(cpu, ra(x, t), size, False, kind, s[0])
            put(x, t, sext(v, w) if sext is not None else v)
        return step

    def st(self, a, v, size: int, kind: str, w: int, deferred: bool = False):
        ra, rv, store = self.reader(a, w), self.reader(v, w), self.store
        vm = (1 << (8 * size)) - 1

        def step(cpu, x, t, s):
            store(cpu, ra(x, t), rv(x, t) & vm, size, kind, s[0])
        if not deferred:
            return step

        def deferred_step(cpu, x, t, s):
            # more ops of this instruction follow: an exit request waits for
            # the end of the instruction (_check_exit)
            try:
                store(cpu, ra(x, t), rv(x, t) & vm, size, kind, s[0])
            except ExitRequest:
                s[3] = True
        return deferred_step

    def call(self, d, name: str, args, flags: str, w: int):
        fn = self.helpers[name]
        readers = [self.reader(a, w) for a in args]
        put = self.writer(d, w) if d is not None else None
        noreturn = "noreturn" in flags

        def step(cpu, x, t, s):
            result = fn(cpu, *[r(x, t) for r in readers])
            if noreturn:
                raise IRError("noreturn helper %s returned" % name)
            if put is not None:
                if not isinstance(result, int):
                    raise IRError("helper %s returned %r" % (name, result))
                put(x, t, result)
        return step

    def exit_to(self, target, w: int, masked: bool = True):
        if isinstance(target, int) and not isinstance(target, bool):
            read = None
            pc = target & ((1 << w) - 1) if masked else target
        else:
            read = self.reader(target, w)

        def step(cpu, x, t, s):
            if s[2]:
                cpu.budget -= 1
            cpu.pc = read(x, t) if read is not None else pc
            return EXIT
        return step

    def decode(self) -> List[Callable]:
        steps: List[Callable] = []
        deferred = deferred_stores(self.ops)
        pending = False     # a deferred store since the last instruction boundary
        for i, op in enumerate(self.ops):
            opc, args, w = op.opc, op.args, op.w
            if opc == "set_label":
                self.label_step[args[0]] = len(steps)
                continue
            if opc == "insn_start":
                if pending:
                    steps.append(_check_exit)
                    pending = False
                steps.append(_insn_start(args[0], args[1]))
            elif opc in BINARY:
                steps.append(self.binary(BINARY[opc], args[0], args[1], args[2], w))
            elif opc in UNARY:
                steps.append(self.unary(UNARY[opc], args[0], args[1], w))
            elif opc == "brcond":
                steps.append(self.brcond(args[0], args[1], args[2], args[3], len(steps), w))
            elif opc == "setcond":
                steps.append(self.setcond(args[0], args[1], args[2], args[3], w))
            elif opc == "movcond":
                steps.append(self.movcond(*args, w=w))
            elif opc == "ld":
                steps.append(self.ld(*args, w=w))
            elif opc == "st":
                steps.append(self.st(*args, w=w, deferred=i in deferred))
                pending = pending or i in deferred
            elif opc == "call":
                steps.append(self.call(*args, w=w))
            elif opc == "goto_tb":
                steps.append(self.exit_to(args[1], w, masked=False))
            elif opc in ("exit_indirect", "exit_tb"):
                steps.append(self.exit_to(args[0], w))
            else:
                raise IRError("unknown op %r" % opc)
        steps.append(_fell_off)
        for targets, label, here in self.pending:
            target = self.label_step.get(label)
            if target is None or target <= here:
                targets[0] = len(steps) - 1 if target is None else target
                steps[here] = _bad_branch(steps[here], label)
            else:
                targets[0] = target
        return steps


def _insn_start(pc: int, length: int) -> Callable:
    def step(cpu, x, t, s):
        if s[2]:
            cpu.budget -= 1   # the previous instruction retired
        s[0], s[1], s[2] = pc, length, True
    return step


def _check_exit(cpu, x, t, s):
    """The end of an instruction with a deferred store: its exit request now
    (an exit op needs none: a tier-0 block always returns to the dispatcher)."""
    if s[3]:
        raise ExitRequest(s[0])


def _fell_off(cpu, x, t, s):
    raise IRError("fell off the end of the TB")


def _bad_branch(step: Callable, label: int) -> Callable:
    def checked(cpu, x, t, s):
        if step(cpu, x, t, s) is not None:
            raise IRError("brcond to a missing or backward label %r" % label)
    return checked


def decode_ops(ops: Sequence[Op], load: Load, store: Store, helpers: Dict[str, Callable],
               signed_regs: bool) -> Callable:
    """``run(cpu) -> next pc``: :func:`interp.run_ops` on these ops, decoded once."""
    decoder = _Decoder(ops, load, store, helpers, signed_regs)
    steps = decoder.decode()
    nslots = len(decoder.slots)

    def run(cpu) -> int:
        x = cpu.x
        t = [None] * nslots
        s = [0, 0, False, False]
        i = 0
        try:
            while True:
                r = steps[i](cpu, x, t, s)
                if r is None:
                    i += 1
                elif r == EXIT:
                    return cpu.pc
                else:
                    i = r
        except TBExit as e:
            if e.completed and s[2]:
                cpu.budget -= 1
                cpu.pc = s[0] + s[1]
            else:
                cpu.pc = e.pc
            raise
    return run


__all__ = ["decode_ops"]
