"""The opinion register (sổ theo dõi ý kiến): list, detail, assignment, transitions, follow-ups."""
import datetime as dt
from collections import namedtuple

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from wtforms import DateField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

import models
from forms import BaseForm, IdSelectField, OpinionForm, parse_id
from models import (
    FOLLOWUP_KINDS,
    NOTE_REQUIRED,
    OPEN_STATUSES,
    OPINION_STATUSES,
    AuditLog,
    Conclusion,
    ConclusionNotice,
    ConclusionOpinion,
    ConflictError,
    Dialogue,
    Field,
    FollowUp,
    Opinion,
    StatusChange,
    TransitionError,
    Unit,
    User,
    audit,
    db,
    today,
)
from services import deadlines
from services.text import person_sort_key, sort_key
from views.auth import roles_required
from views.common import Page, int_arg, page_arg, wants_fragment

bp = Blueprint("opinions", __name__, url_prefix="/y-kien")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
WRITERS = ("specialist", "unit_head", "coordinator", "chief")
ASSIGNERS = ("unit_head", "coordinator", "chief")
TARGET_LABELS = dict(OPINION_STATUSES, reopen="Mở lại")
SORTS = ("received_on", "deadline", "code", "status")
DIALOGUE_CHOICES = 100  # the most recent dialogues offered in selects


# ---------------------------------------------------------------- forms


class ActionForm(BaseForm):
    """A form on an opinion's page; `version` is the one the user saw (conflict detection)."""

    version = IntegerField(widget=HiddenInput(), validators=[DataRequired("Thiếu phiên bản hồ sơ.")])

    def __init__(self, *args, user=None, opinion=None, **kwargs):
        self.user, self.opinion = user, opinion
        super().__init__(*args, **kwargs)


class AssignForm(ActionForm):
    unit_id = IdSelectField("Đơn vị xử lý")
    assigned_to_id = IdSelectField("Chuyên viên xử lý")
    deadline = DateField("Hạn xử lý", format=["%Y-%m-%d", "%d/%m/%Y"], validators=[Optional()])
    # …or a number of days from today, counted in working days (weekends and holidays skipped) or calendar days
    deadline_days = IntegerField("Hoặc số ngày kể từ hôm nay", validators=[
        Optional(), NumberRange(1, 365, "Số ngày từ 1 đến 365.")], invalid_value_message="Số ngày phải là số nguyên.")
    deadline_unit = SelectField("Tính theo", choices=[SelectChoice("working", "ngày làm việc"),
                                                      SelectChoice("calendar", "ngày lịch")], default="working")

    computed_deadline = None

    def validate(self, extra_validators=None):
        """The deadline comes from the date or from the number of days, not both."""
        valid = super().validate(extra_validators)
        if self.deadline.errors or self.deadline_days.errors:
            return False
        day, days = self.deadline.data, self.deadline_days.data
        if day is not None and days is not None:
            self.deadline_days.errors = ["Nhập ngày cụ thể hoặc số ngày, không nhập cả hai."]
            return False
        if day is None and days is None:
            self.deadline.errors = ["Vui lòng nhập hạn xử lý (ngày cụ thể hoặc số ngày)."]
            return False
        if days is not None:
            unit = self.deadline_unit.data if self.deadline_unit.data in ("working", "calendar") else "working"
            day = deadlines.add_deadline(today(), days, unit)
        self.computed_deadline = day
        return valid

    def validate_unit_id(self, field):
        if field.data is None:
            raise ValidationError("Vui lòng chọn đơn vị xử lý.")
        unit = Unit.get_or_none(Unit.id == field.data)
        if unit is None or not unit.active:
            raise ValidationError("Đơn vị không tồn tại hoặc đã ngừng hoạt động.")
        if self.user.role == "unit_head" and field.data != self.user.unit_id:
            raise ValidationError("Lãnh đạo đơn vị chỉ giao xử lý trong đơn vị mình.")

    def validate_assigned_to_id(self, field):
        if field.data is None:
            return
        person = User.get_or_none(User.id == field.data)
        if (person is None or not person.active or person.role not in ("specialist", "unit_head")
                or person.unit_id != self.unit_id.data):
            raise ValidationError("Chuyên viên phải thuộc đơn vị được giao.")

    def validate_deadline(self, field):
        if field.data and self.opinion and field.data < self.opinion.received_on:
            raise ValidationError("Hạn xử lý không được trước ngày tiếp nhận (%s)."
                                  % self.opinion.received_on.strftime("%d/%m/%Y"))


