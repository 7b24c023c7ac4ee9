"""Công khai: the coordinator reviews what goes public and builds and publishes the site "Dân biết".

- The review screen lists the conclusions of signed notices in force with their public summary,
  their publish flags and, beside each, the personal-data problems of `publication.py`'s check
  (services/publish_review.py). A summary with personal data can be saved as a draft but never
  made public.
- "Gỡ xuống" takes an item off the site (reason required) and starts a build and publish at
  once; "Đăng lại" puts it back (re-checked) the same way.
- A build and publish (PublishRun) runs in the background, one at a time: services/publish_runs.py
  runs it in a process of its own that keeps its progress and heartbeat in the PublishRun row; each
  look at the runs fails a run whose process died and starts the one queued behind it.
"""
import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

import models
import publication
from forms.publishing import RepublishForm, StartForm, SummaryForm, TakeDownForm
from models import CONCLUSION_STATUSES, AuditLog, Dialogue, PublishRun, Rows, save_versioned
from services import publish_review, publish_runs
from services.publish_review import STATES, decorate, load_items, problems_of, publish_refusal, review_rows
from views.auth import roles_required
from views.common import Page, Refused, edit_with_conflict, get_or_404, page_arg, wants_fragment

bp = Blueprint("publishing", __name__, url_prefix="/cong-khai")

READERS = ("coordinator", "leader", "chief")
ACTORS = ("coordinator",)
RUNS_PER_PAGE = 20
STATE_BADGES = {"published": "closed", "ready": "", "blocked": "overdue", "waiting": "due-soon", "not_public": ""}
RUN_BADGES = {"queued": "due-soon", "running": "due-soon", "succeeded": "closed", "failed": "overdue"}
STATE_LABELS = dict(STATES, waiting="Chờ kết thúc để công khai", empty="Chưa có tóm tắt")


def get_conclusion(conclusion_id):
    """A conclusion of a signed notice in force (what this screen handles), else 404."""
    return decorate(get_or_404(publish_review.reviewed(conclusion_id)))


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
    ids, counts = review_rows(wanted)
    page = Page(Rows(ids), page_arg(), current_app.config["PER_PAGE"])
    page.items = load_items(page.items)
    latest = PublishRun.select().order_by(PublishRun.id.desc()).first()
    template = "staff/publishing/_results.html" if wants_fragment() else "staff/publishing/index.html"
    return render_template(template, page=page, state=wanted, counts=counts, latest=latest,
                           start_form=StartForm(formdata=None))


# ---------------------------------------------------------------- one conclusion


def _item(conclusion, form=None, takedown_form=None, errors=None, message=None, current=None, run=None):
    """The item for htmx, else the review page around it."""
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
    return render_template("staff/publishing/edit.html", **context)


def _edit(conclusion, form, save, done, form_as="form", errors_of=None):
    """views.common.edit_with_conflict for one item: `form` shown as `form_as` (None: not shown),
    its errors through `errors_of`. A missing version is a 400."""
    def render(form, errors=None, current=None):
        if errors and "version" in errors:
            abort(400)
        shown = {form_as: form} if form_as else {}
        return _item(conclusion, errors=errors_of(errors) if errors and errors_of else errors, current=current,
                     **shown)

    return edit_with_conflict(form, render, save, done)


@bp.get("/ket-luan/<int:conclusion_id>")
@roles_required(*READERS)
def item_get(conclusion_id):
    """One conclusion's review (the page a browser without JavaScript edits on)."""
    return _item(get_conclusion(conclusion_id))


