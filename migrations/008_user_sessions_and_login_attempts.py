"""Server-side sessions (a logout ends the session for every worker) and failed sign-ins by address
and user name (the login limits)."""

import peewee as pw
from peewee_migrate import Migrator


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class UserSession(pw.Model):
        key = pw.CharField(max_length=64, primary_key=True)
        user = pw.ForeignKeyField(column_name="user_id", field="id", model=migrator.orm["user"],
                                  on_delete="CASCADE")
        created_at = pw.DateTimeField()
        last_seen_at = pw.DateTimeField(index=True)
        ended_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "user_session"

    @migrator.create_model
    class LoginAttempt(pw.Model):
        id = pw.AutoField()
        address = pw.CharField(max_length=64)
        username = pw.CharField(max_length=50)
        at = pw.DateTimeField(index=True)
        counts = pw.BooleanField(default=True)

        class Meta:
            table_name = "login_attempt"
            indexes = [(("address", "at"), False), (("username", "at"), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_model("login_attempt")
    migrator.remove_model("user_session")
