"""The card-enabled mail says that the Izly account mail comes from CROUS (when CROUS applies to
the holder: the `izly` value). Only a text still as 0002 wrote it is changed: an administrator's
own text is left alone."""

import importlib

from django.db import migrations

DEFAULTS = importlib.import_module("campuscard.notifications.migrations.0002_default_templates")

EVENT = "card.enabled"
EN_BEFORE = "\n\nIf you lose it or it is stolen, please block it at once at {{ portal_url }}"
EN_IZLY = (
    "{% if izly %}\n\nYou can pay with your card in university restaurants and cafeterias "
    "(Izly): the mail to activate your Izly account will come from the CROUS, not from us."
    "{% endif %}")
FR_BEFORE = "\n\nEn cas de perte ou de vol, bloquez-la sans attendre sur {{ portal_url }}"
FR_IZLY = (
    "{% if izly %}\n\nVous pouvez payer avec votre carte dans les restaurants et cafétérias "
    "universitaires (Izly) : le message pour activer votre compte Izly vous sera envoyé par "
    "le CROUS, et non par nous.{% endif %}")


def add_izly(apps, schema_editor):
    _subject_en, body_en, _subject_fr, body_fr = DEFAULTS.DEFAULTS[EVENT]
    old_en = DEFAULTS.EN_HELLO + body_en + DEFAULTS.EN_BYE
    old_fr = DEFAULTS.FR_HELLO + body_fr + DEFAULTS.FR_BYE
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    for template in MailTemplate.objects.filter(event=EVENT):
        changed = []
        if template.body_en == old_en:
            template.body_en = old_en.replace(EN_BEFORE, EN_IZLY + EN_BEFORE)
            changed.append("body_en")
        if template.body_fr == old_fr:
            template.body_fr = old_fr.replace(FR_BEFORE, FR_IZLY + FR_BEFORE)
            changed.append("body_fr")
        if changed:
            template.save(update_fields=changed)


def remove_izly(apps, schema_editor):
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    for template in MailTemplate.objects.filter(event=EVENT):
        template.body_en = template.body_en.replace(EN_IZLY, "")
        template.body_fr = template.body_fr.replace(FR_IZLY, "")
        template.save(update_fields=["body_en", "body_fr"])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0002_default_templates"),
    ]

    operations = [
        migrations.RunPython(add_izly, remove_izly),
    ]
