"""`flask backup FILE` and `flask restore FILE`: one consistent private archive, restored whole and checked."""
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import threading
from contextlib import closing
from pathlib import Path

import pytest
from playhouse.db_url import connect

import models
from services import attachments, audit_chain
from services.backup import sqlite_manifest_tables
from tests.conftest import user

pytestmark = pytest.mark.sqlite_only  # reads the SQLite files; tests/test_backup_postgresql.py on PostgreSQL
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x01\x02" * 500


@pytest.fixture
def source(app, db, tmp_path):
    """The demo database with two attached files in the configured attachments folder."""
    root = tmp_path / "attachments"
    app.config["ATTACHMENTS_DIR"] = str(root)
    dialogue = models.Dialogue.select().first()
    for name, data in (("bien-ban.pdf", PDF), ("anh.png", PNG)):
        attachments.store(user("coordinator"), "dialogue", dialogue, name, io.BytesIO(data), str(root), 10 ** 7)
    return Path(models.db.obj.database), root


def _switch_to(app, db_path, root):
    """Point the app at another database file and attachments folder (the restore's target)."""
    if not models.db.is_closed():
        models.db.close()
    models.db.obj.close_idle()
    models.db.initialize(models.open_database("sqlite:///%s" % db_path))
    app.config["ATTACHMENTS_DIR"] = str(root)


def _rows(path):
    """Every table of a SQLite file (its search index too), every row in rowid order."""
    with closing(sqlite3.connect(path)) as c:
        names = [n for (n,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        out = {}
        for name in names:
            try:
                out[name] = c.execute('SELECT * FROM "%s" ORDER BY rowid' % name).fetchall()
            except sqlite3.OperationalError:  # a virtual table without rowid order: its shadow tables hold it
                out[name] = sorted(c.execute('SELECT * FROM "%s"' % name).fetchall(), key=repr)
        return out


def _files(root):
    root = Path(root)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()} \
        if root.exists() else {}


def _backup(runner, path):
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_backup_and_restore_give_back_every_table_and_file(app, runner, source, tmp_path):
    db_path, root = source
    archive = _backup(runner, tmp_path / "sao-luu.tar.gz")
    assert "Đã sao lưu" in runner.invoke(args=["backup", str(tmp_path / "again.tgz")]).output
    before_rows, before_files = _rows(db_path), _files(root)
    assert len(before_files) == 2 and sum(map(len, before_rows.values())) > 500
    _switch_to(app, tmp_path / "moi.db", tmp_path / "tep-moi")
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Đã khôi phục" in result.output
    assert _rows(tmp_path / "moi.db") == before_rows
    assert _files(tmp_path / "tep-moi") == before_files
    assert audit_chain.verify(models.db).ok
    assert models.Opinion.select().count() == len(before_rows["opinion"])  # the app reads the restored data


def test_a_database_file_made_by_the_restore_is_private(app, runner, source, tmp_path):
    archive = _backup(runner, tmp_path / "b.tgz")
    _switch_to(app, tmp_path / "moi" / "khoi-phuc.db", tmp_path / "tep-moi")
    old = os.umask(0)
    try:
        result = runner.invoke(args=["restore", str(archive)])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "moi" / "khoi-phuc.db").stat().st_mode & 0o777 == 0o600


def test_the_archive_is_private_and_holds_a_manifest(runner, source, tmp_path):
    db_path, root = source
    old = os.umask(0)
    try:
        archive = _backup(runner, tmp_path / "b.tgz")
    finally:
        os.umask(old)
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        names = set(tar.getnames())
    assert {"database.sqlite3", "manifest.json"} <= names
    assert {"attachments/" + n for n in _files(root)} <= names
    assert manifest["format"] == 1 and manifest["created_at"]
    assert "011_audit_hash_chain" in manifest["migrations"]
    with closing(sqlite3.connect(db_path)) as c:
        assert manifest["tables"]["opinion"]["rows"] == c.execute("SELECT count(*) FROM opinion").fetchone()[0]
    for name, data in _files(root).items():
        assert manifest["files"][name]["size"] == len(data) and len(manifest["files"][name]["sha256"]) == 64
    assert not list(tmp_path.glob("*.part"))


