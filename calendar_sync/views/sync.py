"""calendar_sync views: sync."""
