"""A real CAS server for the tests: django-cas-server in a project of its own, run by
tests/accounts/signon/live_cas.py as a separate process with its own SQLite database."""
