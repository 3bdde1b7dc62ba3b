"""Writes for calendar_sync, one module per area: connection, sync, events, linking,
lifecycle (disconnect, disable, re-enable), erasure (purge, anonymise), deletion_requests, retention, support."""
