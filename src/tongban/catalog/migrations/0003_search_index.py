"""The full-text index: an FTS5 table on SQLite, a GIN index over token arrays on PostgreSQL."""

from django.db import migrations


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_search_fts USING fts5(title, body, tokenize='unicode61')")
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS catalog_searchentry_tokens_gin "
            "ON catalog_searchentry USING gin (string_to_array(tokens, ' '))")


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS catalog_search_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_searchentry_tokens_gin")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_regions")]
    operations = [migrations.RunPython(create, drop)]
