"""CampusCard settings: everything comes from the environment (see docs/configuration.md)."""

import datetime
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent


def env(name, default=None):
    """Read CAMPUSCARD_X or, for secrets mounted as files, CAMPUSCARD_X_FILE."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = env(name)
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name, default):
    value = env(name)
    try:
        return default if value is None else int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from exc


def env_list(name, default=""):
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


HOME = Path(env("CAMPUSCARD_HOME", "var")).resolve()
HOME.mkdir(parents=True, exist_ok=True)


def load_or_create_secret_key():
    key = env("CAMPUSCARD_SECRET_KEY")
    if key:
        return key
    key_file = HOME / "secret_key"
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


SECRET_KEY = load_or_create_secret_key()
# Keys that seal the secrets kept in the database (core/sealing.py); derived from SECRET_KEY
# when unset.
CAMPUSCARD_SEALING_KEYS = env_list("CAMPUSCARD_SEALING_KEYS")
DEBUG = env_bool("CAMPUSCARD_DEBUG", False)
ALLOWED_HOSTS = env_list("CAMPUSCARD_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CAMPUSCARD_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "djangosaml2",
    "campuscard.core",
    "campuscard.accounts",
    "campuscard.institutions",
    "campuscard.people",
    "campuscard.cards",
    "campuscard.printing",
    "campuscard.backoffice",
    "campuscard.portal",
    "campuscard.esc",
    "campuscard.notifications",
    "campuscard.api",
    "campuscard.stations",
    "campuscard.delivery",
    "campuscard.nfc",
    "campuscard.integrations.webhooks",
    "campuscard.integrations.esc_router",
    "campuscard.integrations.crous",
    "campuscard.integrations.exports",
    "campuscard.integrations.ldap_writeback",
    "campuscard.integrations.papercut",
    "campuscard.router",
    "campuscard.demo",
]

# Our two come first: every response gets its X-Request-ID, and a NUL character is refused
# before a session cookie or a query string reaches the database (core/middleware.py).
MIDDLEWARE = [
    "campuscard.core.middleware.RequestIdMiddleware",
    "campuscard.core.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # SAML's own session (request.saml_session): its cookie comes back on the identity
    # provider's cross-site POST to the ACS, where the session cookie does not.
    "djangosaml2.middleware.SamlSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "campuscard.accounts.sessions.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]

ROOT_URLCONF = "campuscard.urls"
WSGI_APPLICATION = "campuscard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campuscard.people.context_processors.roles",
                "campuscard.integrations.crous.context_processors.crous",
            ],
        },
    },
]


def database_settings():
    default_url = f"sqlite:///{HOME / 'campuscard.sqlite3'}"
    config = dj_database_url.parse(env("DATABASE_URL", default_url), conn_max_age=60)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and IMMEDIATE transactions let the web server and the worker write side by side.
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config["CONN_MAX_AGE"] = 0
        config["TEST"] = {"NAME": str(HOME / "test.sqlite3")}
    else:
        config["CONN_HEALTH_CHECKS"] = True
        # Prepared statements for the hot queries that ask for them (the public card status).
        # Turn off behind a pooler in transaction mode, which cannot keep them.
        prepared = env_bool("CAMPUSCARD_DB_PREPARED_STATEMENTS", True)
        config["OPTIONS"] = {"prepare_threshold": 5 if prepared else None}
    return config


DATABASES = {"default": database_settings()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Logins and sessions (campuscard.accounts) -------------------------------------------
# The login throttle comes first, whatever backends are configured (SSO included): while a user
# name or an address is locked out, no backend is asked (campuscard/accounts/throttle.py).
# Each asks only for the methods of its kind in CAMPUSCARD_SIGNON_FILE (docs/signon.md).
SIGNON_BACKENDS = [
    "campuscard.accounts.signon.password.PasswordBackend",
    "campuscard.accounts.signon.cas.CasBackend",
    "campuscard.accounts.signon.saml.backend.SamlBackend",
    "campuscard.accounts.signon.header.HeaderBackend",
    "campuscard.accounts.signon.oidc.backend.OIDCBackend",
]
AUTHENTICATION_BACKENDS = [
    "campuscard.accounts.throttle.LoginThrottleBackend",
    *env_list("CAMPUSCARD_AUTH_BACKENDS", ",".join(SIGNON_BACKENDS)),
]
# The sign-on methods per establishment (local passwords, CAS, SAML, OIDC, trusted headers);
# without it, local passwords only.
CAMPUSCARD_SIGNON_FILE = env("CAMPUSCARD_SIGNON_FILE", "")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
CAMPUSCARD_LOGIN_FAILURE_LIMIT = env_int("CAMPUSCARD_LOGIN_FAILURE_LIMIT", 5)
CAMPUSCARD_LOGIN_COOLOFF_MINUTES = env_int("CAMPUSCARD_LOGIN_COOLOFF_MINUTES", 15)
if CAMPUSCARD_LOGIN_FAILURE_LIMIT < 1 or CAMPUSCARD_LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured(
        "CAMPUSCARD_LOGIN_FAILURE_LIMIT and CAMPUSCARD_LOGIN_COOLOFF_MINUTES must be at least 1")
AXES_FAILURE_LIMIT = CAMPUSCARD_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=CAMPUSCARD_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each on its own
AXES_CLIENT_IP_CALLABLE = "campuscard.accounts.throttle.client_address"
AXES_USERNAME_CALLABLE = "campuscard.accounts.throttle.username_of"
AXES_LOCKOUT_CALLABLE = "campuscard.accounts.throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = False  # throttle.forget_own_failures clears only that name and address
# Masked in the attempts axes records: the address and user name (its defaults), a CAS ticket,
# a SAML answer.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "ticket", "SAMLResponse"]
CAMPUSCARD_SESSION_MAX_AGE_MINUTES = env_int("CAMPUSCARD_SESSION_MAX_AGE_MINUTES", 600)
CAMPUSCARD_SESSION_IDLE_MINUTES = env_int("CAMPUSCARD_SESSION_IDLE_MINUTES", 60)
if CAMPUSCARD_SESSION_MAX_AGE_MINUTES < 1 or CAMPUSCARD_SESSION_IDLE_MINUTES < 1:
    raise ImproperlyConfigured(
        "CAMPUSCARD_SESSION_MAX_AGE_MINUTES and CAMPUSCARD_SESSION_IDLE_MINUTES must be at least 1")
SESSION_COOKIE_AGE = CAMPUSCARD_SESSION_MAX_AGE_MINUTES * 60

# --- SAML 2 (accounts/signon/saml, docs/signon.md) ----------------------------------------------
# One service provider for the instance, whatever the number of SAML methods (identity providers)
# in the sign-on file: its entity id, and its key and certificate as files (never in the database).
CAMPUSCARD_SAML_SP_ENTITY_ID = env("CAMPUSCARD_SAML_SP_ENTITY_ID", "")
CAMPUSCARD_SAML_SP_KEY_FILE = env("CAMPUSCARD_SAML_SP_KEY_FILE", "")
CAMPUSCARD_SAML_SP_CERT_FILE = env("CAMPUSCARD_SAML_SP_CERT_FILE", "")
SAML_CONFIG_LOADER = "campuscard.accounts.signon.saml.sp.sp_config"
SAML_CREATE_UNKNOWN_USER = False  # accounts are made by signon.users.sign_on_user only
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_LOGOUT_REQUEST_PREFERRED_BINDING = SAML_DEFAULT_BINDING
# Browsers refuse SameSite=None without Secure: over plain HTTP (development) Lax it is.
SAML_SESSION_COOKIE_SAMESITE = "None" if env_bool("CAMPUSCARD_HTTPS", False) else "Lax"

# --- Content-Security-Policy (django-csp) ---------------------------------------------------
# Pages keep to it: no inline script or style anywhere (static files and classes only). Images
# may be data:/blob: (the photo picker's previews), media blob:/mediastream: (the camera).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:", "mediastream:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
# --- end of logins, sessions and CSP ---------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = env("CAMPUSCARD_LANGUAGE", "fr")
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env("CAMPUSCARD_TIME_ZONE", "Europe/Paris")
# Our own date formats (campuscard/formats/<lang>/formats.py): English pages write dates
# day/month/year as the rest of Europe does ("dmy"), or month/day/year ("mdy").
FORMAT_MODULE_PATH = ["campuscard.formats"]
ENGLISH_DATE_ORDER = env("CAMPUSCARD_ENGLISH_DATE_ORDER", "dmy").strip().lower()
if ENGLISH_DATE_ORDER not in ("dmy", "mdy"):
    raise ImproperlyConfigured(
        f"CAMPUSCARD_ENGLISH_DATE_ORDER must be dmy or mdy, not {ENGLISH_DATE_ORDER!r}")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the finders until collectstatic runs
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "media/"
MEDIA_ROOT = HOME / "media"

EMAIL_BACKEND = env("CAMPUSCARD_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where the file backend (django.core.mail.backends.filebased.EmailBackend) writes: one file a
# mail. `campuscard demo` sends its mails there.
EMAIL_FILE_PATH = env("CAMPUSCARD_EMAIL_FILE_PATH", str(HOME / "mail"))
EMAIL_HOST = env("CAMPUSCARD_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("CAMPUSCARD_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("CAMPUSCARD_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env("CAMPUSCARD_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CAMPUSCARD_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("CAMPUSCARD_EMAIL_FROM", "campuscard@localhost")
# Absolute address of this site, for links in mails.
CAMPUSCARD_PUBLIC_URL = env("CAMPUSCARD_PUBLIC_URL", "http://localhost:8000").rstrip("/")
CAMPUSCARD_RIGHTS_END_REMINDER_DAYS = env_int("CAMPUSCARD_RIGHTS_END_REMINDER_DAYS", 30)

# Card photos: what an upload may be before it is even decoded.
CAMPUSCARD_PHOTO_MAX_BYTES = env_int("CAMPUSCARD_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
CAMPUSCARD_PHOTO_MAX_PIXELS = env_int("CAMPUSCARD_PHOTO_MAX_PIXELS", 50_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# Behind a TLS proxy in production: CAMPUSCARD_HTTPS=true turns on every HTTPS protection.
HTTPS = env_bool("CAMPUSCARD_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
# Behind a reverse proxy of our own: X-Forwarded-Proto says whether the client used HTTPS, and
# X-Forwarded-For gives the client's address, read only from these proxies (addresses or CIDRs;
# loopback by default behind a proxy, nothing otherwise).
BEHIND_PROXY = env_bool("CAMPUSCARD_BEHIND_PROXY", HTTPS)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
CAMPUSCARD_TRUSTED_PROXIES = env_list("CAMPUSCARD_TRUSTED_PROXIES",
                                      "127.0.0.1,::1" if BEHIND_PROXY else "")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# The outbox: what reaches other systems, and how hard the worker tries.
CAMPUSCARD_TARGETS = env_list(
    "CAMPUSCARD_TARGETS",
    "campuscard.integrations.webhooks.target.WebhookTarget,"
    "campuscard.notifications.target.MailTarget,"
    "campuscard.integrations.esc_router.target.EscRouterTarget,"
    "campuscard.integrations.crous.target.CrousTarget",
)
CAMPUSCARD_WEBHOOK_URLS = env_list("CAMPUSCARD_WEBHOOK_URLS")
CAMPUSCARD_WEBHOOK_SECRET = env("CAMPUSCARD_WEBHOOK_SECRET", "")
# The European Student Card router we push to ("" = none). Each establishment holds its own
# API key (django-admin, "European Student Card"); this is the base URL, ending in /esc-rest.
CAMPUSCARD_ESC_ROUTER_URL = env("CAMPUSCARD_ESC_ROUTER_URL", "").rstrip("/")
CAMPUSCARD_ESC_ROUTER_TIMEOUT = float(env("CAMPUSCARD_ESC_ROUTER_TIMEOUT", "10"))
# A card whose holder has no end of rights is registered valid for this many days.
CAMPUSCARD_ESC_DEFAULT_VALIDITY_DAYS = env_int("CAMPUSCARD_ESC_DEFAULT_VALIDITY_DAYS", 365)
# CROUS / Izly (integrations/crous/, docs/crous.md): the API's base URL (its paths start
# /beforeizly/v1/; "" = nothing is sent), its OAuth2 token endpoint and client credentials (the
# secret from CAMPUSCARD_CROUS_CLIENT_SECRET or the file CAMPUSCARD_CROUS_CLIENT_SECRET_FILE),
# the read timeout (connect: 10 s at most), and the right-holder identifier: "ine" (the INE when
# the person has one, else the eppn) or "eppn"; each establishment may choose its own.
CAMPUSCARD_CROUS_URL = env("CAMPUSCARD_CROUS_URL", "").rstrip("/")
CAMPUSCARD_CROUS_TOKEN_URL = env("CAMPUSCARD_CROUS_TOKEN_URL", "")
CAMPUSCARD_CROUS_CLIENT_ID = env("CAMPUSCARD_CROUS_CLIENT_ID", "")
CAMPUSCARD_CROUS_CLIENT_SECRET = env("CAMPUSCARD_CROUS_CLIENT_SECRET", "")
CAMPUSCARD_CROUS_TIMEOUT = float(env("CAMPUSCARD_CROUS_TIMEOUT", "30"))
CAMPUSCARD_CROUS_IDENTIFIER = env("CAMPUSCARD_CROUS_IDENTIFIER", "ine")
if CAMPUSCARD_CROUS_IDENTIFIER not in ("ine", "eppn"):
    raise ImproperlyConfigured("CAMPUSCARD_CROUS_IDENTIFIER must be ine or eppn, not "
                               f"{CAMPUSCARD_CROUS_IDENTIFIER!r}")
# What a new establishment's QR codes point to: this prefix followed by the ESCN.
CAMPUSCARD_ESC_VERIFIER_PREFIX = env("CAMPUSCARD_ESC_VERIFIER_PREFIX", "https://s.esc-r.eu/")
# The router service we serve under /esc-rest/: where its QR codes point, and how many public
# status lookups (verify page, JSON status) one client may make per minute (0: no limit).
CAMPUSCARD_ROUTER_VERIFIER_PREFIX = env("CAMPUSCARD_ROUTER_VERIFIER_PREFIX",
                                        f"{CAMPUSCARD_PUBLIC_URL}/v/")
CAMPUSCARD_VERIFY_RATE_PER_MINUTE = env_int("CAMPUSCARD_VERIFY_RATE_PER_MINUTE", 60)
# How many requests naming a person or card that is not its own (403/404) one router key may
# make per minute before it is answered 429 (0: no limit): no key sweeps ESIs or ESCNs.
CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE = env_int("CAMPUSCARD_ROUTER_PROBE_RATE_PER_MINUTE", 30)
# The generator prefix of the ESCNs the router service mints (generate-escn, cards posted
# without a number): give each generating server its own.
CAMPUSCARD_ROUTER_ESCN_PREFIX = env_int("CAMPUSCARD_ROUTER_ESCN_PREFIX", 0)
# Person sources (LDAP, SQL, REST, CSV) and their sync: a TOML file, see docs/sources.md.
CAMPUSCARD_SOURCES_FILE = env("CAMPUSCARD_SOURCES_FILE", "")
# A sign-on syncs that person first, for at most this many seconds (never blocking the login).
CAMPUSCARD_SYNC_LOGIN_TIMEOUT = float(env("CAMPUSCARD_SYNC_LOGIN_TIMEOUT", "3"))
# A shared cache (redis://host:port/db) for rate-limit counters; without it they are counted in
# the database. Either way every process of the instance sees the same counts.
CAMPUSCARD_CACHE_URL = env("CAMPUSCARD_CACHE_URL", "")
if CAMPUSCARD_CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": CAMPUSCARD_CACHE_URL,
                          "KEY_PREFIX": "campuscard"}}
OUTBOX_BACKOFF_BASE = float(env("CAMPUSCARD_OUTBOX_BACKOFF_BASE", "5"))
OUTBOX_BACKOFF_CAP = float(env("CAMPUSCARD_OUTBOX_BACKOFF_CAP", "3600"))
OUTBOX_MAX_ATTEMPTS = env_int("CAMPUSCARD_OUTBOX_MAX_ATTEMPTS", 15)
OUTBOX_LEASE_SECONDS = env_int("CAMPUSCARD_OUTBOX_LEASE_SECONDS", 120)
# A print station holds a job this long; if it has not reported by then, the job goes to the next
# station that asks (docs/stations.md).
CAMPUSCARD_PRINT_LEASE_SECONDS = env_int("CAMPUSCARD_PRINT_LEASE_SECONDS", 600)
# A chip session (encoding or reading through a station) ends when the station stays silent
# this long between two APDUs (docs/nfc-encoding.md).
CAMPUSCARD_CHIP_SESSION_SECONDS = env_int("CAMPUSCARD_CHIP_SESSION_SECONDS", 60)
# Where the encoding station page finds the reader agent of the manager's machine
# (`campuscard station agent`); the page's Content-Security-Policy lets it talk to this only.
CAMPUSCARD_READER_AGENT_URL = env("CAMPUSCARD_READER_AGENT_URL", "http://127.0.0.1:8765")
# Processes that render a batch of cards (printing/batch.py): by default one per core.
CAMPUSCARD_PRINT_WORKERS = env_int("CAMPUSCARD_PRINT_WORKERS", os.cpu_count() or 1)
# Requests a minute one station may make (a long-poll counts once).
CAMPUSCARD_STATION_RATE = env_int("CAMPUSCARD_STATION_RATE", 600)
# The jobs `campuscard worker` keeps one run of waiting in the queue: (task, how often).
CAMPUSCARD_PERIODIC_TASKS = [
    ("campuscard.cards.tasks.sweep_rights_ends", datetime.timedelta(hours=1)),
    ("campuscard.core.tasks.prune_done_pushes", datetime.timedelta(days=1)),
    ("campuscard.notifications.tasks.send_rights_end_reminders", datetime.timedelta(days=1)),
    ("campuscard.people.tasks.sync_sources", datetime.timedelta(hours=1)),
    ("campuscard.people.tasks.sync_sources_full", datetime.timedelta(days=1)),
    ("campuscard.integrations.crous.tasks.refresh_tariff_rules", datetime.timedelta(days=1)),
    ("campuscard.integrations.exports.tasks.write_export_files", datetime.timedelta(minutes=1)),
    ("campuscard.integrations.exports.tasks.prune_export_files", datetime.timedelta(days=1)),
]
# How long an export's delivered files stay downloadable on its page (the last one always does).
CAMPUSCARD_EXPORT_RETENTION_DAYS = env_int("CAMPUSCARD_EXPORT_RETENTION_DAYS", 90)
# Chip keys (docs/nfc-layouts.md): a layout names its keys `file:<name>` (a file in this folder,
# mode 0600 or stricter) or `env:CAMPUSCARD_NFC_KEY_<NAME>`; another provider (HSM, PKCS#11)
# can be plugged in by its dotted path.
CAMPUSCARD_NFC_KEY_DIR = Path(env("CAMPUSCARD_NFC_KEY_DIR", str(HOME / "nfc-keys"))).resolve()
CAMPUSCARD_NFC_KEY_PROVIDER = env("CAMPUSCARD_NFC_KEY_PROVIDER",
                                  "campuscard.nfc.keys.FileOrEnvKeyProvider")

# Everything goes to the console (stderr), each line with the id of its request: unexpected
# errors (django.request, with their traceback) also with DEBUG off, which Django's own
# configuration prints only with DEBUG on.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "campuscard.core.requestid.RequestIdFilter"}},
    "formatters": {
        "request": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"],
                    "formatter": "request"},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "campuscard": {"level": env("CAMPUSCARD_LOG_LEVEL", "INFO")},
        # No handler of its own (Django's prints only with DEBUG on): up to the root's.
        "django": {"handlers": [], "level": "INFO"},
    },
}
