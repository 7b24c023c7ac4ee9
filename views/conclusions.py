"""Kết luận cần thực hiện: the conclusions of signed notices as follow-up work for their units.

List and detail: the coordinator, leader and chief see every conclusion; a specialist or unit head
only those of their own unit (another unit's conclusion answers 404, as if it did not exist). Who
records progress, closes and reopens is services/conclusions.py (checked on the server).

Only conclusions of a signed notice that is in force (not replaced by a signed correction) are
follow-up work; drafts belong to the notice being prepared.
"""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.conclusions import ProgressForm, StatusForm
from models import (
    CONCLUSION_STATUSES,
    AuditLog,
    Conclusion,
    ConclusionNotice,
    ConclusionOpinion,
    ConflictError,
    Field,
    FollowUp,
    Opinion,
    StatusChange,
    Unit,
    today,
)
from services import conclusions as follow_up
from services import deadlines
from services.text import document_number, sort_key
from views.auth import roles_required
from views.common import Page, edit_with_conflict, get_or_404, int_arg, invalid_status, page_arg, wants_fragment

bp = Blueprint("conclusions", __name__, url_prefix="/ket-luan")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
FLAGS = {"due_soon": "Sắp đến hạn", "overdue": "Quá hạn (kể cả nghiêm trọng)", "severe": "Quá hạn nghiêm trọng"}


def _conclusion_or_404(conclusion_id):
    return get_or_404(Conclusion.with_names(Conclusion.visible_to(g.user, Conclusion.in_force()))
                      .where(Conclusion.id == conclusion_id).objects())


# ---------------------------------------------------------------- the list

