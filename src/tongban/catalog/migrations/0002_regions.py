"""Load the national division list (GB/T 2260) shipped with the package."""

from django.db import migrations


def load_regions(apps, schema_editor):
    from tongban.catalog.regions import load

    load(apps.get_model("catalog", "Region"))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
