"""The audit log's hash chain: each entry's hash over its stored values and the previous hash; the head; verify.

- An entry's hash is sha256 over the previous entry's hash and a canonical JSON of its columns as
  stored (CHAINED, read back with plain SQL: `at` as the stored text, `changes` as the stored JSON),
  so a value edited in the database, even to one that displays the same, breaks the chain.
- The head (table audit_head, one row: count, last id, last hash) is kept apart from the entries,
  so that removing the last entries, which leaves a valid shorter chain, is seen too.
- Appends are serialised: on SQLite the transaction holds the write lock (models.open_database
  begins IMMEDIATE, and the entry is inserted before the head is read); on PostgreSQL an advisory
  lock (`lock`), taken before the INSERT so that ids are drawn in chain order, and held until the
  transaction ends.
No models here (models.audit calls `link`): plain SQL on the database given.
"""
import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass

import peewee as pw

CHAINED = ("id", "at", "user_id", "action", "object_type", "object_id", "summary", "changes")
HEAD_ID = 1
AUDIT_LOCK_CLASS = 30_2021  # PostgreSQL advisory lock of the audit chain: (class, key)
AUDIT_LOCK_KEY = 1


def canonical(value):
    """A stored value as JSON can hold it, the same way on every read."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return "bytes:" + bytes(value).hex()
    return value


def entry_hash(prev_hash, values):
    """sha256 (hex) over the previous hash and the entry's stored values (a sequence in CHAINED order)."""
    record = dict(zip(CHAINED, (canonical(v) for v in values), strict=True))
    text = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(("%s\n%s" % (prev_hash, text)).encode("utf-8")).hexdigest()


def _engine(database):
    return getattr(database, "obj", database)


def _stored(database, entry_id):
    listed = ", ".join(CHAINED)
    return database.execute_sql("SELECT %s FROM audit_log WHERE id = %s" % (listed, _param(database)),
                                (entry_id,)).fetchone()


def _param(database):
    return "?" if isinstance(_engine(database), pw.SqliteDatabase) else "%s"


def read_head(database):
    """(count, last_id, last_hash) of the head, or None when it has no row."""
    return database.execute_sql("SELECT count, last_id, last_hash FROM audit_head WHERE id = %s"
                                % _param(database), (HEAD_ID,)).fetchone()


def write_head(database, count, last_id, last_hash):
    p = _param(database)
    updated = database.execute_sql("UPDATE audit_head SET count = %s, last_id = %s, last_hash = %s WHERE id = %s"
                                   % (p, p, p, p), (count, last_id, last_hash, HEAD_ID)).rowcount
    if not updated:
        database.execute_sql("INSERT INTO audit_head (id, count, last_id, last_hash) VALUES (%s, %s, %s, %s)"
                             % (p, p, p, p), (HEAD_ID, count, last_id, last_hash))


def lock(database):
    """Serialise appends until the transaction ends (PostgreSQL: an advisory lock; SQLite holds its write lock).

    Taken before the entry's INSERT: otherwise two writers could draw ids 59 and 60 from the sequence
    and chain them in the other order, which `verify` (walking in id order) reports as a break.
    """
    if isinstance(_engine(database), pw.PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (AUDIT_LOCK_CLASS, AUDIT_LOCK_KEY))


def link(database, entry_id):
    """Chain the entry just inserted (same transaction, after `lock`): its prev_hash and hash, the head moved on.

    Returns (prev_hash, hash). Called after the INSERT, so on SQLite the write lock is held (and
    the head read is the latest).
    """
    lock(database)  # again: free inside the same transaction, and the head is read under it whoever called
    head = read_head(database)
    count, prev_hash = (head[0], head[2]) if head else (0, "")
    digest = entry_hash(prev_hash, _stored(database, entry_id))
    p = _param(database)
    database.execute_sql("UPDATE audit_log SET prev_hash = %s, hash = %s WHERE id = %s" % (p, p, p),
                         (prev_hash, digest, entry_id))
    write_head(database, count + 1, entry_id, digest)
    return prev_hash, digest


def chain_all(database):
    """(Re)compute the chain of every entry in id order and the head; returns how many entries."""
    listed = ", ".join(CHAINED)
    rows = database.execute_sql("SELECT %s FROM audit_log ORDER BY id" % listed).fetchall()
    prev_hash, last_id, p = "", None, _param(database)
    for values in rows:
        digest = entry_hash(prev_hash, values)
        database.execute_sql("UPDATE audit_log SET prev_hash = %s, hash = %s WHERE id = %s" % (p, p, p),
                             (prev_hash, digest, values[0]))
        prev_hash, last_id = digest, values[0]
    write_head(database, len(rows), last_id, prev_hash)
    return len(rows)


