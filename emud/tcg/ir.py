"""The intermediate representation: TCG-like ops, documented in one place.

Theory of operation
-------------------
A guest front end (``emud.cpu.<arch>``) translates one translation block (TB) of
guest instructions into a flat list of :class:`Op` through an :class:`IRBuilder`.
The optimizer (``emud.tcg.optimize``) rewrites that list; the back end
(``emud.tcg.backend_py``) turns it into one Python function. Nothing here knows
the guest architecture.

Values
~~~~~~
Every operand is either a :class:`Temp` or a plain Python ``int`` constant.
Values are *unsigned* integers of the op's width ``w`` (32 or 64): every op
that could leave that range masks its result, so a value ``v`` always satisfies
``0 <= v < 2**w``. Signedness is a property of the op (``lt`` vs ``ltu``,
``sar`` vs ``shr``, ``div`` vs ``divu``), never of the value.

Temps come in two kinds:

* *globals* name guest state that lives across TBs (the integer registers).
  The back end keeps them in Python locals inside the TB, loads the ones that
  are read at entry and writes back the ones that were written at each exit.
* *locals* are scratch values that live within one TB.

Ops
~~~
The table :data:`OPS` lists every opcode with its operand signature, and the
comments beside each entry are the specification. In the signatures, ``d`` is
the destination temp, ``a``/``b``/``c``/``e`` are value operands (temp or int)
and the rest are immediate attributes.

Control flow inside a TB is deliberately restricted so that it maps onto
structured Python: ``brcond`` may only jump *forward* to a label, and the code
after every label must end in an exit op (``goto_tb``, ``exit_indirect``).
Undefined cases (division by zero, shift counts >= width) are the front end's
problem: it must guard them (``movcond``) before emitting the op.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

#: Condition codes for setcond/brcond/movcond. Signed ones interpret the
#: unsigned operand values as two's complement of the op's width.
CONDS = ("eq", "ne", "lt", "ge", "ltu", "geu", "gt", "le", "gtu", "leu")

INVERT_COND = {
    "eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "ltu": "geu", "geu": "ltu",
    "gt": "le", "le": "gt", "gtu": "leu", "leu": "gtu",
}

# opcode -> (operand kinds, description). Kinds: "d" destination temp,
# "v" value (Temp or int), "i" immediate attribute (int/str/tuple).
OPS: Dict[str, Tuple[str, str]] = {
    # --- bookkeeping -------------------------------------------------------
    "insn_start": ("ii", "insn_start pc, length[, depth]: a guest instruction begins here (a region's "
                         "copy adds the instructions retired before it on its path)"),
    "set_label": ("i", "set_label L: forward branch target; must be followed by an exit"),
    # --- moves ---------------------------------------------------------------
    "mov": ("dv", "d = a"),
    # --- arithmetic (width w is the op's .w) --------------------------------
    "add": ("dvv", "d = (a + b) mod 2**w"),
    "sub": ("dvv", "d = (a - b) mod 2**w"),
    "mul": ("dvv", "d = (a * b) mod 2**w"),
    "mulh": ("dvv", "d = high w bits of signed(a) * signed(b)"),
    "mulhu": ("dvv", "d = high w bits of a * b"),
    "mulhsu": ("dvv", "d = high w bits of signed(a) * b"),
    "div": ("dvv", "d = signed(a) / signed(b) truncated; b != 0; MIN/-1 -> MIN"),
    "divu": ("dvv", "d = a // b; b != 0"),
    "rem": ("dvv", "d = signed remainder, sign of a; b != 0; MIN%-1 -> 0"),
    "remu": ("dvv", "d = a % b; b != 0"),
    "and": ("dvv", "d = a & b"),
    "or": ("dvv", "d = a | b"),
    "xor": ("dvv", "d = a ^ b"),
    "neg": ("dv", "d = -a mod 2**w"),
    "not": ("dv", "d = ~a mod 2**w"),
    "shl": ("dvv", "d = (a << b) mod 2**w; 0 <= b < w"),
    "shr": ("dvv", "d = a >> b (logical); 0 <= b < w"),
    "sar": ("dvv", "d = signed(a) >> b (arithmetic); 0 <= b < w"),
    # --- width changes -------------------------------------------------------
    "ext8s": ("dv", "d = sign-extend low 8 bits of a to w bits"),
    "ext16s": ("dv", "d = sign-extend low 16 bits of a to w bits"),
    "ext32s": ("dv", "d = sign-extend low 32 bits of a to w bits"),
    "ext8u": ("dv", "d = a & 0xff"),
    "ext16u": ("dv", "d = a & 0xffff"),
    "ext32u": ("dv", "d = a & 0xffffffff"),
    # --- comparisons ---------------------------------------------------------
    "setcond": ("dvvi", "d = 1 if a <cond> b else 0"),
    "movcond": ("dvvvvi", "d = c if a <cond> b else e   (operands: d, a, b, c, e, cond)"),
    # --- memory --------------------------------------------------------------
    # size in bytes (1, 2, 4, 8); signed loads sign-extend to w bits. A failing
    # access raises the guest's access fault (the front end's fault hook).
    # kind tags the access for the fault hook ("load", "store", "amo").
    "ld": ("dviii", "d = mem[a] (operands: d, addr, size, signed, kind)"),
    # A store whose slow path raises ExitRequest (the TB must stop: code was
    # overwritten, an interrupt may be pending) still completes its
    # instruction: the exit takes effect at the instruction's end
    # (deferred_stores; interp.run_ops is the executable spec).
    "st": ("vvii", "mem[a] = b (operands: addr, value, size, kind)"),
    # --- helpers -------------------------------------------------------------
    # call a Python helper registered by the front end: d = helper(cpu, *args).
    # d may be None. Flags: "rw" the helper reads or writes guest globals (they
    # are synced to the CPU state before and reloaded after the call); "exit"
    # the helper may end the TB by raising TBExit; "noreturn" it always raises
    # (ends the TB); "pure" no side effects (may be removed when unused).
    "call": ("diVi", "d = helper(cpu, *args) (operands: d, name, args tuple, flags)"),
    # --- control flow --------------------------------------------------------
    "brcond": ("vvii", "if a <cond> b: jump forward to label (operands: a, b, cond, L)"),
    "goto_tb": ("iv", "exit to the constant guest pc b through chaining slot n"),
    "exit_indirect": ("v", "exit to the guest pc held in a (looked up via the jump cache)"),
    "exit_tb": ("v", "return to the dispatcher with pc = a (it checks interrupts and flags)"),
}


#: per opcode: the indexes of its value operands, of its operand tuple ("V",
#: -1 if none), and whether it has a destination (the passes ask for each op)
_VALUE_ARGS = {opc: tuple(i for i, k in enumerate(kinds) if k == "v") for opc, (kinds, _) in OPS.items()}
_TUPLE_ARG = {opc: kinds.find("V") for opc, (kinds, _) in OPS.items()}
_HAS_DEST = {opc: kinds.startswith("d") for opc, (kinds, _) in OPS.items()}


class Temp:
    """An IR value. ``reg`` is set for globals (the guest register number)."""

    __slots__ = ("name", "reg", "is_global")

    def __init__(self, name: str, reg: Optional[int] = None) -> None:
        self.name = name
        self.reg = reg
        self.is_global = reg is not None

    def __repr__(self) -> str:
        return self.name


Value = Union[Temp, int]


class Op:
    """One IR instruction: opcode, operands (per :data:`OPS`) and width."""

    __slots__ = ("opc", "args", "w")

    def __init__(self, opc: str, args: Sequence[Any], w: int = 64) -> None:
        self.opc = opc
        self.args = list(args)
        self.w = w

    @property
    def dest(self) -> Optional[Temp]:
        return self.args[0] if _HAS_DEST[self.opc] else None

    def inputs(self) -> List[Value]:
        """The value operands this op reads."""
        args = self.args
        out: List[Value] = [args[i] for i in _VALUE_ARGS[self.opc]]
        t = _TUPLE_ARG[self.opc]
        if t >= 0:
            out.extend(args[t])
        return out

    def replace_inputs(self, fn) -> None:
        """Map every value operand through ``fn`` (used by the optimizer)."""
        kinds = OPS[self.opc][0]
        for idx, kind in enumerate(kinds):
            if kind == "v":
                self.args[idx] = fn(self.args[idx])
            elif kind == "V":
                self.args[idx] = tuple(fn(a) for a in self.args[idx])

    def __repr__(self) -> str:
        def fmt(a: Any) -> str:
            if isinstance(a, int) and not isinstance(a, bool):
                return hex(a) if abs(a) > 9 else str(a)
            if isinstance(a, tuple):
                return "(" + ", ".join(fmt(x) for x in a) + ")"
            return str(a)

        width = "" if self.opc in ("insn_start", "set_label", "goto_tb", "exit_indirect", "exit_tb", "call") else "_i%d" % self.w
        return "%s%s %s" % (self.opc, width, ", ".join(fmt(a) for a in self.args))


def deferred_stores(ops: Sequence[Op]) -> Set[int]:
    """The indexes of the ``st`` ops followed by more ops of their own
    instruction (a later store, a base writeback, SC's rd, an AMO's rd, the
    Arm IT state). A store whose slow path asks the TB to exit
    (``ExitRequest``: it overwrote code, armed a timer, pended an interrupt)
    must still let those run: every back end defers the exit to the end of
    the instruction for these stores. The others (the last op of their
    instruction, up to labels, then the next instruction or an exit to the
    next pc) may exit at once."""
    out: Set[int] = set()
    nxt = None
    n = len(ops)
    for i, op in enumerate(ops):
        if op.opc == "insn_start":
            nxt = op.args[0] + op.args[1]
        elif op.opc == "st":
            j = i + 1
            while j < n and ops[j].opc == "set_label":
                j += 1
            after = ops[j] if j < n else None
            if after is None or not (after.opc == "insn_start"
                                     or (after.opc == "goto_tb" and after.args[1] == nxt)):
                out.add(i)
    return out


def format_ops(ops: Sequence[Op]) -> str:
    """Render an op list the way ``-d op`` prints it."""
    lines = []
    for op in ops:
        if op.opc == "insn_start":
            lines.append(" ---- %08x" % op.args[0])
        else:
            lines.append(" " + repr(op))
    return "\n".join(lines)


class IRBuilder:
    """What a front end uses to emit the ops of one TB.

    ``w`` is the default width (the guest XLEN). Register globals are created
    once per builder via :meth:`reg`; scratch temps via :meth:`temp`.
    """

    def __init__(self, w: int) -> None:
        self.w = w
        self.ops: List[Op] = []
        self._globals: Dict[int, Temp] = {}
        self._ntemps = 0
        self._nlabels = 0

    # -- values --------------------------------------------------------------
    def reg(self, n: int) -> Temp:
        t = self._globals.get(n)
        if t is None:
            t = self._globals[n] = Temp("r%d" % n, reg=n)
        return t

    def temp(self) -> Temp:
        self._ntemps += 1
        return Temp("t%d" % self._ntemps)

    def label(self) -> int:
        self._nlabels += 1
        return self._nlabels

    # -- emission -------------------------------------------------------------
    def emit(self, opc: str, *args: Any, w: Optional[int] = None) -> None:
        self.ops.append(Op(opc, args, self.w if w is None else w))

    def _unary(self, opc: str, a: Value, w: Optional[int]) -> Temp:
        d = self.temp()
        self.emit(opc, d, a, w=w)
        return d

    def _binary(self, opc: str, a: Value, b: Value, w: Optional[int]) -> Temp:
        d = self.temp()
        self.emit(opc, d, a, b, w=w)
        return d

    def insn_start(self, pc: int, length: int) -> None:
        self.emit("insn_start", pc, length)

    def mov(self, d: Temp, a: Value) -> None:
        self.emit("mov", d, a)

    def add(self, a, b, w=None): return self._binary("add", a, b, w)
    def sub(self, a, b, w=None): return self._binary("sub", a, b, w)
    def mul(self, a, b, w=None): return self._binary("mul", a, b, w)
    def mulh(self, a, b, w=None): return self._binary("mulh", a, b, w)
    def mulhu(self, a, b, w=None): return self._binary("mulhu", a, b, w)
    def mulhsu(self, a, b, w=None): return self._binary("mulhsu", a, b, w)
    def div(self, a, b, w=None): return self._binary("div", a, b, w)
    def divu(self, a, b, w=None): return self._binary("divu", a, b, w)
    def rem(self, a, b, w=None): return self._binary("rem", a, b, w)
    def remu(self, a, b, w=None): return self._binary("remu", a, b, w)
    def and_(self, a, b, w=None): return self._binary("and", a, b, w)
    def or_(self, a, b, w=None): return self._binary("or", a, b, w)
    def xor(self, a, b, w=None): return self._binary("xor", a, b, w)
    def shl(self, a, b, w=None): return self._binary("shl", a, b, w)
    def shr(self, a, b, w=None): return self._binary("shr", a, b, w)
    def sar(self, a, b, w=None): return self._binary("sar", a, b, w)
    def neg(self, a, w=None): return self._unary("neg", a, w)
    def not_(self, a, w=None): return self._unary("not", a, w)
    def ext8s(self, a, w=None): return self._unary("ext8s", a, w)
    def ext16s(self, a, w=None): return self._unary("ext16s", a, w)
    def ext32s(self, a, w=None): return self._unary("ext32s", a, w)
    def ext8u(self, a, w=None): return self._unary("ext8u", a, w)
    def ext16u(self, a, w=None): return self._unary("ext16u", a, w)
    def ext32u(self, a, w=None): return self._unary("ext32u", a, w)

    def setcond(self, cond: str, a: Value, b: Value, w=None) -> Temp:
        d = self.temp()
        self.emit("setcond", d, a, b, cond, w=w)
        return d

    def movcond(self, cond: str, a: Value, b: Value, if_true: Value, if_false: Value, w=None) -> Temp:
        d = self.temp()
        self.emit("movcond", d, a, b, if_true, if_false, cond, w=w)
        return d

    def ld(self, addr: Value, size: int, signed: bool = False, kind: str = "load") -> Temp:
        d = self.temp()
        self.emit("ld", d, addr, size, bool(signed), kind)
        return d

    def st(self, addr: Value, value: Value, size: int, kind: str = "store") -> None:
        self.emit("st", addr, value, size, kind)

    def call(self, name: str, *args: Value, flags: str = "", result: bool = False) -> Optional[Temp]:
        d = self.temp() if result else None
        self.emit("call", d, name, tuple(args), flags)
        return d

    def brcond(self, cond: str, a: Value, b: Value, label: int, w=None) -> None:
        self.emit("brcond", a, b, cond, label, w=w)

    def set_label(self, label: int) -> None:
        self.emit("set_label", label)

    def goto_tb(self, slot: int, pc: int) -> None:
        self.emit("goto_tb", slot, pc)

    def exit_indirect(self, pc: Value) -> None:
        self.emit("exit_indirect", pc)

    def exit_tb(self, pc: Value) -> None:
        self.emit("exit_tb", pc)
