"""What the provider says about its users: the standard claims from the Django user, and a
`campus` scope with the eppn and the groups."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from oidc_provider.lib.claims import ScopeClaims


def userinfo(claims, user):
    claims["name"] = user.get_full_name()
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    claims["email"] = user.email
    claims["email_verified"] = not user.groups.filter(name="email-unverified").exists()
    return claims


class CampusClaims(ScopeClaims):
    info_campus = (_("Campus"), _("Your eppn and groups."))

    def scope_campus(self):
        return {
            "eduperson_principal_name": f"{self.user.username}@{settings.OP_EPPN_DOMAIN}",
            "groups": sorted(self.user.groups.values_list("name", flat=True)),
        }
