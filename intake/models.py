"""The intake service's own tables (never the internal app's models.py): submissions, their files, fields, rate counts.

The intake database lives on the public host and holds a person's data only until the internal app
has stored it: `Submission.erase()` blanks the name, contact, address, title and content and deletes
the files once acknowledged, keeping what the lookup shows. SQLite runs with `secure_delete` (freed
space is overwritten with zeros) and the WAL is checkpointed and truncated after each erasure, so
the erased values stay neither in free pages nor in the WAL.
"""
import datetime as dt
import hashlib
import hmac
from zoneinfo import ZoneInfo

import peewee as pw
from playhouse.db_url import connect

db = pw.DatabaseProxy()
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SQLITE_PRAGMAS = {"journal_mode": "wal", "secure_delete": 1, "foreign_keys": 1, "busy_timeout": 10000,
                  "synchronous": "normal"}
KINDS = {
    "dialogue_request": "Đề nghị đối thoại trực tiếp",
    "petition": "Kiến nghị",
    "feedback": "Phản ánh",
}
PERSONAL = ("full_name", "phone", "email", "address", "title", "content")


POOL_SIZE = 16  # connections a process keeps open (a lookup then costs no connection set-up)


def open_database(url):
    """A Peewee database for INTAKE_DATABASE_URL; SQLite with WAL, secure_delete and immediate transactions,
    its connections kept in a small pool across requests."""
    if url.startswith("sqlite:") and ":memory:" not in url:
        return connect("sqlite+pool:" + url[len("sqlite:"):], max_connections=POOL_SIZE, stale_timeout=600,
                       timeout=30, check_same_thread=False, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False)
    return connect(url)


def now():
    """Local wall-clock time in Vietnam, without tzinfo (as the internal app stores it)."""
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


class BaseModel(pw.Model):
    class Meta:
        database = db


class FieldChoice(BaseModel):
    """A field (lĩnh vực) of the internal list, pushed by the sync (PUT /api/v1/fields)."""
    code = pw.CharField(unique=True, max_length=40)
    name = pw.CharField(max_length=200)
    position = pw.IntegerField(default=0)

    @classmethod
    def ordered(cls):
        return list(cls.select().order_by(cls.position, cls.name))

    @classmethod
    def replace_all(cls, fields):
        """The list becomes exactly `fields` (dicts with code, name)."""
        with db.atomic():
            cls.delete().execute()
            for position, field in enumerate(fields):
                cls.create(code=field["code"], name=field["name"], position=position)


class Submission(BaseModel):
    code = pw.CharField(unique=True, max_length=20)
    kind = pw.CharField(max_length=20)
    origin = pw.CharField(max_length=10, default="online")  # online | office (known only by its status push)
    received_at = pw.DateTimeField(default=now, index=True)
    # The person's data: kept only until acknowledged (erase) or purged.
    full_name = pw.CharField(max_length=200, default="")
    phone = pw.CharField(max_length=30, default="")
    email = pw.CharField(max_length=254, default="")
    address = pw.CharField(max_length=300, default="")
    title = pw.CharField(max_length=300, default="")
    content = pw.TextField(default="")
    field_code = pw.CharField(max_length=40, default="")
    consent_version = pw.CharField(max_length=20, default="")
    consent_at = pw.DateTimeField(null=True)
    acked_at = pw.DateTimeField(null=True, index=True)
    # What the lookup shows (pushed by the internal app).
    status = pw.CharField(max_length=20, default="received")
    status_at = pw.DateTimeField(default=now)
    public_note = pw.TextField(default="")
    dialogue_at = pw.DateTimeField(null=True)
    dialogue_place = pw.CharField(max_length=300, default="")

    @property
    def kind_label(self):
        return KINDS.get(self.kind, self.kind)

    @classmethod
    def pending(cls):
        """Submissions not yet acknowledged by the internal app, oldest first."""
        return cls.select().where(cls.acked_at.is_null(), cls.origin == "online").order_by(cls.received_at, cls.id)

    @classmethod
    def by_code(cls, code):
        return cls.get_or_none(cls.code == code)

    def erase(self):
        """Blank the person's data and delete the files (after the acknowledgement); then checkpoint the WAL."""
        with db.atomic():
            SubmissionFile.delete().where(SubmissionFile.submission == self.id).execute()
            (Submission.update({**{getattr(Submission, name): "" for name in PERSONAL}, Submission.field_code: "",
                                Submission.acked_at: self.acked_at or now()})
             .where(Submission.id == self.id).execute())
        checkpoint()

    @classmethod
    def purge(cls, days):
        """Delete the unacknowledged submissions received more than `days` days ago; returns how many."""
        cutoff = now() - dt.timedelta(days=days)
        stale = cls.select(cls.id).where(cls.acked_at.is_null(), cls.origin == "online", cls.received_at < cutoff)
        with db.atomic():
            ids = [row.id for row in stale]
            if ids:
                SubmissionFile.delete().where(SubmissionFile.submission.in_(ids)).execute()
                cls.delete().where(cls.id.in_(ids)).execute()
        checkpoint()
        return len(ids)


class SubmissionFile(BaseModel):
    """An attachment, kept in the intake database itself (erased with the submission, covered by secure_delete)."""
    submission = pw.ForeignKeyField(Submission, backref="files", on_delete="CASCADE")
    position = pw.IntegerField()
    filename = pw.CharField(max_length=255)
    content_type = pw.CharField(max_length=80)
    size = pw.IntegerField()
    data = pw.BlobField()

    class Meta:
        indexes = ((("submission", "position"), True),)


class RateEvent(BaseModel):
    """One counted event (a submission, a lookup) for a bucket and a key (an address, an HMAC of a phone)."""
    bucket = pw.CharField(max_length=20)
    key = pw.CharField(max_length=64)
    at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("bucket", "key", "at"), False), (("at",), False))

    @classmethod
    def count(cls, bucket, key, window):
        since = now() - window
        return cls.select().where(cls.bucket == bucket, cls.key == key, cls.at >= since).count()

    @classmethod
    def add(cls, bucket, keys, window):
        """Count an event for each key; events older than the window are forgotten (at most once a minute
        per bucket and process: a delete on every lookup would make each one a bigger write)."""
        moment = now()
        with db.atomic():
            if _pruned.get(bucket, dt.datetime.min) < moment - dt.timedelta(minutes=1):
                cls.delete().where(cls.bucket == bucket, cls.at < moment - window).execute()
                _pruned[bucket] = moment
            cls.insert_many([{"bucket": bucket, "key": key, "at": moment} for key in keys]).execute()


_pruned = {}  # bucket → when this process last deleted its expired events


def keyed(secret, value):
    """The HMAC-SHA256 of a phone number or an e-mail (normalised by the caller), so the raw value is never kept."""
    return hmac.new(secret.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def checkpoint():
    """Write the WAL back into the database file and truncate it (SQLite only)."""
    database = db.obj
    if isinstance(database, pw.SqliteDatabase):
        database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


TABLES = (FieldChoice, Submission, SubmissionFile, RateEvent)


def create_tables():
    db.create_tables(TABLES, safe=True)
