"""Dialogues: list, detail, create, edit, lifecycle, minutes and fast entry of opinions."""
import datetime as dt

import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from filters import datetime_vn
from forms import BaseForm, IdSelectField, OpinionForm, valid_version
from models import (
    AUDIENCES,
    DIALOGUE_KINDS,
    DIALOGUE_NOTE_REQUIRED,
    DIALOGUE_STATUSES,
    OCCASIONS,
    AuditLog,
    ConclusionNotice,
    ConflictError,
    Dialogue,
    DialogueAttendee,
    DialogueField,
    Field,
    Opinion,
    Plan,
    StatusChange,
    Unit,
    User,
    audit,
    create_opinion,
    db,
    now,
    record_transition,
    save_versioned,
    today,
)
from services.text import person_sort_key
from views.auth import roles_required
from views.common import Page, page_arg, wants_fragment, year_arg

bp = Blueprint("dialogues", __name__, url_prefix="/doi-thoai")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
EDITORS = ("coordinator", "chief")
RECORDERS = ("specialist", "unit_head", "coordinator", "chief")  # fast entry during a meeting
WHEN = {"upcoming": "Sắp diễn ra", "past": "Đã qua"}
MINUTES_STATUSES = ("held", "concluded", "completed")


# ---------------------------------------------------------------- forms

def options(pairs):
    """Select choices from (value, label) pairs or a {value: label} mapping."""
    return [SelectChoice(value, label) for value, label in (pairs.items() if isinstance(pairs, dict) else pairs)]



