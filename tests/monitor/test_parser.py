"""The pure layers: tokenizer, expressions, argument schemas, x/FMT."""
from __future__ import annotations

import pytest

from emud.monitor.commands import default_registry
from emud.monitor.commands_memory import parse_format
from emud.monitor.errors import CommandError
from emud.monitor.expr import evaluate, parse_expr, parse_int
from emud.monitor.registry import tokenize

REG = default_registry()


def ev(text, names=None):
    names = names or {}
    return evaluate(parse_expr(text), lambda kind, name: names[(kind, name)])


def test_tokenize_words_quotes_and_regex():
    assert tokenize("x/10i $pc") == ["x/10i", "$pc"]
    assert tokenize("run until uart /hello world/ timeout 2") == ["run", "until", "uart", "/hello world/", "timeout", "2"]
    assert tokenize('savevm "my snap"') == ["savevm", "my snap"]
    with pytest.raises(CommandError):
        tokenize('savevm "oops')


@pytest.mark.parametrize("text,value", [
    ("0x10", 16), ("42", 42), ("010", 10), ("0b101", 5), ("0o17", 15), ("-1", -1), ("2*(3+4)", 14),
    ("0x100 - 0x10", 0xF0), ("~0 & 0", None),
])
def test_numbers_and_operators(text, value):
    if value is None:
        with pytest.raises(CommandError):
            ev(text)
    else:
        assert ev(text) == value


def test_symbols_and_registers_are_resolved_late():
    names = {("sym", "main"): 0x80000010, ("reg", "sp"): 0x1000}
    assert ev("main + 4", names) == 0x80000014
    assert ev("$sp-0x10", names) == 0xFF0
    assert ev("foo.part.0", {("sym", "foo.part.0"): 7}) == 7


@pytest.mark.parametrize("bad", ["", "(1", "1 +", "$", "1 2", "@x"])
def test_bad_expressions_are_one_line_errors(bad):
    with pytest.raises(CommandError) as e:
        parse_expr(bad)
    assert "\n" not in str(e.value)


def test_parse_int_refuses_names():
    assert parse_int("0x20") == 32
    with pytest.raises(CommandError):
        parse_int("main")


@pytest.mark.parametrize("fmt,expect", [
    ("", (1, "x", 4)), ("10i", (10, "i", 4)), ("4wx", (4, "x", 4)), ("4xw", (4, "x", 4)), ("8xb", (8, "x", 1)),
    ("2g", (2, "x", 8)), ("3c", (3, "c", 1)), ("d", (1, "d", 4)), ("s", (1, "s", 4)), ("2hu", (2, "u", 2)),
])
def test_x_formats(fmt, expect):
    assert parse_format(fmt, ("x", 4)) == expect


@pytest.mark.parametrize("fmt", ["4q", "x4", "-1x", "0x"])
def test_bad_x_formats(fmt):
    with pytest.raises(CommandError):
        parse_format(fmt, ("x", 4))


def parse(line):
    inv = REG.parse(line)
    return inv.command.name, inv.args


def expr_text(arg):
    return arg[1] if isinstance(arg, tuple) else arg


@pytest.mark.parametrize("line,name", [
    ("help", "help"), ("?", "help"), ("info registers", "info registers"), ("info r", "info registers"),
    ("info cpus", "info cpus"), ("stop", "stop"), ("c", "cont"), ("cont", "cont"), ("stepi", "step"), ("si 3", "step"),
    ("break main", "break"), ("b main", "break"), ("delete", "delete"), ("info breakpoints", "info breakpoints"),
    ("watch 0x80000000", "watch"), ("x/4wx 0x80000000", "x"), ("xp/2g 0", "xp"), ("disas", "disas"),
    ("info symbol 0x80000000", "info symbol"), ("info mtree", "info mtree"), ("info tb", "info tb"),
    ("info jit", "info tb"), ("tb flush", "tb flush"), ("tb-flush", "tb flush"), ("tb invalidate main", "tb invalidate"),
    ("log none", "log"), ("system_reset", "system_reset"), ("info devices", "info devices"), ("gdbserver", "gdbserver"),
    ("quit", "quit"), ("run until exit", "run until"), ("savevm a", "savevm"), ("loadvm a", "loadvm"),
    ("delvm a", "delvm"), ("info snapshots", "info snapshots"), ("cpu 0", "cpu"), ("print $pc", "print"),
    ("info status", "info status"), ("hbreak main", "hbreak"),
])
def test_every_command_name_and_alias_parses(line, name):
    assert parse(line)[0] == name


