"""Validation of dialogues: their facts, lifecycle steps, minutes, and the fast entry of opinions."""
import datetime as dt

import peewee as pw
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

from forms import BaseForm, IdSelectField, OpinionForm, valid_version
from models import (
    AUDIENCES,
    DIALOGUE_KINDS,
    DIALOGUE_NOTE_REQUIRED,
    DIALOGUE_STATUSES,
    OCCASIONS,
    DialogueAttendee,
    Field,
    Plan,
    Unit,
    User,
    today,
)
from services.text import person_sort_key

MAX_ATTENDANCE = 100_000  # more than any hall holds: a larger number is a typing error


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


def _count(label):
    return IntegerField(label, validators=[
        Optional(), NumberRange(min=0, message="Số người không được âm."),
        NumberRange(max=MAX_ATTENDANCE, message="Tối đa 100.000 người.")],
        invalid_value_message="Số người phải là số nguyên.")


class MinutesForm(BaseForm):
    """The minutes of a dialogue once held; `minutes_form` adds the answer and direction of each opinion."""

    attendance = IntegerField("Tổng số người dự", validators=[
        InputRequired("Vui lòng nhập số người dự."),
        NumberRange(min=0, message="Số người dự không được âm."),
        NumberRange(max=MAX_ATTENDANCE, message="Số người dự tối đa 100.000.")],
        invalid_value_message="Số người dự phải là số nguyên.")
    attendance_leaders = _count("Lãnh đạo")
    attendance_staff = _count("Công chức, viên chức, người lao động")
    attendance_citizens = _count("Công dân")
    attendance_guests = _count("Khách mời")
    secretary = StringField("Thư ký (người ghi biên bản)", validators=[
        Length(max=200, message="Tối đa 200 ký tự.")])
    discussion = TextAreaField("Nội dung trao đổi", validators=[Length(max=20000, message="Tối đa 20.000 ký tự.")])
    directions = TextAreaField("Kết luận, chỉ đạo của người chủ trì",
                               validators=[Length(max=20000, message="Tối đa 20.000 ký tự.")])
    version = HiddenField(validators=[valid_version])
    opinion_ids = ()

    GROUPS = ("attendance_leaders", "attendance_staff", "attendance_citizens", "attendance_guests")

    def validate_attendance(self, field):
        counted = [getattr(self, name).data for name in self.GROUPS if getattr(self, name).data is not None]
        if counted and field.data is not None and sum(counted) != field.data:
            raise ValidationError("Tổng số người dự (%d) khác tổng các thành phần (%d)." % (field.data, sum(counted)))

    def values(self):
        out = {"attendance": self.attendance.data, "secretary": (self.secretary.data or "").strip(),
               "discussion": (self.discussion.data or "").strip(), "directions": (self.directions.data or "").strip()}
        out.update({name: getattr(self, name).data for name in self.GROUPS})
        return out

    def answers(self):
        """{opinion id: (answer, direction)} as typed."""
        return {i: ((self["answer_%d" % i].data or "").strip(), (self["direction_%d" % i].data or "").strip())
                for i in self.opinion_ids}


def minutes_form(opinions, formdata=None, data=None):
    """MinutesForm with a pair of text areas (answer, direction) for each opinion raised at the dialogue."""
    class Form(MinutesForm):
        pass

    for opinion in opinions:
        limit = Length(max=5000, message="Tối đa 5.000 ký tự.")
        setattr(Form, "answer_%d" % opinion.id, TextAreaField("Trả lời tại buổi đối thoại", validators=[limit]))
        setattr(Form, "direction_%d" % opinion.id, TextAreaField("Chỉ đạo của người chủ trì", validators=[limit]))
    Form.opinion_ids = tuple(o.id for o in opinions)
    if data is not None:
        return Form(formdata=None, data=data)
    return Form(formdata=formdata) if formdata is not None else Form()


def fast_entry_form(dialogue=None, formdata=None):
    """forms.OpinionForm for a dialogue: channel, dialogue and audience are fixed, not typed."""
    if dialogue is None:
        return OpinionForm(formdata=None)
    data = MultiDict(formdata)
    data.setlist("channel", ["dialogue"])
    data.setlist("dialogue_id", [str(dialogue.id)])
    data.setlist("audience", [dialogue.audience])
    # Raised at the meeting: received on its day (today while it is under way).
    data.setlist("received_on", [min(today(), dialogue.starts_at.date()).isoformat()])
    return OpinionForm(formdata=data)


def _when(value):
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def conflict_fields(current):
    """The stored values another person saved, as (label, value) for `_macros.conflict`."""
    fields = ", ".join(f.name for f in current.fields_in_order())
    people = ", ".join(u.full_name for u in User.select().join(DialogueAttendee)
                       .where(DialogueAttendee.dialogue == current.id).order_by(User.full_name))
    return [
        ("Tên buổi đối thoại", current.title), ("Hình thức", current.kind_label),
        ("Đối tượng", current.audience_label), ("Hội nghị, giao ban", OCCASIONS.get(current.occasion, "")),
        ("Của Chủ tịch UBND tỉnh", "Có" if current.is_chairman else "Không"),
        ("Bắt đầu", _when(current.starts_at)), ("Kết thúc", _when(current.ends_at)),
        ("Địa điểm", current.place), ("Người chủ trì", current.chair), ("Lĩnh vực", fields),
        ("Người dự", people), ("Công khai", "Có" if current.is_public else "Không"),
        ("Nội dung, chương trình", current.description),
    ]


def minutes_conflict_fields(current):
    return [("Số người dự", current.attendance), ("Thư ký", current.secretary),
            ("Nội dung trao đổi", current.discussion), ("Kết luận, chỉ đạo", current.directions)]