@bp.post("/ket-luan/<int:conclusion_id>")
@roles_required(*ACTORS)
def item_post(conclusion_id):
    """Save the summary and flags; making it public is refused while the summary holds personal data."""
    conclusion = get_conclusion(conclusion_id)

    def save(form):
        changes = {"public_summary": form.public_summary.data or "", "is_public": bool(form.is_public.data),
                   "publish_in_progress": bool(form.publish_in_progress.data)}
        return save_versioned(conclusion, form.version.data, g.user, changes, action="publication",
                              summary="Duyệt công khai kết luận #%d" % conclusion.id)

    def done(saved):
        message = "Đã lưu kết luận #%d." % conclusion.id
        if not wants_fragment():
            return message, _back(conclusion.id)
        return _item(get_conclusion(saved.id), message=message)

    return _edit(conclusion, SummaryForm(), save, done)


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

    def save(form):
        if not conclusion.is_public:
            raise Refused({"reason": "Kết luận này không được đánh dấu công khai."})
        return save_versioned(conclusion, form.version.data, g.user, {"is_public": False}, action="take_down",
                              summary="Gỡ kết luận #%d khỏi trang công khai. Lý do: %s" % (conclusion.id,
                                                                                         form.reason.data))

    def done(saved):
        run, note = publish_runs.republish(current_app._get_current_object(), g.user,
                                           "Gỡ xuống kết luận #%d" % conclusion.id)
        return _after_change(conclusion.id, run, "Đã gỡ kết luận #%d khỏi trang công khai. %s" % (conclusion.id, note))

    return _edit(conclusion, TakeDownForm(), save, done, form_as="takedown_form",
                 errors_of=lambda errors: {"reason": errors.get("reason")})


@bp.post("/ket-luan/<int:conclusion_id>/dang-lai")
@roles_required(*ACTORS)
def republish_post(conclusion_id):
    """Put a conclusion back on the public site (its summary checked again) and publish at once."""
    conclusion = get_conclusion(conclusion_id)

    def save(form):
        refusal = publish_refusal(conclusion.public_summary)
        if refusal:
            raise Refused({"is_public": refusal})
        if conclusion.is_public:
            raise Refused({"is_public": "Kết luận này đã được đánh dấu công khai."})
        return save_versioned(conclusion, form.version.data, g.user, {"is_public": True}, action="republish",
                              summary="Đăng lại kết luận #%d lên trang công khai" % conclusion.id)

    def done(saved):
        run, note = publish_runs.republish(current_app._get_current_object(), g.user,
                                           "Đăng lại kết luận #%d" % conclusion.id)
        return _after_change(conclusion.id, run, "Đã đăng lại kết luận #%d. %s" % (conclusion.id, note))

    return _edit(conclusion, RepublishForm(), save, done, form_as=None)


def _after_change(conclusion_id, run, message):
    """After a take-down or a republish: the run's page (303), or the item with the run for htmx."""
    if not wants_fragment():
        return message, url_for("publishing.run_get", run_id=run.id)
    return _item(get_conclusion(conclusion_id), message=message, run=run)


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
    dialogue = get_or_404(Dialogue.select().where(Dialogue.id == dialogue_id))
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
    except models.ConflictError:
        flash("Buổi đối thoại vừa được người khác cập nhật; kiểm tra lại rồi thực hiện lần nữa.", "error")
        return redirect(url_for("publishing.dialogues_get"), code=303)
    run, note = publish_runs.republish(current_app._get_current_object(), g.user,
                                       "Gỡ xuống lịch đối thoại #%d" % dialogue.id)
    flash("Đã gỡ “%s” khỏi lịch công khai. %s" % (dialogue.title, note), "success")
    return redirect(url_for("publishing.run_get", run_id=run.id), code=303)


# ---------------------------------------------------------------- runs


def _runs_page():
    return Page(PublishRun.select(PublishRun, models.User).join(models.User, pw.JOIN.LEFT_OUTER)
                .order_by(PublishRun.id.desc()), page_arg(), RUNS_PER_PAGE)


@bp.get("/xuat-ban")
@roles_required(*READERS)
def runs_get():
    """Past builds and publishes, and the button that starts one."""
    publish_runs.check(current_app._get_current_object())
    return render_template("staff/publishing/runs.html", runs=_runs_page(), run=None,
                           start_form=StartForm(formdata=None), refusal=None)


@bp.post("/xuat-ban")
@roles_required(*ACTORS)
def start_post():
    """Start a build (and a publish, when asked and a target is set) in the background."""
    form = StartForm()
    form.validate()
    run, active = publish_runs.start_run(current_app._get_current_object(), g.user, bool(form.publish.data),
                                         "Xuất bản từ màn hình công khai")
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
    publish_runs.check(current_app._get_current_object())
    run = get_or_404(PublishRun.select(PublishRun, models.User).join(models.User, pw.JOIN.LEFT_OUTER)
                     .where(PublishRun.id == run_id))
    if wants_fragment():
        return render_template("staff/publishing/_run.html", run=run)
    return render_template("staff/publishing/runs.html", runs=_runs_page(), run=run,
                           start_form=StartForm(formdata=None), refusal=None)
