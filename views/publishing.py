"""Công khai: the coordinator reviews what goes public and builds and publishes the site "Dân biết".

- The review screen lists the conclusions of signed notices in force with their public summary,
  their publish flags and, beside each, the personal-data problems of `publication.py`'s check.
  A summary with personal data can be saved as a draft but never made public.
- "Gỡ xuống" takes an item off the site (reason required) and starts a build and publish at
  once; "Đăng lại" puts it back (re-checked) the same way.
- A build and publish (PublishRun) runs in the background: a thread of this process supervises
  a child process (`python -m views.publishing`) that calls build.build() and publish.publish()
  and reports progress lines. The child process is needed: build.build() rebinds the global
  database (`models.db.initialize`) and closes every connection of its pool at the end, and the
  gate's build cache is process-wide; inside the web process either would break the requests
  running beside it. The thread keeps the latest progress line, the summary and the error in the
  PublishRun row. One run at a time: the check and the insert share one write-locked transaction.
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
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

import models
import publication
from forms import BaseForm, strip, valid_version
from models import (
    CONCLUSION_STATUSES,
    AuditLog,
    Conclusion,
    ConclusionNotice,
    ConflictError,
    Dialogue,
    PublishRun,
    Unit,
    audit,
    now,
    save_versioned,
)
from views.auth import roles_required
from views.common import Page, page_arg, wants_fragment

bp = Blueprint("publishing", __name__, url_prefix="/cong-khai")

BASE_DIR = Path(__file__).resolve().parent.parent
READERS = ("coordinator", "leader", "chief")
ACTORS = ("coordinator",)
ACTIVE = ("queued", "running")
STALE_AFTER = dt.timedelta(minutes=30)  # a run still "running" after this, and not ours, died with its process
PROGRESS_EVERY = 0.5  # seconds between two progress lines stored
RUNS_PER_PAGE = 20
STATES = {
    "published": "Đang công khai",
    "ready": "Sẵn sàng công khai",
    "blocked": "Có dữ liệu cá nhân",
    "not_public": "Không công khai",
}
STATE_BADGES = {"published": "closed", "ready": "", "blocked": "overdue", "waiting": "due-soon", "not_public": ""}
RUN_BADGES = {"queued": "due-soon", "running": "due-soon", "succeeded": "closed", "failed": "overdue"}
STATE_LABELS = dict(STATES, waiting="Chờ kết thúc để công khai", empty="Chưa có tóm tắt")

_threads = {}  # run id -> the thread of this process that runs it
_threads_lock = threading.Lock()


# ---------------------------------------------------------------- forms



class SummaryForm(BaseForm):
    """A conclusion's public summary and its publish flags."""

    public_summary = TextAreaField("Tóm tắt công khai", filters=[strip], validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    is_public = BooleanField("Công khai trên trang Dân biết")
    publish_in_progress = BooleanField("Công khai cả khi đang thực hiện")
    version = HiddenField(validators=[valid_version])

    def validate_is_public(self, field):
        if field.data:
            refusal = publish_refusal(self.public_summary.data)
            if refusal:
                raise ValidationError(refusal)


class TakeDownForm(BaseForm):
    reason = TextAreaField("Lý do gỡ xuống", filters=[strip], validators=[
        DataRequired("Vui lòng ghi lý do gỡ xuống."), Length(max=250, message="Tối đa 250 ký tự.")])
    version = HiddenField(validators=[valid_version])


class RepublishForm(BaseForm):
    version = HiddenField(validators=[valid_version])


class StartForm(BaseForm):
    publish = BooleanField("Đăng lên máy chủ web sau khi xuất", default=True)


def publish_refusal(summary):
    """Why a summary may not go public (Vietnamese), or None."""
    if not (summary or "").strip():
        return "Cần nhập tóm tắt công khai trước khi công khai."
    if publication.personal_data_problems(summary):
        return "Không thể công khai: tóm tắt công khai có dữ liệu cá nhân (xem bên dưới)."
    return None


def problems_of(text):
    """The personal-data problems of a text; a text without digits or "@" has none (no check run)."""
    text = text or ""
    if "@" not in text and not any(ch.isdigit() for ch in text):
        return []
    return publication.personal_data_problems(text)


# ---------------------------------------------------------------- the review list


def state_of(summary, is_public, passes_gate):
    problems = problems_of(summary)
    if problems:
        return "blocked"
    if not is_public:
        return "not_public" if (summary or "").strip() == "" else "ready"
    if not (summary or "").strip():
        return "empty"
    return "published" if passes_gate else "waiting"


def _matches(state, wanted, is_public):
    if wanted == "published":
        return state == "published"
    if wanted == "ready":
        return state in ("ready", "waiting")
    if wanted == "blocked":
        return state == "blocked"
    if wanted == "not_public":
        return not is_public
    return True


def _review_rows(wanted):
    """Ids (newest notice first) matching the filter, and the count of each filter."""
    scan = (Conclusion.select(Conclusion.id, Conclusion.public_summary, Conclusion.is_public)
            .join(ConclusionNotice).where(ConclusionNotice.is_in_force())
            .order_by(ConclusionNotice.signed_at.desc(nulls="LAST"), Conclusion.id).tuples())
    gate = {row[0] for row in Conclusion.publishable().select(Conclusion.id).tuples()}
    counts = dict.fromkeys(STATES, 0)
    ids = []
    total = 0
    for conclusion_id, summary, is_public in scan:
        state = state_of(summary, is_public, conclusion_id in gate)
        total += 1
        for name in STATES:
            if _matches(state, name, is_public):
                counts[name] += 1
        if _matches(state, wanted, is_public):
            ids.append(conclusion_id)
    counts[""] = total
    return ids, counts


class Rows(list):
    """Ids already filtered in Python, paginated by views.common.Page."""

    def count(self):
        return len(self)

    def paginate(self, page, per_page):
        start = (page - 1) * per_page
        return self[start:start + per_page]


def load_items(ids):
    """Conclusions with their notice, dialogue and unit (one query), decorated for the templates."""
    if not ids:
        return []
    query = (Conclusion.select(Conclusion, ConclusionNotice, Dialogue, Unit)
             .join(ConclusionNotice).join(Dialogue)
             .join_from(Conclusion, Unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == Unit.id))
             .where(Conclusion.id.in_(ids)))
    gate = {row[0] for row in Conclusion.publishable()
            .where(Conclusion.id.in_(ids)).select(Conclusion.id).tuples()}
    found = {c.id: c for c in query}
    items = []
    for conclusion_id in ids:
        c = found.get(conclusion_id)
        if c is None:
            continue
        decorate(c, conclusion_id in gate)
        items.append(c)
    return items


