"""Differences between the trio releases we support (0.22 on Debian's PyPy
setups, current releases from PyPI)."""
from __future__ import annotations

import inspect
from typing import Any, Callable, List

import trio

_RUN_SYNC_PARAMS = inspect.signature(trio.to_thread.run_sync).parameters
_ABANDON_KW = "abandon_on_cancel" if "abandon_on_cancel" in _RUN_SYNC_PARAMS else "cancellable"


async def run_sync_abandoning(fn: Callable, *args: Any) -> Any:
    """Run a blocking call in a thread; on cancellation stop waiting for it
    (the thread is left to finish on its own), e.g. a read from stdin."""
    return await trio.to_thread.run_sync(fn, *args, **{_ABANDON_KW: True})


def leaf_exceptions(exc: BaseException) -> List[BaseException]:
    """The exceptions inside (nested) exception groups, or [exc]."""
    inner = getattr(exc, "exceptions", None)
    if inner is None:
        return [exc]
    out: List[BaseException] = []
    for e in inner:
        out.extend(leaf_exceptions(e))
    return out