@dataclass
class Verdict:
    """What `verify` found: ok, the entries counted, the first entry that does not match and why."""

    ok: bool
    count: int
    last_hash: str = ""
    entry_id: int | None = None
    reason: str = ""

    @property
    def message(self):
        if self.ok:
            return "Nhật ký toàn vẹn: %d mục (mã băm cuối chuỗi: %s)." % (self.count, self.last_hash or "—")
        return "Mục #%s không khớp: %s." % (self.entry_id, self.reason)


def _snapshot(database):
    """One read transaction (entries and head seen at the same moment), that takes no write lock."""
    if isinstance(_engine(database), pw.SqliteDatabase):
        return database.atomic(lock_type="DEFERRED")
    return database.atomic(isolation_level="REPEATABLE READ")


def verify(database):
    """Walk the chain in id order against the stored hashes and the head; the first mismatch wins."""
    listed = ", ".join(CHAINED)
    if "audit_head" not in database.get_tables():
        return Verdict(False, 0, entry_id="—",
                       reason="cơ sở dữ liệu chưa có chuỗi nhật ký: chạy `flask --app app migrate`")
    with _snapshot(database):
        head = read_head(database)
        cursor = database.execute_sql("SELECT %s, prev_hash, hash FROM audit_log ORDER BY id" % listed)
        verdict = _walk(cursor, head)
    return verdict


def _walk(cursor, head):
    prev_hash, prev_id, count, pending, first_extra = "", None, 0, None, None
    for row in cursor:
        if pending is not None:  # the entry before, whose link was broken: decide with this one
            return _broken(pending, prev_hash, prev_id, row, _past_head(head, count, prev_hash))
        values, stored_prev, stored_hash = row[:len(CHAINED)], row[-2], row[-1]
        if stored_prev != prev_hash or entry_hash(stored_prev, values) != stored_hash:
            pending = row
            continue
        if first_extra is None and _past_head(head, count, prev_hash):
            first_extra = values[0]
        prev_hash, prev_id, count = stored_hash, values[0], count + 1
    if pending is not None:
        return _broken(pending, prev_hash, prev_id, None, _past_head(head, count, prev_hash))
    return _against_head(head, count, prev_hash, first_extra)


def _past_head(head, count, last_hash):
    """Whether the chain read so far ends where the head says it ends (what follows was added after)."""
    return head is not None and count == head[0] and last_hash == head[2]


def _broken(row, prev_hash, prev_id, following, past_head):
    """Why `row` does not continue the chain ending in prev_hash (entry prev_id); `following` is the next row."""
    values, stored_prev, stored_hash = row[:len(CHAINED)], row[-2], row[-1]
    entry_id = values[0]
    after = "sau mục #%s" % prev_id if prev_id is not None else "ở đầu nhật ký"
    if (following is not None and following[-2] == prev_hash) or (following is None and past_head):
        return Verdict(False, 0, entry_id=entry_id, reason="mục chèn thêm %s, không thuộc chuỗi" % after)
    if stored_prev != prev_hash and entry_hash(stored_prev, values) == stored_hash:
        return Verdict(False, 0, entry_id=entry_id,
                       reason="mục đứng trước nó đã bị xóa (hoặc có mục chèn vào) %s" % after)
    return Verdict(False, 0, entry_id=entry_id, reason="nội dung khác với lúc ghi (đã bị sửa)")


def _against_head(head, count, last_hash, first_extra):
    if head is None:
        if count == 0:
            return Verdict(True, 0)
        return Verdict(False, count, entry_id=1, reason="thiếu đầu chuỗi (bảng audit_head trống)")
    head_count, head_id, head_hash = head
    if count == head_count and last_hash == head_hash:
        return Verdict(True, count, last_hash)
    if count < head_count:
        return Verdict(False, count, entry_id=head_id,
                       reason="các mục cuối đã bị xóa (đầu chuỗi ghi %d mục, mục cuối #%s; còn %d mục)"
                       % (head_count, head_id, count))
    if first_extra is not None:
        return Verdict(False, count, entry_id=first_extra,
                       reason="mục chèn thêm sau mục cuối đã ghi ở đầu chuỗi (#%s)" % head_id)
    return Verdict(False, count, entry_id=head_id, reason="chuỗi không kết thúc ở mục cuối đã ghi ở đầu chuỗi")