class AnswerForm(ActionForm):
    draft_answer = TextAreaField("Dự thảo nội dung trả lời", validators=[
        Length(max=10000, message="Tối đa 10.000 ký tự.")])
    resolution_path = TextAreaField("Hướng giải quyết", validators=[
        Length(max=5000, message="Tối đa 5.000 ký tự.")])

    def validate_draft_answer(self, field):
        if not (field.data or "").strip() and not (self.resolution_path.data or "").strip():
            raise ValidationError("Vui lòng nhập dự thảo trả lời hoặc hướng giải quyết.")


class StatusForm(ActionForm):
    to = SelectField("Chuyển sang", validate_choice=False)
    note = TextAreaField("Ghi chú, lý do", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])

    def validate_to(self, field):
        if field.data not in TARGET_LABELS:
            raise ValidationError("Vui lòng chọn trạng thái mới.")

    def validate_note(self, field):
        if self.to.data in NOTE_REQUIRED and not (field.data or "").strip():
            raise ValidationError("Cần ghi lý do khi chọn “%s”." % TARGET_LABELS[self.to.data])


class FollowUpForm(BaseForm):
    kind = SelectField("Loại", choices=[SelectChoice(k, v) for k, v in FOLLOWUP_KINDS.items()], default="progress")
    note = TextAreaField("Nội dung", validators=[DataRequired("Vui lòng nhập nội dung theo dõi."),
                                                 Length(max=2000, message="Tối đa 2.000 ký tự.")])
    percent_done = IntegerField("Tỷ lệ hoàn thành (%)", validators=[
        Optional(), NumberRange(0, 100, "Tỷ lệ hoàn thành từ 0 đến 100.")])


# ---------------------------------------------------------------- helpers

def prefixed_errors(form, prefix):
    """A form's first errors keyed by prefixed input ids (several forms share a page)."""
    return {prefix + name: message for name, message in form.first_errors().items()} if form else {}


@bp.context_processor
def _labels():
    return {"TARGET_LABELS": TARGET_LABELS, "FOLLOWUP_KINDS": FOLLOWUP_KINDS, "errs": prefixed_errors}


def _opinion_or_404(opinion_id):
    """The opinion if the signed-in user may see it; 404 otherwise (never reveal it exists)."""
    opinion = Opinion.visible_to(g.user).where(Opinion.id == opinion_id).first()
    if opinion is None:
        abort(404)
    return opinion



def _list_filters():
    """The register's filters from the query string; unknown values are ignored."""
    args = request.args
    sort = args.get("sort", "")
    return {
        "q": args.get("q", "").strip()[:200],
        "status": args.get("status") if args.get("status") in OPINION_STATUSES else "",
        "kind": args.get("kind") if args.get("kind") in models.OPINION_KINDS else "",
        "audience": args.get("audience") if args.get("audience") in models.AUDIENCES else "",
        "field": int_arg("field"), "unit": int_arg("unit"), "dialogue": int_arg("dialogue"),
        "overdue": args.get("overdue") == "1",
        "sort": sort if sort.lstrip("-") in SORTS else "",
    }


def _order(sort):
    descending = sort.startswith("-")
    name = sort.lstrip("-")
    if name == "status":
        column = models.pw.Case(Opinion.status, [(s, i) for i, s in enumerate(OPINION_STATUSES)])
    elif name in SORTS:
        column = getattr(Opinion, name)
    else:
        return [Opinion.received_on.desc(), Opinion.id.desc()]  # newest first
    if name == "deadline":
        return [column.desc(nulls="LAST") if descending else column.asc(nulls="LAST"), Opinion.id.desc()]
    return [column.desc() if descending else column.asc(), Opinion.id.desc()]


def _register_query(user, f):
    query = Opinion.visible_to(user)
    for name, column in (("status", Opinion.status), ("kind", Opinion.kind), ("audience", Opinion.audience),
                         ("field", Opinion.field), ("unit", Opinion.assigned_unit),
                         ("dialogue", Opinion.dialogue)):
        if f[name] not in ("", None):
            query = query.where(column == f[name])
    if f["overdue"]:
        query = query.where(Opinion.deadline < today(), Opinion.status.in_(OPEN_STATUSES))
    if f["q"]:
        query = Opinion.search(f["q"], user, query)
    return Opinion.with_names(query).order_by(*_order(f["sort"]))


