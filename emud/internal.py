"""Internal errors: an exception emud did not expect (a bug) inside one
client's command or session. It is answered to that client as an error and
reported here once, in one line; the traceback, for a bug report, is added
when the ``EMUD_DEBUG`` environment variable is set (to anything but 0 or
empty). It never ends the process."""
from __future__ import annotations

import os
import sys
import traceback
from typing import Callable, Optional


def debug_enabled() -> bool:
    return os.environ.get("EMUD_DEBUG", "") not in ("", "0")


def describe(exc: BaseException) -> str:
    """"KeyError: 'x'": the exception in one line."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return "%s: %s" % (type(exc).__name__, text) if text else type(exc).__name__


def report_internal_error(where: str, exc: BaseException,
                          log: Optional[Callable[[str], None]] = None) -> str:
    """Report ``exc`` raised in ``where`` ("QMP session with 127.0.0.1:5000");
    returns the one-line description for the client's error answer."""
    line = "internal error in %s: %s" % (where, describe(exc))
    debug = debug_enabled()
    (log or stderr_line)(line if debug else line + " (set EMUD_DEBUG=1 for the traceback)")
    if debug:
        sys.stderr.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        sys.stderr.flush()
    return describe(exc)


def stderr_line(line: str) -> None:
    """One ``emud: ...`` line on stderr (a server's log by default)."""
    sys.stderr.write("emud: %s\n" % line)
    sys.stderr.flush()
