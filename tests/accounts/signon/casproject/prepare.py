"""Creates the test CAS server's database, its users and the services it serves, from the JSON
given on standard input: {"users": [{"username", "password", "first_name", "last_name",
"email", "groups"}], "services": [{"name", "pattern", "attributes": {ours: released as}}]}."""

import json
import sys

import django


def prepare(spec):
    from cas_server.models import ReplaceAttributName, ServicePattern
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    for entry in spec["users"]:
        user = User.objects.create_user(entry["username"], entry["email"], entry["password"],
                                        first_name=entry["first_name"],
                                        last_name=entry["last_name"])
        user.groups.set(Group.objects.get_or_create(name=name)[0] for name in entry["groups"])
    for position, entry in enumerate(spec["services"], start=1):
        pattern = ServicePattern.objects.create(pos=position, name=entry["name"],
                                                pattern=entry["pattern"], single_log_out=True)
        for name, replace in entry["attributes"].items():
            ReplaceAttributName.objects.create(name=name, replace=replace,
                                               service_pattern=pattern)


if __name__ == "__main__":
    django.setup()
    prepare(json.load(sys.stdin))
