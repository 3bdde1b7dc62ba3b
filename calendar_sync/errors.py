"""The one error model for calendar providers (Microsoft Graph and its sign-in today, Exchange next).

A leaf module on purpose: the clients (graph.py, auth.py), the token service and the provider seam all raise
these, and none of them may import the provider registry to get the base class.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


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


class WaitBudgetExceeded(ProviderError):
    """The provider asks the run to wait longer than its budget has left: end the run, come back later.

    `retry_after` is the wait the provider asked for (seconds). Transient by nature."""

    def __init__(self, *, retry_after: float, requests_made: int = 0):
        super().__init__("throttled", requests_made=requests_made)
        self.retry_after = retry_after


class WaitBudget:
    """Seconds a whole sync run may spend waiting on a provider (Retry-After, backoff), all requests together."""

    def __init__(self, seconds: float):
        self.remaining = seconds

    def spend(self, seconds: float, *, requests_made: int = 0) -> None:
        if seconds > self.remaining:
            raise WaitBudgetExceeded(retry_after=seconds, requests_made=requests_made)
        self.remaining -= seconds


_current_budget: ContextVar[WaitBudget | None] = ContextVar("calendar_wait_budget", default=None)


@contextmanager
def wait_budget(seconds: float) -> Iterator[WaitBudget]:
    """Within this block, every client wait is charged to one budget (the engine opens one per run)."""
    budget = WaitBudget(seconds)
    token = _current_budget.set(budget)
    try:
        yield budget
    finally:
        _current_budget.reset(token)


def spend_wait(seconds: float, *, requests_made: int = 0) -> None:
    """Charge a wait to the current run's budget (none outside a run); raises WaitBudgetExceeded."""
    budget = _current_budget.get()
    if budget is not None:
        budget.spend(seconds, requests_made=requests_made)