def decorate(conclusion, passes_gate=None):
    if passes_gate is None:
        passes_gate = Conclusion.publishable().where(Conclusion.id == conclusion.id).exists()
    conclusion.problems = problems_of(conclusion.public_summary)
    conclusion.state = state_of(conclusion.public_summary, conclusion.is_public, passes_gate)
    return conclusion


def get_conclusion(conclusion_id):
    """A conclusion of a signed notice in force (what this screen handles), else 404."""
    found = (Conclusion.select(Conclusion, ConclusionNotice, Dialogue, Unit)
             .join(ConclusionNotice).join(Dialogue)
             .join_from(Conclusion, Unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == Unit.id))
             .where(Conclusion.id == conclusion_id, ConclusionNotice.is_in_force()).first())
    if found is None:
        abort(404)
    return decorate(found)


@bp.context_processor
def _globals():
    return {"STATE_LABELS": STATE_LABELS, "STATE_BADGES": STATE_BADGES, "STATES": STATES, "RUN_BADGES": RUN_BADGES,
            "problems_of": problems_of,
            "CONCLUSION_STATUSES": CONCLUSION_STATUSES, "may_act": g.get("user") is not None
            and g.user.role in ACTORS, "publish_target": current_app.config.get("PUBLISH_TARGET") or ""}


@bp.get("/")
@roles_required(*READERS)
def index():
    """The review screen: conclusions of signed notices, their summary, flags and problems."""
    wanted = request.args.get("state", "")
    if wanted not in STATES:
        wanted = ""
    ids, counts = _review_rows(wanted)
    page = Page(Rows(ids), page_arg(), current_app.config["PER_PAGE"])
    page.items = load_items(page.items)
    latest = PublishRun.select().order_by(PublishRun.id.desc()).first()
    template = "staff/publishing/_results.html" if wants_fragment() else "staff/publishing/index.html"
    return render_template(template, page=page, state=wanted, counts=counts, latest=latest,
                           start_form=StartForm(formdata=None))


# ---------------------------------------------------------------- editing a summary


def _item_response(conclusion, code=200, form=None, takedown_form=None, errors=None, message=None,
                   current=None, run=None):
    """The item for htmx (200, so it is swapped in), else the review page around it with `code`."""
    context = {"c": conclusion, "form": form, "takedown_form": takedown_form, "errors": errors or {},
               "message": message, "current": current, "run": run}
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
        context["current_fields"] = [("Tóm tắt công khai", current.public_summary),
                                     ("Công khai", "Có" if current.is_public else "Không"),
                                     ("Công khai cả khi đang thực hiện",
                                      "Có" if current.publish_in_progress else "Không")]
    if wants_fragment():
        return render_template("staff/publishing/_item.html", **context)
    return render_template("staff/publishing/edit.html", **context), code


