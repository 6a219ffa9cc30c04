from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "campuscard.accounts"
    verbose_name = _("Logins")

    def ready(self):
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from campuscard.accounts import checks, sessions, throttle  # noqa: F401 (checks)
        from campuscard.accounts.signon.finish import finish_sign_on

        user_locked_out.connect(throttle.audit_lockout, dispatch_uid="campuscard-lockout-audit")
        user_logged_in.connect(throttle.forget_own_failures,
                               dispatch_uid="campuscard-forget-own-failures")
        user_logged_in.connect(sessions.start_clock, dispatch_uid="campuscard-session-clock")
        user_logged_in.connect(finish_sign_on, dispatch_uid="campuscard-finish-sign-on")
