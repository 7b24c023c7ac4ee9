"""The background build-and-publish job (PublishRun): one run at a time, `build.py --json` in a child process.

A thread of the web process supervises a child process (`python build.py --json`) that builds the
site and publishes it, and reports progress lines. The child process is needed: a build rebinds
the global database (`models.db.initialize`) and closes every connection of its pool at the end,
and the gate's build cache is process-wide; inside the web process either would break the requests
running beside it. The thread keeps the latest progress line, the summary and the error in the
PublishRun row. One run at a time: the check and the insert share one write-locked transaction;
a run asked for while one is going may queue behind it, and the thread finishing takes it up.
"""
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

import peewee as pw

import models
from models import PublishRun, audit, now

BASE_DIR = Path(__file__).resolve().parent.parent
ACTIVE = ("queued", "running")
STALE_AFTER = dt.timedelta(minutes=30)  # a run still "running" after this, and not ours, died with its process
PROGRESS_EVERY = 0.5  # seconds between two progress lines stored

_threads = {}  # run id -> the thread of this process that runs it
_threads_lock = threading.Lock()


@contextlib.contextmanager
def exclusive():
    """A transaction that holds the write lock from its start: check-then-insert cannot interleave."""
    database = models.db.obj
    if isinstance(database, pw.SqliteDatabase):
        with models.db.atomic("IMMEDIATE"):
            yield
    else:
        with models.db.atomic():
            if isinstance(database, pw.PostgresqlDatabase):
                models.db.execute_sql("LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE" % PublishRun._meta.table_name)
            yield


def _alive_ids():
    with _threads_lock:
        return [run_id for run_id, thread in _threads.items() if thread.is_alive()]


