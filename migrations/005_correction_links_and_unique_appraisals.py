"""A correction's conclusions point to those they continue; one correction per notice; one
appraisal per body and proposal."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("conclusion", copied_from=pw.ForeignKeyField(
        column_name="copied_from_id", field="id", model=migrator.orm["conclusion"], null=True,
        on_delete="SET NULL"))
    # 001 named the plain index after the model class ("conclusionnotice_…")
    migrator.sql('DROP INDEX IF EXISTS "conclusionnotice_supersedes_id"')
    migrator.add_index("conclusion_notice", "supersedes", unique=True)
    migrator.add_index("appraisal", "proposal", "body", unique=True)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("appraisal", "proposal", "body")
    migrator.drop_index("conclusion_notice", "supersedes")
    migrator.sql('CREATE INDEX IF NOT EXISTS "conclusionnotice_supersedes_id" ON "conclusion_notice" ("supersedes_id")')
    migrator.remove_fields("conclusion", "copied_from")
