"""The job process of a publish run: its pid and host, and its heartbeat (a run whose job died is failed)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("publish_run", pid=pw.IntegerField(null=True), host=pw.CharField(max_length=255, default=""),
                        heartbeat_at=pw.DateTimeField(null=True))


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("publish_run", "pid", "host", "heartbeat_at")
