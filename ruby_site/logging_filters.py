"""Log filters: no query string in the development server's request lines (see gunicorn.conf.py for production).

An OAuth callback's query holds the authorization code; runserver would print it to the console.
"""

from __future__ import annotations

import logging


def _without_query(request_line: str) -> str:
    method, _, rest = request_line.partition(" ")
    target, space, version = rest.partition(" ")
    path, question, _query = target.partition("?")
    return f"{method} {path}{'?[query not logged]' if question else ''}{space}{version}"


class StripQueryString(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args and isinstance(record.args[0], str):
            record.args = (_without_query(record.args[0]), *record.args[1:])
        return True