@bp.get("/ket-luan/<int:conclusion_id>")
@roles_required(*READERS)
def item_get(conclusion_id):
    """One conclusion's review (the page a browser without JavaScript edits on)."""
    return _item_response(get_conclusion(conclusion_id))


@bp.post("/ket-luan/<int:conclusion_id>")
@roles_required(*ACTORS)
def item_post(conclusion_id):
    """Save the summary and flags; making it public is refused while the summary holds personal data."""
    conclusion = get_conclusion(conclusion_id)
    form = SummaryForm()
    if not form.validate():
        errors = form.first_errors()
        if "version" in errors:
            abort(400)
        return _item_response(conclusion, 422 if not wants_fragment() else 200, form=form, errors=errors)
    changes = {"public_summary": form.public_summary.data or "", "is_public": bool(form.is_public.data),
               "publish_in_progress": bool(form.publish_in_progress.data)}
    try:
        saved = save_versioned(conclusion, form.version.data, g.user, changes, action="publication",
                               summary="Duyệt công khai kết luận #%d" % conclusion.id)
    except ConflictError as error:
        form.version.data = error.current.version  # saving again now overwrites knowingly
        return _item_response(conclusion, 409 if not wants_fragment() else 200, form=form, current=error.current)
    message = "Đã lưu kết luận #%d." % conclusion.id
    if not wants_fragment():
        flash(message, "success")
        return redirect(_back(conclusion.id), code=303)
    return _item_response(get_conclusion(saved.id), message=message)


def _back(conclusion_id):
    """The review list (with its filters when the form came from it), at the item."""
    target = request.form.get("next", "")
    base = url_for("publishing.index")
    if not (target.startswith(base) and "//" not in target and "\\" not in target):
        target = base
    return target.split("#")[0] + "#ket-luan-%d" % conclusion_id


@bp.post("/ket-luan/<int:conclusion_id>/go-xuong")
@roles_required(*ACTORS)
def takedown_post(conclusion_id):
    """Take a conclusion off the public site (reason required) and rebuild and publish at once."""
    conclusion = get_conclusion(conclusion_id)
    form = TakeDownForm()
    if not form.validate():
        errors = form.first_errors()
        if "version" in errors:
            abort(400)
        return _item_response(conclusion, 422 if not wants_fragment() else 200, takedown_form=form,
                              errors={"reason": errors.get("reason")})
    if not conclusion.is_public:
        return _item_response(conclusion, 422 if not wants_fragment() else 200, takedown_form=form,
                              errors={"reason": "Kết luận này không được đánh dấu công khai."})
    reason = form.reason.data
    try:
        save_versioned(conclusion, form.version.data, g.user, {"is_public": False}, action="take_down",
                       summary="Gỡ kết luận #%d khỏi trang công khai. Lý do: %s" % (conclusion.id, reason))
    except ConflictError as error:
        return _item_response(conclusion, 409 if not wants_fragment() else 200, takedown_form=form,
                              current=error.current)
    run, note = republish(g.user, "Gỡ xuống kết luận #%d" % conclusion.id)
    message = "Đã gỡ kết luận #%d khỏi trang công khai. %s" % (conclusion.id, note)
    return _after_change(conclusion.id, run, message)


@bp.post("/ket-luan/<int:conclusion_id>/dang-lai")
@roles_required(*ACTORS)
def republish_post(conclusion_id):
    """Put a conclusion back on the public site (its summary checked again) and publish at once."""
    conclusion = get_conclusion(conclusion_id)
    form = RepublishForm()
    if not form.validate():
        abort(400)
    refusal = publish_refusal(conclusion.public_summary)
    if refusal:
        return _item_response(conclusion, 422 if not wants_fragment() else 200, errors={"is_public": refusal})
    if conclusion.is_public:
        return _item_response(conclusion, 422 if not wants_fragment() else 200,
                              errors={"is_public": "Kết luận này đã được đánh dấu công khai."})
    try:
        save_versioned(conclusion, form.version.data, g.user, {"is_public": True}, action="republish",
                       summary="Đăng lại kết luận #%d lên trang công khai" % conclusion.id)
    except ConflictError as error:
        return _item_response(conclusion, 409 if not wants_fragment() else 200, current=error.current)
    run, note = republish(g.user, "Đăng lại kết luận #%d" % conclusion.id)
    return _after_change(conclusion.id, run, "Đã đăng lại kết luận #%d. %s" % (conclusion.id, note))


