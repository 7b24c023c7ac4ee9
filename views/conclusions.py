"""Kết luận cần thực hiện: the conclusions of signed notices as follow-up work for their units.

Who does what (checked on the server):
- list and detail: coordinator, leader and chief see every conclusion; a specialist or unit head
  only those of their own unit (another unit's conclusion answers 404, as if it did not exist);
- progress entries: staff of the responsible unit (specialist, unit head) and the coordinator;
- closing as resolved / referred / explained (a note is required): the head of the responsible
  unit, the coordinator and the chief (the plan has units mark their items resolved and TCHCQT
  follow up on the chief's behalf);
- reopening a closed conclusion (a reason is required): the coordinator and the chief; it goes back
  to "đang thực hiện".

Only conclusions of a signed notice that is in force (not replaced by a signed correction) are
follow-up work; drafts belong to the notice being prepared.
"""
import datetime as dt

import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from forms import BaseForm
from models import (
    CONCLUSION_CLOSED,
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
    User,
    audit,
    db,
    now,
    record_transition,
    save_versioned,
    today,
)
from services import deadlines
from services.text import document_number, sort_key
from views.auth import roles_required
from views.common import Page, int_arg, invalid_status, page_arg, wants_fragment

bp = Blueprint("conclusions", __name__, url_prefix="/ket-luan")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
OPEN = ("open", "in_progress")
FLAGS = {"due_soon": "Sắp đến hạn", "overdue": "Quá hạn (kể cả nghiêm trọng)", "severe": "Quá hạn nghiêm trọng"}
CLOSE_TARGETS = {"resolved": "Đã giải quyết", "referred": "Đã chuyển cơ quan có thẩm quyền",
                 "explained": "Đã giải thích"}
TARGET_LABELS = dict(CLOSE_TARGETS, reopen="Mở lại")


# ---------------------------------------------------------------- who may see and do what

def with_names(query):
    """Rows with the notice number, unit, person and field names in the same query (no N+1)."""
    person = User.alias()
    return (query.select_extend(ConclusionNotice.number.alias("notice_number"),
                                ConclusionNotice.doc_type.alias("notice_doc_type"),
                                ConclusionNotice.title.alias("notice_title"),
                                ConclusionNotice.year.alias("notice_year"),
                                ConclusionNotice.signed_at.alias("notice_signed_at"),
                                Unit.name.alias("unit_name"), person.full_name.alias("person_name"),
                                Field.name.alias("field_name"))
            .join_from(Conclusion, Unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == Unit.id))
            .join_from(Conclusion, person, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_user == person.id))
            .join_from(Conclusion, Field, pw.JOIN.LEFT_OUTER, on=(Conclusion.field == Field.id)))


def is_unit_staff(user, conclusion):
    return bool(user.is_content_staff and user.unit_id and user.unit_id == conclusion.responsible_unit_id)


def may_add_progress(user, conclusion):
    return user.role == "coordinator" or is_unit_staff(user, conclusion)


def may_close(user, conclusion):
    return user.role in ("coordinator", "chief") or (user.role == "unit_head" and is_unit_staff(user, conclusion))


def may_reopen(user):
    return user.role in ("coordinator", "chief")


def targets_for(user, conclusion):
    """The status changes this user may make now."""
    if conclusion.is_closed:
        return ("reopen",) if may_reopen(user) else ()
    return tuple(CLOSE_TARGETS) if may_close(user, conclusion) else ()


def progress_floor(conclusion):
    """The lowest percent a new progress entry may give: work done does not shrink, except that
    the first entry after a reopening may restate it (a reopened conclusion was not finished)."""
    reopened_at = (StatusChange.select(pw.fn.MAX(StatusChange.at))
                   .where(StatusChange.object_type == "conclusion", StatusChange.object_id == conclusion.id,
                          StatusChange.from_status.in_(CONCLUSION_CLOSED), StatusChange.to_status == "in_progress")
                   .scalar())
    if reopened_at is None:
        return conclusion.percent_done
    since = FollowUp.select().where(FollowUp.conclusion == conclusion.id, FollowUp.at >= reopened_at,
                                    FollowUp.percent_done.is_null(False)).exists()
    return conclusion.percent_done if since else 0


