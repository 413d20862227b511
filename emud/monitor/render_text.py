"""Plain text for pipes and sockets: stable, one record a line, easy to parse.

``render(command_name, data) -> str`` (ending with a newline, or empty);
one small function per command, looked up in :data:`RENDERERS`; commands
without one get a generic ``key: value`` rendering.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from emud.monitor.errors import CommandError


def hexw(value: int, bits: int) -> str:
    return "%0*x" % (bits // 4, value & ((1 << bits) - 1))


def render_error(err: CommandError) -> str:
    return "Error: %s\n" % str(err).splitlines()[0]


def render(name: str, data: Any) -> str:
    fn = RENDERERS.get(name, generic)
    text = fn(data)
    return text if not text or text.endswith("\n") else text + "\n"


def generic(data: Any) -> str:
    if data is None or data == {} or data == []:
        return ""
    if isinstance(data, dict):
        return "".join("%s: %s\n" % (k, _scalar(v)) for k, v in data.items())
    if isinstance(data, list):
        return "".join((" ".join("%s=%s" % (k, _scalar(v)) for k, v in item.items()) if isinstance(item, dict)
                        else _scalar(item)) + "\n" for item in data)
    return "%s\n" % _scalar(data)


def _scalar(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return str(v).lower() if v is not None else "-"
    if isinstance(v, int):
        return "0x%x" % v if v >= 4096 else str(v)
    if isinstance(v, float):
        return "%g" % v
    return str(v)


# -- per command --------------------------------------------------------------------------------


def help_(data: Dict[str, Any]) -> str:
    cmds = data["commands"]
    if len(cmds) == 1:
        c = cmds[0]
        aliases = "  (aliases: %s)" % ", ".join(c["aliases"]) if c["aliases"] else ""
        return "%s%s\n  %s\n" % (c["usage"], aliases, c["help"].replace("\n", "\n  "))
    width = max(len(c["usage"]) for c in cmds)
    return "".join("%-*s -- %s\n" % (width, c["usage"], c["help"].splitlines()[0] if c["help"] else "") for c in cmds)


def registers(data: Dict[str, Any]) -> str:
    xlen = data["xlen"]
    out: List[str] = []
    multi = len(data["harts"]) > 1
    for h in data["harts"]:
        if multi:
            out.append("CPU#%d" % h["hart"])
        width = max([8] + [len(n) for n in h["registers"]])
        out.extend(" %-*s %s" % (width, name, hexw(v, xlen)) for name, v in h["registers"].items())
    return "\n".join(out) + "\n"


def cpus(data: Dict[str, Any]) -> str:
    return "".join("%s CPU #%d: pc=0x%x icount=%d %s\n" % ("*" if c["current"] else " ", c["cpu"], c["pc"], c["icount"],
                                                           c["description"]) for c in data["cpus"])


def status(data: Dict[str, Any]) -> str:
    line = "VM status: %s" % data["status"]
    if data.get("reason") and data["status"] == "paused":
        line += " (%s)" % data["reason"]
    if data.get("exit_code") is not None:
        line += " (exit code %d)" % data["exit_code"]
    if data.get("stop"):
        line += "\n" + _stop_line(data["stop"])
    return line + "\n"


def _where(pc: int, sym: Optional[str]) -> str:
    return "0x%x <%s>" % (pc, sym) if sym else "0x%x" % pc


def _stop_line(stop: Dict[str, Any]) -> str:
    line = "stopped: %s at %s hart %d" % (stop["reason"], _where(stop["pc"], stop.get("symbol")), stop["hart"])
    if stop.get("watch_addr") is not None:
        line += " (%s watchpoint at 0x%x" % (stop.get("watch_kind"), stop["watch_addr"])
        if "old" in stop and "new" in stop:
            line += ": old 0x%x, new 0x%x" % (stop["old"], stop["new"])
        line += ")"
    if stop.get("exit_code") is not None:
        line += " (exit code %d)" % stop["exit_code"]
    return line


def stop_event(stop: Dict[str, Any]) -> str:
    """The asynchronous notice a console shows when the machine stops."""
    return _stop_line(stop) + (" (reverse)" if stop.get("direction") == "reverse" else "") + "\n"


def insn_line(i: Dict[str, Any]) -> str:
    sym = " <%s>" % i["symbol"] if i.get("symbol") else ""
    return "0x%08x%s:  %-8s  %s %s" % (i["addr"], sym, i.get("insn", i["bytes"]), i["mnemonic"], i["op_str"])


def insns(data: Dict[str, Any]) -> str:
    return "".join(insn_line(i).rstrip() + "\n" for i in data["insns"])


def run_result(data: Dict[str, Any]) -> str:
    cond = data.get("condition")
    where = _where(data["pc"], data.get("symbol"))
    if cond == "timeout":
        head = "timeout after %gs: stopped at %s" % (data["timeout"], where)
    elif cond == "uart":
        head = "condition uart fired: matched %r; stopped at %s" % (data.get("match"), where)
    elif cond == "exit":
        head = "condition exit fired: guest exited with code %s at %s" % (data.get("exit_code"), where)
    elif cond == "trap":
        head = "condition trap fired: stopped at %s" % where
    elif cond:
        head = "condition %s fired: stopped at %s" % (cond, where)
    else:
        head = _stop_line(data["stop"]) if data.get("stop") else "stopped at %s" % where
    lines = [head, "icount %d (%+d)" % (data["icount"], data["retired"])]
    if data.get("insn"):
        lines.append(insn_line(data["insn"]).rstrip())
    return "\n".join(lines) + "\n"


def step(data: Dict[str, Any]) -> str:
    lines = []
    if data.get("insn"):
        lines.append(insn_line(data["insn"]).rstrip())
    else:
        lines.append("pc 0x%x" % data["pc"])
    if data.get("condition") != "insns":
        lines.append(_stop_line(data["stop"]) if data.get("stop") else "stopped early")
    lines.append("icount %d (+%d)" % (data["icount"], data["retired"]))
    return "\n".join(lines) + "\n"


def cont(data: Dict[str, Any]) -> str:
    return run_result(data) if "icount" in data else status(data)


def breakpoint_line(b: Dict[str, Any]) -> str:
    what = {"sw": "breakpoint", "hw": "hw-breakpoint"}.get(b["kind"], "%s watchpoint" % b["kind"])
    line = "#%d %s at %s" % (b["number"], what, _where(b["addr"], b.get("symbol")))
    if b["kind"] not in ("sw", "hw"):
        line += " len %d" % b["length"]
    if b.get("temporary"):
        line += " (temporary)"
    return line + "\n"


def breakpoints(data: List[Dict[str, Any]]) -> str:
    return "".join(breakpoint_line(b) for b in data) if data else "no breakpoints\n"


def deleted(data: Dict[str, Any]) -> str:
    return "deleted %s\n" % (", ".join("#%d" % n for n in data["deleted"]) or "nothing")


def _memory_lines(data: Dict[str, Any]) -> str:
    form, size, addr = data["format"], data["size"], data["addr"]
    if form == "i":
        return insns(data)
    if form == "s":
        return "".join('0x%08x: "%s"\n' % (s["addr"], s["text"].encode("unicode_escape").decode("ascii"))
                       for s in data["strings"])
    addr_w = 16 if data["physical"] else data["xlen"] // 4
    line_bytes = 8 if size == 1 else 16
    per_line = max(1, line_bytes // size)
    bits = 8 * size
    out: List[str] = []
    values = data["values"]
    for i in range(0, len(values), per_line):
        cells = []
        for v in values[i:i + per_line]:
            if form == "x":
                cells.append("0x%0*x" % (bits // 4, v))
            elif form == "o":
                cells.append("%#*o" % ((bits + 2) // 3, v))
            elif form in ("u", "d"):
                cells.append("%*d" % ((bits * 10 + 32) // 33, v))
            elif form == "t":
                cells.append("%0*d" % (bits, int(bin(v)[2:])))
            elif form == "c":
                cells.append("'%s'" % (chr(v) if 32 <= v < 127 else "\\x%02x" % v))
            elif form == "a":
                sym = data["symbols"][i + len(cells)]
                cells.append("0x%0*x%s" % (bits // 4, v, " <%s>" % sym if sym else ""))
        out.append("%0*x: %s" % (addr_w, addr + i * size, " ".join(cells)))
    return "\n".join(out) + "\n"


def print_value(data: Dict[str, Any]) -> str:
    v, f, xlen = data["value"], data["format"], data["xlen"]
    if f == "x":
        return "0x%x\n" % v
    if f == "d":
        return "%d\n" % (v - (1 << xlen) if v >> (xlen - 1) else v)
    if f == "u":
        return "%d\n" % v
    if f == "o":
        return "0%o\n" % v
    if f == "t":
        return "%s\n" % bin(v)[2:]
    return "'%s'\n" % chr(v & 0xff)


def symbol(data: Dict[str, Any]) -> str:
    if data["symbol"] is None:
        return "no symbol matches 0x%x\n" % data["addr"]
    return "%s%s\n" % (data["symbol"], " + %d" % data["offset"] if data["offset"] else "")


def mtree(data: List[Dict[str, Any]]) -> str:
    return "address-space: memory\n" + "".join(
        "  %016x-%016x (prio 0, %s): %s\n" % (r["start"], r["end"], r["kind"], r["name"]) for r in data)


def devices(data: List[Dict[str, Any]]) -> str:
    lines = []
    for d in data:
        head = "%s (%s)" % (d.get("name"), d.get("type", "?"))
        extra = " ".join("%s=%s" % (k, _scalar(v)) for k, v in d.items() if k not in ("name", "type"))
        lines.append("%s %s" % (head, extra) if extra else head)
    return "\n".join(lines) + "\n"


def tb_stats(data: Dict[str, Any]) -> str:
    width = max([len(k) for k in data] + [1])
    return "".join("%-*s %s\n" % (width, k, v) for k, v in data.items())


def log_items(data: Dict[str, Any]) -> str:
    return "log items: %s\n" % (",".join(data["items"]) or "none")


def snapshot(data: Dict[str, Any]) -> str:
    line = "snapshot %s: pc 0x%x icount %d" % (data["name"], data["pc"], data["icount"])
    if data.get("file"):
        line += " file %s" % data["file"]
    if data.get("restored_pc") is not None:
        line = "restored " + line
    return line + "\n"


def snapshots(data: List[Dict[str, Any]]) -> str:
    if not data:
        return "no snapshots\n"
    return "".join("%s pc=0x%x icount=%d%s\n" % (s["name"], s["pc"], s["icount"], " file=%s" % s["file"] if s.get("file") else "")
                   for s in data)


def gdbserver(data: Dict[str, Any]) -> str:
    return "%s\n" % data["message"]


def record_info(data: Dict[str, Any]) -> str:
    """`info record`, `record start`."""
    if data.get("mode") == "off":
        return "mode: off (record start begins recording)\n"
    span = data["span_ns"]
    shift = data.get("icount_shift")
    lines = ["mode: %s" % data["mode"], "position: %d" % data["position"],
             "history: %d-%d (%d instructions, %s of guest time)"
             % (data["begin"], data["end"], data["instructions"], _ns(span)),
             "checkpoints: %d (every %d instructions%s)" % (
                 data["checkpoints"], data["interval"],
                 " or %g CPU seconds" % data["checkpoint_seconds"] if data.get("checkpoint_seconds") else ""),
             "memory: %s (limit: %s)" % (_bytes(data["bytes"]), _bytes(data["limit"])),
             "inputs: %d" % data["inputs"]]
    if shift is not None:
        lines.append("guest time: %d ns per instruction (-icount shift=%d)" % (1 << shift, shift))
    if data.get("diverged"):
        lines.append("diverged: %s" % data["diverged"])
    return "\n".join(lines) + "\n"


def _ns(ns: int) -> str:
    for unit, scale in (("s", 10 ** 9), ("ms", 10 ** 6), ("us", 10 ** 3)):
        if ns >= scale:
            return "%.3f %s" % (ns / scale, unit)
    return "%d ns" % ns


def _bytes(n: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return ("%d %s" if value == int(value) else "%.1f %s") % (value, unit)
    return "%d bytes" % n


def position(data: Dict[str, Any]) -> str:
    """`rewind`, `replay seek`: where the machine is now."""
    return "position %d: hart %d at %s, icount %d\n" % (data["position"], data["hart"], _where(data["pc"], data.get("symbol")),
                                                       data["icount"])


def reverse_result(data: Dict[str, Any]) -> str:
    """`reverse-continue`, `reverse-step`."""
    stop = data["stop"]
    if stop.get("reason") == "history-begin":
        head = "no more reverse-execution history: at the start of history, %s hart %d" % (
            _where(stop["pc"], stop.get("symbol")), stop["hart"])
    elif data.get("timeout") is not None:
        head = "timeout after %gs: back where it started, %s" % (data["timeout"], _where(data["pc"], data.get("symbol")))
    else:
        head = _stop_line(stop) + " (reverse)"
    return "%s\nposition %d (%+d)\n" % (head, data["position"], data["moved"])


RENDERERS: Dict[str, Callable[[Any], str]] = {
    "help": help_,
    "info registers": registers,
    "info cpus": cpus,
    "info status": status,
    "stop": status,
    "cont": cont,
    "step": step,
    "run until": run_result,
    "system_reset": lambda d: "reset; pc 0x%x\n" % d["pc"],
    "quit": lambda d: "",
    "cpu": lambda d: "current cpu %d\n" % d["cpu"],
    "break": breakpoint_line,
    "hbreak": breakpoint_line,
    "watch": breakpoint_line,
    "delete": deleted,
    "info breakpoints": breakpoints,
    "x": _memory_lines,
    "xp": _memory_lines,
    "disas": insns,
    "print": print_value,
    "info symbol": symbol,
    "info name": lambda d: "%s\n" % d["name"] if d["name"] is not None else "",
    "info version": lambda d: "emud %s (%s)\n" % (d["version"], d["arch"]),
    "info mtree": mtree,
    "info devices": devices,
    "info tb": tb_stats,
    "tb flush": lambda d: "flushed %s translation blocks\n" % ("?" if d["flushed"] is None else d["flushed"]),
    "tb invalidate": lambda d: "invalidated 0x%x..0x%x\n" % (d["addr"], d["addr"] + d["length"] - 1),
    "log": log_items,
    "savevm": snapshot,
    "loadvm": snapshot,
    "delvm": lambda d: "deleted snapshot %s\n" % d["deleted"],
    "info snapshots": snapshots,
    "gdbserver": gdbserver,
    "record start": record_info,
    "info record": record_info,
    "record stop": lambda d: "recording stopped at position %d; history forgotten\n" % d["position"],
    "rewind": position,
    "replay seek": position,
    "reverse-continue": reverse_result,
    "reverse-step": reverse_result,
}
