"""Logins and sessions: password-guessing lockouts (django-axes), session lifetime and idle time.

Sits beside core in the ground: it imports core (audit, actors) and no domain app.
"""
