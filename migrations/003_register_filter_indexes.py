"""Indexes for the register filtered by field and status, and for a unit's register in date order."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_index("opinion", "field", "status")
    migrator.add_index("opinion", "assigned_unit", "received_on")


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("opinion", "field", "status")
    migrator.drop_index("opinion", "assigned_unit", "received_on")