class DialogueForm(BaseForm):
    """A dialogue's facts; the same form creates and edits."""

    title = StringField("Tên buổi đối thoại", validators=[
        DataRequired("Vui lòng nhập tên buổi đối thoại."), Length(max=300, message="Tối đa 300 ký tự.")])
    kind = SelectField("Hình thức", choices=options(DIALOGUE_KINDS), default="periodic",
                       invalid_choice_message="Hình thức đối thoại không hợp lệ.")
    audience = SelectField("Đối tượng", choices=options(AUDIENCES), default="staff",
                           invalid_choice_message="Đối tượng không hợp lệ.")
    occasion = SelectField("Gắn với hội nghị, giao ban (đối thoại định kỳ)", choices=options(OCCASIONS),
                           default="", invalid_choice_message="Hội nghị, giao ban không hợp lệ.")
    is_chairman = BooleanField("Đối thoại của Chủ tịch UBND tỉnh với Nhân dân")
    plan_id = IdSelectField("Thuộc kế hoạch")
    field_ids = SelectMultipleField("Lĩnh vực", coerce=int, invalid_value_message="Lĩnh vực không hợp lệ.",
                                    invalid_choice_message="Lĩnh vực không tồn tại.")
    starts_on = DateField("Ngày bắt đầu", validators=[InputRequired("Vui lòng nhập ngày bắt đầu.")],
                          invalid_value_message="Ngày không hợp lệ.")
    starts_time = TimeField("Giờ bắt đầu", format=["%H:%M", "%H:%M:%S"],
                            validators=[InputRequired("Vui lòng nhập giờ bắt đầu.")],
                            invalid_value_message="Giờ không hợp lệ (giờ:phút).")
    ends_on = DateField("Ngày kết thúc", validators=[Optional()], invalid_value_message="Ngày không hợp lệ.")
    ends_time = TimeField("Giờ kết thúc", format=["%H:%M", "%H:%M:%S"], validators=[Optional()],
                          invalid_value_message="Giờ không hợp lệ (giờ:phút).")
    place = StringField("Địa điểm", validators=[
        DataRequired("Vui lòng nhập địa điểm."), Length(max=300, message="Tối đa 300 ký tự.")])
    chair = StringField("Người chủ trì", validators=[Length(max=200, message="Tối đa 200 ký tự.")])
    description = TextAreaField("Nội dung, chương trình", validators=[
        Length(max=20000, message="Tối đa 20.000 ký tự.")])
    is_public = BooleanField("Công khai lịch đối thoại trên trang Dân biết")
    attendee_ids = SelectMultipleField("Lãnh đạo, chuyên viên được phân công dự", coerce=int,
                                       invalid_value_message="Người dự không hợp lệ.",
                                       invalid_choice_message="Người dự không tồn tại hoặc đã bị khóa.")
    version = HiddenField()

    def __init__(self, *args, dialogue=None, **kwargs):
        super().__init__(*args, **kwargs)
        if dialogue is not None:  # an edit says which version it started from
            self.version.validators = [valid_version]
        plans = list(Plan.select().order_by(Plan.year.desc()))
        self.plan_years = {p.id: p.year for p in plans}
        self.plan_id.choices = options([("", "— Không thuộc kế hoạch —")] + [
            (p.id, "Năm %d — %s" % (p.year, p.title)) for p in plans])
        self.field_ids.choices = options((f.id, f.name) for f in Field.select().order_by(Field.position, Field.name))
        keep = [a.user_id for a in dialogue.attendee_links] if dialogue is not None else []
        people = (User.select(User, Unit).join(Unit, pw.JOIN.LEFT_OUTER)
                  .where((User.active & (User.role != "admin")) | User.id.in_(keep or [0])))
        self.attendee_ids.choices = options(
            (u.id, "%s — %s%s" % (u.full_name, u.role_label, ", " + u.unit.name if u.unit_id else ""))
            for u in sorted(people, key=lambda u: person_sort_key(u.full_name)))

    def validate_occasion(self, field):
        if self.kind.data == "periodic" and not field.data:
            raise ValidationError("Đối thoại định kỳ cần chọn hội nghị hoặc buổi giao ban gắn kèm.")
        if self.kind.data != "periodic" and field.data:
            raise ValidationError("Chỉ đối thoại định kỳ mới gắn với hội nghị, giao ban.")

    def validate_is_chairman(self, field):
        if field.data and self.audience.data != "citizens":
            raise ValidationError("Đối thoại của Chủ tịch UBND tỉnh chỉ dành cho đối tượng Nhân dân.")

    def validate_plan_id(self, field):
        if field.data is not None and field.data not in self.plan_years:
            raise ValidationError("Kế hoạch không tồn tại.")
        year = self.plan_years.get(field.data)
        if year and self.starts_on.data and self.starts_on.data.year != year:
            raise ValidationError("Thời gian đối thoại phải thuộc năm của kế hoạch (%d)." % year)

    def validate_ends_on(self, field):
        if field.data and not (self.ends_time.raw_data and self.ends_time.raw_data[0].strip()):
            raise ValidationError("Có ngày kết thúc thì cần nhập cả giờ kết thúc.")

    def validate_ends_time(self, field):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError("Thời gian kết thúc phải sau thời gian bắt đầu.")

    @property
    def starts_at(self):
        if self.starts_on.data and self.starts_time.data:
            return dt.datetime.combine(self.starts_on.data, self.starts_time.data.replace(second=0))
        return None

    @property
    def ends_at(self):
        day = self.ends_on.data or self.starts_on.data
        if day and self.ends_time.data:
            return dt.datetime.combine(day, self.ends_time.data.replace(second=0))
        return None

    def fill(self, dialogue):
        """Put a stored dialogue's values in the form (GET of the edit page)."""
        for name in ("title", "kind", "audience", "occasion", "is_chairman", "place", "chair", "description",
                     "is_public", "version"):
            getattr(self, name).data = getattr(dialogue, name)
        self.plan_id.data = dialogue.plan_id
        self.starts_on.data, self.starts_time.data = dialogue.starts_at.date(), dialogue.starts_at.time()
        if dialogue.ends_at:
            self.ends_on.data, self.ends_time.data = dialogue.ends_at.date(), dialogue.ends_at.time()
        self.field_ids.data = [link.field_id for link in dialogue.field_links]
        self.attendee_ids.data = [link.user_id for link in dialogue.attendee_links]

    def values(self):
        """The dialogue's columns this form sets."""
        return {
            "title": self.title.data.strip(), "kind": self.kind.data, "audience": self.audience.data,
            "occasion": self.occasion.data or "", "is_chairman": bool(self.is_chairman.data),
            "plan": self.plan_id.data, "starts_at": self.starts_at, "ends_at": self.ends_at,
            "place": self.place.data.strip(), "chair": (self.chair.data or "").strip(),
            "description": (self.description.data or "").strip(), "is_public": bool(self.is_public.data),
        }


