"""``logfile=FILE`` on a chardev (QEMU's ChardevCommon): every byte its
frontends write also goes to FILE (truncated at start, or added to with
``logappend=on``), whether or not the backend has a client to take it.

:class:`LoggedChardev` wraps any backend: writes are copied to the file,
everything else (attach, run, statistics, the mux hooks) is the backend's.
"""
from __future__ import annotations

from typing import Any

from .chardev import Chardev, ChardevError


class LoggedChardev:
    def __init__(self, backend: Chardev, path: str, append: bool = False) -> None:
        self.backend = backend
        try:
            self._log = open(path, "ab" if append else "wb", buffering=0)
        except OSError as e:
            raise ChardevError("chardev '%s': cannot open logfile %s: %s"
                               % (backend.spec.text if backend.spec else backend.kind, path, e.strerror)) from None

    def write(self, data: bytes) -> None:
        if self._log is not None:
            try:
                self._log.write(data)
            except OSError:
                pass            # a full disk costs the log, never the guest
        self.backend.write(data)

    def close(self) -> None:
        self.backend.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)
