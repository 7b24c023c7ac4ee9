"""Import of an existing register (issue 13): an opinion's legacy number (its old register's Số, searchable) and
the key that finds an imported row without a usable Số again."""

import peewee as pw
from peewee_migrate import Migrator

from migrations.search_index import install_search_index


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "opinion",
        legacy_code=pw.CharField(max_length=40, default="", index=True),
        import_key=pw.CharField(max_length=64, null=True, index=True),
    )
    if isinstance(database, pw.SqliteDatabase) and not fake:
        # SQLite may add these columns by rebuilding the table, which drops the search index's triggers.
        migrator.run(install_search_index, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("opinion", "legacy_code", "import_key")