class StatusForm(BaseForm):
    """A lifecycle step: where to, why, from which version."""

    to = SelectField("Chuyển sang", choices=options(DIALOGUE_STATUSES),
                     invalid_choice_message="Trạng thái không hợp lệ.")
    note = TextAreaField("Ghi chú", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])
    version = HiddenField(validators=[valid_version])

    def validate_note(self, field):
        if self.to.data in DIALOGUE_NOTE_REQUIRED and not (field.data or "").strip():
            raise ValidationError("Vui lòng ghi lý do %s." % DIALOGUE_STATUSES[self.to.data].lower())


class MinutesForm(BaseForm):
    """The minutes of a dialogue once held."""

    attendance = IntegerField("Số người dự", validators=[
        InputRequired("Vui lòng nhập số người dự."),
        NumberRange(min=0, message="Số người dự không được âm.")],
        invalid_value_message="Số người dự phải là số nguyên.")
    discussion = TextAreaField("Nội dung trao đổi", validators=[Length(max=20000, message="Tối đa 20.000 ký tự.")])
    directions = TextAreaField("Ý kiến chỉ đạo của Chánh Văn phòng",
                               validators=[Length(max=20000, message="Tối đa 20.000 ký tự.")])
    version = HiddenField(validators=[valid_version])

    def values(self):
        return {"attendance": self.attendance.data, "discussion": (self.discussion.data or "").strip(),
                "directions": (self.directions.data or "").strip()}


def fast_entry_form(dialogue=None):
    """forms.OpinionForm for a dialogue: channel, dialogue and audience are fixed, not typed."""
    if dialogue is None:
        return OpinionForm(formdata=None)
    data = MultiDict(request.form)
    data.setlist("channel", ["dialogue"])
    data.setlist("dialogue_id", [str(dialogue.id)])
    data.setlist("audience", [dialogue.audience])
    # Raised at the meeting: received on its day (today while it is under way).
    data.setlist("received_on", [min(today(), dialogue.starts_at.date()).isoformat()])
    return OpinionForm(formdata=data)


# ---------------------------------------------------------------- helpers

def get_dialogue(dialogue_id):
    return Dialogue.get_or_none(Dialogue.id == dialogue_id) or abort(404)


def opinion_rows(base):
    """Opinions with the field and unit names in the same query (no N+1)."""
    return (base.select_extend(Field.name.alias("field_name"), Unit.name.alias("unit_name"))
            .join_from(Opinion, Field, pw.JOIN.LEFT_OUTER, on=(Opinion.field == Field.id))
            .join_from(Opinion, Unit, pw.JOIN.LEFT_OUTER, on=(Opinion.assigned_unit == Unit.id))
            .order_by(Opinion.id))


def may_record(user):
    return user.role in RECORDERS


def status_context(dialogue, errors=None, message=None, form=None):
    history = list(StatusChange.for_object(dialogue))
    return {"dialogue": dialogue, "history": history, "status_errors": errors or {},
            "status_message": message, "status_form": form}


def detail_context(dialogue, **extra):
    """Everything the detail page shows; `extra` overrides (forms with errors)."""
    fields = list(Field.select().join(DialogueField).where(DialogueField.dialogue == dialogue.id)
                  .order_by(Field.position, Field.name))
    attendees = sorted(DialogueAttendee.select(DialogueAttendee, User, Unit).join(User)
                       .join(Unit, pw.JOIN.LEFT_OUTER).where(DialogueAttendee.dialogue == dialogue.id),
                       key=lambda a: person_sort_key(a.user.full_name))
    opinions = list(opinion_rows(Opinion.visible_to(g.user, Opinion.select())
                                 .where(Opinion.dialogue == dialogue.id)).objects())
    notices = list(ConclusionNotice.select().where(ConclusionNotice.dialogue == dialogue.id)
                   .order_by(ConclusionNotice.created_at, ConclusionNotice.id))
    context = status_context(dialogue)
    context.update(fields=fields, attendees=attendees, opinions=opinions, notices=notices,
                   all_fields=list(Field.select().order_by(Field.position, Field.name)),
                   entry_form=None, entry_errors={}, may_record=may_record(g.user))
    context.update(extra)
    if context["entry_form"] is None:
        context["entry_form"] = fast_entry_form()
    return context


