import campuscard.core.sealing
from django.db import migrations


def seal_keys_in_clear(apps, schema_editor):
    """Keys stored before sealing are sealed in place (raw SQL: the model would unseal)."""
    from campuscard.core.sealing import is_sealed, seal

    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, esc_router_key FROM institutions_establishment "
                       "WHERE esc_router_key <> ''")
        for pk, stored in cursor.fetchall():
            if not is_sealed(stored):
                cursor.execute("UPDATE institutions_establishment SET esc_router_key = %s "
                               "WHERE id = %s", [seal(stored), pk])


class Migration(migrations.Migration):

    dependencies = [
        ('institutions', '0003_esc_settings'),
    ]

    operations = [
        migrations.AlterField(
            model_name='establishment',
            name='esc_router_key',
            field=campuscard.core.sealing.SealedCharField(blank=True, help_text="Issued by the ESC router for this PIC. Leave empty to keep this establishment's cards out of the router.", max_length=200, verbose_name='ESC router API key'),
        ),
        migrations.RunPython(seal_keys_in_clear, migrations.RunPython.noop),
    ]
