"""`flask backup` and `flask restore` on PostgreSQL (pg_dump of one snapshot, pg_restore checked first in a
scratch database): run on the PostgreSQL pass, where the app's database is the cluster's."""
import io
import json
import subprocess
import tarfile

import psycopg
import pytest

import models
from services import attachments, audit_chain, backup
from tests import pg_cluster
from tests.conftest import user
from tests.test_backup import PDF, PNG, _files, _flip_byte, _rewrite, backup_while_writing

pytestmark = pytest.mark.usefixtures("postgresql")


@pytest.fixture
def cluster(postgresql):
    """The pass's cluster; the databases a test creates on it are dropped after it."""
    made = []

    def create(name):
        postgresql.drop(name)
        postgresql.create(name)
        made.append(name)
        return name

    postgresql.make = create
    yield postgresql
    if not models.db.is_closed():
        models.db.close()
    for name in made:
        postgresql.drop(name)


@pytest.fixture
def source(app, db, tmp_path):
    root = tmp_path / "attachments"
    app.config["ATTACHMENTS_DIR"] = str(root)
    dialogue = models.Dialogue.select().first()
    for name, data in (("bien-ban.pdf", PDF), ("anh.png", PNG)):
        attachments.store(user("coordinator"), "dialogue", dialogue, name, io.BytesIO(data), str(root), 10 ** 7)
    return models.db.obj.database, root