def expire_stale_runs():
    """Runs left queued or running by a process that died: failed, once STALE_AFTER has passed."""
    limit = now() - STALE_AFTER
    query = PublishRun.update(status="failed", finished_at=now(),
                              error="Lần xuất bản bị gián đoạn: quá %d phút không hoàn tất (tiến trình đã dừng)."
                              % (STALE_AFTER.total_seconds() // 60)).where(
        PublishRun.status.in_(ACTIVE), PublishRun.started_at < limit, PublishRun.id.not_in(_alive_ids() or [0]))
    return query.execute()


def start_run(app, user, wants_publish, why, queue_behind=False):
    """A new run of `app` (its config says where), started in the background: (run, None); or
    (None, the active run) when one is going.

    With `queue_behind` (a take-down, which must reach the site), a run that is going does not
    refuse: one more run is queued after it (or the one already queued is reused), and the
    thread finishing the current run takes it up. Returns (run, active) then, run may be queued.
    """
    publish = bool(wants_publish and app.config.get("PUBLISH_TARGET"))
    with exclusive():
        expire_stale_runs()
        active = PublishRun.select().where(PublishRun.status.in_(ACTIVE)).order_by(PublishRun.id).first()
        queued = (PublishRun.select().where(PublishRun.status == "queued").order_by(PublishRun.id).first()
                  if active else None)
        if active is not None and not queue_behind:
            return None, active
        if queued is not None:  # a run still to start will read the data as it is now
            if publish and not queued.publish:
                PublishRun.update(publish=True).where(PublishRun.id == queued.id).execute()
                queued.publish = True
            audit(user, "publish_queue", queued, summary="%s: gộp vào lần xuất bản #%d đang chờ" % (why, queued.id))
            return queued, active
        run = PublishRun.create(started_by=user.id if user else None, publish=publish, status="queued",
                                progress="Đang chờ bắt đầu…")
        audit(user, "publish_start", run, {"publish": (None, publish)},
              summary="%s: lần xuất bản #%d%s" % (why, run.id, " và đăng lên máy chủ" if publish else ""))
    if active is None:
        launch(app, run.id)
    return run, active


def republish(app, user, why):
    """After a take-down or a republish: a run now, or queued after the one going. (run, note)."""
    run, active = start_run(app, user, True, why, queue_behind=True)
    if active is not None and active.id != run.id:
        return run, "Lần xuất bản #%d sẽ chạy ngay sau lần #%d đang chạy." % (run.id, active.id)
    return run, "Đang xuất bản lại (lần #%d)." % run.id


def launch(app, run_id):
    """Run `run_id` (then the runs queued behind it) on a thread of this process."""
    thread = threading.Thread(target=_work, args=(app, run_id), name="publish-run-%d" % run_id, daemon=True)
    with _threads_lock:
        _threads[run_id] = thread
    thread.start()


def running_threads():
    """The threads of this process running builds (tests wait for them)."""
    with _threads_lock:
        return [thread for thread in _threads.values() if thread.is_alive()]


# ---------------------------------------------------------------- the background thread


def _work(app, run_id):
    """Run `run_id`, then every run queued behind it; on this thread's own database connection."""
    with app.app_context():
        models.db.connect(reuse_if_open=True)
        try:
            claimed = PublishRun.update(status="running", started_at=now(), progress="Đang bắt đầu…").where(
                PublishRun.id == run_id, PublishRun.status == "queued").execute()
            current = run_id if claimed else None
            while current is not None:
                run = PublishRun.get_by_id(current)
                try:
                    status, summary, error = _execute(app.config, run)
                except Exception as exc:  # the supervisor itself failed: keep why
                    status, summary, error = "failed", "", _last_line(exc)
                current = _finish(run, status, summary, error)
        finally:
            with _threads_lock:
                for key in [k for k, thread in _threads.items() if thread is threading.current_thread()]:
                    del _threads[key]
            if not models.db.is_closed():
                models.db.close()


def _finish(run, status, summary, error):
    """Store the result; claim the next queued run in the same transaction and return its id."""
    with exclusive():
        PublishRun.update(status=status, finished_at=now(), summary=summary, error=error).where(
            PublishRun.id == run.id).execute()
        audit(run.started_by, "publish_" + status, run,
              summary="Lần xuất bản #%d: %s" % (run.id, "hoàn tất" if status == "succeeded" else "lỗi: " + error))
        following = (PublishRun.select().where(PublishRun.status == "queued").order_by(PublishRun.id).first())
        if following is None:
            return None
        PublishRun.update(status="running", started_at=now(), progress="Đang bắt đầu…").where(
            PublishRun.id == following.id).execute()
        with _threads_lock:
            _threads[following.id] = threading.current_thread()
        return following.id


def _last_line(exc):
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def command(config, publish):
    """The child's command line and environment: `build.py --json` for the app's SITE_DIR and PUBLIC_BASE_URL,
    with `--publish PUBLISH_TARGET` when `publish` and a target is set.

    The database URL goes through the environment (DATABASE_URL, which build.py reads), not the
    command line: a PostgreSQL URL may hold a password, and any local user may read a command line.
    """
    args = [sys.executable, str(BASE_DIR / "build.py"), "--json", "--destination", str(config["SITE_DIR"]),
            "--base-url", config["PUBLIC_BASE_URL"]]
    target = (config.get("PUBLISH_TARGET") or "") if publish else ""
    if target:
        args += ["--publish", target]
    return args, dict(os.environ, DATABASE_URL=config["DATABASE_URL"])


def _execute(config, run):
    """Build (and publish) in a child process; store its progress lines; (status, summary, error)."""
    args, environment = command(config, run.publish)
    child = subprocess.Popen(args, cwd=str(BASE_DIR), env=environment, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
                             errors="replace")
    stderr_lines = []
    reader = threading.Thread(target=lambda: stderr_lines.extend(child.stderr), daemon=True)
    reader.start()
    summary, error, last_stored, pending = "", "", 0.0, None
    for line in child.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            continue  # not ours (a library printing)
        if not isinstance(message, dict):
            continue
        summary = message.get("summary", summary)
        error = message.get("error", error)
        if message.get("progress"):
            pending = message["progress"][:300]
            if time.monotonic() - last_stored >= PROGRESS_EVERY:
                PublishRun.update(progress=pending).where(PublishRun.id == run.id).execute()
                last_stored, pending = time.monotonic(), None
    code = child.wait()
    reader.join(timeout=5)
    if pending:
        PublishRun.update(progress=pending).where(PublishRun.id == run.id).execute()
    if code == 0 and not error:
        return "succeeded", summary, ""
    if not error:
        tail = [line.strip() for line in stderr_lines if line.strip()]
        error = tail[-1] if tail else "Tiến trình xuất bản dừng bất thường (mã %d)." % code
    return "failed", summary, error
