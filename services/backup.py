"""Backup and restore: one consistent archive of the database and the attachments, with a manifest checked on restore.

The archive (tar, gzip), written with mode 0600 (it holds personal data):
- `database.sqlite3`: SQLite's online backup API copies the live database in one step, a single read
  transaction, so it is consistent while the app writes (WAL: writers are not held up); on
  PostgreSQL `database.pgdump` (pg_dump, custom format) of a snapshot exported by the transaction
  that also counts the rows, so the dump and the manifest see the same moment;
- `attachments/…`: the files of the attachments folder;
- `manifest.json`: format version, when, the migrations applied, per table the row count and a
  sha256 over its rows in primary-key order, per file its size and sha256.
Restore refuses a database or attachments folder that holds data (unless forced), checks every
file and table of the archive on a staged copy before the target is touched, and the tables again
once restored. On PostgreSQL the staged copy is a scratch database beside the target (restored with
pg_restore, compared, dropped); a role that may not create databases skips that step (a warning
says so) and relies on the dump's file hash and the check after restoring, which pg_restore runs in
one transaction. The PostgreSQL paths are tested on the PostgreSQL pass of the tests.
"""
import datetime as dt
import hashlib
import io
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from contextlib import closing
from pathlib import Path, PurePosixPath

import peewee as pw
import psycopg

from services.audit_chain import canonical

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
FILES = "attachments"
CHUNK = 1024 * 1024
# Tables a migrated but unused database already fills: they do not make it "non-empty"
SCHEMA_TABLES = ("migratehistory", "audit_head")


class BackupError(Exception):
    """A backup or restore refused or failed; str() is the Vietnamese message for the terminal."""


# ---------------------------------------------------------------- rows and files, hashed

def sqlite_tables(connection):
    """The ordinary tables of a SQLite connection: not SQLite's own, nor a virtual table and its shadow tables."""
    rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return [name for name, _ in rows if not name.startswith("sqlite_")
            and not any(name == v or name.startswith(v + "_") for v in virtual)]


def table_digest(cursor, table, order_by):
    """(row count, sha256 over the rows in `order_by` order) of one table, read with a DB-API cursor."""
    digest, count = hashlib.sha256(), 0
    cursor.execute('SELECT * FROM "%s" ORDER BY %s' % (table, order_by))
    for batch in iter(lambda: cursor.fetchmany(500), []):
        for values in batch:
            digest.update(json.dumps([canonical(v) for v in values], ensure_ascii=False).encode("utf-8") + b"\n")
            count += 1
    return count, digest.hexdigest()


def sqlite_manifest_tables(connection):
    """{table: {"rows": n, "sha256": …}} of a SQLite connection, each in primary-key (rowid) order."""
    out = {}
    cursor = connection.cursor()
    for table in sqlite_tables(connection):
        count, digest = table_digest(cursor, table, "rowid")
        out[table] = {"rows": count, "sha256": digest}
    return out


def _pg_manifest_tables(database):
    out = {}
    cursor = database.cursor()
    for table in database.get_tables():
        keys = database.get_primary_keys(table) or [c.name for c in database.get_columns(table)]
        count, digest = table_digest(cursor, table, ", ".join('"%s"' % k for k in keys))
        out[table] = {"rows": count, "sha256": digest}
    return out


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Hashing(io.RawIOBase):
    """A file read through, hashed as tarfile copies it (each file is read once)."""

    def __init__(self, f):
        self.f, self.digest = f, hashlib.sha256()

    def read(self, n=-1):
        data = self.f.read(n)
        self.digest.update(data)
        return data


# ---------------------------------------------------------------- backup

