"""Sign-on: the ways people log in (local passwords, CAS, SAML 2, OIDC, trusted headers from a
Shibboleth SP), declared per establishment in CAMPUSCARD_SIGNON_FILE (docs/signon.md).

Each protocol is a module here (`cas.py`, `saml.py`, `oidc.py`, `header.py`, `password.py`) that
configures a kept library and provides, for `kinds.py`:
- `KEYS` and `SECRETS`: the method's own keys in the file, checked by `config.py`;
- `login_url(method, next_url)`: where the login page's button goes;
- `logout_url(request, method, kept)`: where the browser goes after our own logout to end the
  SSO session too (None when the protocol has no such thing); `kept` is what `keep_for_logout`
  stored at login;
- `urlpatterns`: its views, mounted under /signon/<kind>/;
- a backend (in AUTHENTICATION_BACKENDS) whose authenticate(request, …) ends in
  `users.sign_on_user(request, method, principal, attributes)`.

Every login goes through django.contrib.auth.authenticate(request, …), so the throttle
(accounts/throttle.py) runs first, and through user_logged_in, where `finish.py` syncs the
person, links them to the account and refreshes their roles from the attributes.
"""