def conflict_fields(current):
    """The stored values another person saved, as (label, value) for `_macros.conflict`."""
    current.updated_by_name = AuditLog.last_editor_name(current)
    fields = ", ".join(f.name for f in Field.select().join(DialogueField)
                       .where(DialogueField.dialogue == current.id).order_by(Field.position))
    people = ", ".join(u.full_name for u in User.select().join(DialogueAttendee)
                       .where(DialogueAttendee.dialogue == current.id).order_by(User.full_name))
    return [
        ("Tên buổi đối thoại", current.title), ("Hình thức", current.kind_label),
        ("Đối tượng", current.audience_label), ("Hội nghị, giao ban", OCCASIONS.get(current.occasion, "")),
        ("Của Chủ tịch UBND tỉnh", "Có" if current.is_chairman else "Không"),
        ("Bắt đầu", datetime_vn(current.starts_at)), ("Kết thúc", datetime_vn(current.ends_at)),
        ("Địa điểm", current.place), ("Người chủ trì", current.chair), ("Lĩnh vực", fields),
        ("Người dự", people), ("Công khai", "Có" if current.is_public else "Không"),
        ("Nội dung, chương trình", current.description),
    ]


def replace_links(dialogue, field_ids, user_ids):
    """Make the dialogue's fields and attendees these; return the audit diff of what changed."""
    diff = {}
    for model, column, wanted, key in (
            (DialogueField, DialogueField.field, set(field_ids), "fields"),
            (DialogueAttendee, DialogueAttendee.user, set(user_ids), "attendees")):
        have = {row[0] for row in model.select(column).where(model.dialogue == dialogue.id).tuples()}
        if have == wanted:
            continue
        if have - wanted:
            model.delete().where(model.dialogue == dialogue.id, column.in_(have - wanted)).execute()
        if wanted - have:
            model.insert_many([{"dialogue": dialogue.id, column.name: i} for i in sorted(wanted - have)]).execute()
        diff[key] = (sorted(have), sorted(wanted))
    return diff


# ---------------------------------------------------------------- list and detail