def _after_change(conclusion_id, run, message):
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for("publishing.run_get", run_id=run.id), code=303)
    return _item_response(get_conclusion(conclusion_id), message=message, run=run)


# ---------------------------------------------------------------- public dialogues


@bp.get("/doi-thoai")
@roles_required(*READERS)
def dialogues_get():
    """Dialogues marked public: those whose title, place or chair hold personal data stay off the site."""
    query = (Dialogue.select().where(Dialogue.is_public == True)  # noqa: E712 (SQL)
             .order_by(Dialogue.starts_at.desc(), Dialogue.id.desc()))
    page = Page(query, page_arg(), current_app.config["PER_PAGE"])
    shown = set(publication.PUBLIC_DIALOGUE_STATUSES)
    for d in page.items:
        d.problems = [(label, p) for name, label in (("title", "Tên"), ("place", "Địa điểm"), ("chair", "Chủ trì"))
                      for p in problems_of(getattr(d, name))]
        d.on_site = d.status in shown and publication.dialogue_texts_are_publishable(d.__data__)
    return render_template("staff/publishing/dialogues.html", page=page)


@bp.post("/doi-thoai/<int:dialogue_id>/go-xuong")
@roles_required(*ACTORS)
def dialogue_takedown_post(dialogue_id):
    """Take a dialogue off the public schedule (reason required) and publish at once."""
    dialogue = Dialogue.get_or_none(Dialogue.id == dialogue_id) or abort(404)
    form = TakeDownForm()
    if not form.validate() or not dialogue.is_public:
        errors = form.first_errors()
        if "version" in errors:
            abort(400)
        flash(errors.get("reason") or "Buổi đối thoại này không được đánh dấu công khai.", "error")
        return redirect(url_for("publishing.dialogues_get", page=request.form.get("page") or None), code=303)
    try:
        save_versioned(dialogue, form.version.data, g.user, {"is_public": False}, action="take_down",
                       summary="Gỡ lịch đối thoại “%s” khỏi trang công khai. Lý do: %s" % (dialogue.title,
                                                                                         form.reason.data))
    except ConflictError:
        flash("Buổi đối thoại vừa được người khác cập nhật; kiểm tra lại rồi thực hiện lần nữa.", "error")
        return redirect(url_for("publishing.dialogues_get"), code=303)
    run, note = republish(g.user, "Gỡ xuống lịch đối thoại #%d" % dialogue.id)
    flash("Đã gỡ “%s” khỏi lịch công khai. %s" % (dialogue.title, note), "success")
    return redirect(url_for("publishing.run_get", run_id=run.id), code=303)


# ---------------------------------------------------------------- runs: pages


def _runs_page():
    return Page(PublishRun.select(PublishRun, models.User).join(models.User, pw.JOIN.LEFT_OUTER)
                .order_by(PublishRun.id.desc()), page_arg(), RUNS_PER_PAGE)


@bp.get("/xuat-ban")
@roles_required(*READERS)
def runs_get():
    """Past builds and publishes, and the button that starts one."""
    expire_stale_runs()
    return render_template("staff/publishing/runs.html", runs=_runs_page(), run=None,
                           start_form=StartForm(formdata=None), refusal=None)


@bp.post("/xuat-ban")
@roles_required(*ACTORS)
def start_post():
    """Start a build (and a publish, when asked and a target is set) in the background."""
    form = StartForm()
    form.validate()
    wants_publish = bool(form.publish.data)
    run, active = start_run(g.user, wants_publish, "Xuất bản từ màn hình công khai")
    if run is None:
        refusal = ("Đang có một lần xuất bản khác (#%d, %s từ %s); chỉ chạy một lần một lúc, vui lòng chờ "
                   "lần đó xong." % (active.id, active.status_label.lower(), active.started_at.strftime("%H:%M:%S")))
        return render_template("staff/publishing/runs.html", runs=_runs_page(), run=active, start_form=form,
                               refusal=refusal), 409
    flash("Đã bắt đầu lần xuất bản #%d." % run.id, "success")
    return redirect(url_for("publishing.run_get", run_id=run.id), code=303)


@bp.get("/lan-xuat-ban/<int:run_id>")
@roles_required(*READERS)
def run_get(run_id):
    """One run's progress (htmx polls the fragment every second while it runs) and the past runs."""
    expire_stale_runs()
    run = (PublishRun.select(PublishRun, models.User).join(models.User, pw.JOIN.LEFT_OUTER)
           .where(PublishRun.id == run_id).first()) or abort(404)
    if wants_fragment():
        return render_template("staff/publishing/_run.html", run=run)
    return render_template("staff/publishing/runs.html", runs=_runs_page(), run=run,
                           start_form=StartForm(formdata=None), refusal=None)


