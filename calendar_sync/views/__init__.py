"""Views for calendar_sync, one module per area: connection, sync, events, privacy."""