def backup_while_writing(runner, path, most=400):
    """Back up to `path` while a thread keeps adding opinions (each with its history and audit entry);
    returns the archive once the thread has stopped (it re-raises what the thread met)."""
    stop, started, errors = threading.Event(), threading.Event(), []

    def writer():
        try:
            i = 0
            while not stop.is_set() and i < most:
                models.create_opinion(user("coordinator"), kind="opinion", audience="staff", channel="unit",
                                      content="Ý kiến trong lúc sao lưu %d" % i)
                i += 1
                started.set()
        except Exception as exc:  # noqa: BLE001 - re-raised below, in the test's thread
            errors.append(exc)
        finally:
            started.set()
            models.db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    started.wait(30)
    try:
        archive = _backup(runner, path)
    finally:
        stop.set()
        thread.join(60)
    if errors:
        raise errors[0]
    return archive


def test_a_backup_while_writers_run_is_consistent(app, runner, source, tmp_path):
    """A thread keeps adding opinions (each with its history and audit entry) during the backup."""
    before = models.Opinion.select().count()
    archive = backup_while_writing(runner, tmp_path / "b.tgz")
    after = models.Opinion.select().count()
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        tar.extract("database.sqlite3", tmp_path / "x", filter="data")
    copy = tmp_path / "x" / "database.sqlite3"
    with closing(sqlite3.connect(copy)) as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sqlite_manifest_tables(c) == manifest["tables"]
        opinions = c.execute("SELECT count(*) FROM opinion").fetchone()[0]
        assert before < opinions <= after
        orphan = c.execute("SELECT count(*) FROM opinion o WHERE NOT EXISTS (SELECT 1 FROM status_change s "
                           "WHERE s.object_type = 'opinion' AND s.object_id = o.id)").fetchone()[0]
        assert orphan == 0
    with closing(sqlite3.connect(copy)) as c:
        head = c.execute("SELECT count FROM audit_head").fetchone()[0]
        assert head == c.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    archived = connect("sqlite:///%s" % copy)
    assert audit_chain.verify(archived).ok
    archived.close()


def test_restore_refuses_a_database_that_holds_data_unless_forced(app, runner, source, tmp_path):
    db_path, root = source
    archive = _backup(runner, tmp_path / "b.tgz")
    with models.db.atomic():
        models.Unit.create(code="MOI", name="Đơn vị thêm sau sao lưu")
    _switch_to(app, db_path, tmp_path / "empty-files")
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code != 0
    assert "đã có dữ liệu" in result.output and "--force" in result.output
    assert models.Unit.select().where(models.Unit.code == "MOI").exists()
    result = runner.invoke(args=["restore", "--force", str(archive)])
    assert result.exit_code == 0, result.output
    assert not models.Unit.select().where(models.Unit.code == "MOI").exists()
    assert _files(tmp_path / "empty-files") == _files(root)


def test_restore_refuses_an_attachments_folder_with_files_unless_forced(app, runner, source, tmp_path):
    archive = _backup(runner, tmp_path / "b.tgz")
    stray = tmp_path / "files" / "la.pdf"
    stray.parent.mkdir()
    stray.write_bytes(b"%PDF-1.4 other")
    _switch_to(app, tmp_path / "new.db", stray.parent)
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code != 0 and "không trống" in result.output
    assert stray.exists() and _rows(tmp_path / "new.db") == {}
    result = runner.invoke(args=["restore", "--force", str(archive)])
    assert result.exit_code == 0, result.output
    assert not stray.exists() and len(_files(stray.parent)) == 2


