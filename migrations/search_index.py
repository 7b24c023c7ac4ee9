"""The register's search index (SQLite FTS5 over the folded columns): its DDL, run by the migrations."""
import peewee as pw

SEARCH_INDEX_SQL = (
    # SQLite: an FTS5 trigram index over the folded columns, kept in step by triggers, so that
    # LIKE '%word%' on them is answered from the index (PostgreSQL will use pg_trgm instead).
    "CREATE VIRTUAL TABLE IF NOT EXISTS opinion_fts USING fts5(search_text, search_identity, "
    "content='opinion', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS opinion_fts_insert AFTER INSERT ON opinion BEGIN "
    "INSERT INTO opinion_fts(rowid, search_text, search_identity) "
    "VALUES (new.id, new.search_text, new.search_identity); END",
    "CREATE TRIGGER IF NOT EXISTS opinion_fts_delete AFTER DELETE ON opinion BEGIN "
    "INSERT INTO opinion_fts(opinion_fts, rowid, search_text, search_identity) "
    "VALUES ('delete', old.id, old.search_text, old.search_identity); END",
    "CREATE TRIGGER IF NOT EXISTS opinion_fts_update AFTER UPDATE OF search_text, search_identity ON opinion "
    "BEGIN INSERT INTO opinion_fts(opinion_fts, rowid, search_text, search_identity) "
    "VALUES ('delete', old.id, old.search_text, old.search_identity); "
    "INSERT INTO opinion_fts(rowid, search_text, search_identity) "
    "VALUES (new.id, new.search_text, new.search_identity); END",
    "INSERT INTO opinion_fts(opinion_fts) VALUES ('rebuild')",
)


def install_search_index(database):
    """Create the search index where the database has one (SQLite FTS5); a no-op elsewhere."""
    if isinstance(database, pw.SqliteDatabase):
        for statement in SEARCH_INDEX_SQL:
            database.execute_sql(statement)
