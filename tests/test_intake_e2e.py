"""Both apps as real gunicorn servers on 127.0.0.1 (separate processes, separate databases): a citizen's request
goes in through the intake service, `flask intake-sync` brings it into the register (and survives being killed
half-way), a scheduled dialogue comes back to the lookup, and the intake database forgets the person."""
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.intake_support import CODE, EMAIL, NAME, TITLE, hidden_fields, valid_form
from tests.test_production import CONFIG, Browser, free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "e2e-token-%d" % os.getpid()
PHONE_E164 = "+84912345678"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@contextmanager
def server(tmp_path, name, app_spec, probe, **environment):
    """gunicorn -c deploy/gunicorn.conf.py serving `app_spec` on a free port; stopped with SIGTERM."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "MAIL_", "TRUSTED_PROXIES"))}
    env.update(BIND="127.0.0.1:%d" % port, ACCESS_LOG=str(tmp_path / ("%s-access.log" % name)),
               ERROR_LOG=str(tmp_path / ("%s-error.log" % name)), PYTHONDONTWRITEBYTECODE="1", **environment)
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONFIG), app_spec], cwd=str(tmp_path),
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    browser = Browser("http://127.0.0.1:%d" % port)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / ("%s-error.log" % name)).read_text()
            try:
                if browser.request(probe)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "%s did not answer" % name
            time.sleep(0.1)
        yield browser
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def submit(intake, n):
    """A citizen (own address in X-Forwarded-For is not trusted here: one limit is raised instead) sends one."""
    citizen = Browser(intake.base)
    _, _, page = citizen.request("/")
    form = dict(hidden_fields(page))
    form.update(valid_form(full_name="%s %d" % (NAME, n), phone="09123456%02d" % n if n else "0912 345 678"))
    status, headers, _ = citizen.request("/", form)
    assert status == 303, status
    _, _, receipt = citizen.request("/bien-nhan/")
    return CODE.search(receipt).group(0)


def lookup(intake, code):
    citizen = Browser(intake.base)
    token = _TOKEN.search(citizen.request("/tra-cuu/")[2]).group(1)
    return citizen.request("/tra-cuu/", {"csrf_token": token, "code": code})[2]


def sync_env(database, intake, files, token=TOKEN):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "MAIL_"))}
    env.update(DATABASE_URL="sqlite:///%s" % database, SECRET_KEY="e2e-staff", INTAKE_URL=intake.base,
               INTAKE_API_TOKEN=token, ATTACHMENTS_DIR=str(files), MAIL_SERVER="127.0.0.1", MAIL_PORT=str(free_port()),
               PYTHONDONTWRITEBYTECODE="1")
    return env


def flask_sync(env):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "intake-sync"], cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=120)


# The sync of `services.intake_sync` in a process of its own, killed (SIGKILL) right after it stored the third
# submission and before it acknowledged it: the state a power cut or an OOM kill leaves.
KILLED_SYNC = """
import os, signal, sys
from app import create_app
from models import db
from services import intake_sync
app = create_app()
seen = []
def kill_after_third(code):
    seen.append(code)
    if len(seen) == 3:
        os.kill(os.getpid(), signal.SIGKILL)
with app.app_context(), db.connection_context():
    intake_sync.run(app.config, app.instance_path, after_store=kill_after_third)
