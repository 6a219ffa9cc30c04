"""Settings of the test CAS server (never CampusCard's): its database is CAS_TEST_DATABASE."""

import os

SECRET_KEY = "test-cas-server-only"  # a throwaway server for the tests
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "cas_server",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
ROOT_URLCONF = "casproject.urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3",
                         "NAME": os.environ["CAS_TEST_DATABASE"]}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"
# Its users are Django users, their attributes the user's fields (groups as a list).
CAS_AUTH_CLASS = "cas_server.auth.DjangoAuthUser"
# Offline: no version check, no stylesheets or scripts from a CDN.
CAS_NEW_VERSION_HTML_WARNING = False
CAS_NEW_VERSION_EMAIL_WARNING = False
CAS_COMPONENT_URLS = dict.fromkeys((
    "bootstrap3_css", "bootstrap3_js", "html5shiv", "respond", "bootstrap4_css", "bootstrap4_js",
    "jquery"), "/static/none")
CAS_SHOW_POWERED = False
CAS_SLO_TIMEOUT = 5
LOGGING = {"version": 1, "disable_existing_loggers": False,
           "handlers": {"console": {"class": "logging.StreamHandler"}},
           "root": {"handlers": ["console"], "level": "WARNING"}}
