"""calendar_sync views: privacy."""