"""


def raw_bytes(path):
    """The database file and its WAL as bytes, read by another process: closing a file this process opened would
    drop the SQLite locks of the watcher connection (POSIX locks are per process), letting the WAL be removed."""
    wal = path.with_name(path.name + "-wal")
    names = [str(path)] + ([str(wal)] if wal.exists() else [])
    return subprocess.run(["cat", *names], capture_output=True, check=True).stdout


@pytest.mark.sqlite_only
def test_both_apps_end_to_end(tmp_path, demo_db_file):
    staff_db = tmp_path / "staff.db"
    shutil.copy(demo_db_file, staff_db)
    intake_db = tmp_path / "intake.db"
    files = tmp_path / "files"
    intake_env = dict(INTAKE_DATABASE_URL="sqlite:///%s" % intake_db, INTAKE_API_TOKEN=TOKEN,
                      INTAKE_SECRET_KEY="e2e-intake", INTAKE_MIN_FILL_SECONDS="0", INTAKE_SUBMIT_LIMIT="50")
    with server(tmp_path, "intake", "intake:create_intake_app()", "/", **intake_env) as intake, \
            server(tmp_path, "staff", "wsgi:app", "/dang-nhap", DATABASE_URL="sqlite:///%s" % staff_db,
                   SECRET_KEY="e2e-staff", INTAKE_URL="", ATTACHMENTS_DIR=str(files)) as staff:
        # A connection of the test's own keeps the intake's WAL file from being removed, so it can be read.
        watcher = sqlite3.connect(intake_db)
        watcher.execute("SELECT count(*) FROM submission").fetchall()
        codes = [submit(intake, n) for n in range(6)]
        assert len(set(codes)) == 6
        raw = raw_bytes(intake_db)
        assert NAME.encode() in raw  # the raw check below can see the name while it is stored

        # A wrong token is refused by the intake service, and the sync says so.
        assert Browser(intake.base).request("/api/v1/submissions", headers={
            "Authorization": "Bearer wrong"})[0] == 401
        refused = flask_sync(sync_env(staff_db, intake, files, token="wrong"))
        assert refused.returncode != 0 and "401" in refused.stderr + refused.stdout

        # A sync killed half-way (after storing the third, before acknowledging it), then run again.
        killed = subprocess.run([sys.executable, "-c", KILLED_SYNC], cwd=str(ROOT),
                                env=sync_env(staff_db, intake, files), capture_output=True, text=True, timeout=120)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        done = flask_sync(sync_env(staff_db, intake, files))
        assert done.returncode == 0, done.stderr + done.stdout
        assert "Nhận 4, vào sổ 3, xác nhận 4" in done.stdout  # the third is acknowledged, not entered again

        # Each submission is in the register exactly once.
        reader = sqlite3.connect("file:%s?mode=ro" % staff_db, uri=True)
        stored = [code for (code,) in reader.execute(
            "SELECT tracking_code FROM opinion WHERE tracking_code IN (%s)" % ",".join("?" * len(codes)), codes)]
        reader.close()
        assert sorted(stored) == sorted(codes)
        assert Browser(intake.base).request("/api/v1/submissions", headers={
            "Authorization": "Bearer " + TOKEN})[2].count('"code"') == 0

        # The coordinator finds it by its code and schedules the dialogue on the staff server.
        coordinator = Browser(staff.base)
        assert coordinator.log_in("coordinator")[0] == 303
        page = coordinator.request("/tiep-nhan-truc-tuyen/?q=" + codes[0].replace("-", "+"))[2]
        opinion_id = re.search(r'/y-kien/(\d+)"', page).group(1)
        triage = coordinator.request("/tiep-nhan-truc-tuyen/%s/xu-ly" % opinion_id)[2]
        token = _TOKEN.search(triage).group(1)
        version = re.search(r'name="version" value="(\d+)"', triage).group(1)
        status, _, _ = coordinator.request("/tiep-nhan-truc-tuyen/%s/lich" % opinion_id, {
            "csrf_token": token, "version": version, "day": "2031-05-12", "time": "14:30",
            "place": "Phòng tiếp công dân, Văn phòng UBND tỉnh"})
        assert status == 303

        pushed = flask_sync(sync_env(staff_db, intake, files))
        assert pushed.returncode == 0, pushed.stderr
        answer = lookup(intake, codes[0].lower())
        assert "Đã lên lịch đối thoại" in answer and "14:30 ngày 12/05/2031" in answer
        assert "Phòng tiếp công dân" in answer and NAME not in answer
        other = lookup(intake, codes[1])
        assert "Đã tiếp nhận" in other

        # While the service runs: the intake database file and its WAL hold no name, phone or e-mail.
        assert intake_db.with_name("intake.db-wal").exists()
        assert_forgotten(raw_bytes(intake_db), codes)
        watcher.close()
    assert_forgotten(raw_bytes(intake_db), codes)  # and once stopped


def assert_forgotten(raw, codes):
    for n, code in enumerate(codes):
        assert ("%s %d" % (NAME, n)).encode() not in raw
        assert code.encode() in raw
    for secret in (NAME, PHONE_E164, "+849123456", EMAIL, TITLE):
        assert secret.encode() not in raw, secret
