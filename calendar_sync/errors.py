"""The one error model for calendar providers (Microsoft Graph and its sign-in today, Exchange next).

A leaf module on purpose: the clients (graph.py, auth.py), the token service and the provider seam all raise
these, and none of them may import the provider registry to get the base class.
"""

from __future__ import annotations


class ProviderError(Exception):
    """A call to a calendar provider failed.

    `permanent`: only the user (by reconnecting) can fix it, so it becomes connection state and is never retried;
    otherwise the next attempt may succeed. `kind` is a stable code the services word for people; clients never
    put a user-facing sentence here. `requests_made` counts the HTTP requests spent, retries included, so a
    SyncRun counts failed attempts too. Nothing here ever carries a token.
    """

    permanent = False

    def __init__(
        self,
        kind: str,
        *,
        message: str = "",
        status: int | None = None,
        code: str = "",
        detail: str = "",
        requests_made: int = 0,
    ):
        super().__init__(message or kind)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.detail = detail
        self.requests_made = requests_made

    def __str__(self) -> str:
        if self.message:
            return self.message
        parts = [self.kind]
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        return " ".join(parts)
