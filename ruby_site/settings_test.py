"""Settings for the test run: the real settings, with development defaults filled in."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("MICROSOFT_SANDBOX", "0")
os.environ.setdefault("EXCHANGE_SANDBOX", "0")
os.environ.setdefault("TRANSCRIPT_SANDBOX", "0")
os.environ.setdefault("MICROSOFT_CLIENT_ID", "test-client-id")
os.environ.setdefault("MICROSOFT_CLIENT_SECRET", "test-client-secret")

from ruby_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405 - tasks run inline in unit tests
