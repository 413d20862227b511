"""The one error type of the monitor: a user mistake, told in one line."""
from __future__ import annotations


class CommandError(Exception):
    """Unknown command, wrong arguments, bad expression, address outside the
    map... The message is one line for the user; the session continues."""

    def __init__(self, message: str, error_class: str = "GenericError") -> None:
        super().__init__(message)
        # QMP's error class ("GenericError", "CommandNotFound"), for the JSON front end
        self.error_class = error_class
