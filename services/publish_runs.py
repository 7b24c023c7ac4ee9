"""The background build-and-publish job (PublishRun): one run at a time, in a process of its own with a heartbeat.

The web process only writes rows: a run is started by marking it "running" and launching the job,
`python -m services.publish_runs --run ID …`, a process of its own session (it outlives a web
worker that dies or restarts). The job records its pid and host on the row, beats a heartbeat
there every HEARTBEAT_EVERY seconds with the latest progress line, runs `build.py --json` (a child
that dies with it) for the build and the publish, stores the summary or the error, and takes up
the run queued behind. The child process is needed: a build rebinds the global database
(`models.db.initialize`) and closes every connection of its pool at the end.

Nothing is kept in a web process's memory, so any of several workers may look after the runs
(`check`, at each look at the runs' screen, and `start_run`): a run whose job's pid is gone (on
this host) or whose heartbeat is older than STALE_AFTER is failed with the reason, and the oldest
queued run starts. One run at a time: every such change is made in one write-locked transaction.
"""
import argparse
import contextlib
import ctypes
import datetime as dt
import functools
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections import deque
from pathlib import Path

import peewee as pw

import models
from models import PublishRun, audit, now

BASE_DIR = Path(__file__).resolve().parent.parent
ACTIVE = ("queued", "running")
HEARTBEAT_EVERY = 5  # seconds between two heartbeats of a job
STALE_AFTER = dt.timedelta(seconds=60)  # a running run without a heartbeat for this long has died
PROGRESS_EVERY = 0.5  # seconds between two progress lines stored
HOST = socket.gethostname()
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies (Linux)
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

_spawned = []  # the job processes this process started: only to reap them (and for tests to wait)


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


# ---------------------------------------------------------------- the runs' bookkeeping (any process)


def pid_alive(pid):
    """Whether a process `pid` runs on this host (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OverflowError, ValueError):
        return False
    try:
        state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def death_of(run, limit):
    """Why a running run has died (its job's pid is gone, its heartbeat older than `limit`), or None."""
    if run.pid and run.host == HOST and not pid_alive(run.pid):
        return "Lần xuất bản bị gián đoạn: tiến trình xuất bản (pid %d) đã dừng trước khi hoàn tất." % run.pid
    if (run.heartbeat_at or run.started_at) < limit:
        return ("Lần xuất bản bị gián đoạn: quá %d giây không có tín hiệu hoạt động của tiến trình xuất bản "
                "(tiến trình đã dừng hoặc bị treo)." % STALE_AFTER.total_seconds())
    return None


def expire_stale_runs():
    """Inside exclusive(): the running runs whose job died are failed, with the reason; how many."""
    limit, failed = now() - STALE_AFTER, 0
    for run in PublishRun.select().where(PublishRun.status == "running"):
        reason = death_of(run, limit)
        if reason is None:
            continue
        failed += PublishRun.update(status="failed", finished_at=now(), error=reason).where(
            PublishRun.id == run.id, PublishRun.status == "running").execute()
        audit(run.started_by, "publish_failed", run, summary="Lần xuất bản #%d: lỗi: %s" % (run.id, reason))
        if run.pid and run.host == HOST and not pid_alive(run.pid):
            _kill_leftovers(run.pid)
    return failed


def _kill_leftovers(pid):
    """What a dead job left running (its build, in the group the job led): killed, so it cannot swap late.

    The job leads a process group of its own (start_new_session); Linux does not give a new
    process the number of a group still in use, so the group `pid` is that job's, or none.
    """
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)


def start_next(pid=None):
    """Inside exclusive(): when no run is running, the oldest queued one becomes running; its id, else None.

    `pid`: the job that takes it up (None: the job about to be launched records its own).
    """
    if PublishRun.select().where(PublishRun.status == "running").exists():
        return None
    following = PublishRun.select().where(PublishRun.status == "queued").order_by(PublishRun.id).first()
    if following is None:
        return None
    PublishRun.update(status="running", started_at=now(), heartbeat_at=now(), pid=pid, host=HOST,
                      progress="Đang bắt đầu…").where(PublishRun.id == following.id,
                                                      PublishRun.status == "queued").execute()
    return following.id


def _needs_care():
    """Whether a running run has died or a queued one waits with none running (a read, no lock)."""
    active = list(PublishRun.select().where(PublishRun.status.in_(ACTIVE)))
    running = [run for run in active if run.status == "running"]
    limit = now() - STALE_AFTER
    return any(death_of(run, limit) for run in running) or (bool(active) and not running)


