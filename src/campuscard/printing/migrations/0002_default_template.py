from django.db import migrations


def create_default(apps, schema_editor):
    from campuscard.printing.defaults import create_default_template

    create_default_template(apps.get_model("printing", "CardTemplate"),
                            apps.get_model("printing", "CardTemplateVersion"))


class Migration(migrations.Migration):
    dependencies = [("printing", "0001_templates_versions_prints")]
    operations = [migrations.RunPython(create_default, migrations.RunPython.noop)]
