"""`campuscard check` (and every start) reports a sign-on or sources file that does not parse,
instead of the login page or the sync finding out."""

from django.core.checks import Warning, register


@register()
def check_configuration_files(app_configs, **kwargs):
    from campuscard.accounts.signon import config as signon_config
    from campuscard.people.sources import config as source_config

    errors = []
    for loader, code in ((signon_config.load, "campuscard.W101"),
                         (source_config.load, "campuscard.W102")):
        try:
            loader()
        except (signon_config.ConfigError, source_config.ConfigError) as exc:
            errors.append(Warning(str(exc), id=code))
    return errors