def _open_private(path):
    """A new file only its owner can read and write (0600 whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def _add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(dt.datetime.now().timestamp()), 0o600
    tar.addfile(info, io.BytesIO(data))


def _add_attachments(tar, root):
    """Every file under the attachments folder (not the unfinished uploads): {relative name: size, sha256}."""
    files = {}
    root = Path(root)
    if not root.is_dir():
        return files
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".part")):
        name = path.relative_to(root).as_posix()
        with open(path, "rb") as f:
            info = tarfile.TarInfo("%s/%s" % (FILES, name))
            stat = os.fstat(f.fileno())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
            reader = _Hashing(f)
            tar.addfile(info, reader)
        files[name] = {"size": info.size, "sha256": reader.digest.hexdigest()}
    return files


def _sqlite_snapshot(database, folder):
    """The live SQLite database copied by the online backup API into `folder`; returns (path, tables, migrations)."""
    target = Path(folder) / SQLITE_MEMBER
    with closing(sqlite3.connect(database.database, timeout=30)) as source, \
            closing(sqlite3.connect(target)) as copy:
        source.backup(copy)  # all pages in one step: one read transaction, one moment
        tables = sqlite_manifest_tables(copy)
        migrations = _migration_names(copy.cursor())
    return target, tables, migrations


def _migration_names(cursor):
    try:
        cursor.execute("SELECT name FROM migratehistory ORDER BY id")
    except Exception:  # noqa: BLE001 - a database never migrated has no history table (sqlite3 or psycopg)
        return []
    return [name for (name,) in cursor.fetchall()]


def _pg_env(database):
    params = dict(database.connect_params)
    env = dict(os.environ)
    for key, var in (("host", "PGHOST"), ("port", "PGPORT"), ("user", "PGUSER"), ("password", "PGPASSWORD")):
        if params.get(key):
            env[var] = str(params[key])
    env["PGDATABASE"] = database.database
    return env


def _pg_tool(name):
    """The absolute path of PostgreSQL's pg_dump or pg_restore (Debian keeps them per version)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/%s" % name))
    path = str(found[-1]) if found else shutil.which(name)
    if path is None:
        raise BackupError("Không tìm thấy %s (gói postgresql-client)." % name)
    return path


def _pg_run(tool, *args, env):
    """Run pg_dump or pg_restore; a failure is a BackupError with what the tool wrote."""
    # a fixed argument list, no shell; the values are the configured database's and the checked archive's
    result = subprocess.run([_pg_tool(tool), *args], env=env, capture_output=True, text=True)  # nosec B603
    if result.returncode != 0:
        raise BackupError("%s thất bại: %s" % (tool, (result.stderr or result.stdout).strip()[-500:]))


def _pg_snapshot(database, folder):
    """pg_dump of the snapshot this transaction exports, and the manifest's tables read in the same snapshot."""
    target = Path(folder) / PG_MEMBER
    with database.atomic(isolation_level="REPEATABLE READ"):
        snapshot = database.execute_sql("SELECT pg_export_snapshot()").fetchone()[0]
        _pg_run("pg_dump", "--format=custom", "--no-owner", "--snapshot=%s" % snapshot, "--file=%s" % target,
                env=_pg_env(database))
        tables = _pg_manifest_tables(database)
        migrations = _migration_names(database.cursor())
    return target, tables, migrations


def create(database, attachments_dir, out_path):
    """Write the archive to `out_path` (replaced in one rename when complete); returns the manifest."""
    database = getattr(database, "obj", database)
    out_path = Path(out_path)
    partial = out_path.with_name(out_path.name + ".part")
    with tempfile.TemporaryDirectory(prefix="backup-") as folder:
        if isinstance(database, pw.SqliteDatabase):
            db_file, tables, migrations = _sqlite_snapshot(database, folder)
        elif isinstance(database, pw.PostgresqlDatabase):
            db_file, tables, migrations = _pg_snapshot(database, folder)
        else:
            raise BackupError("Chỉ sao lưu được SQLite hoặc PostgreSQL.")
        manifest = {"format": FORMAT, "created_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                    "engine": "sqlite" if db_file.name == SQLITE_MEMBER else "postgresql",
                    "migrations": migrations,
                    "database": {"file": db_file.name, "size": db_file.stat().st_size,
                                 "sha256": file_sha256(db_file)},
                    "tables": tables}
        partial.unlink(missing_ok=True)  # left by a backup that was killed
        try:
            with _open_private(partial) as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(db_file, arcname=db_file.name, filter=_private)
                manifest["files"] = _add_attachments(tar, attachments_dir)
                _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
            os.replace(partial, out_path)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _private(info):
    info.mode, info.uname, info.gname = 0o600, "", ""
    return info


# ---------------------------------------------------------------- restore

def read_manifest(tar):
    try:
        member = tar.getmember(MANIFEST)
        manifest = json.loads(tar.extractfile(member).read().decode("utf-8"))
    except (KeyError, ValueError, AttributeError) as exc:
        raise BackupError("Tệp sao lưu không có bản kê (manifest.json) đọc được.") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError("Bản kê có phiên bản định dạng %r, lệnh này chỉ đọc phiên bản %d."
                          % (manifest.get("format"), FORMAT))
    return manifest


def _safe_name(name):
    """The relative path of an attachment member, or None when it could leave the folder."""
    path = PurePosixPath(name)
    if path.is_absolute() or not path.parts or any(part in ("", ".", "..") for part in path.parts):
        return None
    return path.as_posix()