def _search_counter(user, f):
    """A plain search (no other filter) that the search index counts alone; None otherwise."""
    others = [name for name in ("status", "kind", "audience", "field", "unit", "dialogue", "overdue")
              if f[name] not in ("", None, False)]
    return Opinion.search_counter(f["q"], user) if f["q"] and not others else None


# What a register row shows and needs for its status menu (Opinion.refusal reads draft_answer).
ROW_COLUMNS = (Opinion.id, Opinion.version, Opinion.code, Opinion.kind, Opinion.content, Opinion.field,
               Opinion.received_on, Opinion.assigned_unit, Opinion.assigned_to, Opinion.deadline,
               Opinion.status, Opinion.draft_answer)


def _register_rows(ids):
    """The register's rows for these ids, with their names (no filter evaluated again).

    Joins rather than Opinion.with_names' subqueries: nothing is counted here, and they are
    quicker to build and to read.
    """
    person = User.alias()
    return (Opinion.select(*ROW_COLUMNS, Unit.name.alias("unit_name"), Field.name.alias("field_name"),
                           person.full_name.alias("assignee_name"))
            .join_from(Opinion, Unit, models.pw.JOIN.LEFT_OUTER, on=(Opinion.assigned_unit == Unit.id))
            .join_from(Opinion, Field, models.pw.JOIN.LEFT_OUTER, on=(Opinion.field == Field.id))
            .join_from(Opinion, person, models.pw.JOIN.LEFT_OUTER, on=(Opinion.assigned_to == person.id))
            .where(Opinion.id.in_(ids)).objects())


RecentDialogue = namedtuple("RecentDialogue", "id title starts_at")


def _recent_dialogues(selected=None):
    """(id, title, starts_at) of the latest dialogues, plus the selected one: plain tuples, for selects.

    Read straight from the cursor: a hundred rows through the ORM (a tuple class made per query,
    each datetime parsed by trying formats in turn) cost more than the query itself.
    """
    columns = (Dialogue.id, Dialogue.title, Dialogue.starts_at)
    query = Dialogue.select(*columns).order_by(Dialogue.starts_at.desc()).limit(DIALOGUE_CHOICES)
    rows = db.execute(query).fetchall()
    if selected and all(row[0] != selected for row in rows):
        rows += db.execute(Dialogue.select(*columns).where(Dialogue.id == selected)).fetchall()
    return [RecentDialogue(i, title, _as_datetime(at)) for i, title, at in rows]


def _as_datetime(value):
    """A DateTimeField as the database returns it (text on SQLite) as a datetime."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def _units(user):
    """Units the user may assign to: every active unit, or a unit head's own."""
    query = Unit.select().where(Unit.active == True)  # noqa: E712
    if user.role == "unit_head":
        query = query.where(Unit.id == user.unit_id)
    return sorted(query, key=lambda u: sort_key(u.name))


def _assignee_groups(units):
    """[(unit, [people])] who can be given an opinion, grouped by unit, in Vietnamese order."""
    people = (User.select().where(User.unit.in_([u.id for u in units]), User.active == True,  # noqa: E712
                                  User.role.in_(("specialist", "unit_head"))))
    by_unit = {}
    for person in people:
        by_unit.setdefault(person.unit_id, []).append(person)
    return [(u, sorted(by_unit.get(u.id, []), key=lambda p: person_sort_key(p.full_name))) for u in units]


def _can_answer(opinion, user):
    return user.role == "coordinator" or (user.is_content_staff and opinion.can_edit(user))


def _conflict(current, form_name):
    """What the conflict box shows: the stored values someone else saved."""
    current.updated_by_name = AuditLog.last_editor_name(current)
    fields = [("Trạng thái", current.status_label)]
    if form_name == "assign":
        fields += [("Đơn vị xử lý", current.assigned_unit.name if current.assigned_unit_id else ""),
                   ("Chuyên viên", current.assigned_to.full_name if current.assigned_to_id else ""),
                   ("Hạn xử lý", current.deadline.strftime("%d/%m/%Y") if current.deadline else "")]
    elif form_name == "answer":
        fields += [("Dự thảo trả lời", current.draft_answer), ("Hướng giải quyết", current.resolution_path)]
    return {"form": form_name, "current": current, "fields": fields}


