"""The audit log is a hash chain: `flask audit-verify` finds an edited, deleted or inserted entry, and a cut end."""
import datetime as dt
import threading

import pytest
from playhouse.db_url import connect

import models
from migrations import router, run_migrations
from services import audit_chain
from tests.conftest import raw_sql, user

COLUMNS = ", ".join(audit_chain.CHAINED)


def _verify(runner):
    return runner.invoke(args=["audit-verify"])


def _ids(db):
    return [row[0] for row in db.execute_sql("SELECT id FROM audit_log ORDER BY id")]


def _stored(db, entry_id):
    return raw_sql("SELECT %s FROM audit_log WHERE id = ?" % COLUMNS, (entry_id,)).fetchone()


def _mismatch(result, entry_id):
    assert result.exit_code == 1, result.output
    assert "Mục #%d không khớp" % entry_id in result.output, result.output


def test_an_intact_log_verifies(runner, db):
    count = models.AuditLog.select().count()
    assert count > 10
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "Nhật ký toàn vẹn: %d mục" % count in result.output


def test_each_entry_carries_the_hash_of_its_stored_values_and_the_previous_one(db):
    first, second = _ids(db)[:2]
    a, b = models.AuditLog.get_by_id(first), models.AuditLog.get_by_id(second)
    assert a.prev_hash == "" and len(a.hash) == 64
    assert b.prev_hash == a.hash
    assert b.hash == audit_chain.entry_hash(a.hash, _stored(db, second))
    head = models.AuditHead.get()
    assert (head.count, head.last_id, head.last_hash) == (len(_ids(db)), _ids(db)[-1],
                                                          models.AuditLog.get_by_id(_ids(db)[-1]).hash)


def test_normal_use_keeps_the_chain(runner, login, db):
    """Sign-ins, new opinions and edits through the app: each adds chained entries."""
    before = models.AuditLog.select().count()
    c = login("coordinator")
    for i in range(5):
        models.create_opinion(user("coordinator"), kind="opinion", content="Ý kiến %d" % i, audience="citizen",
                              channel="dialogue", submitter_name="Người %d" % i)
    c.logout()
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert models.AuditLog.select().count() >= before + 7
    assert "Nhật ký toàn vẹn: %d mục" % models.AuditLog.select().count() in result.output


def test_concurrent_writers_keep_one_chain(app, runner, db):
    """Threads appending at once (each its own connection): no fork, no entry left out of the chain."""
    before = models.AuditLog.select().count()
    errors = []

    def writer(n):
        try:
            for i in range(8):
                with models.db.atomic():
                    models.audit(None, "update", summary="luồng %d, lần %d" % (n, i), object_type="setting")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            models.db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert models.AuditLog.select().count() == before + 32
    result = _verify(runner)
    assert result.exit_code == 0, result.output
    assert "Nhật ký toàn vẹn: %d mục" % (before + 32) in result.output


