"""calendar_sync views: connection."""
