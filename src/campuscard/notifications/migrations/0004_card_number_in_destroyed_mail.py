"""The "card destroyed" mail names the card by the number its holder reads (card.number), not
by its database id. Only the wording the defaults gave is replaced: an edited mail is left."""

from django.db import migrations

OLD_TO_NEW = [
    ("(no. {{ card.id }})", "(no. {{ card.number }})"),
    ("(n° {{ card.id }})", "(n° {{ card.number }})"),
]


def _replace(apps, pairs):
    MailTemplate = apps.get_model("notifications", "MailTemplate")
    for template in MailTemplate.objects.filter(event="card.destroyed"):
        for field in ("body_en", "body_fr"):
            text = getattr(template, field)
            for old, new in pairs:
                text = text.replace(old, new)
            setattr(template, field, text)
        template.save(update_fields=["body_en", "body_fr"])


def use_card_number(apps, schema_editor):
    _replace(apps, OLD_TO_NEW)


def use_card_id(apps, schema_editor):
    _replace(apps, [(new, old) for old, new in OLD_TO_NEW])


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_card_enabled_izly"),
    ]

    operations = [
        migrations.RunPython(use_card_number, use_card_id),
    ]
