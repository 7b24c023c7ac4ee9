"""PostgreSQL: trigram (pg_trgm) GIN indexes over the register's folded search columns, so that the
LIKE '%word%' the register runs is answered from an index, as SQLite's FTS5 index does (migration 002)."""

import peewee as pw
from peewee_migrate import Migrator

INDEXES = (("opinion_search_text_trgm", "search_text"), ("opinion_search_identity_trgm", "search_identity"))


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    if isinstance(database, pw.PostgresqlDatabase) and not fake:
        migrator.sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in INDEXES:
            migrator.sql("CREATE INDEX IF NOT EXISTS %s ON opinion USING gin (%s gin_trgm_ops)" % (name, column))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    if isinstance(database, pw.PostgresqlDatabase):
        for name, _ in INDEXES:
            migrator.sql("DROP INDEX IF EXISTS %s" % name)
