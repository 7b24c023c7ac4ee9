"""The audit log's hash chain: each entry's previous hash and hash, the head kept apart, existing entries chained."""

import peewee as pw
from peewee_migrate import Migrator

from services import audit_chain


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("audit_log", prev_hash=pw.CharField(max_length=64, null=True),
                        hash=pw.CharField(max_length=64, null=True))

    @migrator.create_model
    class AuditHead(pw.Model):
        id = pw.AutoField()
        count = pw.IntegerField(default=0)
        last_id = pw.IntegerField(null=True)
        last_hash = pw.CharField(max_length=64, default="")

        class Meta:
            table_name = "audit_head"

    migrator.run(audit_chain.chain_all, database)  # the entries made before, in id order, and the head


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("audit_head")
    migrator.remove_fields("audit_log", "prev_hash", "hash")
