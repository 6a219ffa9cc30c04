"""Prepares the provider's database: tables, a signing key, its users and its clients.

    python op_prepare.py setup
    python op_prepare.py user USERNAME PASSWORD FIRST LAST EMAIL GROUP,GROUP
    python op_prepare.py client CLIENT_ID SECRET REDIRECT_URI,… POST_LOGOUT_URI,… [public]
"""

import sys

import django
from django.core.management import call_command


def setup():
    call_command("migrate", verbosity=0, interactive=False)
    call_command("creatersakey", stdout=sys.stderr)


def user(username, password, first_name, last_name, email, groups):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(username, email, password, first_name=first_name,
                                    last_name=last_name)
    for name in filter(None, groups.split(",")):
        user.groups.add(Group.objects.get_or_create(name=name)[0])


def client(client_id, secret, redirect_uris, post_logout_uris, *public):
    from oidc_provider.models import Client, ResponseType

    registered, _ = Client.objects.update_or_create(client_id=client_id, defaults={
        "name": f"CampusCard ({client_id})",
        "client_type": "public" if public else "confidential",
        "client_secret": "" if public else secret,
        "_redirect_uris": "\n".join(redirect_uris.split(",")),
        "_post_logout_redirect_uris": "\n".join(post_logout_uris.split(",")),
        "require_consent": True,
        "reuse_consent": False,
    })
    registered.response_types.set([ResponseType.objects.get(value="code")])


if __name__ == "__main__":
    django.setup()
    {"setup": setup, "user": user, "client": client}[sys.argv[1]](*sys.argv[2:])
