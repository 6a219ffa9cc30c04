"""campuscard reseal: seal every stored secret again with the newest CAMPUSCARD_SEALING_KEYS key."""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from campuscard.core.sealing import SealedCharField


class Command(BaseCommand):
    help = "Seal every stored secret again with the newest sealing key (after a key rotation)."

    def handle(self, *args, **options):
        for model in apps.get_models():
            names = [field.attname for field in model._meta.concrete_fields
                     if isinstance(field, SealedCharField)]
            if names:
                self.stdout.write(f"{model._meta.label}: {reseal_rows(model, names)} rows")


def reseal_rows(model, names):
    """Read each row (unsealed with any configured key) and write it back (sealed with the
    newest)."""
    count = 0
    with transaction.atomic():
        for row in model.objects.only("pk", *names).iterator():
            model.objects.filter(pk=row.pk).update(**{name: getattr(row, name) for name in names})
            count += 1
    return count
