"""gunicorn settings, read automatically when gunicorn starts in this directory (README: Production).

The access log names the path without its query string (%(U)s, not %(r)s): Microsoft's sign-in returns
to /settings/integrations/outlook/callback/?code=…&state=…, and an authorization code in a log file is a
credential in a log file. Nor is the Referer logged, which can carry the same URL.
"""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