def _work_context(opinion, assign_form=None, answer_form=None, conflict=None):
    """The assign and answer forms of the detail page (also sent out of band after a change)."""
    user = g.user
    ctx = {"opinion": opinion, "work_conflict": conflict, "can_assign": False, "can_answer": False}
    if opinion.is_closed:
        return ctx
    if user.role in ASSIGNERS and opinion.can_edit(user):
        units = _units(user)
        ctx.update(can_assign=True, units=units, assignee_groups=_assignee_groups(units),
                   assign_form=assign_form or AssignForm(formdata=None, data={
                       "unit_id": opinion.assigned_unit_id or (user.unit_id if user.role == "unit_head" else None),
                       "assigned_to_id": opinion.assigned_to_id, "deadline": opinion.deadline,
                       "version": opinion.version}))
    if _can_answer(opinion, user):
        with_draft = Opinion(**dict(opinion.__data__, draft_answer="…"))
        ctx.update(can_mark_drafted=opinion.status == "assigned" and with_draft.refusal("answer_drafted", user) is None)
        ctx.update(can_answer=True, answer_form=answer_form or AnswerForm(formdata=None, data={
            "draft_answer": opinion.draft_answer, "resolution_path": opinion.resolution_path,
            "version": opinion.version}))
    return ctx


def _status_context(opinion, status_form=None, conflict=None):
    targets = opinion.next_statuses(g.user)
    return {"opinion": opinion, "targets": targets, "status_conflict": conflict,
            "status_form": status_form or StatusForm(formdata=None, data={"version": opinion.version})}


def _history(opinion):
    return list(StatusChange.for_object(opinion))


def _render_detail(opinion, code=200, assign_form=None, answer_form=None, status_form=None,
                   followup_form=None, conflict=None):
    """The whole detail page; the submitter of a denunciation is shown only with an audit row."""
    user = g.user
    show_identity = opinion.can_see_identity(user)
    if show_identity and opinion.kind == "denunciation":
        with db.atomic():
            audit(user, "view_identity", opinion, summary="Xem thông tin người tố cáo, ý kiến %s" % opinion.code)
    followups = list(FollowUp.select(FollowUp, User).join(User, models.pw.JOIN.LEFT_OUTER)
                     .where(FollowUp.opinion == opinion.id).order_by(FollowUp.at, FollowUp.id))
    conclusions = list(Conclusion.select(Conclusion, ConclusionNotice)
                       .join(ConclusionOpinion).where(ConclusionOpinion.opinion == opinion.id)
                       .switch(Conclusion).join(ConclusionNotice).order_by(Conclusion.id))
    ctx = _work_context(opinion, assign_form, answer_form, conflict if conflict and conflict["form"] != "status"
                        else None)
    ctx.update(_status_context(opinion, status_form, conflict if conflict and conflict["form"] == "status"
                               else None))
    ctx.update(show_identity=show_identity, history=_history(opinion), followups=followups,
               conclusions=conclusions, can_follow=user.role in WRITERS and opinion.can_edit(user),
               followup_form=followup_form or FollowUpForm(formdata=None))
    return render_template("staff/opinions/detail.html", **ctx), code


def _safe_back(target):
    """Where a plain status form from the list returns: the list with its filters, nothing else."""
    base = url_for("opinions.list_get")
    if target and target.startswith(base) and "//" not in target and "\\" not in target:
        return target
    return base


# ---------------------------------------------------------------- the register

@bp.get("/")
@roles_required(*READERS)
def list_get():
    """The register: filters, diacritics-insensitive search, sorting and pages; htmx gets the results."""
    user = g.user
    f = _list_filters()
    page = Page(_register_query(user, f), page_arg(), current_app.config["PER_PAGE"],
                count_limit=current_app.config["REGISTER_COUNT_LIMIT"], key=Opinion.id, fetch=_register_rows,
                count=_search_counter(user, f))
    ctx = {"page": page, "filters": f, "back": request.full_path.rstrip("?")}
    if wants_fragment():
        return render_template("staff/opinions/_results.html", **ctx)
    ctx.update(fields=list(Field.select().order_by(Field.position, Field.name)),
               units=sorted(Unit.select(), key=lambda u: sort_key(u.name)) if user.reads_everything else [],
               dialogues=_recent_dialogues(f["dialogue"]), can_create=user.role in WRITERS)
    return render_template("staff/opinions/list.html", **ctx)