def _conclusion_or_404(conclusion_id):
    row = with_names(Conclusion.visible_to(g.user, Conclusion.in_force())).where(
        Conclusion.id == conclusion_id).objects().first()
    if row is None:
        abort(404)
    return row


# ---------------------------------------------------------------- forms

def _required_date(message):
    """Like InputRequired, but its message replaces the parse error of an empty date."""
    def check(form, field):
        if not field.raw_data or not (field.raw_data[0] or "").strip():
            field.errors[:] = []
            raise StopValidation(message)
    return check


class VersionedForm(BaseForm):
    version = IntegerField(widget=HiddenInput(), validators=[DataRequired("Thiếu phiên bản hồ sơ.")])

    def __init__(self, *args, conclusion=None, **kwargs):
        self.conclusion = conclusion
        super().__init__(*args, **kwargs)


class ProgressForm(VersionedForm):
    """A progress entry: what was done, how far along, on which day."""

    note = TextAreaField("Nội dung đã thực hiện", validators=[
        DataRequired("Vui lòng nhập nội dung đã thực hiện."), Length(max=2000, message="Tối đa 2.000 ký tự.")])
    percent_done = IntegerField("Tỷ lệ hoàn thành (%)", validators=[
        InputRequired("Vui lòng nhập tỷ lệ hoàn thành (0–100)."),
        NumberRange(0, 100, "Tỷ lệ hoàn thành từ 0 đến 100.")])
    day = DateField("Ngày thực hiện", format=["%Y-%m-%d", "%d/%m/%Y"],
                    validators=[_required_date("Vui lòng nhập ngày thực hiện.")])

    def validate_percent_done(self, field):
        floor = progress_floor(self.conclusion) if self.conclusion else 0
        if field.data is not None and field.data < floor:
            raise ValidationError("Tỷ lệ hoàn thành không được thấp hơn mức đã ghi nhận (%d%%)." % floor)

    def validate_day(self, field):
        if field.data is None:
            return
        if field.data > today():
            raise ValidationError("Ngày thực hiện không được sau hôm nay (%s)." % today().strftime("%d/%m/%Y"))
        signed = getattr(self.conclusion, "notice_signed_at", None)
        if signed and field.data < signed.date():
            raise ValidationError("Ngày thực hiện không được trước ngày ký thông báo (%s)."
                                  % signed.strftime("%d/%m/%Y"))
        if self.conclusion is not None:  # progress reads in date order: no entry before the latest one
            latest = (FollowUp.select(FollowUp.at).where(FollowUp.conclusion == self.conclusion.id,
                                                         FollowUp.kind == "progress")
                      .order_by(FollowUp.at.desc()).first())
            if latest and field.data < latest.at.date():
                raise ValidationError("Ngày thực hiện không được trước lần ghi tiến độ gần nhất (%s)."
                                      % latest.at.strftime("%d/%m/%Y"))


class StatusForm(VersionedForm):
    to = SelectField("Thao tác", validate_choice=False)
    note = TextAreaField("Ghi chú, lý do", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])

    def validate_to(self, field):
        if field.data not in TARGET_LABELS:
            raise ValidationError("Vui lòng chọn thao tác.")

    def validate_note(self, field):
        if field.data is None or not field.data.strip():
            if self.to.data == "reopen":
                raise ValidationError("Cần ghi lý do mở lại kết luận.")
            raise ValidationError("Cần ghi kết quả hoặc lý do khi kết thúc kết luận.")


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