def test_argument_schemas():
    assert parse("info registers -a")[1]["all"] is True
    assert parse("info registers")[1]["all"] is False
    assert parse("step")[1]["count"] == 1
    assert parse("step 0x10")[1]["count"] == 16
    name, args = parse("x/10i $pc")
    assert args["fmt"] == "10i" and expr_text(args["addr"]) == "$pc"
    assert parse("x /4wx main")[1]["fmt"] == "4wx"
    assert expr_text(parse("x/4x $sp + 8")[1]["addr"]) == "$sp + 8"
    assert parse("watch buf 8 r")[1] == {"addr": parse("watch buf 8 r")[1]["addr"], "length": 8, "kind": "r"}
    assert parse("watch buf a")[1]["kind"] == "a" and parse("watch buf a")[1]["length"] == 4
    assert parse("watch buf write")[1]["kind"] == "w"
    assert parse("delete 2")[1]["number"] == 2
    assert parse("delete")[1]["number"] is None
    assert parse("disas main 4")[1]["count"] == 4
    assert parse("log in_asm,op out_asm")[1]["items"] == ["in_asm", "op", "out_asm"]
    assert parse("cont -w timeout 2.5")[1] == {"wait": True, "timeout": 2.5}
    assert parse("cont -w timeout=500ms")[1]["timeout"] == 0.5
    assert parse("savevm snap file=/tmp/x.snap")[1] == {"name": "snap", "file": "/tmp/x.snap"}
    assert parse("loadvm file=/tmp/x.snap")[1] == {"name": None, "file": "/tmp/x.snap"}
    assert parse("gdbserver 1235")[1]["device"] == "1235"


@pytest.mark.parametrize("line,kind", [
    ("run until pc main", "pc"), ("run until pc 0x80000000 timeout 3", "pc"), ("run until uart /ok \\d+/", "uart"),
    ("run until insns 100", "insns"), ("run until trap", "trap"), ("run until exit timeout 1", "exit"),
    ("until uart ready", "uart"),
])
def test_run_until_conditions(line, kind):
    assert parse(line)[1]["condition"][0] == kind


@pytest.mark.parametrize("line,message", [
    ("frobnicate", "unknown command: 'frobnicate'"),
    ("info nothing", "unknown command: 'info nothing'"),
    ("info", "needs a subcommand"),
    ("tb", "needs a subcommand"),
    ("break", "missing argument"),
    ("step many", "expected a number"),
    ("step 0", "at least 1"),
    ("x/4wx", "missing argument"),
    ("x/4q 0", ""),
    ("watch buf 4 q", "expected one of"),
    ("delete x", "expected a number"),
    ("run until", "missing argument"),
    ("run until moon", "unknown condition"),
    ("run until pc", "needs an address"),
    ("run until uart /(/", "bad regex"),
    ("run until exit timeout soon", "expected seconds"),
    ("info registers -z", "unknown switch"),
    ("info cpus extra", "unexpected argument"),
    ("stop/x", "takes no /FMT"),
    ("x/4x (main", "bad expression"),
    ("cpu", "missing argument"),
])
def test_argument_errors_are_one_line(line, message):
    with pytest.raises(CommandError) as e:
        inv = REG.parse(line)
        if inv.command.slash_format:   # the format is checked when the command runs
            parse_format(inv.args["fmt"], ("x", 4))
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_unknown_commands_have_qmp_class():
    with pytest.raises(CommandError) as e:
        REG.parse("frobnicate")
    assert e.value.error_class == "CommandNotFound"


def test_json_arguments_use_the_same_types():
    cmd = REG.get("x")
    inv = REG.from_json(cmd, {"addr": "$pc + 4", "fmt": "2wx"})
    assert inv.args["fmt"] == "2wx" and inv.args["addr"][1] == "$pc + 4"
    assert REG.from_json(cmd, {"addr": 0x80000000}).args["addr"][2] == ("num", 0x80000000)
    inv = REG.from_json(REG.get("step"), {"count": 3})
    assert inv.args["count"] == 3
    inv = REG.from_json(REG.get("run until"), {"condition": {"pc": "main"}, "timeout": 1})
    assert inv.args["condition"][0] == "pc" and inv.args["timeout"] == 1.0
    with pytest.raises(CommandError):
        REG.from_json(REG.get("step"), {"count": "many"})
    with pytest.raises(CommandError):
        REG.from_json(REG.get("step"), {"bogus": 1})
    with pytest.raises(CommandError):
        REG.from_json(REG.get("break"), {})
    with pytest.raises(CommandError):
        REG.from_json(REG.get("info registers"), {"all": "yes"})


def test_every_command_has_help_usage_and_a_unique_qmp_name():
    names = set()
    for cmd in REG.commands():
        assert cmd.help, cmd.name
        assert cmd.usage().startswith(cmd.name)
        assert cmd.qmp_name.startswith("emud-") and " " not in cmd.qmp_name
        assert cmd.qmp_name not in names
        names.add(cmd.qmp_name)
    assert REG.by_qmp_name("emud-info-registers") is REG.get("info registers")
    assert REG.by_qmp_name("emud-run-until") is REG.get("run until")