def _opinion_form(formdata=None, dialogue_id=None):
    """The new-opinion form with its fields and recent dialogues (plus the chosen one) from the database."""
    form = OpinionForm(formdata=formdata) if formdata is not None else OpinionForm()
    if dialogue_id is not None:
        form.dialogue_id.data = dialogue_id
    form.field_id.choices = [SelectChoice("", "— Chưa xác định —")] + [
        SelectChoice(f.id, f.name) for f in Field.select().order_by(Field.position, Field.name)]
    form.dialogue_id.choices = [SelectChoice("", "— Không gắn với buổi đối thoại —")] + [
        SelectChoice(d.id, "%s (%s)" % (d.title, d.starts_at.strftime("%d/%m/%Y"))) for d in _recent_dialogues(
            form.dialogue_id.data if isinstance(form.dialogue_id.data, int) else None)]
    return form


@bp.get("/moi")
@roles_required(*WRITERS)
def new_get():
    """The form to record a new opinion."""
    dialogue = request.args.get("dialogue", "")
    form = _opinion_form(dialogue_id=parse_id(dialogue))
    form.received_on.data = today()
    return render_template("staff/opinions/new.html", form=form, errors={})


@bp.post("/moi")
@roles_required(*WRITERS)
def new_post():
    """Record it: a unit's staff record for their own unit; errors beside the fields, nothing stored."""
    form = _opinion_form()
    if not form.validate():
        return render_template("staff/opinions/new.html", form=form, errors=form.first_errors()), 422
    opinion = models.create_opinion(g.user, **form.values())
    flash("Đã tiếp nhận ý kiến %s." % opinion.code, "success")
    return redirect(url_for("opinions.detail_get", opinion_id=opinion.id), code=303)


@bp.route("/kiem-tra", methods=["GET", "POST"])
@roles_required(*WRITERS)
def check_field():
    """Inline validation: the error message of one field of the new-opinion form (empty when fine)."""
    name = request.values.get("field", "")
    form = _opinion_form(request.values)
    if name not in form._fields:
        abort(404)
    field = form[name]
    inline = getattr(type(form), "validate_" + name, None)
    field.validate(form, [inline] if inline else [])
    return render_template("staff/opinions/_check.html", name=name, errors=form.first_errors()
                           if field.errors else {})


# ---------------------------------------------------------------- one opinion

@bp.get("/<int:opinion_id>")
@roles_required(*READERS)
def detail_get(opinion_id):
    """All about one opinion: facts, submitter (if allowed), history, follow-ups, conclusions."""
    return _render_detail(_opinion_or_404(opinion_id))


@bp.post("/<int:opinion_id>/giao")
@roles_required(*ASSIGNERS)
def assign_post(opinion_id):
    """Assign a unit, a specialist and a deadline; received → assigned."""
    opinion = _opinion_or_404(opinion_id)
    form = AssignForm(user=g.user, opinion=opinion)
    valid = form.validate()
    if form.version.errors:
        abort(400)
    if not valid:
        return _render_detail(opinion, 422, assign_form=form)
    try:
        opinion.assign(g.user, form.unit_id.data, form.assigned_to_id.data, form.computed_deadline,
                       form.version.data)
    except TransitionError as error:
        flash(str(error), "error")
        return _render_detail(opinion, 422, assign_form=form)
    except ConflictError as error:
        form.version.data = error.current.version
        return _render_detail(error.current, 409, assign_form=form, conflict=_conflict(error.current, "assign"))
    flash("Đã giao xử lý ý kiến %s." % opinion.code, "success")
    return redirect(url_for("opinions.detail_get", opinion_id=opinion.id), code=303)


@bp.post("/<int:opinion_id>/tra-loi")
@roles_required("coordinator", "unit_head", "specialist")
def answer_post(opinion_id):
    """Save the draft answer and resolution path (the assigned unit's staff or the coordinator)."""
    opinion = _opinion_or_404(opinion_id)
    if not _can_answer(opinion, g.user):
        abort(403)
    form = AnswerForm(user=g.user, opinion=opinion)
    valid = form.validate()
    if form.version.errors:
        abort(400)
    if not valid:
        return _render_detail(opinion, 422, answer_form=form)
    if opinion.is_closed:
        flash("Ý kiến đã kết thúc; cần mở lại trước khi sửa nội dung trả lời.", "error")
        return _render_detail(opinion, 422, answer_form=form)
    try:
        opinion = models.save_versioned(opinion, form.version.data, g.user, {
            "draft_answer": (form.draft_answer.data or "").strip(),
            "resolution_path": (form.resolution_path.data or "").strip()},
            action="answer", summary="Dự thảo trả lời ý kiến %s" % opinion.code)
    except ConflictError as error:
        form.version.data = error.current.version
        return _render_detail(error.current, 409, answer_form=form, conflict=_conflict(error.current, "answer"))
    message = "Đã lưu dự thảo trả lời."
    if request.form.get("then") == "answer_drafted" and opinion.status == "assigned":
        try:
            opinion.change_status(g.user, "answer_drafted", opinion.version)
            message = "Đã lưu dự thảo trả lời và chuyển trạng thái “%s”." % TARGET_LABELS["answer_drafted"]
        except (TransitionError, ConflictError) as error:
            message += " Chưa chuyển trạng thái: %s" % (error if isinstance(error, TransitionError)
                                                      else "hồ sơ vừa được người khác cập nhật.")
    flash(message, "success")
    return redirect(url_for("opinions.detail_get", opinion_id=opinion.id), code=303)


