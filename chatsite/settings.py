"""
Settings for the chat site, read from the environment.

DEBUG is off unless the environment sets it (`make run`, `make test` and the tests' servers
set DEBUG=1); with it off the secret key, allowed hosts and trusted origins must be given and
every `check --deploy` setting is on (see the README's "Production settings"). Other defaults
suit `make run`: SQLite file, in-memory channel layer, local-memory cache, console email.
`DATABASE_URL` switches to PostgreSQL and `REDIS_URL` to Redis for the channel layer and the
cache.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# deploy/chat.env.example's SECRET_KEY: a site started with it would sign sessions with a key
# anyone can read, so start-up refuses it.
SECRET_KEY_PLACEHOLDER = "change-me-to-50-random-characters-from-python-secrets-token-urlsafe"


def _required(name):
    """A setting that production must set: a clear start-up error when it is missing."""
    value = env(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment when DEBUG is off "
            f"(see the README's 'Production settings'; for development set DEBUG=1, as `make run` does)."
        )
    return value


if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-3f9c2a7e1b8d4c6a0e5f2b9d7c1a4e8f")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = _required("SECRET_KEY")
    ALLOWED_HOSTS = [h.strip() for h in _required("ALLOWED_HOSTS").split(",") if h.strip()]
if SECRET_KEY.strip() == SECRET_KEY_PLACEHOLDER:
    raise ImproperlyConfigured(
        "SECRET_KEY is still the placeholder of deploy/chat.env.example. Generate a key with "
        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'` and put it in the environment."
    )

# The origins of the site's pages: Django's CSRF check and the WebSocket's origin check
# (rooms/origins.py) accept exactly these (and, with DEBUG, the dev server's own origin).
if DEBUG:
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
else:
    CSRF_TRUSTED_ORIGINS = [o.strip() for o in _required("CSRF_TRUSTED_ORIGINS").split(",") if o.strip()]

INSTALLED_APPS = [
    "daphne",  # first: `runserver` then serves WebSockets too
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "django_htmx",
    "template_partials",
    "core",
    "realtime",
    "accounts",
    "friends",
    "rooms",
    "moderation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside the session and CSRF middleware, so it sees the Vary: Cookie they add.
    "chatsite.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the rest: it logs the status the client gets (a 404 that CommonMiddleware
    # turns into a redirect to the slash is logged as that redirect).
    "chatsite.logs.RequestLogMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language; for someone
    # logged in, the language saved in their profile wins (accounts.middleware, below).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The saved language and time zone of the person logged in.
    "accounts.middleware.ReaderMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

if env.bool("CHAT_TEST_SERVER", default=False):  # the tests' live servers only (chatsite/tests/live.py)
    MIDDLEWARE.insert(0, "chatsite.tests.live.FreshContentTypes")

ROOT_URLCONF = "chatsite.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # {% partialdef %} everywhere without a {% load %}: pages and their fragments.
            "builtins": ["template_partials.templatetags.partials", "core.templatetags.avatars"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "friends.context_processors.notifications",
                "rooms.context_processors.attention",
                "chatsite.context_processors.limits",
            ],
        },
    },
]

WSGI_APPLICATION = "chatsite.wsgi.application"
ASGI_APPLICATION = "chatsite.asgi.application"

# --- Database -------------------------------------------------------------------------------
# SQLite by default; PostgreSQL (psycopg 3) when DATABASE_URL is set. Storing a message costs
# 2.5x more when every request reconnects, so connections are kept: in production in a
# psycopg pool of at most DATABASE_POOL_MAX_SIZE per process (the threads that run sync code
# wait for one instead of each opening its own), in development persistent per thread
# (CONN_MAX_AGE, with health checks). Each process names itself to PostgreSQL as chat-<pid>,
# so pg_stat_activity counts connections per process; /healthz reports the pool.
DATABASE_URL = env("DATABASE_URL", default="")
DATABASE_POOL_MAX_SIZE = env.int("DATABASE_POOL_MAX_SIZE", default=0 if DEBUG else 8)
if DATABASE_URL:
    DATABASES = {"default": env.db_url_config(DATABASE_URL)}
    DATABASES["default"].setdefault("OPTIONS", {})["application_name"] = f"chat-{os.getpid()}"
    if DATABASE_POOL_MAX_SIZE:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them (Django requires 0)
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": min(2, DATABASE_POOL_MAX_SIZE),
            "max_size": DATABASE_POOL_MAX_SIZE,
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10),
        }
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", default=str(BASE_DIR / "db.sqlite3")),
            # A file for the test database too, so a live server in another process
            # (the browser tests) can share it.
            # The tests give each run a test database file of its own (see conftest.py).
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channel layer and cache ----------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Redis behind Sentinel (chatsite/redis.py): the sentinels' addresses and the master's name.
# REDIS_URL then only gives the database number and password (redis://:password@/0).
REDIS_SENTINELS = env.list("REDIS_SENTINELS", default=[])
REDIS_MASTER_NAME = env("REDIS_MASTER_NAME", default="mymaster")
CHANNEL_CAPACITY = env.int("CHANNEL_CAPACITY", default=1000)
if REDIS_URL or REDIS_SENTINELS:
    # socket_timeout None: redis-py's 5 s default equals the layer's blocking read, which
    # drops idle consumers. A pool above 100 lets a mass disconnect run its group_discard
    # calls without exhausting connections.
    _layer_connection = {"socket_timeout": None, "max_connections": 1000}
    if REDIS_SENTINELS:
        from chatsite.redis import sentinel_addresses, url_options

        _layer_host = {
            "sentinels": sentinel_addresses(REDIS_SENTINELS),
            "master_name": REDIS_MASTER_NAME,
            "sentinel_kwargs": {"socket_timeout": 1},
            **url_options(REDIS_URL),
            **_layer_connection,
        }
        _cache_options = {
            "pool_class": "chatsite.redis.SentinelPool",
            "sentinels": REDIS_SENTINELS,
            "master_name": REDIS_MASTER_NAME,
        }
    else:
        _layer_host = {"address": REDIS_URL, **_layer_connection}
        _cache_options = {}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "realtime.layer.RedisLayer",  # channels-redis, fewer round trips
            "CONFIG": {"hosts": [_layer_host], "capacity": CHANNEL_CAPACITY, "expiry": 60},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL or "redis://",
            "KEY_PREFIX": "chatsite",
            "OPTIONS": _cache_options,
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY, "expiry": 60},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "rooms:chat"
LOGOUT_REDIRECT_URL = "accounts:login"
# Database sessions that know their user (accounts/sessions.py): a ban deletes them all.
SESSION_ENGINE = "accounts.sessions"

# The tests' live server adds a fast hasher for the users that factories make.
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ],
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Emailed confirmation codes (sign-up and email change).
EMAIL_CODE_TTL = env.int("EMAIL_CODE_TTL", default=5 * 60)
EMAIL_CODE_MAX_ATTEMPTS = 5
EMAIL_CODE_RESEND_SECONDS = 60
# Login throttling: this many failures per username or per IP within the window.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
LOGIN_FAILURE_WINDOW = 15 * 60

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_SIZE = 256
# Pictures (avatars and attachments, core/images.py): at most this many pixels, read from
# the header before anything is decoded; this many decodes at once per process, each waited
# for at most IMAGE_DECODE_WAIT_SECONDS.
IMAGE_MAX_PIXELS = 25_000_000
IMAGE_DECODES_AT_ONCE = env.int("IMAGE_DECODES_AT_ONCE", default=2)
IMAGE_DECODE_WAIT_SECONDS = 20

# Your data (accounts.export, accounts.actions.delete_account): one export per interval; an
# export of up to EXPORT_INLINE_ITEMS items (rows, messages, a file per started megabyte) is
# built during the request, a bigger one in the background with its progress on the page,
# and one that has not moved for EXPORT_STALLED_SECONDS is taken as failed. A deleted
# account's username is held this many days before anyone may take it.
EXPORT_INTERVAL_SECONDS = 3600
EXPORT_INLINE_ITEMS = env.int("EXPORT_INLINE_ITEMS", default=500)
EXPORT_STALLED_SECONDS = 120
USERNAME_HOLD_DAYS = 30

# --- Metrics --------------------------------------------------------------------------------
# /metrics (Prometheus' text format, every process of the machine added up: core/metrics.py)
# answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a 404 for everyone.
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# --- Chat -----------------------------------------------------------------------------------
# The limits people meet, in one place: models, forms, templates and the page's JavaScript
# read them from here (templates as `limits`, JavaScript from the page's #chat-config).
MESSAGE_MAX_LENGTH = 4000
MESSAGE_EDIT_SECONDS = 15 * 60
GROUP_NAME_MAX_LENGTH = 80
FRIEND_REASON_MAX_LENGTH = 100
FRIEND_SUGGESTIONS = 5  # people the add-friend box suggests at a time
REPORT_NOTE_MAX_LENGTH = 500
SEARCH_QUERY_MAX_LENGTH = 200
TYPING_EVERY_SECONDS = 2
SOCKET_FRAME_MAX_BYTES = 64 * 1024
# Messages per sender in the window; over the limit a send is refused and nothing is stored.
CHAT_RATE_LIMIT = env.int("CHAT_RATE_LIMIT", default=10)
CHAT_RATE_WINDOW = env.float("CHAT_RATE_WINDOW", default=5.0)
# Renames per group, friend requests per sender, and emails (codes, password resets) per
# client IP and per address, in their windows (rooms/limits.py); a request to someone who
# rejected yours waits FRIEND_REQUEST_RETRY_DAYS.
GROUP_RENAME_LIMIT, GROUP_RENAME_WINDOW = 3, 60
FRIEND_REQUEST_LIMIT, FRIEND_REQUEST_WINDOW = 20, 3600
FRIEND_REQUEST_RETRY_DAYS = 7
EMAILS_PER_IP_LIMIT = env.int("EMAILS_PER_IP_LIMIT", default=10)
EMAILS_PER_ADDRESS_LIMIT = 3
EMAILS_WINDOW = 3600
# Open chat sockets (tabs) per person, counted on every process; one more is closed with 4429.
CHAT_SOCKETS_PER_PERSON = env.int("CHAT_SOCKETS_PER_PERSON", default=20)
# Images and files sent in rooms (rooms/attachments.py): the largest upload and the
# thumbnail's longest side (pictures also follow IMAGE_MAX_PIXELS).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
# The largest request body: an attachment and the form around it. Bigger ones are refused with
# 413 while they stream in (chatsite/bodies.py; nginx's client_max_body_size is the same).
UPLOAD_MAX_BYTES = ATTACHMENT_MAX_BYTES + 64 * 1024
# Django's own limits on what it parses: the form fields (not files) of a request, the files
# of one request (the page sends one at a time); a file over 2.5 MB spools to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 10
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
ATTACHMENT_THUMBNAIL_SIZE = 480

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / ".mail"))
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Chat <noreply@chat.localhost>")

# --- Internationalization -------------------------------------------------------------------
# English and Simplified Chinese, each named in its own language (the switcher shows them so).
# The catalogues are in locale/ (compiled .mo files committed: `make run` needs no gettext).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
# Images and files sent in rooms: outside MEDIA_ROOT, with no URL; only a view that checks
# membership serves them (rooms.views.attachment).
ATTACHMENTS_ROOT = env("ATTACHMENTS_ROOT", default=str(BASE_DIR / "attachments"))
# People's data exports (ZIPs): outside MEDIA_ROOT too, served only to their owner.
EXPORTS_ROOT = env("EXPORTS_ROOT", default=str(BASE_DIR / "exports"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "exports": {"BACKEND": "accounts.models.ExportStorage"},
    "attachments": {"BACKEND": "rooms.attachments.AttachmentStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security -------------------------------------------------------------------------------
# On by default when DEBUG is off. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto; each switch can be turned off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # load balancers and Prometheus, over plain HTTP
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Every page (chatsite/headers.py): scripts, styles, pictures and sockets from this site only,
# no inline script or style and no eval (htmx's config in base.html turns off its eval and
# its injected indicator style), no plugins, no framing, forms post here only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Logging --------------------------------------------------------------------------------
# One JSON object per line on stdout (chatsite/logs.py): every request with its path, user id
# and latency; errors with their traceback in the same line. LOG_FORMAT=text (the default
# with DEBUG on) for people reading a terminal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "chatsite.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    # Every line names the request or socket it belongs to (core/context.py).
    "filters": {"context": {"()": "core.context.LogContext"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": env("LOG_FORMAT", default="text" if DEBUG else "json"),
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Daphne's own access lines repeat what chatsite.request says better.
        "django.channels.server": {"level": "WARNING"},
        "django.server": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
    },
}

# Under daphne alone (no runserver) DEBUG still serves the app's static files.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
