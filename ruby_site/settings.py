"""Ruby settings: one file, everything from the environment (design.md §4).

A missing or malformed production setting raises ImproperlyConfigured at start, naming the
variable. A feature whose credential is missing is off, not broken.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from ruby_site.env import (
    env_bool,
    env_https_url,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET = "dev-only-" + "not-secret"  # DEBUG only; production must set SECRET_KEY
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("The environment variable SECRET_KEY must be set when DEBUG is off.")
if not DEBUG and (SECRET_KEY == _DEV_SECRET or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the host names Ruby is served on when DEBUG is off.")

PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "")
if PUBLIC_BASE_URL:
    # https; http only with DEBUG=1, for a local Microsoft stand-in calling http://127.0.0.1:8000 (issue 12).
    PUBLIC_BASE_URL = env_https_url("PUBLIC_BASE_URL", PUBLIC_BASE_URL, allow_http=DEBUG)
CSRF_TRUSTED_ORIGINS = [PUBLIC_BASE_URL] if PUBLIC_BASE_URL else []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.microsoft",
    "django_q",
    "ruby_site",
    "deals",
    "calendar_sync",
    "transcripts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ruby_site.middleware.WorkspaceMiddleware",
]

ROOT_URLCONF = "ruby_site.urls"
WSGI_APPLICATION = "ruby_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ruby_site.context_processors.ruby",
            ],
        },
    },
]

DATABASES = {"default": parse_database_url(env_str("DATABASE_URL", "sqlite:///db.sqlite3"), base_dir=BASE_DIR)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL + a busy timeout let the web server and the django-q2 worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "ruby_site.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- allauth: email is the login ---------------------------------------------------------
ACCOUNT_ADAPTER = "ruby_site.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "ruby_site.adapters.SocialAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_SIGNUP_FORM_CLASS = "ruby_site.forms.SignupExtraForm"
# Failed logins are counted per account (the email typed) and, much more loosely, per IP: one person's
# wrong passwords lock only their own account, not the colleagues behind the same office proxy.
ACCOUNT_RATE_LIMITS = {"login_failed": "60/5m/ip,5/5m/key", "login": "120/m/ip"}
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
# Never sign in or link an existing Ruby user because a provider *claims* the same email
# (the "nOAuth" takeover, django-allauth CVE-2023-36871): identity is the provider's uid.
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "mandatory"
SOCIALACCOUNT_LOGIN_ON_GET = False

# --- Microsoft ------------------------------------------------------------------------------
MICROSOFT_LOGIN_URL = env_https_url("MICROSOFT_LOGIN_URL", "https://login.microsoftonline.com")
MICROSOFT_GRAPH_URL = env_https_url("MICROSOFT_GRAPH_URL", "https://graph.microsoft.com")
MICROSOFT_TENANT = env_str("MICROSOFT_TENANT", "common")
MICROSOFT_CLIENT_ID = env_str("MICROSOFT_CLIENT_ID", "")
MICROSOFT_CLIENT_SECRET = env_str("MICROSOFT_CLIENT_SECRET", "")
MICROSOFT_SANDBOX = env_bool("MICROSOFT_SANDBOX", DEBUG and not MICROSOFT_CLIENT_ID)
if MICROSOFT_SANDBOX and not DEBUG:
    raise ImproperlyConfigured("MICROSOFT_SANDBOX=1 is for development only and is refused when DEBUG is off.")
if MICROSOFT_SANDBOX:
    MICROSOFT_CLIENT_ID = MICROSOFT_CLIENT_ID or "ruby-sandbox-client"
    MICROSOFT_CLIENT_SECRET = MICROSOFT_CLIENT_SECRET or "ruby-sandbox-secret"
elif MICROSOFT_CLIENT_ID and not MICROSOFT_CLIENT_SECRET:
    raise ImproperlyConfigured("MICROSOFT_CLIENT_SECRET must be set when MICROSOFT_CLIENT_ID is set.")
# Outlook Calendar is off (the card says so) when neither real credentials nor the sandbox exist.
MICROSOFT_ENABLED = bool(MICROSOFT_CLIENT_ID)
MICROSOFT_HTTP_TIMEOUT = (5, 20)  # (connect, read) seconds for every identity and Graph call

VENDOR_HTTP_TIMEOUT = (5, 30)  # (connect, read) seconds for every transcript-vendor call

# Exchange on-premise through EWS (issue 13). The server URL is typed by a user: private, loopback and
# link-local addresses are refused unless Ruby itself runs inside the company network.
EXCHANGE_ALLOW_PRIVATE_HOSTS = env_bool("EXCHANGE_ALLOW_PRIVATE_HOSTS", False)
EXCHANGE_HTTP_TIMEOUT = 20  # seconds for every EWS request (connect and read)
EXCHANGE_RETRY_ATTEMPTS = 2  # tries per EWS operation when the server is busy or unreachable
EXCHANGE_RETRY_WAIT_SECONDS = 2
EXCHANGE_SANDBOX = env_bool("EXCHANGE_SANDBOX", DEBUG)
if EXCHANGE_SANDBOX and not DEBUG:
    raise ImproperlyConfigured("EXCHANGE_SANDBOX=1 is for development only and is refused when DEBUG is off.")

SOCIALACCOUNT_PROVIDERS = {}
if MICROSOFT_CLIENT_ID and not MICROSOFT_SANDBOX:
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": MICROSOFT_CLIENT_ID,
                "secret": MICROSOFT_CLIENT_SECRET,
                "settings": {
                    "tenant": MICROSOFT_TENANT,
                    "login_url": MICROSOFT_LOGIN_URL,
                    "graph_url": MICROSOFT_GRAPH_URL,
                },
            }
        ],
        "SCOPE": ["User.Read"],
    }


# --- Transcript-source vendors (issue 11): every host from one variable, https only, defaults the vendors' ---------
TRANSCRIPT_VENDOR_HOSTS = {
    "ZOOM_API_URL": "https://api.zoom.us",
    "ZOOM_OAUTH_URL": "https://zoom.us",
    "FIREFLIES_API_URL": "https://api.fireflies.ai",
    "FATHOM_API_URL": "https://api.fathom.ai",
    "GONG_API_URL": "https://api.gong.io",
    "GRANOLA_API_URL": "https://public-api.granola.ai",
}
ZOOM_API_URL = env_https_url("ZOOM_API_URL", TRANSCRIPT_VENDOR_HOSTS["ZOOM_API_URL"])
ZOOM_OAUTH_URL = env_https_url("ZOOM_OAUTH_URL", TRANSCRIPT_VENDOR_HOSTS["ZOOM_OAUTH_URL"])
FIREFLIES_API_URL = env_https_url("FIREFLIES_API_URL", TRANSCRIPT_VENDOR_HOSTS["FIREFLIES_API_URL"])
FATHOM_API_URL = env_https_url("FATHOM_API_URL", TRANSCRIPT_VENDOR_HOSTS["FATHOM_API_URL"])
GONG_API_URL = env_https_url("GONG_API_URL", TRANSCRIPT_VENDOR_HOSTS["GONG_API_URL"])
GRANOLA_API_URL = env_https_url("GRANOLA_API_URL", TRANSCRIPT_VENDOR_HOSTS["GRANOLA_API_URL"])
# The built-in vendor stand-ins (transcripts/sources/sandbox/): on by default with DEBUG when no vendor host is set.
TRANSCRIPT_SANDBOX = env_bool(
    "TRANSCRIPT_SANDBOX", DEBUG and not any(os.environ.get(k) for k in TRANSCRIPT_VENDOR_HOSTS)
)
if TRANSCRIPT_SANDBOX and not DEBUG:
    raise ImproperlyConfigured("TRANSCRIPT_SANDBOX=1 is for development only and is refused when DEBUG is off.")


# --- Encryption of tokens and secrets -------------------------------------------------------
def _dev_field_key() -> str:
    # DEBUG only: a stable key derived from the dev SECRET_KEY so `make run` needs no setup.
    return base64.urlsafe_b64encode(hashlib.sha256(SECRET_KEY.encode()).digest()).decode()


FIELD_ENCRYPTION_KEY = env_list("FIELD_ENCRYPTION_KEY", [_dev_field_key()] if DEBUG else [])
if not FIELD_ENCRYPTION_KEY:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY must be set (one Fernet key, or a comma-separated list newest first)."
    )
try:
    from cryptography.fernet import Fernet

    for _key in FIELD_ENCRYPTION_KEY:
        Fernet(_key)
except (ValueError, TypeError) as exc:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes)."
    ) from exc

# --- django-q2: ORM broker on the same database ---------------------------------------------
Q_CLUSTER = {
    "name": "ruby",
    "orm": "default",
    "workers": 2,
    "timeout": 300,  # a task is killed after this…
    "retry": 360,  # …and only re-offered after this, so a slow task never runs twice at once
    "max_attempts": 2,
    "catch_up": False,
    "ack_failures": True,
    "poll": 1,
    "label": "Tasks",
}


# --- Content-Security-Policy (django-csp) ------------------------------------------------------
# Only our own static files run or style the page (htmx is one of them, served by whitenoise); nothing
# inline, no eval. The one inline <style> is the error page's (it must render without static files);
# it is allowed by its hash, computed from the template so an edit cannot silently break it.
def _inline_style_hash(template: Path) -> str:
    text = template.read_text(encoding="utf-8")
    style = text.split("<style>", 1)[1].split("</style>", 1)[0]
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", _inline_style_hash(BASE_DIR / "templates" / "_error.html")],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        # No form-action: Connect posts to Ruby, which redirects to Microsoft's sign-in, and browsers
        # apply form-action to that redirect too.
    }
}

# --- Cache: shared by every process (rate limits must be) -------------------------------------
# The database cache by default: every web process, every worker and every machine on one database
# sees the same counters, with nothing else to run (the table comes with `migrate`). CACHE_URL=redis://…
# uses Redis instead (Django's built-in backend; needs the `redis` package).
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a redis:// or rediss:// URL (empty: the database cache).")
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ruby_cache"}}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# One date format across the product, Django-localised: ruby_site/formats/<locale>/formats.py.
FORMAT_MODULE_PATH = ["ruby_site.formats"]
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ruby <no-reply@heyruby.io>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = int(env_str("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    raise ImproperlyConfigured("EMAIL_HOST must be set when DEBUG is off (password resets and invitations send email).")

SUPPORT_EMAIL = "support@heyruby.io"

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: never a token (see calendar_sync/auth.py); MSAL's own debug logs stay off -----
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"no_query": {"()": "ruby_site.logging_filters.StripQueryString"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # runserver's request lines, without the query string (an OAuth code must not reach a log).
        "server": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["no_query"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
        "msal": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
        "django.db.backends": {"level": "INFO"},
    },
}
