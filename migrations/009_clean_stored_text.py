"""Text stored before the forms cleaned it, cleaned the same way: no control characters, composed form (NFC).

Every text column of every table (not the search index's own tables, which follow the opinions by
trigger). A row whose cleaned value would collide with another under a unique index is left as it is.
"""

import peewee as pw
from peewee_migrate import Migrator

from services.text import clean_typed

TEXT_TYPES = ("TEXT", "VARCHAR", "CHAR", "CLOB")


def _tables(database):
    """Ordinary tables: not the migrations' history, SQLite's own, nor a virtual table and its shadow tables."""
    virtual = [name for name, sql in database.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall()
        if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    return [table for table in database.get_tables()
            if table != "migratehistory" and not table.startswith("sqlite_")
            and not any(table == name or table.startswith(name + "_") for name in virtual)]


def clean_stored_text(database):
    """Rewrite each text value that cleaning changes; returns how many rows were rewritten."""
    rewritten = 0
    for table in _tables(database):
        columns = [c.name for c in database.get_columns(table) if c.data_type.upper().startswith(TEXT_TYPES)]
        if not columns:
            continue
        listed = ", ".join('"%s"' % name for name in columns)
        dirty = []  # gathered first (few rows), written after the table is read
        for rowid, *values in database.execute_sql('SELECT rowid, %s FROM "%s"' % (listed, table)):
            cleaned = [clean_typed(value) for value in values]  # anything but text comes back as it was
            changed = {name: clean for name, value, clean in zip(columns, values, cleaned, strict=True)
                       if clean != value}
            if changed:
                dirty.append((rowid, changed))
        for rowid, changed in dirty:
            assignments = ", ".join('"%s" = ?' % name for name in changed)
            try:
                with database.atomic():
                    database.execute_sql('UPDATE "%s" SET %s WHERE rowid = ?' % (table, assignments),
                                         [*changed.values(), rowid])
                rewritten += 1
            except pw.IntegrityError:
                pass  # the cleaned value is another row's: keep this one as it was
    return rewritten


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    if isinstance(database, pw.SqliteDatabase):
        migrator.run(clean_stored_text, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    pass  # cleaned text has nothing to go back to
