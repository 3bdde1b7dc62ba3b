"""calendar_sync services: connection."""