def _stage(tar, manifest, folder):
    """Extract the database file and the attachments into `folder`, each checked against the manifest."""
    expected_db = manifest.get("database", {})
    files = manifest.get("files", {})
    seen = set()
    for member in tar.getmembers():
        if member.name == MANIFEST:
            continue
        if not member.isfile():
            raise BackupError("Tệp sao lưu chứa mục không phải tệp thường: %s." % member.name)
        if member.name == expected_db.get("file"):
            target, expected = Path(folder) / member.name, expected_db
        elif member.name.startswith(FILES + "/") and _safe_name(member.name[len(FILES) + 1:]) in files:
            name = _safe_name(member.name[len(FILES) + 1:])
            target, expected = Path(folder) / FILES / name, files[name]
        else:
            raise BackupError("Tệp sao lưu chứa tệp không có trong bản kê: %s." % member.name)
        if member.name in seen:
            raise BackupError("Tệp sao lưu chứa hai lần tệp %s." % member.name)
        seen.add(member.name)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tar.extractfile(member) as source, _open_private(target) as out:
            shutil.copyfileobj(source, out, CHUNK)
        if target.stat().st_size != expected.get("size") or file_sha256(target) != expected.get("sha256"):
            raise BackupError("Tệp %s trong bản sao lưu không khớp với bản kê (kích thước hoặc mã băm): "
                              "bản sao lưu đã bị thay đổi hoặc hỏng." % member.name)
    missing = sorted(({expected_db.get("file")} | {"%s/%s" % (FILES, n) for n in files}) - seen)
    if missing:
        raise BackupError("Bản sao lưu thiếu %d tệp ghi trong bản kê, ví dụ %s." % (len(missing), missing[0]))


def compare_tables(found, manifest):
    """The first table whose rows differ from the manifest, as a Vietnamese sentence, or None."""
    expected = manifest.get("tables", {})
    for table in sorted(set(expected) | set(found)):
        want, got = expected.get(table), found.get(table)
        if want is None or got is None:
            return "Bảng %s %s." % (table, "không có trong bản kê" if want is None else "thiếu trong cơ sở dữ liệu")
        if want["rows"] != got["rows"]:
            return "Bảng %s có %d dòng, bản kê ghi %d dòng." % (table, got["rows"], want["rows"])
        if want["sha256"] != got["sha256"]:
            return "Dữ liệu bảng %s khác với bản kê (mã băm không khớp)." % table
    return None


def _check_staged_sqlite(path, manifest):
    with closing(sqlite3.connect(path)) as copy:
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("Cơ sở dữ liệu trong bản sao lưu bị hỏng (integrity_check).")
        problem = compare_tables(sqlite_manifest_tables(copy), manifest)
    if problem:
        raise BackupError("Bản sao lưu không khớp với bản kê: %s" % problem)


def data_rows(database):
    """How many rows the database holds outside the schema's own tables (0: empty, fit to restore into)."""
    database = getattr(database, "obj", database)
    if isinstance(database, pw.SqliteDatabase):
        if not Path(database.database).exists():
            return 0
        with closing(sqlite3.connect(database.database, timeout=30)) as connection:
            tables = [t for t in sqlite_tables(connection) if t not in SCHEMA_TABLES]
            return sum(connection.execute('SELECT count(*) FROM "%s"' % t).fetchone()[0] for t in tables)
    tables = [t for t in database.get_tables() if t not in SCHEMA_TABLES]
    return sum(database.execute_sql('SELECT count(*) FROM "%s"' % t).fetchone()[0] for t in tables)


def _folder_has_files(root):
    root = Path(root)
    return root.is_dir() and any(root.iterdir())


def _put_files(staged, root):
    """The staged attachments folder in the place of `root` (the old one moved aside, then removed)."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    staged.mkdir(exist_ok=True, mode=0o700)
    old = None
    if root.exists():
        old = root.with_name(root.name + ".before-restore")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(root, old)
    shutil.move(str(staged), str(root))
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _restore_sqlite(staged_db, database, manifest):
    """Copy the checked database into the configured one (the backup API, so open connections see it whole).

    A database file that does not exist yet is made private first (0600, whatever the umask): it holds
    personal data. An existing one keeps the mode its owner gave it."""
    target_path = Path(database.database)
    if not target_path.exists():
        target_path.parent.mkdir(parents=True, exist_ok=True)
        _open_private(target_path).close()
    with closing(sqlite3.connect(staged_db)) as source, \
            closing(sqlite3.connect(database.database, timeout=30)) as target:
        source.backup(target)
        problem = compare_tables(sqlite_manifest_tables(target), manifest)
    if problem:
        raise BackupError("Đã khôi phục nhưng dữ liệu không khớp bản kê: %s" % problem)


def _pg_admin(database):
    """A connection to the target's server in autocommit (CREATE and DROP DATABASE run outside a transaction)."""
    params = {k: v for k, v in database.connect_params.items() if k in ("host", "port", "user", "password")}
    return psycopg.connect(dbname=database.database, autocommit=True, **params)


