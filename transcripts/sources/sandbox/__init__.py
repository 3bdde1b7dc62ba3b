"""Built-in stand-ins for the transcript vendors, for `make run` offline. DEBUG only.

transport.py answers the vendor hosts in-process (mounted by transcripts/sources/http.py when TRANSCRIPT_SANDBOX is
on): Zoom, Fireflies and Fathom there, Gong and Granola (the pull vendors) in pull_vendors.py; deliveries.py signs a
push vendor's webhook exactly as the vendor would, for one of the user's synced meetings.
"""
