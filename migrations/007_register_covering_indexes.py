"""Covering indexes for the register in its default order (newest first), for everyone and for a unit.

The filter columns follow "id", so the list of matching ids is read from the index alone: a unit's
register filtered by status, field and audience no longer reads each of the unit's opinions.
The unit's index replaces the narrower (assigned_unit, received_on).
"""

import peewee as pw
from peewee_migrate import Migrator

COLUMNS = ("status", "kind", "audience", "field", "assigned_to", "deadline", "dialogue")


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("opinion", "assigned_unit", "received_on")
    migrator.add_index("opinion", "received_on", "id", *COLUMNS[:4], "assigned_unit", *COLUMNS[4:])
    migrator.add_index("opinion", "assigned_unit", "received_on", "id", *COLUMNS)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("opinion", "assigned_unit", "received_on", "id", *COLUMNS)
    migrator.drop_index("opinion", "received_on", "id", *COLUMNS[:4], "assigned_unit", *COLUMNS[4:])
    migrator.add_index("opinion", "assigned_unit", "received_on")
