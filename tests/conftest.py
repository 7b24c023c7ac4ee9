"""Fixtures: an app on a throw-away copy of the demo database, clients signed in per role.

With TEST_DATABASE=postgresql the same tests run on PostgreSQL: a throw-away cluster per test
worker (tests/pg_cluster.py) holds the demo database, whose rows are put back before each test.
"""
import os
import re
import shutil
import tempfile
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, settings
from playhouse.db_url import connect

import models
from app import create_app
from demo import loader as demo
from migrations import run_migrations
from tests import pg_cluster

ON_POSTGRESQL = os.environ.get("TEST_DATABASE") == "postgresql"

FAST_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
PASSWORD = "doithoai-demo"
ROLES = ("specialist", "unit_head", "coordinator", "leader", "chief", "admin")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
# Property tests (tests/test_properties.py): few examples, the same ones every run, no example database on disk.
settings.register_profile("doithoai", max_examples=25, derandomize=True, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("doithoai")


def pytest_collection_modifyitems(config, items):
    """On the PostgreSQL pass, tests marked sqlite_only (they read SQLite files or its pragmas) are skipped, and so
    are the browser tests and those marked first_pass_only (checks of the code, the Hypothesis properties)."""
    if ON_POSTGRESQL:
        skip = pytest.mark.skip(reason="SQLite only (TEST_DATABASE=postgresql)")
        for item in items:
            if "sqlite_only" in item.keywords or "first_pass_only" in item.keywords or "/browser/" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def postgresql():
    """A throw-away PostgreSQL cluster on 127.0.0.1 with the demo database as a template (PostgreSQL pass only)."""
    if not ON_POSTGRESQL:
        pytest.skip("the PostgreSQL pass runs with TEST_DATABASE=postgresql")
    cluster = pg_cluster.Cluster(tempfile.mkdtemp(prefix="doithoai-pg-"))  # pytest's own folders are root's alone
    cluster.start()
    cluster.create("demo_template")
    database = connect(cluster.url("demo_template"))
    models.db.initialize(database)
    with database.connection_context():
        run_migrations(database)
        demo.load(password_params=FAST_HASH)
    database.close()
    cluster.snapshot = pg_cluster.Snapshot(cluster, "test", template="demo_template")
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory):
    """The migrated schema with the demo data, built once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = connect("sqlite:///%s" % path, pragmas={"foreign_keys": 1})
    models.db.initialize(database)
    with database.connection_context():
        run_migrations(database)  # outside a transaction: it turns foreign keys off while migrating
        demo.load(password_params=FAST_HASH)
    database.close()
    return path


@pytest.fixture(scope="session")
def _shared_app(tmp_path_factory):
    """One Flask app for the session (its compiled templates are reused); tests swap its database."""
    folder = tmp_path_factory.mktemp("app")
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": "sqlite:///%s" % (folder / "unused.db"),
        "PASSWORD_HASH": FAST_HASH,
        # Nothing a test does is written into the checkout (a publish a test queues builds here).
        "SITE_DIR": str(folder / "site"),
        "ATTACHMENTS_DIR": str(folder / "attachments"),
    })


@pytest.fixture
def app(_shared_app, request, tmp_path):
    """The app on a fresh copy of the demo database; config changes are undone after the test."""
    if ON_POSTGRESQL:
        snapshot = request.getfixturevalue("postgresql").snapshot
        snapshot.restore()
        url = snapshot.url
    else:
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("demo_db_file"), path)
        url = "sqlite:///%s" % path
    models.db.initialize(models.open_database(url))
    saved = dict(_shared_app.config)
    _shared_app.config["DATABASE_URL"] = url
    yield _shared_app
    _shared_app.config.clear()
    _shared_app.config.update(saved)
    if not models.db.is_closed():
        models.db.close()
    if hasattr(models.db.obj, "close_idle"):
        # Only the idle ones: closing a connection another thread is using crashes SQLite.
        models.db.obj.close_idle()
    if ON_POSTGRESQL and hasattr(models.db.obj, "close_all"):
        models.db.obj.close_all()


class StaffClient:
    """A test client that knows its CSRF token and can sign in as a demo role."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def __getattr__(self, name):
        return getattr(self.client, name)

    def refresh_token(self, url="/dang-nhap"):
        html = self.client.get(url).get_data(as_text=True)
        match = _TOKEN.search(html)
        self.token = match.group(1) or match.group(2)
        return self.token

    def login(self, username, password=PASSWORD):
        self.refresh_token()
        response = self.client.post("/dang-nhap", data={"username": username, "password": password,
                                                        "csrf_token": self.token})
        if response.status_code == 303:
            self.refresh_token("/")
        return response

    def logout(self):
        return self.client.post("/dang-xuat", data={"csrf_token": self.token})

    def post_form(self, url, data=None, htmx=False, **kwargs):
        """POST with the CSRF token; htmx=True sends it as htmx does (header) with HX-Request."""
        data = dict(data or {})
        headers = dict(kwargs.pop("headers", {}))
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": self.token})
        else:
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, headers=headers, **kwargs)

    def hx_get(self, url, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        headers["HX-Request"] = "true"
        return self.client.get(url, headers=headers, **kwargs)


@pytest.fixture
def client(app):
    return StaffClient(app.test_client())


@pytest.fixture
def login(app):
    """login("coordinator") → a StaffClient signed in with that demo account."""
    def _login(username):
        c = StaffClient(app.test_client())
        response = c.login(username)
        assert response.status_code == 303, response.get_data(as_text=True)
        return c
    return _login


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """The app's database, connected, for direct queries in a test."""
    models.db.connect(reuse_if_open=True)
    yield models.db
    if not models.db.is_closed():
        models.db.close()


def user(username):
    return models.User.get(models.User.username == username)


@contextmanager
def count_queries():
    """Count the SQL statements the app runs (wraps the bound database's execute_sql)."""
    database = models.db.obj
    original = database.execute_sql
    statements = []

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return original(sql, *args, **kwargs)

    database.execute_sql = counting
    try:
        yield statements
    finally:
        del database.execute_sql


@pytest.fixture
def empty_calendar(db):
    """An empty holiday calendar (the demo data seeds the official days), for calendar tests."""
    from services import deadlines
    models.Holiday.delete().execute()
    models.AuditLog.delete().where(models.AuditLog.object_type == "holiday").execute()
    deadlines.forget_calendar()


def raw_sql(statement, params=()):
    """A test's own SQL, written with SQLite's `?` placeholders, run on whichever database the pass uses."""
    return models.db.execute_sql(statement.replace("?", models.db.obj.param), params)
