"""Validation of the opinion register: its filters, the choices of its selects, the forms of an opinion's page."""
import datetime as dt
from collections import namedtuple

from wtforms import DateField, IntegerField, SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

import models
from forms import BaseForm, IdSelectField, OpinionForm, parse_id
from models import (
    FOLLOWUP_KINDS,
    NOTE_REQUIRED,
    OPINION_STATUSES,
    AnswerTemplate,
    Dialogue,
    Field,
    Opinion,
    Unit,
    User,
    db,
    today,
)
from services import deadlines
from services.text import clean_typed, person_sort_key, sort_key

TARGET_LABELS = dict(OPINION_STATUSES, reopen="Mở lại")
DIALOGUE_CHOICES = 100  # the most recent dialogues offered in selects


def register_filters(args):
    """The register's filters from a query string (Opinion.register reads them); unknown values are ignored."""
    sort = args.get("sort", "")
    return {
        "q": clean_typed(args.get("q", "")).strip()[:200],  # no NUL reaches the database (PostgreSQL refuses it)
        "status": args.get("status") if args.get("status") in OPINION_STATUSES else "",
        "kind": args.get("kind") if args.get("kind") in models.OPINION_KINDS else "",
        "audience": args.get("audience") if args.get("audience") in models.AUDIENCES else "",
        "field": parse_id(args.get("field", "")), "unit": parse_id(args.get("unit", "")),
        "dialogue": parse_id(args.get("dialogue", "")),
        "overdue": args.get("overdue") == "1",
        "sort": sort if sort.lstrip("-") in Opinion.REGISTER_SORTS else "",
    }


# ---------------------------------------------------------------- choices for the selects

RecentDialogue = namedtuple("RecentDialogue", "id title starts_at")


def recent_dialogues(selected=None):
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


def opinion_form(formdata=None, dialogue_id=None):
    """The new-opinion form with its fields and recent dialogues (plus the chosen one) from the database."""
    form = OpinionForm(formdata=formdata) if formdata is not None else OpinionForm()
    if dialogue_id is not None:
        form.dialogue_id.data = dialogue_id
    form.field_id.choices = [SelectChoice("", "— Chưa xác định —")] + [
        SelectChoice(f.id, f.name) for f in Field.select().order_by(Field.position, Field.name)]
    form.dialogue_id.choices = [SelectChoice("", "— Không gắn với buổi đối thoại —")] + [
        SelectChoice(d.id, "%s (%s)" % (d.title, d.starts_at.strftime("%d/%m/%Y"))) for d in recent_dialogues(
            form.dialogue_id.data if isinstance(form.dialogue_id.data, int) else None)]
    return form


def assignable_units(user):
    """Units the user may assign to: every active unit, or a unit head's own."""
    query = Unit.select().where(Unit.active == True)  # noqa: E712
    if user.role == "unit_head":
        query = query.where(Unit.id == user.unit_id)
    return sorted(query, key=lambda u: sort_key(u.name))


def assignee_groups(units):
    """[(unit, [people])] who can be given an opinion, grouped by unit, in Vietnamese order."""
    # Only what the choice shows (tuples, not whole accounts): the register's bulk form lists every unit's staff.
    people = (User.select(User.id, User.full_name, User.role, User.unit.alias("unit_id"))
              .where(User.unit.in_([u.id for u in units]), User.active == True,  # noqa: E712
                     User.role.in_(("specialist", "unit_head"))).namedtuples())
    by_unit = {}
    for person in people:
        by_unit.setdefault(person.unit_id, []).append(person)
    return [(u, sorted(by_unit.get(u.id, []), key=lambda p: person_sort_key(p.full_name))) for u in units]


# ---------------------------------------------------------------- the forms of an opinion's page

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
        reason = self.opinion.deadline_refusal(field.data) if self.opinion else None
        if reason:
            raise ValidationError(reason)


class AnswerForm(ActionForm):
    draft_answer = TextAreaField("Dự thảo nội dung trả lời", validators=[
        Length(max=10000, message="Tối đa 10.000 ký tự.")])
    resolution_path = TextAreaField("Hướng giải quyết", validators=[
        Length(max=5000, message="Tối đa 5.000 ký tự.")])

    answer_template_id = IdSelectField("Mẫu trả lời")

    def validate_draft_answer(self, field):
        if not (field.data or "").strip() and not (self.resolution_path.data or "").strip():
            raise ValidationError("Vui lòng nhập dự thảo trả lời hoặc hướng giải quyết.")

    def validate_answer_template_id(self, field):
        if field.data is not None and self.chosen_template() is None:
            raise ValidationError("Mẫu trả lời không dùng được cho ý kiến này.")

    def usable_templates(self):
        """The templates this opinion's answer may use (and the one it used, even retired)."""
        if not hasattr(self, "_usable"):
            self._usable = AnswerTemplate.usable_for(self.opinion, keep=self.opinion.answer_template_id)
        return self._usable

    def chosen_template(self):
        """The chosen template if it is one of the usable ones, else None."""
        return next((t for t in self.usable_templates() if t.id == self.answer_template_id.data), None)

    def values(self):
        return {"draft_answer": (self.draft_answer.data or "").strip(),
                "resolution_path": (self.resolution_path.data or "").strip(),
                "answer_template": self.answer_template_id.data}


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


# ---------------------------------------------------------------- acting on many opinions of the register

def bulk_picked(formdata):
    """[(id, version seen or None)] of the opinions ticked in the register (`ids`, each with its `v<id>`)."""
    picked = []
    for raw in formdata.getlist("ids"):
        opinion_id = parse_id(raw)
        if opinion_id is not None:
            version = formdata.get("v%d" % opinion_id, "")
            picked.append((opinion_id, int(version) if version.isdigit() and len(version) < 10 else None))
    return picked


def directors(user):
    """Who may be recorded as having directed an assignment: the user, and the chief and deputy chiefs."""
    bosses = User.select().where(User.role.in_(("chief", "leader")), User.active == True,  # noqa: E712
                                 User.id != user.id)
    return [user] + sorted(bosses, key=lambda p: (p.role != "chief", person_sort_key(p.full_name)))


class BulkAssignForm(AssignForm):
    """The register's assignment of many opinions: each item's version is checked by the service, not here."""

    version = None
    directed_by_id = IdSelectField("Người chỉ đạo giao")

    def validate_directed_by_id(self, field):
        if field.data is None or field.data not in {p.id for p in directors(self.user)}:
            raise ValidationError("Vui lòng chọn người chỉ đạo: bạn, Chánh Văn phòng hoặc Phó Chánh Văn phòng.")


class BulkStatusForm(StatusForm):
    """The register's status move of many opinions, with one note for all."""

    version = None
