"""Indexes for the register at scale: composite indexes for overdue and per-unit lists, and
(SQLite) an FTS5 trigram index over the folded search columns."""

import peewee as pw
from peewee_migrate import Migrator

from migrations.search_index import install_search_index


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index("opinion", "status", "deadline")
    migrator.add_index("opinion", "assigned_unit", "status", "deadline")
    if isinstance(database, pw.SqliteDatabase) and not fake:
        migrator.run(install_search_index, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("opinion", "status", "deadline")
    migrator.drop_index("opinion", "assigned_unit", "status", "deadline")
    if isinstance(database, pw.SqliteDatabase):
        for name in ("opinion_fts_insert", "opinion_fts_delete", "opinion_fts_update"):
            migrator.sql("DROP TRIGGER IF EXISTS %s" % name)
        migrator.sql("DROP TABLE IF EXISTS opinion_fts")
