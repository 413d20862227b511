"""The one command registry of the monitor.

Theory of operation
-------------------
A :class:`Command` has a name (one or more words: ``"info registers"``,
``"tb flush"``), aliases, a typed argument schema, help text and a handler
``(session, **args) -> data`` returning plain data (dicts, lists, ints,
strings), never text. Handlers may be ``async`` (the ones that wait for the
machine: ``cont -w``, ``step``, ``run until``).

Every front end goes through the same three steps:

1. **parse** -- a text line (console, gdb's ``monitor``, QMP's
   ``human-monitor-command``) becomes an :class:`Invocation` with
   :func:`Registry.parse`; JSON arguments (QMP) become one with
   :func:`Registry.from_json`. Both are pure: expressions such as
   ``$sp + 8`` or ``main`` stay unevaluated trees.
2. **resolve** -- the arguments are evaluated against the machine
   (registers, symbols) in :func:`Registry.execute`.
3. **run** -- the handler runs and returns data; the front end renders it
   (``render_text``, ``render_rich``, JSON).

Any user mistake on the way is a one-line :class:`CommandError`.
"""
from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from emud.monitor.errors import CommandError
from emud.monitor.expr import parse_expr, parse_int

# -- tokens ----------------------------------------------------------------------------


def tokenize(text: str) -> List[str]:
    """Split a command line into words. Quotes group words; a word starting
    with '/' that has a closing '/' later is one token even with spaces in it
    (a regex: ``uart /hello world/``)."""
    out: List[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "/" and out:
            j = i + 1
            while j < n and text[j] != "/":
                j += 2 if text[j] == "\\" else 1
            if j < n and (j + 1 == n or text[j + 1].isspace() or (text[j + 1] == "i" and (j + 2 == n or text[j + 2].isspace()))):
                end = j + 1 + (1 if j + 1 < n and text[j + 1] == "i" else 0)
                out.append(text[i:end])
                i = end
                continue
        if c in "\"'":
            j = text.find(c, i + 1)
            if j < 0:
                raise CommandError("unterminated quote in %r" % text.strip())
            out.append(text[i + 1:j])
            i = j + 1
            continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        out.append(text[i:j])
        i = j
    return out


class Tokens:
    """A cursor over the words left after the command name."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = list(words)
        self.i = 0

    def peek(self, k: int = 0) -> Optional[str]:
        j = self.i + k
        return self.words[j] if j < len(self.words) else None

    def take(self) -> str:
        w = self.peek()
        if w is None:
            raise CommandError("missing argument")
        self.i += 1
        return w

    def rest(self) -> List[str]:
        out = self.words[self.i:]
        self.i = len(self.words)
        return out

    def empty(self) -> bool:
        return self.i >= len(self.words)


# -- argument types -----------------------------------------------------------------------

MAX_REGEX = 1000
_JSON_NAMES = {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object"}

_OPERATOR_START = re.compile(r"^[-+*%)]")
_OPERATOR_END = re.compile(r"[-+*%(~]$")


class Arg:
    """One argument of a command. ``consume`` reads it from words (pure),
    ``from_json`` from a QMP value (pure), ``resolve`` finishes it against
    the machine."""

    metavar = "ARG"
    positional = True
    #: its type in QMP's schema (query-qmp-schema): str, int, number, bool, any
    json_type = "any"

    def __init__(self, name: str, *, optional: bool = False, default: Any = None, help: str = "",
                 metavar: Optional[str] = None) -> None:
        self.name = name
        self.optional = optional
        self.default = default
        self.help = help
        if metavar:
            self.metavar = metavar

    def consume(self, toks: Tokens) -> Any:
        return self.parse_word(toks.take())

    def parse_word(self, word: str) -> Any:
        return word

    def from_json(self, value: Any) -> Any:
        """A string is read as the console reads it; the JSON types an
        argument takes besides are its subclass's business."""
        if isinstance(value, str):
            toks = Tokens(tokenize(value))
            out = self.consume(toks)
            if not toks.empty():
                raise CommandError("argument '%s': unexpected %r" % (self.name, " ".join(toks.rest())))
            return out
        raise CommandError("argument '%s' must be %s, not %s" % (
            self.name, "a string" if self.json_type in ("str", "any") else "of type " + self.json_type,
            _JSON_NAMES.get(type(value), type(value).__name__)))

    def resolve(self, session: Any, value: Any) -> Any:
        return value

    def usage(self) -> str:
        return "[%s]" % self.metavar if self.optional else self.metavar


class Str(Arg):
    json_type = "str"

    metavar = "STR"

    def from_json(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise CommandError("argument '%s' must be a string" % self.name)
        return value


class Int(Arg):
    """An integer literal: 42, 0x2a, 0b101010, -1."""

    json_type = "int"

    metavar = "N"

    def __init__(self, name: str, *, minimum: Optional[int] = None, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.minimum = minimum

    def parse_word(self, word: str) -> int:
        try:
            value = parse_int(word)
        except CommandError:
            raise CommandError("argument '%s': expected a number, got %r" % (self.name, word))
        return self._check(value)

    def _check(self, value: int) -> int:
        if self.minimum is not None and value < self.minimum:
            raise CommandError("argument '%s' must be at least %d" % (self.name, self.minimum))
        return value

    def from_json(self, value: Any) -> Any:
        if isinstance(value, bool):
            raise CommandError("argument '%s' must be an integer" % self.name)
        if isinstance(value, int):
            return self._check(value)
        return super().from_json(value)


class Float(Arg):
    """Seconds, e.g. ``5``, ``0.5``, ``500ms``, ``2s``."""

    json_type = "number"

    metavar = "SECONDS"

    def parse_word(self, word: str) -> float:
        m = re.match(r"^([0-9]*\.?[0-9]+)(ms|s)?$", word)
        if not m:
            raise CommandError("argument '%s': expected seconds, got %r" % (self.name, word))
        value = float(m.group(1))
        return value / 1000.0 if m.group(2) == "ms" else value

    def from_json(self, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        return super().from_json(value)


class Address(Arg):
    """An address expression: numbers, symbols, ``$reg``, + - * ( ).
    Stays a tree until resolved against the machine."""

    metavar = "ADDR"

    def consume(self, toks: Tokens) -> Any:
        text = toks.take()
        # `$sp + 8` spans words: keep taking while an operator joins them
        while True:
            nxt = toks.peek()
            if nxt is None:
                break
            if _OPERATOR_END.search(text) or _OPERATOR_START.search(nxt) or text.count("(") > text.count(")"):
                text += " " + toks.take()
            else:
                break
        return self.parse_word(text)

    def parse_word(self, word: str) -> Any:
        return ("expr", word, parse_expr(word))

    def from_json(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return ("expr", str(value), ("num", value))
        if isinstance(value, str):
            return self.parse_word(value)
        raise CommandError("argument '%s' must be an address (integer or expression string)" % self.name)

    def resolve(self, session: Any, value: Any) -> int:
        return session.eval_tree(value[2])


class Enum(Arg):
    """One word out of a set; ``aliases`` maps extra spellings to a choice."""

    json_type = "str"

    def __init__(self, name: str, choices: Sequence[str], *, aliases: Optional[Dict[str, str]] = None, **kw: Any) -> None:
        super().__init__(name, **kw)
        self.choices = list(choices)
        self.aliases = dict(aliases or {})
        if "metavar" not in kw:
            self.metavar = "|".join(self.choices)

    def parse_word(self, word: str) -> str:
        w = word.lower()
        w = self.aliases.get(w, w)
        if w not in self.choices:
            raise CommandError("argument '%s': expected one of %s, got %r" % (self.name, ", ".join(self.choices), word))
        return w


class Regex(Arg):
    """``/pattern/`` (or ``/pattern/i``), or a bare word as the pattern."""

    json_type = "str"

    metavar = "/REGEX/"

    def parse_word(self, word: str) -> Any:
        flags = 0
        pattern = word
        if len(word) >= 2 and word[0] == "/" and (word.endswith("/") or word.endswith("/i")):
            if word.endswith("/i") and len(word) >= 3:
                flags, pattern = re.IGNORECASE, word[1:-2]
            else:
                pattern = word[1:-1]
        if len(pattern) > MAX_REGEX:
            raise CommandError("regex too long (%d characters, at most %d)" % (len(pattern), MAX_REGEX))
        try:
            re.compile(pattern, flags)
        except (re.error, OverflowError, RecursionError) as e:   # a{99999999999}, (((((...
            raise CommandError("bad regex %r: %s" % (pattern[:60], e))
        return {"pattern": pattern, "ignorecase": bool(flags)}

    def from_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.parse_word(value)
        raise CommandError("argument '%s' must be a regex string" % self.name)


class Words(Arg):
    """All remaining words (varargs); commas also separate."""

    json_type = "any"

    metavar = "WORDS..."

    def consume(self, toks: Tokens) -> List[str]:
        out: List[str] = []
        for w in toks.rest():
            out.extend(p for p in w.split(",") if p)
        return out

    def from_json(self, value: Any) -> Any:
        if isinstance(value, str):
            return [p for p in re.split(r"[,\s]+", value) if p]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise CommandError("argument '%s' must be a list of strings" % self.name)


class Flag(Arg):
    """A switch such as ``-a``; may appear anywhere after the command."""

    json_type = "bool"

    positional = False

    def __init__(self, name: str, spelling: str, **kw: Any) -> None:
        kw.setdefault("optional", True)
        kw.setdefault("default", False)
        super().__init__(name, **kw)
        self.spelling = spelling

    def usage(self) -> str:
        return "[%s]" % self.spelling

    def from_json(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise CommandError("argument '%s' must be true or false" % self.name)
        return value


class Option(Arg):
    """A named option anywhere after the command: ``file=PATH`` or ``timeout 5``
    (both spellings are accepted for every option)."""

    positional = False

    def __init__(self, name: str, value: Arg, **kw: Any) -> None:
        kw.setdefault("optional", True)
        super().__init__(name, **kw)
        self.value = value

    def usage(self) -> str:
        return "[%s %s]" % (self.name, self.value.metavar)

    def from_json(self, value: Any) -> Any:
        return self.value.from_json(value)

    @property
    def json_type(self) -> str:   # type: ignore[override]
        return self.value.json_type

    def resolve(self, session: Any, value: Any) -> Any:
        return self.value.resolve(session, value)


# -- commands ---------------------------------------------------------------------------------


@dataclass
class Command:
    name: str                               # "info registers"
    handler: Callable[..., Any]
    args: List[Arg] = field(default_factory=list)
    help: str = ""
    aliases: Tuple[str, ...] = ()
    slash_format: bool = False              # accepts x/FMT: the text after '/' becomes arg 'fmt'
    group: str = ""                         # for help listings
    qmp_name: str = ""                      # the QMP name (default "emud-" + name with '-')
    needs_stopped: bool = False             # refuse while the machine runs

    def __post_init__(self) -> None:
        if not self.qmp_name:
            self.qmp_name = "emud-" + re.sub(r"[\s_]+", "-", self.name)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    def usage(self) -> str:
        head = self.name + ("/FMT" if self.slash_format else "")
        return " ".join([head] + [a.usage() for a in self.args])


@dataclass
class Invocation:
    command: Command
    args: Dict[str, Any]      # parsed but unresolved
    line: str = ""


class Registry:
    def __init__(self) -> None:
        self._commands: Dict[str, Command] = {}
        self._names: Dict[Tuple[str, ...], Command] = {}
        self._qmp: Dict[str, Command] = {}

    # -- building
    def add(self, command: Command) -> Command:
        if command.name in self._commands:
            raise ValueError("duplicate command %s" % command.name)
        self._commands[command.name] = command
        for spelling in (command.name,) + tuple(command.aliases):
            key = tuple(spelling.split())
            if key in self._names:
                raise ValueError("duplicate spelling %s" % spelling)
            self._names[key] = command
        self._qmp[command.qmp_name] = command
        return command

    def command(self, name: str, *args: Arg, aliases: Iterable[str] = (), help: str = "", slash_format: bool = False,
                group: str = "", qmp_name: str = "", needs_stopped: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form: ``@registry.command("info registers", Flag("all", "-a"), help=...)``."""

        def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.add(Command(name, fn, list(args), help=help or (fn.__doc__ or "").strip(), aliases=tuple(aliases),
                             slash_format=slash_format, group=group, qmp_name=qmp_name, needs_stopped=needs_stopped))
            return fn

        return deco

    # -- lookup
    def commands(self) -> List[Command]:
        return list(self._commands.values())

    def get(self, name: str) -> Optional[Command]:
        return self._names.get(tuple(name.split()))

    def by_qmp_name(self, name: str) -> Optional[Command]:
        return self._qmp.get(name)

    def groups(self) -> List[str]:
        return sorted({c.name.split()[0] for c in self._commands.values() if len(c.name.split()) > 1})

    def find(self, words: Sequence[str]) -> Tuple[Command, int]:
        """The command named by the longest prefix of ``words``, and how many
        words its name took."""
        for n in range(min(3, len(words)), 0, -1):
            cmd = self._names.get(tuple(words[:n]))
            if cmd is not None:
                return cmd, n
        if not words:
            raise CommandError("empty command")
        head = words[0]
        if len(words) > 1 and any(k[0] == head and len(k) > 1 for k in self._names):
            raise CommandError("unknown command: '%s %s' (try 'help %s')" % (head, words[1], head), "CommandNotFound")
        if any(k[0] == head and len(k) > 1 for k in self._names):
            raise CommandError("'%s' needs a subcommand (try 'help %s')" % (head, head), "CommandNotFound")
        raise CommandError("unknown command: '%s' (try 'help')" % head, "CommandNotFound")

    # -- parsing (pure)
    def parse(self, line: str) -> Invocation:
        words = tokenize(line.strip())
        if not words:
            raise CommandError("empty command")
        fmt = None
        first = words[0]
        if "/" in first and not first.startswith("/"):
            first, fmt = first.split("/", 1)
            words = [first] + words[1:]
        cmd, used = self.find(words)
        rest = words[used:]
        if cmd.slash_format and fmt is None and rest and rest[0].startswith("/") and len(rest[0]) > 1:
            fmt = rest[0][1:]
            rest = rest[1:]
        if fmt is not None and not cmd.slash_format:
            raise CommandError("'%s' takes no /FMT" % cmd.name)
        args = parse_args(cmd, rest)
        if cmd.slash_format:
            args["fmt"] = fmt if fmt is not None else ""
        return Invocation(cmd, args, line.strip())

    def from_json(self, cmd: Command, arguments: Optional[Dict[str, Any]]) -> Invocation:
        arguments = dict(arguments or {})
        out: Dict[str, Any] = {}
        if cmd.slash_format:
            fmt = arguments.pop("fmt", "")
            if not isinstance(fmt, str):
                raise CommandError("argument 'fmt' must be a string such as '10i' or '4wx'")
            out["fmt"] = fmt
        for a in cmd.args:
            value = arguments.pop(a.name, None)
            if value is not None:          # null: as if left out (its default)
                out[a.name] = a.from_json(value)
            elif not a.optional:
                raise CommandError("missing argument '%s' (usage: %s)" % (a.name, cmd.usage()))
            else:
                out[a.name] = a.default
        if arguments:
            raise CommandError("unexpected argument '%s' for %s" % (sorted(arguments)[0], cmd.qmp_name))
        return Invocation(cmd, out)

    # -- running
    async def execute(self, session: Any, inv: Invocation) -> Any:
        args = {}
        for a in inv.command.args:
            value = inv.args.get(a.name, a.default)
            args[a.name] = a.resolve(session, value) if value is not None else None
        if inv.command.slash_format:
            args["fmt"] = inv.args.get("fmt", "")
        result = inv.command.handler(session, **args)
        if inspect.isawaitable(result):
            result = await result
        return result


def parse_args(cmd: Command, words: Sequence[str]) -> Dict[str, Any]:
    """Match words against a command's schema: flags and options anywhere,
    positionals in order, optional ones skipped when the word does not fit."""
    out: Dict[str, Any] = {}
    flags = {a.spelling: a for a in cmd.args if isinstance(a, Flag)}
    options = {a.name: a for a in cmd.args if isinstance(a, Option)}
    positional: List[str] = []
    i = 0
    words = list(words)
    while i < len(words):
        w = words[i]
        if w in flags:
            out[flags[w].name] = True
            i += 1
            continue
        key, eq, val = w.partition("=")
        if eq and key in options:
            out[key] = options[key].value.from_json(val) if val else _missing(cmd, key)
            i += 1
            continue
        if w in options and not positional_expects_word(cmd, positional):
            if i + 1 >= len(words):
                _missing(cmd, w)
            out[w] = options[w].value.from_json(words[i + 1])
            i += 2
            continue
        if w.startswith("-") and len(w) > 1 and w[1].isalpha():
            raise CommandError("unknown switch %s for %s (usage: %s)" % (w, cmd.name, cmd.usage()))
        positional.append(w)
        i += 1
    toks = Tokens(positional)
    skipped: Dict[int, CommandError] = {}   # why an optional argument did not take the word at a position
    for a in cmd.args:
        if not a.positional:
            continue
        if toks.empty():
            if not a.optional:
                raise CommandError("missing argument %s (usage: %s)" % (a.metavar, cmd.usage()))
            continue
        if a.optional:
            save = toks.i
            try:
                out[a.name] = a.consume(toks)
            except CommandError as e:
                skipped.setdefault(save, e)
                toks.i = save   # does not fit: leave the word for the next argument
        else:
            try:
                out[a.name] = a.consume(toks)
            except CommandError as e:
                raise CommandError("%s (usage: %s)" % (e, cmd.usage()))
    if not toks.empty():
        if toks.i in skipped:
            raise CommandError("%s (usage: %s)" % (skipped[toks.i], cmd.usage()))
        raise CommandError("unexpected argument %r (usage: %s)" % (" ".join(toks.rest()), cmd.usage()))
    for a in cmd.args:
        out.setdefault(a.name, a.default)
    return out


def positional_expects_word(cmd: Command, positional: List[str]) -> bool:
    # an option keyword is taken as an option unless the command has a Words arg still reading
    return any(isinstance(a, Words) for a in cmd.args) and bool(positional)


def _missing(cmd: Command, name: str) -> Any:
    raise CommandError("option '%s' needs a value (usage: %s)" % (name, cmd.usage()))
