"""The migrations build the schema models.py declares; set-up commands never wipe data."""
import pytest
from playhouse.db_url import connect

import models
from demo import loader as demo
from migrations import router, run_migrations
from migrations.search_index import install_search_index


def _schema(database):
    out = {}
    for table in database.get_tables():
        if table == "migratehistory" or table.startswith("sqlite_"):
            continue
        columns = sorted((c.name, c.data_type, c.null) for c in database.get_columns(table))
        # An expression of an expression index has no column name: the index's name stands for it.
        indexes = sorted((tuple(c if c is not None else "<%s>" % i.name for c in i.columns), i.unique)
                         for i in database.get_indexes(table))
        out[table] = (columns, indexes)
    return out


def test_migrations_match_the_models(tmp_path):
    migrated = connect("sqlite:///%s" % (tmp_path / "m.db"))
    models.db.initialize(migrated)
    assert run_migrations(migrated), "no migration ran on an empty database"
    from_migrations = _schema(migrated)
    declared = connect("sqlite:///%s" % (tmp_path / "d.db"))
    models.db.initialize(declared)
    declared.create_tables(models.MODELS)
    install_search_index(declared)
    assert from_migrations == _schema(declared), "models.py changed without a migration"


def test_migrate_twice_keeps_data(runner, db):
    before = models.Opinion.select().count()
    result = runner.invoke(args=["migrate"])
    assert result.exit_code == 0, result.output
    assert "mới nhất" in result.output
    assert models.Opinion.select().count() == before > 0


def test_load_demo_refuses_a_database_with_data(runner, db):
    users = models.User.select().count()
    result = runner.invoke(args=["load-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "không nạp" in result.output
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code != 0
    assert models.User.select().count() == users


def test_create_user_command(runner, db, client):
    result = runner.invoke(args=["create-user", "tranthib", "--name", "Trần Thị B", "--role", "specialist",
                                 "--unit", "KTN"], input="mat-khau-rat-dai\nmat-khau-rat-dai\n")
    assert result.exit_code == 0, result.output
    created = models.User.get(models.User.username == "tranthib")
    assert created.unit.code == "KTN" and created.role == "specialist"
    assert client.login("tranthib", "mat-khau-rat-dai").status_code == 303


def test_create_user_needs_a_unit_for_unit_roles(runner, db):
    result = runner.invoke(args=["create-user", "x1", "--name", "X", "--role", "unit_head"],
                           input="mat-khau-rat-dai\nmat-khau-rat-dai\n")
    assert result.exit_code != 0
    assert not models.User.select().where(models.User.username == "x1").exists()


def _older_migrations():
    names = router(connect("sqlite:///:memory:")).todo
    return names[:-1]


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    """A database at the latest schema with the demo data (the rows an upgrade must keep)."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = connect("sqlite:///%s" % path, pragmas={"foreign_keys": 1})
    models.db.initialize(database)
    run_migrations(database)
    demo.load(password_params={"time_cost": 1, "memory_cost": 8, "parallelism": 1})
    database.close()
    return path


@pytest.mark.parametrize("applied", _older_migrations())
def test_upgrading_keeps_every_row(tmp_path, demo_file, applied):
    """A database made by an older version, holding data, loses nothing when it is upgraded.

    SQLite adds some columns by rebuilding the table; with foreign keys on, dropping the old table
    would delete, by cascade, every row pointing to it (a notice's conclusions, a dialogue's fields).
    """
    from migrations import router
    old = connect("sqlite:///%s" % (tmp_path / "old.db"), pragmas={"foreign_keys": 1})
    models.db.initialize(old)
    router(old).run(applied)  # the schema as that version left it
    tables = [t for t in old.get_tables() if t != "migratehistory" and not t.startswith(("opinion_fts", "sqlite_"))]
    columns = {t: [c.name for c in old.get_columns(t)] for t in tables}
    old.execute_sql("PRAGMA foreign_keys = OFF")
    old.execute_sql("ATTACH DATABASE ? AS demo", (str(demo_file),))
    with old.atomic():
        for table in tables:
            names = ", ".join('"%s"' % c for c in columns[table])
            # OR REPLACE: a table a migration fills itself (the audit chain's head) takes the data's row
            old.execute_sql('INSERT OR REPLACE INTO main."%s" (%s) SELECT %s FROM demo."%s"'
                            % (table, names, names, table))
    old.execute_sql("DETACH DATABASE demo")
    old.execute_sql("PRAGMA foreign_keys = ON")

    def rows(database, table):
        names = ", ".join('"%s"' % c for c in columns[table])
        return database.execute_sql('SELECT %s FROM "%s" ORDER BY rowid' % (names, table)).fetchall()

    before = {t: rows(old, t) for t in tables}
    assert sum(map(len, before.values())) > 500, "the demo data did not reach the old database"
    assert run_migrations(old)
    after = {t: rows(old, t) for t in tables}
    lost = {t: len(before[t]) - len(after[t]) for t in tables if before[t] != after[t]}
    assert not lost, "rows lost or changed by the upgrade from %s: %s" % (applied, lost)
    assert not old.execute_sql("PRAGMA foreign_key_check").fetchall()
    assert old.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1, "foreign keys left off after migrating"
    old.close()


def test_the_register_search_index_still_follows_new_opinions_after_every_migration(db):
    """Migrations that add columns to `opinion` rebuild the table on SQLite, and with it its triggers."""
    if not models.uses_search_index():
        pytest.skip("SQLite's search index only")
    triggers = {row[0] for row in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"opinion_fts_insert", "opinion_fts_delete", "opinion_fts_update"} <= triggers
    opinion = models.create_opinion(None, kind="petition", channel="letter", audience="citizens",
                                    content="Kiến nghị về đường giao thông nông thôn xuống cấp.")
    found = db.execute_sql("SELECT rowid FROM opinion_fts WHERE opinion_fts MATCH ?", ('"xuong cap"',)).fetchall()
    assert (opinion.id,) in found
