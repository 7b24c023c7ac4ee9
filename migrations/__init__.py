"""Schema migrations (peewee-migrate): numbered files in this folder, applied in order.

A change to models.py goes with a new file here, made by
`.venv/bin/python -m migrations "what changed"`, that upgrades a database holding data.
"""
from pathlib import Path

from peewee_migrate import Router

MIGRATE_DIR = Path(__file__).resolve().parent


def router(database):
    return Router(database, migrate_dir=str(MIGRATE_DIR), ignore=["basemodel", "versioned"])


def run_migrations(database):
    """Apply every pending migration; returns the names applied."""
    r = router(database)
    pending = r.diff
    if pending:
        r.run()
    return pending
