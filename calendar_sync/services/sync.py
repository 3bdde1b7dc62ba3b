"""calendar_sync services: sync."""