def filtered(query, f, bounds=None):
    if f["status"] == "active":
        query = query.where(Conclusion.status.in_(OPEN))
    elif f["status"]:
        query = query.where(Conclusion.status == f["status"])
    if f["unit"] is not None:
        query = query.where(Conclusion.responsible_unit == f["unit"])
    if f["field"] is not None:
        query = query.where(Conclusion.field == f["field"])
    if f["year"] is not None:
        query = query.where(ConclusionNotice.year == f["year"])
    if f["flag"]:
        bounds = bounds or deadlines.flag_bounds(today(), calendar=deadlines.current_calendar())
        query = query.where(Conclusion.status.in_(OPEN))
        if f["flag"] == "due_soon":
            query = query.where(Conclusion.deadline >= bounds.today, Conclusion.deadline < bounds.due_soon_before)
        elif f["flag"] == "overdue":
            query = query.where(Conclusion.deadline < bounds.today)
        else:
            query = query.where(Conclusion.deadline < bounds.severe_before)
    return query


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Conclusions to carry out: filters, sorted by deadline (the nearest first), paginated."""
    user = g.user
    f = list_filters(user)
    query = filtered(Conclusion.visible_to(user, Conclusion.in_force()), f)
    query = with_names(query).order_by(Conclusion.deadline.asc(nulls="LAST"), Conclusion.id).objects()
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
    items += [("followup", f.at, f) for f in FollowUp.select(FollowUp, User).join(User, pw.JOIN.LEFT_OUTER)
              .where(FollowUp.conclusion == conclusion.id)]
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


def progress_form_for(conclusion):
    return ProgressForm(formdata=None, conclusion=conclusion,
                        data={"version": conclusion.version, "percent_done": conclusion.percent_done,
                              "day": today()})


def detail_context(conclusion, progress_form=None, status_form=None, conflict=None, conflict_form=None):
    user = g.user
    opinions, hidden = linked_opinions(conclusion)
    return {
        "c": conclusion, "number_text": document_number(conclusion.notice_number, conclusion.notice_doc_type),
        "timeline": timeline(conclusion), "opinions": opinions, "hidden_opinions": hidden,
        "can_progress": may_add_progress(user, conclusion) and not conclusion.is_closed,
        "progress_floor": progress_floor(conclusion) if not conclusion.is_closed else conclusion.percent_done,
        "targets": targets_for(user, conclusion), "TARGET_LABELS": TARGET_LABELS,
        "CONCLUSION_STATUSES": CONCLUSION_STATUSES,
        "progress_form": progress_form or progress_form_for(conclusion),
        "status_form": status_form or StatusForm(formdata=None, data={"version": conclusion.version}),
        "conflict": conflict, "conflict_form": conflict_form,
    }


def render_detail(conclusion, code=200, **kwargs):
    return render_template("staff/conclusions/detail.html", **detail_context(conclusion, **kwargs)), code


@bp.get("/<int:conclusion_id>")
@roles_required(*READERS)
def detail_get(conclusion_id):
    """The decision, who acts by when, how far along, the opinions it answers, and its dated timeline."""
    return render_detail(_conclusion_or_404(conclusion_id))


@bp.post("/<int:conclusion_id>/tien-do")
@roles_required("specialist", "unit_head", "coordinator")
def progress_post(conclusion_id):
    """Add a progress entry; it updates the percent done and starts an open conclusion.

    htmx appends the entry to the timeline and refreshes the form and the summary; without
    JavaScript the page is reloaded (or shown again with the errors, keeping what was typed).
    """
    conclusion = _conclusion_or_404(conclusion_id)
    if not may_add_progress(g.user, conclusion):
        abort(403)
    form = ProgressForm(conclusion=conclusion)
    valid = form.validate()
    if form.version.errors:
        abort(400)
    if form.version.data != conclusion.version:  # someone saved since the form was opened
        form.version.data = conclusion.version
        return _progress_answer(conclusion, form, 409, conflict=conflict_box(Conclusion.get_by_id(conclusion.id)))
    refusal = "Kết luận đã kết thúc; cần mở lại trước khi ghi nhận tiến độ." if conclusion.is_closed else None
    if valid and refusal is None:
        try:
            conclusion, new_items = add_progress(conclusion, g.user, form)
        except ConflictError as error:
            current = _conclusion_or_404(conclusion_id)
            form.version.data = error.current.version
            return _progress_answer(current, form, 409, conflict=conflict_box(error.current))
        if not wants_fragment():
            flash("Đã ghi nhận tiến độ: hoàn thành %d%%." % conclusion.percent_done, "success")
            return redirect(url_for("conclusions.detail_get", conclusion_id=conclusion.id) + "#tien-do", code=303)
        fresh = _conclusion_or_404(conclusion_id)
        for _kind, _at, row in new_items:
            row.user = g.user
        ctx = detail_context(fresh)
        return render_template("staff/conclusions/_progress_added.html", new_items=new_items,
                               first=len(ctx["timeline"]) == len(new_items), **ctx)
    if refusal:
        form.note.errors = list(form.note.errors) + [refusal]
    return _progress_answer(conclusion, form, 422)


def _progress_answer(conclusion, form, code, conflict=None):
    if wants_fragment():
        return render_template("staff/conclusions/_progress_added.html", new_items=[],
                               **detail_context(conclusion, progress_form=form, conflict=conflict,
                                                conflict_form="progress")), 200
    return render_detail(conclusion, code if code != 422 else invalid_status(), progress_form=form,
                         conflict=conflict, conflict_form="progress")


def add_progress(conclusion, user, form):
    """One progress entry and the conclusion's new percent (and open → in progress), atomically."""
    day = form.day.data
    at = now() if day == today() else dt.datetime.combine(day, dt.time(8, 0))
    changes = {"percent_done": form.percent_done.data}
    starts = conclusion.status == "open"
    if starts:
        changes["status"] = "in_progress"
    with db.atomic():
        current = save_versioned(conclusion, form.version.data, user, changes, action="progress",
                                 summary="Tiến độ kết luận #%d: %d%%" % (conclusion.id, form.percent_done.data))
        new_items = []
        if starts:
            change = record_transition(current, user, "open", "in_progress", "Bắt đầu thực hiện", at=at)
            new_items.append(("status", change.at, change))
        entry = FollowUp.create(conclusion=conclusion.id, kind="progress", note=form.note.data.strip(),
                                percent_done=form.percent_done.data, user=user.id, at=at)
        audit(user, "create", entry, {"note": (None, entry.note), "percent_done": (None, entry.percent_done),
                                      "at": (None, at)},
              summary="Tiến độ kết luận #%d (%s)" % (conclusion.id, day.strftime("%d/%m/%Y")))
        new_items.append(("followup", entry.at, entry))
    return current, new_items