@pytest.mark.parametrize("assignment", [
    "summary = 'Nội dung đã bị sửa'",
    "summary = summary || ' '",
    "user_id = COALESCE(user_id, 0) + 1",
    "action = 'view_identity'",
    "object_type = 'x' || object_type",
    "object_id = COALESCE(object_id, 0) + 1",
    "changes = '{\"status\": [\"new\", \"done\"]}'",
])
def test_an_edited_entry_is_named(runner, db, assignment):
    middle = _ids(db)[len(_ids(db)) // 2]
    raw_sql("UPDATE audit_log SET %s WHERE id = ?" % assignment, (middle,))
    _mismatch(_verify(runner), middle)


def test_a_value_edited_to_one_that_displays_the_same_is_seen(runner, db):
    """The hash is over the values as stored: `at` rewritten with a T (SQLite keeps text), or a microsecond
    later (a PostgreSQL timestamp), the same moment on every page, breaks it."""
    entry = _ids(db)[3]
    at = _stored(db, entry)[1]
    same = at.replace(" ", "T") if isinstance(at, str) else at + dt.timedelta(microseconds=1)
    raw_sql("UPDATE audit_log SET at = ? WHERE id = ?", (same, entry))
    _mismatch(_verify(runner), entry)


def test_an_edit_with_a_recomputed_hash_is_seen_by_the_next_entry(runner, db):
    ids = _ids(db)
    entry = ids[4]
    raw_sql("UPDATE audit_log SET summary = 'giả mạo' WHERE id = ?", (entry,))
    prev = raw_sql("SELECT prev_hash FROM audit_log WHERE id = ?", (entry,)).fetchone()[0]
    forged = audit_chain.entry_hash(prev, _stored(db, entry))
    raw_sql("UPDATE audit_log SET hash = ? WHERE id = ?", (forged, entry))
    result = _verify(runner)
    _mismatch(result, ids[5])


def test_a_deleted_middle_entry_is_seen(runner, db):
    ids = _ids(db)
    raw_sql("DELETE FROM audit_log WHERE id = ?", (ids[6],))
    result = _verify(runner)
    _mismatch(result, ids[7])
    assert "bị xóa" in result.output


def test_the_deleted_last_entry_is_seen_by_the_head(runner, db):
    ids = _ids(db)
    raw_sql("DELETE FROM audit_log WHERE id = ?", (ids[-1],))
    result = _verify(runner)
    _mismatch(result, ids[-1])
    assert "mục cuối đã bị xóa" in result.output


def test_the_last_entries_removed_then_new_ones_appended_are_seen(runner, db):
    ids = _ids(db)
    raw_sql("DELETE FROM audit_log WHERE id >= ?", (ids[-3],))
    with models.db.atomic():
        models.audit(None, "update", summary="sau khi xóa", object_type="setting")
    result = _verify(runner)
    assert result.exit_code == 1
    assert "không khớp" in result.output


def _forge(db, entry_id, summary, prev_hash="", digest=""):
    raw_sql("INSERT INTO audit_log (id, at, user_id, action, object_type, object_id, summary, changes, "
            "prev_hash, hash) VALUES (?, '2022-05-01 08:00:00', NULL, 'update', 'opinion', 1, ?, '', ?, ?)",
            (entry_id, summary, prev_hash, digest))


def test_a_forged_entry_inserted_is_seen(runner, db):
    last = _ids(db)[-1]
    _forge(db, last + 1, "giả mạo")
    _mismatch(_verify(runner), last + 1)


def test_a_forged_entry_with_a_well_made_hash_is_seen_by_the_head(runner, db):
    last = models.AuditLog.get_by_id(_ids(db)[-1])
    _forge(db, last.id + 1, "giả mạo", last.hash)
    digest = audit_chain.entry_hash(last.hash, _stored(db, last.id + 1))
    raw_sql("UPDATE audit_log SET hash = ? WHERE id = ?", (digest, last.id + 1))
    result = _verify(runner)
    _mismatch(result, last.id + 1)
    assert "chèn thêm" in result.output


def test_a_forged_entry_inserted_before_the_others_is_seen(runner, db):
    _forge(db, 0, "giả mạo ở đầu")
    result = _verify(runner)
    _mismatch(result, 0)
    assert "chèn thêm" in result.output


def test_a_forged_entry_in_a_gap_is_seen(runner, db):
    ids = _ids(db)
    raw_sql("DELETE FROM audit_log WHERE id = ?", (ids[8],))
    _forge(db, ids[8], "thay thế")
    _mismatch(_verify(runner), ids[8])


def test_the_head_removed_is_seen(runner, db):
    db.execute_sql("DELETE FROM audit_head")
    result = _verify(runner)
    assert result.exit_code == 1 and "không khớp" in result.output


def test_the_migration_chains_the_entries_made_before(tmp_path):
    """A database from before the chain, with audit rows, upgraded: it verifies, and new entries chain on."""
    old = connect("sqlite:///%s" % (tmp_path / "old.db"), pragmas={"foreign_keys": 1})
    models.db.initialize(old)
    names = router(old).todo
    router(old).run(names[names.index("011_audit_hash_chain") - 1])
    for i in range(12):
        old.execute_sql("INSERT INTO audit_log (at, user_id, action, object_type, object_id, summary, changes) "
                        "VALUES (?, NULL, 'update', 'opinion', ?, ?, ?)",
                        ("2022-05-%02d 08:00:00" % (i + 1), i, "Cũ %d" % i, '{"status": ["new", "done"]}'))
    assert run_migrations(old)
    verdict = audit_chain.verify(old)
    assert verdict.ok and verdict.count == 12, verdict.message
    models.audit(None, "update", summary="mới", object_type="setting")
    assert audit_chain.verify(old).ok and audit_chain.verify(old).count == 13
    old.execute_sql("UPDATE audit_log SET summary = 'sửa' WHERE id = 5")
    verdict = audit_chain.verify(old)
    assert not verdict.ok and verdict.entry_id == 5
    old.close()


def test_an_entry_written_around_the_app_is_seen(runner, db):
    """A row inserted by plain SQL that leaves out the chain's columns is kept, and reported."""
    last = _ids(db)[-1]
    db.execute_sql("INSERT INTO audit_log (at, action, object_type, summary, changes) "
                   "VALUES ('2022-05-01 08:00:00', 'update', 'unit', 'tay', '')")
    _mismatch(_verify(runner), last + 1)
