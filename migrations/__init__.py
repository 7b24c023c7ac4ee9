"""Schema migrations (peewee-migrate): numbered files in this folder, applied in order.

A change to models.py goes with a new file here, made by
`.venv/bin/python -m migrations "what changed"`, that upgrades a database holding data.
"""
from pathlib import Path

from peewee import DatabaseProxy, SqliteDatabase
from peewee_migrate import Router

MIGRATE_DIR = Path(__file__).resolve().parent


def router(database):
    return Router(database, migrate_dir=str(MIGRATE_DIR), ignore=["basemodel", "versioned"])


def run_migrations(database):
    """Apply every pending migration; returns the names applied."""
    database = database.obj if isinstance(database, DatabaseProxy) else database
    r = router(database)
    pending = r.diff
    if pending:
        r.run()
        if isinstance(database, SqliteDatabase):
            database.execute_sql("ANALYZE")  # fresh statistics, so the planner picks the new indexes
    if "opinion" in database.get_tables():
        # The search index is derived data: put it back if a database lacks it.
        import models
        if models.uses_search_index(database) and "opinion_fts" not in database.get_tables():
            models.install_search_index(database)
    return pending
