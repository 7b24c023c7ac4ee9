"""PostgreSQL, the scale-out database: every migration and the demo data load on it, and the register finds what
SQLite's search index finds (a throw-away cluster on 127.0.0.1; `make test-pg` runs the whole suite there)."""
import tempfile

import pytest
from playhouse.db_url import connect

import models
from demo import loader as demo
from migrations import run_migrations
from tests import pg_cluster
from tests.conftest import FAST_HASH, ON_POSTGRESQL

pytestmark = pytest.mark.skipif(ON_POSTGRESQL, reason="the PostgreSQL pass runs everything there already")
SEARCHES = ("dat dai", "Đất đai", "thu tuc hanh chinh", "cong chuc", "nguyen", "xyz khong co")


@pytest.fixture
def cluster():
    started = pg_cluster.Cluster(tempfile.mkdtemp(prefix="doithoai-pg-"))
    started.start()
    yield started
    started.stop()


def register_ids(database, username, text):
    models.db.initialize(database)
    with database.connection_context():
        user = models.User.get(models.User.username == username)
        return sorted(o.id for o in models.Opinion.register(user, {"q": text}))


def test_migrations_and_the_demo_data_load_on_postgresql_and_search_finds_the_same(cluster, tmp_path):
    day = models.today()  # both loads take the same day (the demo data follow "today")
    cluster.create("doithoai")
    database = connect(cluster.url("doithoai"))
    models.db.initialize(database)
    with database.connection_context():
        applied = run_migrations(database)
        assert applied and not run_migrations(database), "a second migrate must find nothing to do"
        counts = demo.load(today=day, password_params=FAST_HASH)
    sqlite = connect("sqlite:///%s" % (tmp_path / "demo.db"), pragmas={"foreign_keys": 1})
    models.db.initialize(sqlite)
    with sqlite.connection_context():
        run_migrations(sqlite)
        demo.load(today=day, password_params=FAST_HASH)
    models.db.initialize(sqlite)
    with sqlite.connection_context():
        for model in models.MODELS:
            expected = model.select().count()
            models.db.initialize(database)
            with database.connection_context():
                assert model.select().count() == expected, model.__name__
            models.db.initialize(sqlite)
    assert counts["ý kiến"] > 0
    with database.connection_context():  # the register's LIKE searches have trigram indexes (migration 012)
        indexes = {row[0] for row in database.execute_sql(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'opinion' AND indexdef LIKE '%%gin_trgm_ops%%'")}
    assert indexes == {"opinion_search_text_trgm", "opinion_search_identity_trgm"}
    for username in ("coordinator", "specialist"):
        for text in SEARCHES:
            assert register_ids(database, username, text) == register_ids(sqlite, username, text), (username, text)
    database.close()
    sqlite.close()