def list_filters(user):
    args = request.args
    status = args.get("status", "")
    return {
        "status": status if status in CONCLUSION_STATUSES or status == "active" else "",
        "unit": int_arg("unit") if user.reads_everything else None,
        "field": int_arg("field"),
        "year": int_arg("year"),
        "flag": args.get("flag") if args.get("flag") in FLAGS else "",
    }


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Conclusions to carry out: filters, sorted by deadline (the nearest first), paginated."""
    user = g.user
    f = list_filters(user)
    bounds = deadlines.flag_bounds(today(), calendar=deadlines.current_calendar()) if f["flag"] else None
    query = Conclusion.filtered(Conclusion.visible_to(user, Conclusion.in_force()), bounds=bounds, **f)
    query = Conclusion.with_names(query).order_by(Conclusion.deadline.asc(nulls="LAST"), Conclusion.id).objects()
    page = Page(query, page_arg(), current_app.config["PER_PAGE"])
    ctx = {"page": page, "filters": f, "notice_number_text": document_number}
    if wants_fragment():
        return render_template("staff/conclusions/_results.html", **ctx)
    years = [y for (y,) in Conclusion.in_force(Conclusion.select(ConclusionNotice.year).distinct())
             .order_by(ConclusionNotice.year.desc()).tuples() if y]
    ctx.update(
        fields=list(Field.select().order_by(Field.position, Field.name)), years=years,
        units=sorted(Unit.select(), key=lambda u: sort_key(u.name)) if user.reads_everything else [],
        FLAGS=FLAGS, CONCLUSION_STATUSES=CONCLUSION_STATUSES)
    return render_template("staff/conclusions/list.html", **ctx)


# ---------------------------------------------------------------- one conclusion

def timeline(conclusion):
    """Status changes and follow-up entries, oldest first, as (kind, at, row)."""
    items = [("status", s.at, s) for s in StatusChange.for_object(conclusion)]
    items += [("followup", f.at, f) for f in FollowUp.of_conclusion(conclusion)]
    return sorted(items, key=lambda item: (item[1], 0 if item[0] == "status" else 1, item[2].id))


def linked_opinions(conclusion):
    """The opinions it answers that the user may see, and how many others there are."""
    base = Opinion.select(Opinion.id, Opinion.code, Opinion.kind, Opinion.content, Opinion.status).join(
        ConclusionOpinion).where(ConclusionOpinion.conclusion == conclusion.id)
    total = ConclusionOpinion.select().where(ConclusionOpinion.conclusion == conclusion.id).count()
    visible = list(Opinion.visible_to(g.user, base).order_by(Opinion.code))
    return visible, total - len(visible)


def conflict_box(current):
    current.updated_by_name = AuditLog.last_editor_name(current)
    return {"current": current, "fields": [
        ("Trạng thái", current.status_label), ("Tỷ lệ hoàn thành", "%d%%" % current.percent_done)]}


def detail_context(conclusion, progress_form=None, status_form=None, conflict=None, conflict_form=None):
    user = g.user
    opinions, hidden = linked_opinions(conclusion)
    return {
        "c": conclusion, "number_text": document_number(conclusion.notice_number, conclusion.notice_doc_type),
        "timeline": timeline(conclusion), "opinions": opinions, "hidden_opinions": hidden,
        "can_progress": follow_up.may_add_progress(user, conclusion) and not conclusion.is_closed,
        "progress_floor": conclusion.progress_floor() if not conclusion.is_closed else conclusion.percent_done,
        "targets": follow_up.targets_for(user, conclusion), "TARGET_LABELS": follow_up.TARGET_LABELS,
        "CONCLUSION_STATUSES": CONCLUSION_STATUSES,
        "progress_form": progress_form or ProgressForm.of(conclusion),
        "status_form": status_form or StatusForm(formdata=None, data={"version": conclusion.version}),
        "conflict": conflict, "conflict_form": conflict_form,
    }


def detail_page(conclusion, **kwargs):
    return render_template("staff/conclusions/detail.html", **detail_context(conclusion, **kwargs))


@bp.get("/<int:conclusion_id>")
@roles_required(*READERS)
def detail_get(conclusion_id):
    """The decision, who acts by when, how far along, the opinions it answers, and its dated timeline."""
    return detail_page(_conclusion_or_404(conclusion_id))


@bp.post("/<int:conclusion_id>/tien-do")
@roles_required("specialist", "unit_head", "coordinator")
def progress_post(conclusion_id):
    """Add a progress entry; it updates the percent done and starts an open conclusion.

    htmx appends the entry to the timeline and refreshes the form and the summary; without
    JavaScript the page is reloaded (or shown again with the errors, keeping what was typed).
    Not edit_with_conflict: a conflict is told before the errors, and htmx gets it with 200.
    """
    conclusion = _conclusion_or_404(conclusion_id)
    if not follow_up.may_add_progress(g.user, conclusion):
        abort(403)
    form = ProgressForm(conclusion=conclusion)
    valid = form.validate()
    if form.version.errors:
        abort(400)
    if form.version.data != conclusion.version:  # someone saved since the form was opened
        form.version.data = conclusion.version
        return _progress_answer(conclusion, form, 409, conflict=conflict_box(Conclusion.get_by_id(conclusion.id)))
    if conclusion.is_closed:
        form.note.errors = list(form.note.errors) + ["Kết luận đã kết thúc; cần mở lại trước khi ghi nhận tiến độ."]
        valid = False
    if not valid:
        return _progress_answer(conclusion, form, 422)
    try:
        conclusion, new_items = follow_up.add_progress(conclusion, g.user, form.version.data, form.note.data,
                                                       form.percent_done.data, form.day.data)
    except ConflictError as error:
        form.version.data = error.current.version
        return _progress_answer(_conclusion_or_404(conclusion_id), form, 409, conflict=conflict_box(error.current))
    if not wants_fragment():
        flash("Đã ghi nhận tiến độ: hoàn thành %d%%." % conclusion.percent_done, "success")
        return redirect(url_for("conclusions.detail_get", conclusion_id=conclusion.id) + "#tien-do", code=303)
    for _kind, _at, row in new_items:
        row.user = g.user
    ctx = detail_context(_conclusion_or_404(conclusion_id))
    return render_template("staff/conclusions/_progress_added.html", new_items=new_items,
                           first=len(ctx["timeline"]) == len(new_items), **ctx)


def _progress_answer(conclusion, form, code, conflict=None):
    shown = {"progress_form": form, "conflict": conflict, "conflict_form": "progress"}
    if wants_fragment():
        return render_template("staff/conclusions/_progress_added.html", new_items=[],
                               **detail_context(conclusion, **shown)), 200
    return detail_page(conclusion, **shown), code if code != 422 else invalid_status()


@bp.post("/<int:conclusion_id>/trang-thai")
@roles_required("unit_head", "coordinator", "chief")
def status_post(conclusion_id):
    """Close as resolved, referred or explained (a note is required), or reopen with a reason."""
    conclusion = _conclusion_or_404(conclusion_id)
    form = StatusForm(conclusion=conclusion)
    valid = form.validate()
    if form.version.errors:
        abort(400)
    if valid and form.to.data not in follow_up.targets_for(g.user, conclusion):
        if form.to.data == "reopen" and not conclusion.is_closed:
            form.to.errors.append("Chỉ mở lại được kết luận đã kết thúc.")
        elif form.to.data in follow_up.CLOSE_TARGETS and conclusion.is_closed:
            form.to.errors.append("Kết luận đã kết thúc.")
        else:
            abort(403)
        valid = False
    if not valid:
        return detail_page(conclusion, status_form=form), 422

    def save(form):
        return follow_up.change_status(conclusion, g.user, form.version.data, form.to.data, form.note.data)

    def page(form, errors=None, current=None):
        if current is None:
            return detail_page(conclusion, status_form=form)
        return detail_page(_conclusion_or_404(conclusion_id), status_form=form, conflict=conflict_box(current),
                           conflict_form="status")

    return edit_with_conflict(form, page, save, lambda saved: (
        "Kết luận: %s." % saved.status_label, url_for("conclusions.detail_get", conclusion_id=conclusion.id)))
