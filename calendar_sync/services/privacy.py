"""calendar_sync services: privacy."""