def list_filters():
    """The list's filters from the query string; unknown values are ignored."""
    args = request.args
    return {
        "year": year_arg(),
        "kind": args.get("kind") if args.get("kind") in DIALOGUE_KINDS else "",
        "audience": args.get("audience") if args.get("audience") in AUDIENCES else "",
        "status": args.get("status") if args.get("status") in DIALOGUE_STATUSES else "",
        "when": args.get("when") if args.get("when") in WHEN else "",
    }


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Dialogues, newest first, filtered, with the number of opinions raised at each."""
    filters = list_filters()
    query = Dialogue.select()
    if filters["year"]:
        query = query.where(Dialogue.starts_at >= dt.datetime(filters["year"], 1, 1),
                            Dialogue.starts_at < dt.datetime(filters["year"] + 1, 1, 1))
    for name in ("kind", "audience", "status"):
        if filters[name]:
            query = query.where(getattr(Dialogue, name) == filters[name])
    if filters["when"] == "upcoming":
        query = query.where(Dialogue.starts_at >= now())
    elif filters["when"] == "past":
        query = query.where(Dialogue.starts_at < now())
    query = Dialogue.with_opinion_count(g.user, query).order_by(Dialogue.starts_at.desc(), Dialogue.id.desc())
    page = Page(query, page_arg(), current_app.config["PER_PAGE"])
    template = "staff/dialogues/_results.html" if wants_fragment() else "staff/dialogues/list.html"
    return render_template(template, page=page, filters=filters, years=Dialogue.years(), when=WHEN)


@bp.get("/<int:dialogue_id>")
@roles_required(*READERS)
def detail_get(dialogue_id):
    """One dialogue: facts, status and history, opinions raised, minutes, notices."""
    dialogue = get_dialogue(dialogue_id)
    return render_template("staff/dialogues/detail.html", **detail_context(dialogue))


# ---------------------------------------------------------------- create and edit

@bp.get("/moi")
@roles_required(*EDITORS)
def new_get():
    """The form for a new dialogue."""
    form = DialogueForm(formdata=None)
    plan = Plan.get_or_none(Plan.year == today().year)
    form.plan_id.data = plan.id if plan else None
    return render_template("staff/dialogues/form.html", form=form, errors={}, dialogue=None, current=None)


@bp.post("/moi")
@roles_required(*EDITORS)
def new_post():
    """Create a dialogue with its fields and attendees; its slug is made once, here."""
    form = DialogueForm()
    if not form.validate():
        return render_template("staff/dialogues/form.html", form=form, errors=form.first_errors(),
                               dialogue=None, current=None), 422
    values = form.values()
    status = "proposed" if values["is_chairman"] else "scheduled"
    with db.atomic():
        dialogue = Dialogue.create(slug=Dialogue.unique_slug(values["title"], values["starts_at"]), status=status,
                                   created_by=g.user.id, **values)
        links = replace_links(dialogue, form.field_ids.data or [], form.attendee_ids.data or [])
        changes = {k: (None, v) for k, v in values.items()}
        changes.update({k: (None, new) for k, (old, new) in links.items()})
        changes["slug"] = (None, dialogue.slug)
        changes["status"] = (None, status)
        record_transition(dialogue, g.user, "", status, "Tạo mới")
        audit(g.user, "create", dialogue, changes, summary="Tạo buổi đối thoại: %s" % dialogue.title)
    flash("Đã tạo buổi đối thoại “%s”." % dialogue.title, "success")
    return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id), code=303)


@bp.get("/<int:dialogue_id>/sua")
@roles_required(*EDITORS)
def edit_get(dialogue_id):
    """The edit form, filled with the stored values and their version."""
    dialogue = get_dialogue(dialogue_id)
    form = DialogueForm(formdata=None, dialogue=dialogue)
    form.fill(dialogue)
    return render_template("staff/dialogues/form.html", form=form, errors={}, dialogue=dialogue, current=None)


@bp.post("/<int:dialogue_id>/sua")
@roles_required(*EDITORS)
def edit_post(dialogue_id):
    """Save an edit unless someone saved the dialogue since it was opened (409 with their values)."""
    dialogue = get_dialogue(dialogue_id)
    form = DialogueForm(dialogue=dialogue)
    if not form.validate():
        return render_template("staff/dialogues/form.html", form=form, errors=form.first_errors(),
                               dialogue=dialogue, current=None), 422
    changes = form.values()
    field_ids, user_ids = form.field_ids.data or [], form.attendee_ids.data or []
    try:
        with db.atomic():
            have_fields = {link.field_id for link in dialogue.field_links}
            have_users = {link.user_id for link in dialogue.attendee_links}
            if have_fields != set(field_ids) or have_users != set(user_ids):
                changes["updated_at"] = now()  # the links changed: the version must grow too
            saved = save_versioned(dialogue, form.version.data, g.user, changes,
                                   summary="Sửa buổi đối thoại: %s" % changes["title"])
            links = replace_links(saved, field_ids, user_ids)
            if links:
                audit(g.user, "update", saved, links, summary="Sửa lĩnh vực, người dự: %s" % saved.title)
    except ConflictError as error:
        current = error.current
        form.version.data = current.version  # saving again now overwrites knowingly
        return render_template("staff/dialogues/form.html", form=form, errors={}, dialogue=dialogue,
                               current=current, current_fields=conflict_fields(current)), 409
    flash("Đã lưu thay đổi.", "success")
    return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id), code=303)


# ---------------------------------------------------------------- lifecycle

def status_response(dialogue, code, errors=None, message=None, form=None):
    """The status panel for htmx (200 so it is swapped in), else the whole page with `code`."""
    if wants_fragment():
        return render_template("staff/dialogues/_status.html",
                               **status_context(dialogue, errors, message, form))
    context = detail_context(dialogue)
    context.update(status_errors=errors or {}, status_message=message, status_form=form)
    return render_template("staff/dialogues/detail.html", **context), code


@bp.post("/<int:dialogue_id>/trang-thai")
@roles_required(*EDITORS)
def status_post(dialogue_id):
    """Move the dialogue along its lifecycle; a step that is not allowed is refused with the reason."""
    dialogue = get_dialogue(dialogue_id)
    form = StatusForm()
    if not form.validate():
        return status_response(dialogue, 422, form.first_errors(), form=form)
    target, note = form.to.data, (form.note.data or "").strip()
    reason = dialogue.refusal(target)
    if reason:
        return status_response(dialogue, 422, {"to": reason}, form=form)
    try:
        with db.atomic():
            saved = save_versioned(dialogue, form.version.data, g.user, {"status": target}, action="status",
                                   summary="Chuyển trạng thái: %s → %s" % (dialogue.status_label,
                                                                           DIALOGUE_STATUSES[target]))
            record_transition(saved, g.user, dialogue.status, target, note)
    except ConflictError as error:
        return status_response(error.current, 409, {"to": (
            "Buổi đối thoại vừa được người khác cập nhật (trạng thái hiện tại: %s). "
            "Kiểm tra lại rồi thực hiện lần nữa." % error.current.status_label)}, form=form)
    message = "Đã chuyển sang “%s”." % saved.status_label
    if wants_fragment():
        return render_template("staff/dialogues/_status.html", **status_context(saved, message=message))
    flash(message, "success")
    return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id), code=303)


# ---------------------------------------------------------------- minutes

def minutes_page(dialogue, form, code=200, current=None):
    blocked = None
    if dialogue.status not in MINUTES_STATUSES:
        blocked = "Chỉ ghi biên bản khi buổi đối thoại đã tổ chức (trạng thái hiện tại: %s)." % dialogue.status_label
    return render_template("staff/dialogues/minutes.html", dialogue=dialogue, form=form,
                           errors=form.first_errors() if code == 422 else {}, blocked=blocked, current=current,
                           current_fields=[("Số người dự", current.attendance),
                                           ("Nội dung trao đổi", current.discussion),
                                           ("Ý kiến chỉ đạo", current.directions)] if current else []), code


@bp.get("/<int:dialogue_id>/bien-ban")
@roles_required(*EDITORS)
def minutes_get(dialogue_id):
    """The minutes form (attendance, discussion, the chief's directions)."""
    dialogue = get_dialogue(dialogue_id)
    form = MinutesForm(formdata=None, data={"attendance": dialogue.attendance, "discussion": dialogue.discussion,
                                            "directions": dialogue.directions, "version": dialogue.version})
    if dialogue.status not in MINUTES_STATUSES:
        return minutes_page(dialogue, form, 409)
    return minutes_page(dialogue, form)


@bp.post("/<int:dialogue_id>/bien-ban")
@roles_required(*EDITORS)
def minutes_post(dialogue_id):
    """Save the minutes, with conflict detection."""
    dialogue = get_dialogue(dialogue_id)
    form = MinutesForm()
    if dialogue.status not in MINUTES_STATUSES:
        return minutes_page(dialogue, form, 409)
    if not form.validate():
        return minutes_page(dialogue, form, 422)
    try:
        save_versioned(dialogue, form.version.data, g.user, form.values(), action="minutes",
                       summary="Cập nhật biên bản: %s" % dialogue.title)
    except ConflictError as error:
        current = error.current
        current.updated_by_name = AuditLog.last_editor_name(current)
        form.version.data = current.version
        return minutes_page(dialogue, form, 409, current=current)
    flash("Đã lưu biên bản.", "success")
    return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id, _anchor="bien-ban"), code=303)