def check(app):
    """At each look at the runs: a run whose job died is failed, and the oldest queued run starts."""
    reap()
    if not _needs_care():
        return
    with exclusive():
        expire_stale_runs()
        started = start_next()
    if started is not None:
        launch(app, started)


def start_run(app, user, wants_publish, why, queue_behind=False):
    """A new run of `app` (its config says where), started in the background: (run, None); or
    (None, the active run) when one is going.

    With `queue_behind` (a take-down, which must reach the site), a run that is going does not
    refuse: one more run is queued after it (or the one already queued is reused), and the
    job finishing the current run takes it up. Returns (run, active) then, run may be queued.
    """
    publish = bool(wants_publish and app.config.get("PUBLISH_TARGET"))
    reap()
    with exclusive():
        expire_stale_runs()
        started = start_next()  # the run queued behind one that died goes first
        active = PublishRun.select().where(PublishRun.status.in_(ACTIVE)).order_by(PublishRun.id).first()
        queued = (PublishRun.select().where(PublishRun.status == "queued").order_by(PublishRun.id).first()
                  if active else None)
        if active is not None and not queue_behind:
            run = None
        elif queued is not None:  # a run still to start will read the data as it is now
            if publish and not queued.publish:
                PublishRun.update(publish=True).where(PublishRun.id == queued.id).execute()
                queued.publish = True
            audit(user, "publish_queue", queued, summary="%s: gộp vào lần xuất bản #%d đang chờ" % (why, queued.id))
            run = queued
        else:
            values = ({"status": "queued", "progress": "Đang chờ bắt đầu…"} if active is not None else
                      {"status": "running", "progress": "Đang bắt đầu…", "heartbeat_at": now(), "host": HOST})
            run = PublishRun.create(started_by=user.id if user else None, publish=publish, started_at=now(),
                                    **values)
            audit(user, "publish_start", run, {"publish": (None, publish)},
                  summary="%s: lần xuất bản #%d%s" % (why, run.id, " và đăng lên máy chủ" if publish else ""))
    if started is not None:
        launch(app, started)
    if run is not None and active is None:
        launch(app, run.id)
    return run, active


def republish(app, user, why):
    """After a take-down or a republish: a run now, or queued after the one going. (run, note)."""
    run, active = start_run(app, user, True, why, queue_behind=True)
    if active is not None and active.id != run.id:
        return run, "Lần xuất bản #%d sẽ chạy ngay sau lần #%d đang chạy." % (run.id, active.id)
    return run, "Đang xuất bản lại (lần #%d)." % run.id


def job_command(config, run_id):
    """The job's command line and environment for the run `run_id` of an app's `config`.

    The database URL goes through the environment (DATABASE_URL, which build.py reads too), not
    the command line: a PostgreSQL URL may hold a password, and any local user may read a command line.
    """
    args = [sys.executable, "-m", "services.publish_runs", "--run", str(run_id),
            "--destination", str(config["SITE_DIR"]), "--base-url", config["PUBLIC_BASE_URL"],
            "--publish-target", config.get("PUBLISH_TARGET") or ""]
    return args, dict(os.environ, DATABASE_URL=config["DATABASE_URL"])


