"""An index for a person's own open items (the dashboard lists and counts them from it alone)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index("opinion", "assigned_to", "status", "deadline", "assigned_unit", "kind")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("opinion", "assigned_to", "status", "deadline", "assigned_unit", "kind")