def _row(opinion_id):
    return Opinion.with_names(Opinion.visible_to(g.user).where(Opinion.id == opinion_id)).first()


@bp.post("/<int:opinion_id>/trang-thai")
@roles_required(*WRITERS)
def status_post(opinion_id):
    """Move along the lifecycle; a refused move shows its reason and changes nothing."""
    opinion = _opinion_or_404(opinion_id)
    form = StatusForm(user=g.user, opinion=opinion)
    in_row = request.form.get("view") == "row"
    back = _safe_back(request.form.get("next"))
    valid = form.validate()
    if form.version.errors:
        abort(400)
    code, conflict = 200, None
    if valid:
        try:
            opinion = opinion.change_status(g.user, form.to.data, form.version.data, form.note.data)
        except TransitionError as error:
            form.to.errors.append(str(error))
            code = 422
        except ConflictError as error:
            opinion, code = error.current, 409
            conflict = _conflict(opinion, "status")
            form.version.data = opinion.version
    else:
        code = 422
    if code == 200 and not wants_fragment():
        flash("Ý kiến %s: %s." % (opinion.code, opinion.status_label), "success")
        return redirect(back if in_row else url_for("opinions.detail_get", opinion_id=opinion.id), code=303)
    if wants_fragment() and in_row:
        error = None
        if code == 409:
            error = "Ý kiến vừa được người khác cập nhật (hiện: %s). Chưa thay đổi gì." % opinion.status_label
        elif code == 422:
            error = next(iter(form.first_errors().values()), None)
        return render_template("staff/opinions/_row.html", o=_row(opinion.id), back=back, row_error=error), 200
    if wants_fragment():
        ctx = _status_context(opinion, form if code != 200 else None, conflict)
        ctx.update(_work_context(opinion), history=_history(opinion), oob=True)
        return render_template("staff/opinions/_status_changed.html", **ctx), 200
    return _render_detail(opinion, code, status_form=form, conflict=conflict)


@bp.post("/<int:opinion_id>/theo-doi")
@roles_required(*WRITERS)
def followup_post(opinion_id):
    """Add a progress entry, a reminder or a note; htmx appends it to the log and clears the form."""
    opinion = _opinion_or_404(opinion_id)
    if not opinion.can_edit(g.user):
        abort(403)
    form = FollowUpForm()
    if not form.validate():
        if wants_fragment():
            return render_template("staff/opinions/_followup_added.html", opinion=opinion, entry=None,
                                   followup_form=form, first=False)
        return _render_detail(opinion, 422, followup_form=form)
    with db.atomic():
        entry = FollowUp.create(opinion=opinion.id, kind=form.kind.data, note=form.note.data.strip(),
                                percent_done=form.percent_done.data, user=g.user.id)
        audit(g.user, "create", entry, {"kind": (None, entry.kind), "note": (None, entry.note),
                                        "percent_done": (None, entry.percent_done)},
              summary="%s ý kiến %s" % (entry.kind_label, opinion.code))
    if not wants_fragment():
        flash("Đã ghi nhận %s." % entry.kind_label.lower(), "success")
        return redirect(url_for("opinions.detail_get", opinion_id=opinion.id) + "#theo-doi", code=303)
    entry.user = g.user
    first = FollowUp.select().where(FollowUp.opinion == opinion.id).count() == 1
    return render_template("staff/opinions/_followup_added.html", opinion=opinion, entry=entry,
                           followup_form=FollowUpForm(formdata=None), first=first, fresh=True)
