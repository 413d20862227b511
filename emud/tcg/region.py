"""Region translation: several guest basic blocks in one TB function.

A plain TB is one guest basic block; a hot loop whose body has an ``if``
spans 2-4 of them, and every block boundary costs a Python call, the entry
loads and the exit write-backs. A *region* starts at a block and inlines,
in place of a ``goto_tb`` exit, the block that exit goes to, when that block
lies a short way *forward* (so the region is a tree of paths with no cycle
but the branch back to its own start, which loops in place).

The region is built from ordinary blocks (``translate_block``), spliced into
one op list: each inlined copy gets fresh temps and labels, guest registers
are shared. The IR's structure rules still hold (forward branches only, every
label block ends in an exit), so the optimizer and the back end need nothing
new: constants and dead values now flow across the inlined block boundaries.

Two rules keep a region as exact as a plain TB:

* no path through it retires more than ``MAX_TB_INSNS`` instructions before it
  checks the budget (at its loop-back edge or at an exit), so the execution
  loop's invariant (a TB is entered only while the budget exceeds
  ``MAX_TB_INSNS``) still means no overshoot;
* every guest pc that can trap (a load, a store, a helper call) sits at one
  *depth* (instructions retired before it on any path through the region),
  so a trap at a pc knows how many instructions retired before it: the
  ``INFO`` table stays a map from pc. Other instructions may sit at several
  depths (the join of an if/else whose arms differ in length is copied into
  each arm): each copy's ``insn_start`` carries its own depth for the exits'
  and slow paths' counts.

A block is not inlined if it would break either rule, lies behind or beyond
``window`` bytes after the region's start, is a breakpoint or cannot be
fetched; that exit stays an ordinary chained exit.

Loop regions (``TBEngine.loop_regions``, on by default) use this only where it
pays: when a chained exit branches *back* to a TB (the latch of a loop that
spans several blocks) and has been taken ``LOOP_REGION_THRESHOLD`` times, the
target is retranslated as a region whose window ends with the latch block; it
replaces the plain TB only if an inlined path branches back to its entry
(``Region.closes_loop``), i.e. the whole loop now runs in one function.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Set, Tuple

from .ir import OPS, IRBuilder, Op, Temp
from .translator import MAX_TB_INSNS, Frontend, TranslationFault, translate_block

#: How far forward of the region's start an inlined block may begin (bytes).
REGION_WINDOW = 1024
#: How far before the region's start an inlined block may begin (bytes):
#: a loop whose body branches back to a block before the region's entry
#: (a latch laid out before the head) still runs in one region; only a
#: block that goes on to the entry is inlined backward. Short: the cases that
#: pay lie a few instructions back (rtos-mix on PyPy, cold / fourth run: 0:
#: 11.2-11.7 / 64-65 MIPS, 64: 11.1-11.3 / 71-76, 256: 11.1-11.3 / 72-74).
REGION_BACK_WINDOW = 64
#: The most guest instructions in one region (compile() time grows with it).
REGION_MAX_INSNS = 160
#: The most block copies in one region.
REGION_MAX_BLOCKS = 24
#: Loop regions: the most bytes from a loop's head to the end of its latch block.
LOOP_REGION_SPAN = 512
#: Loop regions: how often a backward chained exit is taken before its
#: target is retranslated as a loop region (a loop run a few times in
#: start-up code does not pay for the extra translation).
LOOP_REGION_THRESHOLD = 64


class Region:
    """The product: ops of the whole region plus what the back end and the
    TB cache need to know about it."""

    def __init__(self, pc: int, ops: List[Op], insns: List[Tuple[int, int]], depth: Dict[int, int],
                 max_path: int, blocks: int, block_ops: List[Op]) -> None:
        self.pc = pc
        self.ops = ops                  # the spliced op list (before optimization)
        self.insns = insns              # distinct (pc, length), in address order
        self.depth = depth              # pc -> instructions retired before it
        self.max_path = max_path        # the longest path, in instructions
        self.blocks = blocks            # block copies inlined (1 = a plain TB)
        self.entry_ops = block_ops      # the entry block's own ops (for -d op)
        # an inlined path branches back to the entry: the region loops in place
        # where plain TBs would run the loop as a chain of calls
        self.closes_loop = blocks > 1 and any(op.opc == "goto_tb" and op.args[1] == pc for op in ops)


class _Splicer:
    def __init__(self, entry: int, window: int, max_insns: int, max_blocks: int,
                 block: Callable[[int], Optional[Tuple[List[Op], List[Tuple[int, int]]]]],
                 back: int = 0) -> None:
        self.entry = entry
        self.window = window
        self.back = back
        self.max_insns = max_insns
        self.max_blocks = max_blocks
        self.block = block
        self.depth: Dict[int, int] = {}
        self.lengths: Dict[int, int] = {}
        self.total = 0
        self.copies = 0
        self.max_path = 0
        self.globals: Dict[int, Temp] = {}
        self.ntemps = 0
        self.nlabels = 0

    def claim(self, insns: List[Tuple[int, int]], d0: int, raising: Set[int]) -> bool:
        """Place a block's instructions at depths d0.. if that agrees with
        every copy placed so far for those that can raise (``raising``: the
        INFO table gives a trap's pc one depth; the others may sit at another
        depth in another copy, e.g. the join of an if/else whose arms differ
        in length) and stays within the limits."""
        if d0 + len(insns) > MAX_TB_INSNS or self.total + len(insns) > self.max_insns \
                or self.copies >= self.max_blocks:
            return False
        for i, (pc, _) in enumerate(insns):
            if pc in raising and self.depth.get(pc, d0 + i) != d0 + i:
                return False
        for i, (pc, length) in enumerate(insns):
            if pc not in self.depth:
                self.total += 1
                self.depth[pc] = d0 + i
            self.lengths[pc] = length
        self.copies += 1
        self.max_path = max(self.max_path, d0 + len(insns))
        return True

    def inlinable(self, target: int, from_pc: int, path: Set[int]) -> bool:
        """Forward within the window; or, with ``back``, backward to a block
        at most that far before the entry that is not already on this path
        (the tree then has no cycle but the loop back to the entry: a loop
        laid out with part of its body before its head runs in one region;
        splice takes such a block only if it goes on to the entry)."""
        if target == self.entry or target > self.entry + self.window or target in path:
            return False
        return from_pc < target or (self.back > 0 and target >= self.entry - self.back)

    def closes(self, ops: List[Op], insns: List[Tuple[int, int]]) -> bool:
        """A block that goes on to the entry, or runs into it (the entry is a
        branch target inside it): inlined backward, it leads round the loop."""
        return any(op.opc == "goto_tb" and op.args[1] == self.entry for op in ops) \
            or any(pc == self.entry for pc, _ in insns)

    def splice(self, ops: List[Op], insns: List[Tuple[int, int]], d0: int, out: List[Op], path: Set[int]) -> None:
        temps: Dict[Temp, Temp] = {}
        labels: Dict[int, int] = {}

        def value(v):
            if not isinstance(v, Temp):
                return v
            if v.is_global:
                g = self.globals.get(v.reg)
                if g is None:
                    g = self.globals[v.reg] = Temp(v.name, reg=v.reg)
                return g
            t = temps.get(v)
            if t is None:
                self.ntemps += 1
                t = temps[v] = Temp("t%d" % self.ntemps)
            return t

        def label(n: int) -> int:
            new = labels.get(n)
            if new is None:
                self.nlabels += 1
                new = labels[n] = self.nlabels
            return new

        start = insns[0][0]
        # an exit leaves after the instruction it belongs to, which is not
        # the block's last when the front end made it a side exit
        index = {pc: i for i, (pc, _) in enumerate(insns)}
        d_next = d0
        for op in ops:
            if op.opc == "insn_start":
                d_next = d0 + index[op.args[0]] + 1
                # this copy's depth rides on the op: a pc may sit at several (claim)
                out.append(Op("insn_start", [op.args[0], op.args[1], d_next - 1], op.w))
                continue
            if op.opc == "goto_tb" and self.inlinable(op.args[1], start, path):
                found = self.block(op.args[1])
                if found is not None and (op.args[1] > start or self.closes(*found)) \
                        and self.claim(found[1], d_next, raising_pcs(found[0])):
                    self.splice(found[0], found[1], d_next, out, path | {op.args[1]})
                    continue
            kinds = OPS[op.opc][0]
            args = []
            for kind, a in zip(kinds, op.args):
                if kind in "dv":
                    args.append(value(a))
                elif kind == "V":
                    args.append(tuple(value(x) for x in a))
                else:
                    args.append(a)
            if op.opc == "set_label":
                args[0] = label(args[0])
            elif op.opc == "brcond":
                args[3] = label(args[3])
            out.append(Op(op.opc, args, op.w))


def _copied(ops: List[Op]) -> List[Op]:
    """Ops the optimizer may rewrite in place (a block's own stay as they are)."""
    return [Op(op.opc, op.args, op.w) for op in ops]


def raising_pcs(ops: List[Op]) -> Set[int]:
    """The pcs of the instructions whose ops may leave the TB by an exception
    (a load's or a store's slow path, a helper call): where the INFO table
    must say how many instructions retired before them."""
    out: Set[int] = set()
    pc = None
    for op in ops:
        if op.opc == "insn_start":
            pc = op.args[0]
        elif op.opc in ("ld", "st", "call") and pc is not None:
            out.add(pc)
    return out


def translate_region(frontend: Frontend, fetch: Callable[[int, int], int], pc: int, flags,
                     breakpoints=frozenset(), window: int = REGION_WINDOW,
                     max_insns: int = REGION_MAX_INSNS, max_blocks: int = REGION_MAX_BLOCKS,
                     back: int = 0, block_ir: Optional[Callable[[int], Tuple[IRBuilder, List[Tuple[int, int]]]]] = None
                     ) -> Region:
    """Translate the region starting at ``pc``; with ``back``, blocks up to
    that many bytes before ``pc`` may be inlined too (_Splicer.inlinable).
    Raises TranslationFault when ``pc`` itself cannot be fetched, like
    ``translate_block``. ``block_ir(p)``: the block at ``p`` as
    ``translate_block`` gives it (by default, translated here), whose ops the
    region only reads: an engine may hand out blocks it translated before."""
    if block_ir is None:
        def block_ir(p: int) -> Tuple[IRBuilder, List[Tuple[int, int]]]:
            return translate_block(frontend, fetch, p, flags, MAX_TB_INSNS, breakpoints)
    blocks: Dict[int, Optional[Tuple[List[Op], List[Tuple[int, int]]]]] = {}

    def block(p: int):
        if p in blocks:
            return blocks[p]
        found = None
        if p not in breakpoints:
            try:
                b, insns = block_ir(p)
                # a block that loops on itself stays the entry of its own TB
                # (inlined, its loop would run through the chain each time)
                if insns and not any(op.opc == "goto_tb" and op.args[1] == p for op in b.ops):
                    found = (b.ops, insns)
            except TranslationFault:
                pass
        blocks[p] = found
        return found

    builder, insns0 = block_ir(pc)
    if not insns0:   # a breakpoint's stop TB
        return Region(pc, _copied(builder.ops), [], {}, 0, 1, builder.ops)
    blocks[pc] = (builder.ops, insns0)
    if any(op.opc == "goto_tb" and op.args[1] == pc for op in builder.ops):
        # the block already loops on itself: measured faster kept alone
        # (its loop exit is rare; see docs/PERFORMANCE.md)
        return Region(pc, _copied(builder.ops), list(insns0), {p: i for i, (p, _) in enumerate(insns0)},
                      len(insns0), 1, builder.ops)
    sp = _Splicer(pc, window, max_insns, max_blocks, block, back)
    sp.claim(insns0, 0, raising_pcs(builder.ops))
    out: List[Op] = []
    sp.splice(builder.ops, insns0, 0, out, {pc})
    insns = sorted(sp.lengths.items())
    return Region(pc, out, insns, dict(sp.depth), sp.max_path, sp.copies, builder.ops)