# ---------------------------------------------------------------- fast entry during a meeting

@bp.post("/<int:dialogue_id>/y-kien")
@roles_required(*RECORDERS)
def opinion_post(dialogue_id):
    """Record an opinion raised at this dialogue; htmx gets the new row and a cleared form."""
    dialogue = get_dialogue(dialogue_id)
    form = fast_entry_form(dialogue)
    fragment = wants_fragment()
    if not form.validate():
        errors = form.first_errors()
        if fragment:
            return render_template("staff/dialogues/_fast_entry.html", dialogue=dialogue, entry_form=form,
                                   entry_errors=errors, all_fields=list(Field.select().order_by(Field.position)))
        return render_template("staff/dialogues/detail.html",
                               **detail_context(dialogue, entry_form=form, entry_errors=errors)), 422
    opinion = create_opinion(g.user, **form.values())
    message = "Đã ghi nhận ý kiến %s." % opinion.code
    if not fragment:
        flash(message, "success")
        return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id, _anchor="nhap-nhanh"), code=303)
    row = opinion_rows(Opinion.select().where(Opinion.id == opinion.id)).objects().get()
    first = not (Opinion.visible_to(g.user, Opinion.select())
                 .where(Opinion.dialogue == dialogue.id, Opinion.id != opinion.id).exists())
    return render_template("staff/dialogues/_fast_entry.html", dialogue=dialogue, entry_form=fast_entry_form(),
                           entry_errors={}, all_fields=list(Field.select().order_by(Field.position)),
                           added=row, first=first, entry_message=message, autofocus=True)
