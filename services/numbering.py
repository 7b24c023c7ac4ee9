"""Race-safe numbering of document series (Số: 05/TB-VP, 05/BC-VP): a transaction holding the series' lock."""
import contextlib
import zlib

import peewee as pw

NUMBERING_LOCK_CLASS = 30_2020  # PostgreSQL advisory locks of document series: (class, series key)


def series_key(year, doc_type):
    """A stable 31-bit key of a series (year and document type), for an advisory lock."""
    return zlib.crc32(("%s-%s" % (year, doc_type)).encode()) & 0x7FFFFFFF


def lock_series(database, year, doc_type):
    """Inside a transaction: hold the series' lock until it ends (PostgreSQL: an advisory lock).

    On SQLite the transaction itself holds the lock: models.open_database begins every outermost
    transaction IMMEDIATE, which takes the database's write lock. `database` is models.db or a Database.
    """
    if isinstance(getattr(database, "obj", database), pw.PostgresqlDatabase):
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)",
                             (NUMBERING_LOCK_CLASS, series_key(year, doc_type)))


@contextlib.contextmanager
def numbering_transaction(database, year, doc_type):
    """A transaction that holds the series' write lock from its first statement.

    Reading the highest number and writing the next must not interleave with another signing:
    - SQLite: BEGIN IMMEDIATE takes the database's write lock when the transaction begins, so a
      second signing waits (busy timeout) and then reads the number the first one wrote. It must
      be the outermost transaction (a savepoint inside a deferred transaction takes no lock).
    - PostgreSQL: pg_advisory_xact_lock on (class, series) until commit or rollback (lock_series).
    - Elsewhere: a plain transaction; the unique index (year, doc_type, number) is the last guard.
    `database` is models.db (the proxy) or a Database.
    """
    engine = getattr(database, "obj", database)
    if isinstance(engine, pw.SqliteDatabase):
        if database.transaction_depth():
            raise RuntimeError("numbering_transaction must not run inside another transaction")
        with database.atomic(lock_type="IMMEDIATE") as transaction:
            yield transaction
    else:
        with database.atomic() as transaction:
            lock_series(database, year, doc_type)
            yield transaction
