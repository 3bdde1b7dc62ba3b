"""The built-in Microsoft sandbox (MICROSOFT_SANDBOX=1, DEBUG only).

A local stand-in for Microsoft so Connect and sync work offline with the production code path:
- identities.py: the sandbox accounts offered on the consent page;
- tokens.py: signed codes and tokens carrying the identity (valid across processes), revocation in
  the database (SandboxGrant);
- transport.py: a requests transport adapter serving the login host (OpenID configuration, token
  endpoint) and the Graph host (/v1.0/me, /v1.0/me/calendarView*) in-process;
- views.py: the browser leg (consent page, revoke page) under /sandbox/microsoft/;
- events.py: the calendar the sandbox serves (written with the sync work).
"""
