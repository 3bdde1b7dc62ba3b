"""The one error model views rely on.

Services raise a `UserFacingError` (or a subclass) whose message is already written for the person using Ruby;
views show `str(exc)` and never re-word it. Clients (Microsoft, vendors) raise their own typed errors without
sentences; the service that catches one decides what to tell the user and raises a `UserFacingError`.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error to show as it is. `code` is a stable machine-readable kind for templates and tests."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message
