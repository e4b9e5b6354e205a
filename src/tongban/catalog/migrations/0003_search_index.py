"""The full-text index (docs/adr/0002-search.md).

SQLite: an FTS5 table over the title and body tokens. PostgreSQL: generated token-array columns on
catalog_searchentry with a GIN index, so containment (@>) and overlap (&&) tests use the index and
nothing is split at query time.
"""

from django.db import migrations


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS catalog_search_fts USING fts5(title, body, tokenize='unicode61')"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE catalog_searchentry"
            " ADD COLUMN title_array text[] GENERATED ALWAYS AS (string_to_array(title_tokens, ' ')) STORED,"
            " ADD COLUMN all_array text[] GENERATED ALWAYS AS"
            " (string_to_array(title_tokens || ' ' || body_tokens, ' ')) STORED"
        )
        schema_editor.execute("CREATE INDEX catalog_searchentry_all_gin ON catalog_searchentry USING gin (all_array)")
        schema_editor.execute(
            "CREATE INDEX catalog_searchentry_title_gin ON catalog_searchentry USING gin (title_array)"
        )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS catalog_search_fts")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalog_searchentry_all_gin")
        schema_editor.execute("DROP INDEX IF EXISTS catalog_searchentry_title_gin")
        schema_editor.execute("ALTER TABLE catalog_searchentry DROP COLUMN title_array, DROP COLUMN all_array")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_regions")]
    operations = [migrations.RunPython(create, drop)]
