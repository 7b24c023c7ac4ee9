"""Schema migrations (peewee-migrate): numbered files in this folder, applied in order.

A change to models.py goes with a new file here, made by
`.venv/bin/python -m migrations "what changed"`, that upgrades a database holding data.
"""
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase
from peewee_migrate import Router

from migrations.search_index import install_search_index

MIGRATE_DIR = Path(__file__).resolve().parent


def router(database):
    return Router(database, migrate_dir=str(MIGRATE_DIR), ignore=["basemodel", "versioned"])


def run_migrations(database):
    """Apply every pending migration; returns the names applied."""
    database = database.obj if isinstance(database, DatabaseProxy) else database
    r = router(database)
    pending = r.diff
    if pending and isinstance(database, SqliteDatabase):
        _run_with_foreign_keys_off(database, r)
        database.execute_sql("ANALYZE")  # fresh statistics, so the planner picks the new indexes
    elif pending:
        r.run()
    if "opinion" in database.get_tables():
        # The search index is derived data: put it back if a database lacks it.
        if isinstance(database, SqliteDatabase) and "opinion_fts" not in database.get_tables():
            install_search_index(database)
    return pending


class MigrationError(Exception):
    pass


def _run_with_foreign_keys_off(database, r):
    """Run the pending migrations as SQLite's ALTER TABLE documentation asks (section 7).

    SQLite adds a column with a default or a reference by rebuilding the table: a copy, a DROP of
    the old one, a rename. With foreign keys on, that DROP deletes by cascade every row that points
    to the table (a notice's conclusions, a dialogue's fields and attendees) or sets it to NULL.
    So the keys are off while migrating (the pragma does nothing inside a transaction, hence before
    it) and checked before they are put back on.
    """
    was_on = database.execute_sql("PRAGMA foreign_keys").fetchone()[0]
    if was_on and database.in_transaction():
        raise MigrationError("Migrations must run outside a transaction on SQLite.")
    database.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        r.run()
        broken = database.execute_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise MigrationError("Migrating left %d rows pointing to missing rows, e.g. %r" % (len(broken), broken[0]))
    finally:
        if was_on:
            database.execute_sql("PRAGMA foreign_keys = ON")
