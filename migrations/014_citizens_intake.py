"""Citizens' online requests (issue 11): an opinion's contact details stored apart, consent, tracking and national
codes, what the citizen reads (public note, body referred to, reason refused); the intake sync's runs and pushes."""

import peewee as pw
from peewee_migrate import Migrator

from migrations.search_index import install_search_index


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields(
        "opinion",
        submitter_phone=pw.CharField(max_length=30, default=""),
        submitter_email=pw.CharField(max_length=254, default=""),
        submitter_address=pw.CharField(max_length=300, default=""),
        consent_version=pw.CharField(max_length=20, default=""),
        consent_at=pw.DateTimeField(null=True),
        tracking_code=pw.CharField(max_length=20, null=True, unique=True),
        national_code=pw.CharField(max_length=40, default="", index=True),
        public_note=pw.TextField(default=""),
        referred_to=pw.CharField(max_length=300, default=""),
        refusal_reason=pw.CharField(max_length=300, default=""),
    )
    if isinstance(database, pw.SqliteDatabase) and not fake:
        # SQLite adds these columns by rebuilding the table, which drops the search index's triggers.
        migrator.run(install_search_index, database)

    @migrator.create_model
    class IntakeSync(pw.Model):
        id = pw.AutoField()
        started_at = pw.DateTimeField(index=True)
        finished_at = pw.DateTimeField(null=True)
        status = pw.CharField(max_length=20, default="running")
        started_by = pw.ForeignKeyField(column_name="started_by_id", field="id", model=migrator.orm["user"],
                                        null=True, on_delete="SET NULL")
        fetched = pw.IntegerField(default=0)
        created = pw.IntegerField(default=0)
        acked = pw.IntegerField(default=0)
        statuses = pw.IntegerField(default=0)
        mails = pw.IntegerField(default=0)
        error = pw.TextField(default="")

        class Meta:
            table_name = "intake_sync"

    @migrator.create_model
    class IntakeStatusPush(pw.Model):
        id = pw.AutoField()
        opinion = pw.ForeignKeyField(column_name="opinion_id", field="id", model=migrator.orm["opinion"],
                                     unique=True, on_delete="CASCADE")
        fingerprint = pw.CharField(max_length=64)
        status = pw.CharField(max_length=20)
        pushed_at = pw.DateTimeField()
        mailed_status = pw.CharField(max_length=20, default="")

        class Meta:
            table_name = "intake_status_push"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("intake_status_push")
    migrator.remove_model("intake_sync")
    migrator.remove_fields("opinion", "submitter_phone", "submitter_email", "submitter_address", "consent_version",
                           "consent_at", "tracking_code", "national_code", "public_note", "referred_to",
                           "refusal_reason")
