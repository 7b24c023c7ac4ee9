"""The migrations build the schema models.py declares; set-up commands never wipe data."""
from playhouse.db_url import connect

import models
from migrations import run_migrations


def _schema(database):
    out = {}
    for table in database.get_tables():
        if table == "migratehistory" or table.startswith("sqlite_"):
            continue
        columns = sorted((c.name, c.data_type, c.null) for c in database.get_columns(table))
        indexes = sorted((tuple(i.columns), i.unique) for i in database.get_indexes(table))
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
    models.install_search_index(declared)
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