# ---------------------------------------------------------------- runs: starting one, one at a time


@contextlib.contextmanager
def _exclusive():
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


def start_run(user, wants_publish, why, queue_behind=False):
    """A new run, started in the background: (run, None); or (None, the active run) when one is going.

    With `queue_behind` (a take-down, which must reach the site), a run that is going does not
    refuse: one more run is queued after it (or the one already queued is reused), and the
    thread finishing the current run takes it up. Returns (run, active) then, run may be queued.
    """
    publish = bool(wants_publish and current_app.config.get("PUBLISH_TARGET"))
    launch = False
    with _exclusive():
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
        launch = active is None
    if launch:
        _launch(current_app._get_current_object(), run.id)
    return run, active


def republish(user, why):
    """After a take-down or a republish: a run now, or queued after the one going. (run, note)."""
    run, active = start_run(user, True, why, queue_behind=True)
    if active is not None and active.id != run.id:
        return run, "Lần xuất bản #%d sẽ chạy ngay sau lần #%d đang chạy." % (run.id, active.id)
    return run, "Đang xuất bản lại (lần #%d)." % run.id


def _launch(app, run_id):
    thread = threading.Thread(target=_worker, args=(app, run_id), name="publish-run-%d" % run_id, daemon=True)
    with _threads_lock:
        _threads[run_id] = thread
    thread.start()


def running_threads():
    """The threads of this process running builds (tests wait for them)."""
    with _threads_lock:
        return [thread for thread in _threads.values() if thread.is_alive()]


# ---------------------------------------------------------------- runs: the background thread


def _worker(app, run_id):
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
                    status, summary, error = _execute(app, run)
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
    with _exclusive():
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


def _execute(app, run):
    """Build (and publish) in a child process; store its progress lines; (status, summary, error)."""
    job = {"destination": str(app.config["SITE_DIR"]), "base_url": app.config["PUBLIC_BASE_URL"],
           "database_url": app.config["DATABASE_URL"],
           "target": (app.config.get("PUBLISH_TARGET") or "") if run.publish else ""}
    child = subprocess.Popen([sys.executable, "-m", "views.publishing"], cwd=str(BASE_DIR), env=dict(os.environ),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, encoding="utf-8", errors="replace")
    stderr_lines = []
    reader = threading.Thread(target=lambda: stderr_lines.extend(child.stderr), daemon=True)
    reader.start()
    child.stdin.write(json.dumps(job))
    child.stdin.close()
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


# ---------------------------------------------------------------- the child process


def _emit(**message):
    sys.stdout.write(json.dumps(message, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def child_main(job):
    """Build into job["destination"], then publish to job["target"] when given; messages on stdout."""
    import build
    from sitebuild import publish

    last = [0.0]

    def build_progress(done, total, url):
        moment = time.monotonic()
        if done != total and moment - last[0] < PROGRESS_EVERY / 2:
            return
        last[0] = moment
        _emit(progress="Đang xuất trang %d/%d (%d%%) %s" % (done, total, 100 * done // max(total, 1), url))

    def publish_progress(done, total, path, sent_bytes, total_bytes):
        moment = time.monotonic()
        if done != total and moment - last[0] < PROGRESS_EVERY / 2:
            return
        last[0] = moment
        _emit(progress="Đang gửi tệp %d/%d · %s" % (done, total, path))

    target = job.get("target") or ""
    lines = []
    try:
        if target:
            publish.open_target(target)  # a target that cannot work fails now, not after the build
        _emit(progress="Đang xuất trang công khai…")
        result = build.build(destination=job["destination"], base_url=job["base_url"],
                             database_url=job["database_url"], progress=build_progress)
        lines.append(result.line())
        _emit(progress=result.line(), summary="\n".join(lines))
        if not target:
            lines.append("Không đăng lên máy chủ (chưa cấu hình nơi đăng PUBLISH_TARGET, hoặc chỉ xuất).")
        else:
            _emit(progress="Đang đăng lên %s…" % target)
            sent = publish.publish(job["destination"], target, progress=publish_progress)
            lines.append(sent.line())
    except (build.BuildError, publish.PublishError) as exc:
        _emit(summary="\n".join(lines), error=str(exc))
        return 1
    except Exception as exc:  # anything else: its last line, the whole traceback on stderr
        traceback.print_exc()
        _emit(summary="\n".join(lines), error=_last_line(exc))
        return 1
    _emit(progress="Hoàn tất.", summary="\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(json.loads(sys.stdin.read())))