def launch(app, run_id):
    """Start the job of the running run `run_id` (then of the runs queued behind it) in a process of its own."""
    args, environment = job_command(app.config, run_id)
    try:  # B603: this module under sys.executable, no shell; the arguments are the app's config and a run id
        child = subprocess.Popen(args, cwd=str(BASE_DIR), env=environment, stdin=subprocess.DEVNULL,  # nosec B603
                                 stdout=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        with exclusive():
            PublishRun.update(status="failed", finished_at=now(),
                              error="Không khởi động được tiến trình xuất bản: %s" % exc).where(
                PublishRun.id == run_id, PublishRun.status == "running").execute()
        return None
    _spawned.append(child)
    return child


def reap():
    """Forget (and reap) the job processes of this process that ended."""
    _spawned[:] = [child for child in _spawned if child.poll() is None]


def running_jobs():
    """The job processes this process started that still run (tests wait for them)."""
    reap()
    return list(_spawned)


# ---------------------------------------------------------------- the job process


def _die_with_parent(parent):
    """In the build process, before it starts: killed when the job dies (Linux), so no build outlives its run."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the job died before the line above
        os._exit(1)


def build_command(config, publish):
    """The build's command line: `build.py --json` for the job's destination and base URL,
    with `--publish TARGET` when `publish` and a target is set."""
    args = [sys.executable, str(BASE_DIR / "build.py"), "--json", "--destination", str(config["SITE_DIR"]),
            "--base-url", config["PUBLIC_BASE_URL"]]
    target = (config.get("PUBLISH_TARGET") or "") if publish else ""
    if target:
        args += ["--publish", target]
    return args


def _lines(child, every):
    """(stream, line) of the child's stdout ("out") and stderr ("err") as they come, and (None, None)
    at least every `every` seconds; until both are closed."""
    selector = selectors.DefaultSelector()
    for name, stream in (("out", child.stdout), ("err", child.stderr)):
        selector.register(stream, selectors.EVENT_READ, name)
    buffers = {"out": b"", "err": b""}
    while selector.get_map():
        for key, _ in selector.select(timeout=every):
            chunk = os.read(key.fileobj.fileno(), 65536)
            if not chunk:
                selector.unregister(key.fileobj)
                chunk = b"\n"  # what is left in the buffer is a last line
            *complete, buffers[key.data] = (buffers[key.data] + chunk).split(b"\n")
            for line in complete:
                yield key.data, line.decode("utf-8", "replace")
        yield None, None
    selector.close()


def _beat(run, progress=None):
    """A heartbeat of this job on its run (with the latest progress line); False when the run is no longer ours."""
    values = {"heartbeat_at": now()}
    if progress:
        values["progress"] = progress
    return PublishRun.update(values).where(PublishRun.id == run.id, PublishRun.status == "running",
                                           PublishRun.pid == os.getpid()).execute() == 1


def _execute(config, run):
    """Build (and publish) in a child process, beating the heartbeat; (status, summary, error),
    or None when the run was declared dead meanwhile (the child is then killed)."""
    # B603: build.py under sys.executable, no shell; the arguments come from the app's config, not from a request.
    child = subprocess.Popen(build_command(config, run.publish), cwd=str(BASE_DIR), stdin=subprocess.DEVNULL,  # nosec B603
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             preexec_fn=functools.partial(_die_with_parent, os.getpid()))
    summary, error, pending, stderr_tail = "", "", None, deque(maxlen=20)
    last_stored = last_beat = time.monotonic()
    for stream, line in _lines(child, HEARTBEAT_EVERY):
        if stream == "err":
            stderr_tail.append(line)
        elif stream == "out":
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
        moment = time.monotonic()
        if moment - last_beat >= HEARTBEAT_EVERY or (pending and moment - last_stored >= PROGRESS_EVERY):
            if not _beat(run, pending):
                child.kill()
                child.wait()
                return None
            last_beat = moment
            if pending:
                last_stored, pending = moment, None
    code = child.wait()
    if pending:
        _beat(run, pending)
    if code == 0 and not error:
        return "succeeded", summary, ""
    if not error:
        tail = [line.strip() for line in stderr_tail if line.strip()]
        error = tail[-1] if tail else "Tiến trình xuất bản dừng bất thường (mã %d)." % code
    return "failed", summary, error


def _finish(run, status, summary, error):
    """Store the result; take up the next queued run in the same transaction and return its id."""
    with exclusive():
        stored = PublishRun.update(status=status, finished_at=now(), summary=summary, error=error).where(
            PublishRun.id == run.id, PublishRun.status == "running", PublishRun.pid == os.getpid()).execute()
        if not stored:  # declared dead meanwhile: another job may be going
            return None
        audit(run.started_by, "publish_" + status, run,
              summary="Lần xuất bản #%d: %s" % (run.id, "hoàn tất" if status == "succeeded" else "lỗi: " + error))
        return start_next(pid=os.getpid())


def _last_line(exc):
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def run_job(run_id, config):
    """The job: run `run_id` (launched as running, not yet taken by a job), then every run queued behind it."""
    models.db.connect(reuse_if_open=True)
    try:
        taken = PublishRun.update(pid=os.getpid(), host=HOST, heartbeat_at=now()).where(
            PublishRun.id == run_id, PublishRun.status == "running", PublishRun.pid.is_null()).execute()
        current = run_id if taken else None
        while current is not None:
            run = PublishRun.get_by_id(current)
            try:
                outcome = _execute(config, run)
            except Exception as exc:  # the job itself failed: keep why
                outcome = "failed", "", _last_line(exc)
            current = _finish(run, *outcome) if outcome is not None else None
    finally:
        models.db.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=int, required=True)
    parser.add_argument("--destination", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--publish-target", default="")
    args = parser.parse_args(argv)
    models.db.initialize(models.open_database(os.environ["DATABASE_URL"]))
    run_job(args.run, {"SITE_DIR": args.destination, "PUBLIC_BASE_URL": args.base_url,
                       "PUBLISH_TARGET": args.publish_target})
    return 0


if __name__ == "__main__":
    sys.exit(main())