@bp.post("/<int:conclusion_id>/trang-thai")
@roles_required("unit_head", "coordinator", "chief")
def status_post(conclusion_id):
    """Close as resolved, referred or explained (a note is required), or reopen with a reason."""
    conclusion = _conclusion_or_404(conclusion_id)
    form = StatusForm(conclusion=conclusion)
    valid = form.validate()
    if form.version.errors:
        abort(400)
    if valid and form.to.data not in targets_for(g.user, conclusion):
        if form.to.data == "reopen" and not conclusion.is_closed:
            form.to.errors.append("Chỉ mở lại được kết luận đã kết thúc.")
        elif form.to.data in CLOSE_TARGETS and conclusion.is_closed:
            form.to.errors.append("Kết luận đã kết thúc.")
        else:
            abort(403)
        valid = False
    if not valid:
        return render_detail(conclusion, 422, status_form=form)
    note = form.note.data.strip()
    if form.to.data == "reopen":
        new, changes = "in_progress", {"status": "in_progress", "closed_at": None}
        history_note = "Mở lại: " + note
    else:
        new = form.to.data
        changes = {"status": new, "closed_at": now()}
        if new == "resolved":
            changes["percent_done"] = 100
        history_note = note
    try:
        with db.atomic():
            current = save_versioned(conclusion, form.version.data, g.user, changes, action="transition",
                                     summary="Kết luận #%d: %s → %s" % (conclusion.id, conclusion.status, new))
            record_transition(current, g.user, conclusion.status, new, history_note)
    except ConflictError as error:
        form.version.data = error.current.version
        return render_detail(_conclusion_or_404(conclusion_id), 409, status_form=form,
                             conflict=conflict_box(error.current), conflict_form="status")
    flash("Kết luận: %s." % current.status_label, "success")
    return redirect(url_for("conclusions.detail_get", conclusion_id=conclusion.id), code=303)
