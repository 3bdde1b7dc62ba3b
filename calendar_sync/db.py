"""Database tuning the sync engine relies on."""

from __future__ import annotations

import sqlite3


def raise_sqlite_parameter_limit(sender, connection, **kwargs) -> None:
    """Django 5.2 assumes SQLite's historical limit of 999 bound parameters and splits every
    bulk_create into batches of 999 // columns rows (~35 events per INSERT), so a sync's query count
    would grow with the number of events. SQLite ≥ 3.32 allows 32,766; use the real limit."""
    if connection.vendor != "sqlite" or connection.connection is None:
        return
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit > connection.features.max_query_params:
        connection.features.max_query_params = limit
