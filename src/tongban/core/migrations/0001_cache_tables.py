"""The database cache tables (login lockout counters), created by `migrate` so no extra step is needed."""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
