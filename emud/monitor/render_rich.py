"""Rich output for an interactive terminal: tables for registers, TB
statistics and breakpoints, highlighted disassembly. Colours are the
terminal's named ANSI colours plus bold/dim (no fixed RGB backgrounds), so
they read on light and dark themes alike. Commands without a rich form fall
back to the plain text renderer.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List

from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from emud.monitor import render_text
from emud.monitor.errors import CommandError

ADDR = "cyan"
MNEMONIC = "bold"
SYMBOL = "magenta"
CHANGED = "bold yellow"
ERROR = "bold red"


def render(name: str, data: Any) -> RenderableType:
    fn = RICH.get(name)
    if fn is None:
        return Text(render_text.render(name, data).rstrip("\n"))
    return fn(data)


def render_error(err: CommandError) -> RenderableType:
    return Text(render_text.render_error(err).rstrip("\n"), style=ERROR)


def show(console: Console, name: str, data: Any) -> None:
    out = render(name, data)
    if isinstance(out, Text) and not out.plain:
        return
    console.print(out, soft_wrap=isinstance(out, Text))


def registers(data: Dict[str, Any]) -> RenderableType:
    xlen = data["xlen"]
    grid = Table(show_header=False, box=None, padding=(0, 1))
    cols = 4
    for _ in range(cols):
        grid.add_column(justify="right", style="dim")
        grid.add_column(justify="left")
    for h in data["harts"]:
        if len(data["harts"]) > 1:
            grid.add_row(Text("CPU#%d" % h["hart"], style="bold"), *[""] * (2 * cols - 1))
        items = list(h["registers"].items())
        for i in range(0, len(items), cols):
            row: List[Any] = []
            for name, v in items[i:i + cols]:
                row += [name, Text(render_text.hexw(v, xlen), style=ADDR if v else "dim")]
            row += [""] * (2 * cols - len(row))
            grid.add_row(*row)
    return grid


def _insn(i: Dict[str, Any]) -> Text:
    t = Text()
    t.append("0x%08x" % i["addr"], style=ADDR)
    if i.get("symbol"):
        t.append(" <%s>" % i["symbol"], style=SYMBOL)
    t.append(":  ")
    t.append("%-8s  " % i.get("insn", i["bytes"]), style="dim")
    t.append(i["mnemonic"], style=MNEMONIC)
    if i["op_str"]:
        t.append(" " + i["op_str"])
    return t


def insns(data: Dict[str, Any]) -> RenderableType:
    return Text("\n").join(_insn(i) for i in data["insns"])


def memory(data: Dict[str, Any]) -> RenderableType:
    if data["format"] == "i":
        return insns(data)
    return Text(render_text.render("x", data).rstrip("\n"))


def run_result(data: Dict[str, Any]) -> RenderableType:
    head = render_text.run_result(dict(data, insn=None)).rstrip("\n")
    t = Text(head, style="bold" if data.get("condition") not in (None, "timeout") else "yellow")
    if data.get("insn"):
        t = Text("\n").join([t, _insn(data["insn"])])
    return t


def step(data: Dict[str, Any]) -> RenderableType:
    lines = [_insn(data["insn"])] if data.get("insn") else [Text("pc 0x%x" % data["pc"])]
    rest = render_text.step(dict(data, insn=None)).rstrip("\n").split("\n")[1:]
    return Text("\n").join(lines + [Text(line, style="dim") for line in rest])


def tb_stats(data: Dict[str, Any]) -> RenderableType:
    table = Table(title="translation blocks", show_header=True, header_style="bold")
    table.add_column("statistic")
    table.add_column("value", justify="right", style=ADDR)
    for k, v in data.items():
        table.add_row(k, str(v))
    return table


def breakpoints(data: List[Dict[str, Any]]) -> RenderableType:
    if not data:
        return Text("no breakpoints")
    table = Table(show_header=True, header_style="bold")
    for col in ("#", "kind", "address", "symbol", "len"):
        table.add_column(col)
    for b in data:
        table.add_row(str(b["number"]), b["kind"] + (" (temp)" if b.get("temporary") else ""),
                      Text("0x%x" % b["addr"], style=ADDR), Text(b.get("symbol") or "", style=SYMBOL), str(b["length"]))
    return table


def mtree(data: List[Dict[str, Any]]) -> RenderableType:
    table = Table(show_header=True, header_style="bold")
    for col in ("start", "end", "kind", "name"):
        table.add_column(col)
    for r in data:
        table.add_row(Text("0x%08x" % r["start"], style=ADDR), Text("0x%08x" % r["end"], style=ADDR), r["kind"], r["name"])
    return table


RICH: Dict[str, Callable[[Any], RenderableType]] = {
    "info registers": registers,
    "disas": insns,
    "x": memory,
    "xp": memory,
    "run until": run_result,
    "step": step,
    "info tb": tb_stats,
    "info breakpoints": breakpoints,
    "info mtree": mtree,
}