def _rows(cluster, name):
    """Every table of a database on the cluster, its rows sorted (no table: {})."""
    with psycopg.connect(cluster.url(name)) as connection:
        tables = [t for (t,) in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {t: sorted(connection.execute('SELECT * FROM "%s"' % t).fetchall(), key=repr) for t in tables}


def _switch_to(app, cluster, name, root):
    if not models.db.is_closed():
        models.db.close()
    models.db.initialize(models.open_database(cluster.url(name)))
    app.config["ATTACHMENTS_DIR"] = str(root)


def _backup(runner, path):
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _manifest(archive):
    with tarfile.open(archive) as tar:
        return json.loads(tar.extractfile("manifest.json").read())


def test_backup_and_restore_on_postgresql_give_back_every_table_and_file(app, runner, cluster, source, tmp_path):
    db_name, root = source
    archive = _backup(runner, tmp_path / "sao-luu.tar.gz")
    manifest = _manifest(archive)
    assert manifest["engine"] == "postgresql" and manifest["database"]["file"] == "database.pgdump"
    assert archive.stat().st_mode & 0o777 == 0o600
    before_rows, before_files = _rows(cluster, db_name), _files(root)
    assert manifest["tables"]["opinion"]["rows"] == len(before_rows["opinion"]) > 0
    assert len(before_files) == 2 and sum(map(len, before_rows.values())) > 500
    _switch_to(app, cluster, cluster.make("khoi_phuc"), tmp_path / "tep-moi")
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Đã khôi phục" in result.output
    assert _rows(cluster, "khoi_phuc") == before_rows
    assert _files(tmp_path / "tep-moi") == before_files
    with models.db.connection_context():
        assert audit_chain.verify(models.db).ok
        assert models.Opinion.select().count() == len(before_rows["opinion"])
    with psycopg.connect(cluster.url("postgres")) as c:
        scratch = c.execute("SELECT datname FROM pg_database WHERE datname LIKE '%kiem_tra%'").fetchall()
    assert not scratch, "the scratch database is dropped"


def test_a_backup_on_postgresql_while_writers_run_is_one_moment(app, runner, cluster, source, tmp_path):
    """Opinions (each with its history and audit entry) keep coming during pg_dump: the archive is one snapshot."""
    before = models.Opinion.select().count()
    archive = backup_while_writing(runner, tmp_path / "b.tgz", most=300)
    after = models.Opinion.select().count()
    _switch_to(app, cluster, cluster.make("giua_chung"), tmp_path / "f")
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output  # every table matched the manifest counted in the same snapshot
    with psycopg.connect(cluster.url("giua_chung")) as c:
        opinions = c.execute("SELECT count(*) FROM opinion").fetchone()[0]
        orphans = c.execute("SELECT count(*) FROM opinion o WHERE NOT EXISTS (SELECT 1 FROM status_change s "
                            "WHERE s.object_type = 'opinion' AND s.object_id = o.id)").fetchone()[0]
        head = c.execute("SELECT count FROM audit_head").fetchone()[0]
        entries = c.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    assert before < opinions <= after and orphans == 0 and head == entries


def test_restore_on_postgresql_refuses_a_database_with_data_unless_forced(app, runner, cluster, source, tmp_path):
    db_name, root = source
    archive = _backup(runner, tmp_path / "b.tgz")
    with models.db.atomic():
        models.Unit.create(code="MOI", name="Đơn vị thêm sau sao lưu")
    _switch_to(app, cluster, db_name, tmp_path / "empty-files")
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code != 0 and "đã có dữ liệu" in result.output and "--force" in result.output
    assert models.Unit.select().where(models.Unit.code == "MOI").exists()
    result = runner.invoke(args=["restore", "--force", str(archive)])
    assert result.exit_code == 0, result.output
    assert not models.Unit.select().where(models.Unit.code == "MOI").exists()
    assert _files(tmp_path / "empty-files") == _files(root)


def _dump_without_a_row(cluster, members, tmp_dir):
    """The archive's dump restored aside, one opinion deleted, dumped again, the file hash made to fit."""
    dump = tmp_dir / "in.pgdump"
    dump.write_bytes(members["database.pgdump"])
    name = cluster.make("sua_doi")
    subprocess.run([pg_cluster.tool("pg_restore"), "--no-owner", "-d", cluster.url(name), str(dump)], check=True)
    with psycopg.connect(cluster.url(name), autocommit=True) as c:
        c.execute("DELETE FROM opinion WHERE id = (SELECT max(id) FROM opinion)")
    out = tmp_dir / "out.pgdump"
    subprocess.run([pg_cluster.tool("pg_dump"), "--format=custom", "--no-owner", "-f", str(out), cluster.url(name)],
                   check=True)
    data = out.read_bytes()
    members["database.pgdump"] = data
    manifest = json.loads(members["manifest.json"])
    manifest["database"].update(size=len(data), sha256=backup.file_sha256(out))
    members["manifest.json"] = json.dumps(manifest).encode()


TAMPERING = {
    "one byte of the dump": lambda c, m, d: _flip_byte(m, "database.pgdump"),
    "one byte of an attachment": lambda c, m, d: _flip_byte(m, "attachments/"),
    "a row removed, file hash fitted": _dump_without_a_row,
}


@pytest.mark.parametrize("tampering", TAMPERING, ids=list(TAMPERING))
@pytest.mark.parametrize("force", [False, True], ids=["empty target", "forced over data"])
def test_a_tampered_archive_is_refused_on_postgresql_leaving_the_target_as_it_was(app, runner, cluster, source,
                                                                                  tmp_path, tampering, force):
    db_name, root = source
    archive = _backup(runner, tmp_path / "b.tgz")
    models.db.close()
    _rewrite(archive, lambda members: TAMPERING[tampering](cluster, members, tmp_path))
    target, target_root = (db_name, root) if force else (cluster.make("dich"), tmp_path / "new-files")
    before_rows, before_files = _rows(cluster, target), _files(target_root)
    _switch_to(app, cluster, target, target_root)
    result = runner.invoke(args=["restore", str(archive)] + (["--force"] if force else []))
    assert result.exit_code == 1, result.output
    assert "Không khôi phục" in result.output and "không khớp" in result.output
    assert _rows(cluster, target) == before_rows
    assert _files(target_root) == before_files


def test_a_sqlite_archive_is_refused_by_a_postgresql_database(app, runner, cluster, tmp_path):
    archive = tmp_path / "sqlite.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        data = json.dumps({"format": 1, "engine": "sqlite", "migrations": [], "database": {}, "tables": {},
                           "files": {}}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    _switch_to(app, cluster, cluster.make("trong"), tmp_path / "f")
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 1 and "là của sqlite" in result.output and "postgresql" in result.output