def _check_staged_pg(staged_db, database, manifest):
    """The dump restored into a scratch database and compared with the manifest; False if none may be created."""
    scratch = "%s_kiem_tra_%s" % (database.database[:40], secrets.token_hex(4))
    try:
        with _pg_admin(database) as admin:
            admin.execute('CREATE DATABASE "%s"' % scratch)
    except psycopg.errors.InsufficientPrivilege:
        return False
    try:
        _pg_run("pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname=%s" % scratch,
                str(staged_db), env=dict(_pg_env(database), PGDATABASE=scratch))
        copy = pw.PostgresqlDatabase(scratch, **database.connect_params)
        with copy.connection_context():
            problem = compare_tables(_pg_manifest_tables(copy), manifest)
    finally:
        with _pg_admin(database) as admin:
            admin.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % scratch)
    if problem:
        raise BackupError("Bản sao lưu không khớp với bản kê: %s" % problem)
    return True


def _restore_pg(staged_db, database, manifest):
    """pg_restore into the configured database in one transaction (a failure leaves it as it was), then compared."""
    if not database.is_closed():
        database.close()  # the restore drops and recreates the tables this connection may hold locks on
    _pg_run("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error",
            "--dbname=%s" % database.database, str(staged_db), env=_pg_env(database))
    with database.connection_context():
        problem = compare_tables(_pg_manifest_tables(database), manifest)
    if problem:
        raise BackupError("Đã khôi phục nhưng dữ liệu không khớp bản kê: %s" % problem)


def restore(archive, database, attachments_dir, force=False, known_migrations=None, warn=None):
    """Restore `archive` into the database and attachments folder; returns the manifest. Raises BackupError.

    Nothing of the target changes until every file and table of the archive has been checked.
    """
    database = getattr(database, "obj", database)
    engine = "sqlite" if isinstance(database, pw.SqliteDatabase) else "postgresql"
    if not force:
        if data_rows(database):
            raise BackupError("Cơ sở dữ liệu đích đã có dữ liệu: không khôi phục đè (dùng --force để ghi đè).")
        if _folder_has_files(attachments_dir):
            raise BackupError("Thư mục tệp đính kèm %s không trống: không khôi phục đè (dùng --force để ghi đè)."
                              % attachments_dir)
    try:
        tar = tarfile.open(archive, mode="r:*")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError("Không đọc được tệp sao lưu %s: %s" % (archive, exc)) from exc
    root = Path(attachments_dir)
    root.parent.mkdir(parents=True, exist_ok=True)
    with tar, tempfile.TemporaryDirectory(prefix=".restore-", dir=root.parent) as folder:
        manifest = read_manifest(tar)
        if manifest.get("engine") != engine:
            raise BackupError("Bản sao lưu là của %s, cơ sở dữ liệu đích là %s." % (manifest.get("engine"), engine))
        unknown = [m for m in manifest.get("migrations", []) if known_migrations is not None
                   and m not in known_migrations]
        if unknown:
            raise BackupError("Bản sao lưu do phiên bản mới hơn của ứng dụng tạo (bản nâng cấp lược đồ %s): "
                              "hãy cập nhật ứng dụng trước." % unknown[0])
        try:
            _stage(tar, manifest, folder)
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise BackupError("Tệp sao lưu bị hỏng, không giải nén được: %s" % exc) from exc
        staged_db = Path(folder) / manifest["database"]["file"]
        if engine == "sqlite":
            _check_staged_sqlite(staged_db, manifest)
            _restore_sqlite(staged_db, database, manifest)
        else:
            checked = _check_staged_pg(staged_db, database, manifest)
            if not checked and warn is not None:
                warn("Tài khoản cơ sở dữ liệu không được tạo cơ sở dữ liệu tạm: bản sao lưu được kiểm tra theo mã băm "
                     "của tệp, và các bảng được đối chiếu sau khi khôi phục.")
            _restore_pg(staged_db, database, manifest)
        _put_files(Path(folder) / FILES, root)
    return manifest
