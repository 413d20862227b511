"""A store whose slow path asks the TB to exit (st_slow raises ExitRequest
after the write: code overwritten, a timer armed, an interrupt pended) takes
effect at the END of its instruction: the ops after the store (later stores,
a base writeback, SC's rd, an IT state) still run, the instruction retires,
the next one does not run, and the TB goes back to the dispatcher (no
chained successor). The reference interpreter (run_ops), tier 0 and the
compiled back end (with and without the optimizer, chaining on and off)
must leave the same state."""
from __future__ import annotations

import pytest

from emud.tcg.backend_py import CodegenConfig, compile_tb
from emud.tcg.interp import run_ops
from emud.tcg.ir import IRBuilder
from emud.tcg.optimize import optimize
from emud.tcg.tier0 import decode_ops
from emud.tcg.translator import ExitRequest, TBExit

DEVICE = 0x1000      # a store here asks for an exit


class _CPU:
    signed_regs = False

    def __init__(self) -> None:
        self.x = [0, 11, 22, 0, DEVICE, 0, 0, 0]
        self.pc = 0
        self.budget = 100
        self.exit_request = False
        self.mem = {}


def store(cpu, addr, value, size, kind, pc):
    cpu.mem[addr] = value
    if addr >= DEVICE:
        cpu.exit_request = True
        raise ExitRequest(pc)


def load(cpu, addr, size, signed, kind, pc):
    return cpu.mem.get(addr, 0)


def stm():
    """0x100: [r4] = r1; [r4 + 4] = r2; r4 += 8 (STMIA r4!); 0x104: r3 = 1"""
    b = IRBuilder(32)
    b.insn_start(0x100, 4)
    b.st(b.reg(4), b.reg(1), 4)
    b.st(b.add(b.reg(4), 4), b.reg(2), 4)
    b.mov(b.reg(4), b.add(b.reg(4), 8))
    b.insn_start(0x104, 4)
    b.mov(b.reg(3), 1)
    b.goto_tb(0, 0x108)
    return b.ops


def sc():
    """0x100: [r4] = r1; r5 = 0; exit to 0x104 (SC: its own exits)"""
    b = IRBuilder(32)
    b.insn_start(0x100, 4)
    fail = b.label()
    b.brcond("ne", b.reg(6), 0, fail)
    b.st(b.reg(4), b.reg(1), 4)
    b.mov(b.reg(5), 0)
    b.goto_tb(0, 0x104)
    b.set_label(fail)
    b.mov(b.reg(5), 1)
    b.goto_tb(1, 0x104)
    return b.ops


def conditional():
    """0x100: if r6 == 0: [r4] = r1; then r7 = 9 (an IT block's state); 0x104: r3 = 1"""
    b = IRBuilder(32)
    b.insn_start(0x100, 4)
    skip = b.label()
    b.brcond("ne", b.reg(6), 0, skip)
    b.st(b.reg(4), b.reg(1), 4)
    b.set_label(skip)
    b.mov(b.reg(7), 9)
    b.insn_start(0x104, 4)
    b.mov(b.reg(3), 1)
    b.goto_tb(0, 0x108)
    return b.ops


def plain():
    """0x100: [r4] = r1 (the last op of its instruction: exits at once); 0x104: r3 = 1"""
    b = IRBuilder(32)
    b.insn_start(0x100, 4)
    b.st(b.reg(4), b.reg(1), 4)
    b.insn_start(0x104, 4)
    b.mov(b.reg(3), 1)
    b.goto_tb(0, 0x108)
    return b.ops


def _run(kind, ops, r4=DEVICE, r6=0):
    cpu = _CPU()
    cpu.x[4], cpu.x[6] = r4, r6
    chained = []
    try:
        if kind == "reference":
            run_ops(ops, cpu, load, store, {})
        elif kind == "tier0":
            decode_ops(ops, load, store, {}, False)(cpu)
        else:
            chaining = kind.endswith("chain")
            body = optimize(ops) if kind.startswith("opt") else ops
            insns = [(op.args[0], op.args[1]) for op in ops if op.opc == "insn_start"]
            runtime = {"st_slow": store, "ld_slow": load, "JC": {}}
            runtime.update({"C%d" % k: "C%d" % k for k in range(2)})   # what a chained exit returns
            tb = compile_tb(body, 0x100, insns, CodegenConfig(32, chaining=chaining), runtime, {})
            nxt = tb.fn(cpu)
            if nxt is not None:
                chained.append(nxt)
    except TBExit as e:
        assert isinstance(e, ExitRequest)
    return cpu.x, cpu.pc, cpu.budget, cpu.mem, cpu.exit_request, chained


KINDS = ["reference", "tier0", "compiled", "compiled-chain", "opt", "opt-chain"]


@pytest.mark.parametrize("kind", KINDS)
def test_stm_finishes_its_instruction(kind):
    x, pc, budget, mem, req, chained = _run(kind, stm())
    assert mem == {DEVICE: 11, DEVICE + 4: 22}
    assert x[4] == DEVICE + 8 and x[3] == 0          # the writeback; not the next insn
    assert (pc, budget, req, chained) == (0x104, 99, True, [])
    # with RAM (no exit) the whole block runs
    x, pc, budget, mem, req, chained = _run(kind, stm(), r4=0x10)
    assert x[4] == 0x18 and x[3] == 1 and budget == 98 and not req
    assert chained == (["C0"] if kind.endswith("chain") else []) and pc == (0 if chained else 0x108)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("r6", [0, 1])
def test_sc_writes_rd_and_does_not_chain(kind, r6):
    x, pc, budget, mem, req, chained = _run(kind, sc(), r6=r6)
    assert x[5] == r6 and budget == 99 and pc == (0 if chained else 0x104)   # (a chained exit leaves pc)
    assert mem == ({} if r6 else {DEVICE: 11}) and req == (not r6)
    # the failure path chains on; the store's exit request goes back to the dispatcher
    assert len(chained) == (1 if r6 and kind.endswith("chain") else 0)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("r6", [0, 1])
def test_conditional_store_then_state(kind, r6):
    x, pc, budget, mem, req, chained = _run(kind, conditional(), r6=r6)
    assert x[7] == 9
    if r6:
        assert x[3] == 1 and not req and chained == (["C0"] if kind.endswith("chain") else [])
    else:
        assert mem == {DEVICE: 11} and x[3] == 0 and (pc, budget, req) == (0x104, 99, True)


@pytest.mark.parametrize("kind", KINDS)
def test_a_last_store_exits_at_once(kind):
    x, pc, budget, mem, req, chained = _run(kind, plain())
    assert x[3] == 0 and (pc, budget, req, chained) == (0x104, 99, True, [])


def test_which_stores_are_deferred():
    from emud.tcg.ir import deferred_stores
    assert deferred_stores(plain()) == set()
    assert deferred_stores(stm()) == {1, 3}
    assert deferred_stores(sc()) == {2}
    assert deferred_stores(conditional()) == {2}
