"""Publish runs and reminder digests; recipients and numbers on notices and reports; the program of
a Chairman's dialogue."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("dialogue", agenda=pw.TextField(default=""), briefing=pw.TextField(default=""))
    migrator.add_fields("conclusion_notice", recipients=pw.TextField(default=""))
    migrator.add_fields("report", year=pw.IntegerField(null=True), number=pw.IntegerField(null=True),
                        recipients=pw.TextField(default=""))

    @migrator.create_model
    class MailDigest(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(column_name="user_id", field="id", model=migrator.orm["user"],
                                  on_delete="CASCADE")
        day = pw.DateField()
        kind = pw.CharField(max_length=20)
        address = pw.CharField(max_length=200)
        subject = pw.CharField(max_length=300)
        items = pw.IntegerField(default=0)
        sent_at = pw.DateTimeField()

        class Meta:
            table_name = "mail_digest"
            indexes = [(("user", "day", "kind"), True)]

    @migrator.create_model
    class PublishRun(pw.Model):
        id = pw.AutoField()
        started_by = pw.ForeignKeyField(column_name="started_by_id", field="id", model=migrator.orm["user"],
                                        null=True, on_delete="SET NULL")
        started_at = pw.DateTimeField(index=True)
        finished_at = pw.DateTimeField(null=True)
        publish = pw.BooleanField(default=True)
        status = pw.CharField(default="queued", max_length=20)
        progress = pw.CharField(default="", max_length=300)
        summary = pw.TextField(default="")
        error = pw.TextField(default="")

        class Meta:
            table_name = "publish_run"


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("publish_run")
    migrator.remove_model("mail_digest")
    migrator.remove_fields("report", "year", "number", "recipients")
    migrator.remove_fields("conclusion_notice", "recipients")
    migrator.remove_fields("dialogue", "agenda", "briefing")