def _rewrite(archive, change):
    """The archive with its members changed by change(members: {name: bytes}) (what an attacker or a fault does)."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}
    change(members)
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _flip_byte(members, prefix):
    name = next(n for n in members if n.startswith(prefix))
    data = bytearray(members[name])
    data[len(data) // 2] ^= 0x01
    members[name] = bytes(data)


def _edited_db(members, tmp_dir, fix_file_hash, sql="DELETE FROM opinion WHERE id = (SELECT max(id) FROM opinion)"):
    path = tmp_dir / "t.db"
    path.write_bytes(members["database.sqlite3"])
    with closing(sqlite3.connect(path)) as c:
        c.execute(sql)
        c.commit()
    data = path.read_bytes()
    members["database.sqlite3"] = data
    if fix_file_hash:  # the manifest's file hash made to fit: the table check still sees the missing row
        manifest = json.loads(members["manifest.json"])
        manifest["database"].update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
        members["manifest.json"] = json.dumps(manifest).encode()


TAMPERING = {
    "one byte of an attachment": lambda m, d: _flip_byte(m, "attachments/"),
    "one byte of the database": lambda m, d: _flip_byte(m, "database.sqlite3"),
    "a row removed": lambda m, d: _edited_db(m, d, False),
    "a row removed, file hash fitted": lambda m, d: _edited_db(m, d, True),
    "a value changed, file hash fitted": lambda m, d: _edited_db(
        m, d, True, "UPDATE opinion SET content = content || '.' WHERE id = (SELECT min(id) FROM opinion)"),
    "a file removed": lambda m, d: m.pop(next(n for n in m if n.startswith("attachments/"))),
    "a file added": lambda m, d: m.update({"attachments/them.pdf": b"%PDF-1.4 them"}),
    "a path outside": lambda m, d: m.update({"attachments/../../ra-ngoai.pdf": b"%PDF"}),
    "no manifest": lambda m, d: m.pop("manifest.json"),
}


@pytest.mark.parametrize("tampering", TAMPERING, ids=list(TAMPERING))
@pytest.mark.parametrize("force", [False, True], ids=["empty target", "forced over data"])
def test_a_tampered_archive_is_refused_leaving_the_target_as_it_was(app, runner, source, tmp_path, tampering,
                                                                    force):
    db_path, root = source
    archive = _backup(runner, tmp_path / "b.tgz")
    _rewrite(archive, lambda members: TAMPERING[tampering](members, tmp_path))
    if force:
        target_db, target_root = db_path, root
    else:
        target_db, target_root = tmp_path / "new.db", tmp_path / "new-files"
    before_rows, before_files = _rows(target_db) if target_db.exists() else {}, _files(target_root)
    _switch_to(app, target_db, target_root)
    result = runner.invoke(args=["restore", str(archive)] + (["--force"] if force else []))
    assert result.exit_code == 1, result.output
    assert "Không khôi phục" in result.output
    assert any(word in result.output for word in ("không khớp", "thiếu", "không có", "bản kê"))
    models.db.close()
    assert (_rows(target_db) if target_db.exists() else {}) == before_rows
    assert _files(target_root) == before_files
    assert not (tmp_path.parent / "ra-ngoai.pdf").exists()


def test_an_archive_from_a_newer_version_is_refused(app, runner, source, tmp_path):
    archive = _backup(runner, tmp_path / "b.tgz")

    def newer(members):
        manifest = json.loads(members["manifest.json"])
        manifest["migrations"].append("099_from_the_future")
        members["manifest.json"] = json.dumps(manifest).encode()

    _rewrite(archive, newer)
    _switch_to(app, tmp_path / "new.db", tmp_path / "new-files")
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 1 and "phiên bản mới hơn" in result.output
    assert _rows(tmp_path / "new.db") == {} and _files(tmp_path / "new-files") == {}


def test_a_killed_backup_leaves_no_archive_and_does_not_block_the_next(runner, source, tmp_path):
    (tmp_path / "b.tgz.part").write_bytes(b"half")
    archive = _backup(runner, tmp_path / "b.tgz")
    assert tarfile.is_tarfile(archive) and not (tmp_path / "b.tgz.part").exists()
