"""Built-in stand-ins for the push vendors (Zoom, Fireflies, Fathom), for `make run` offline. DEBUG only.

transport.py answers the vendor hosts in-process (mounted by transcripts/sources/http.py when TRANSCRIPT_SANDBOX is
on); deliveries.py signs a webhook exactly as the vendor would, for one of the user's synced meetings.
"""
