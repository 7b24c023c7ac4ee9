"""The conclusion notice's forms: the notice, one conclusion (with its deadline), signing, a step's note."""
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

import publication
from forms import BaseForm, IdSelectField, choices, valid_version
from models import Field, Unit, User, today
from services import deadlines
from services.notices import MAX_NUMBER
from services.text import person_sort_key, sort_key

DEADLINE_MODES = {"date": "Chọn ngày", "calendar": "Số ngày kể từ hôm nay",
                  "working": "Số ngày làm việc kể từ hôm nay"}


class NoticeForm(BaseForm):
    """Title, body and recipients of a notice (new and edit)."""

    title = StringField("Tiêu đề (trích yếu)", validators=[
        DataRequired("Vui lòng nhập tiêu đề thông báo."), Length(max=300, message="Tối đa 300 ký tự.")])
    body_md = TextAreaField("Nội dung thông báo", validators=[
        DataRequired("Vui lòng nhập nội dung thông báo."), Length(max=50000, message="Tối đa 50.000 ký tự.")])
    recipients = TextAreaField("Nơi nhận (mỗi dòng một nơi)", validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    opinion_ids = SelectMultipleField("Tạo sẵn kết luận cho các ý kiến", coerce=int,
                                      invalid_value_message="Ý kiến không hợp lệ.",
                                      invalid_choice_message="Ý kiến không thuộc buổi đối thoại này.")
    version = HiddenField()

    def __init__(self, *args, notice=None, opinions=(), **kwargs):
        super().__init__(*args, **kwargs)
        if notice is not None:
            self.version.validators = [valid_version]
        self.opinion_ids.choices = choices({o.id: o.code for o in opinions})

    @classmethod
    def of(cls, notice):
        """The edit form filled from the notice, at its version."""
        return cls(formdata=None, notice=notice, data={"title": notice.title, "body_md": notice.body_md,
                                                       "recipients": notice.recipients, "version": notice.version})

    def values(self):
        lines = [line.strip() for line in (self.recipients.data or "").splitlines() if line.strip()]
        return {"title": self.title.data.strip(), "body_md": self.body_md.data.strip() + "\n",
                "recipients": "\n".join(lines)}


class ConclusionForm(BaseForm):
    """One conclusion: what is decided, who acts and by when, what may go public, which opinions it answers."""

    decision = TextAreaField("Nội dung kết luận", validators=[
        DataRequired("Vui lòng nhập nội dung kết luận."), Length(max=5000, message="Tối đa 5.000 ký tự.")])
    unit_id = IdSelectField("Đơn vị chủ trì thực hiện", validators=[DataRequired("Vui lòng chọn đơn vị thực hiện.")])
    user_id = IdSelectField("Chuyên viên, người thực hiện", validators=[Optional()])
    deadline_mode = RadioField("Cách nhập thời hạn", choices=choices(DEADLINE_MODES), default="date",
                               validators=[DataRequired("Vui lòng chọn cách nhập thời hạn.")])
    deadline_on = DateField("Ngày hết hạn", validators=[Optional()],
                            invalid_value_message="Ngày không hợp lệ (nhập theo dạng dd/mm/yyyy).")
    deadline_days = IntegerField("Số ngày", validators=[Optional(), NumberRange(
        min=1, max=365, message="Số ngày từ 1 đến 365.")], invalid_value_message="Số ngày phải là số nguyên.")
    field_id = IdSelectField("Lĩnh vực", validators=[Optional()])
    public_summary = TextAreaField("Tóm tắt công khai (đăng trên trang Dân biết)", validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    is_public = BooleanField("Công khai kết luận khi đã thực hiện xong")
    opinion_ids = SelectMultipleField("Trả lời các ý kiến", coerce=int, invalid_value_message="Ý kiến không hợp lệ.",
                                      invalid_choice_message="Ý kiến không thuộc thông báo này.")
    version = HiddenField()

    def __init__(self, *args, conclusion=None, opinions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.conclusion = conclusion
        if conclusion is not None:
            self.version.validators = [valid_version]
        self.units = sorted(Unit.select().where(Unit.active == True), key=lambda u: sort_key(u.name))  # noqa: E712
        people = (User.select().where(User.unit.in_([u.id for u in self.units]), User.active == True,  # noqa: E712
                                      User.role.in_(("specialist", "unit_head"))))
        by_unit = {}
        for person in people:
            by_unit.setdefault(person.unit_id, []).append(person)
        self.people = [(u, sorted(by_unit.get(u.id, []), key=lambda p: person_sort_key(p.full_name)))
                       for u in self.units]
        self.fields = list(Field.select().order_by(Field.position, Field.name))
        self.opinion_ids.choices = choices({o.id: o.code for o in opinions})
        self.computed_deadline = None

    @classmethod
    def blank(cls, opinions):
        """A new conclusion's form: the deadline ten working days from today."""
        return cls(formdata=None, opinions=opinions, data={"deadline_mode": "working", "deadline_days": 10})

    @classmethod
    def of(cls, conclusion, opinions):
        """The edit form filled from the conclusion, at its version."""
        return cls(formdata=None, conclusion=conclusion, opinions=opinions, data={
            "decision": conclusion.decision, "unit_id": conclusion.responsible_unit_id,
            "user_id": conclusion.responsible_user_id, "deadline_mode": "date", "deadline_on": conclusion.deadline,
            "field_id": conclusion.field_id, "public_summary": conclusion.public_summary,
            "is_public": conclusion.is_public, "version": conclusion.version,
            "opinion_ids": [link.opinion_id for link in conclusion.opinion_links]})

    def validate_unit_id(self, field):
        if field.data is not None and field.data not in {u.id for u in self.units}:
            raise ValidationError("Đơn vị không tồn tại hoặc đã ngừng hoạt động.")

    def validate_user_id(self, field):
        if field.data is None:
            return
        person = User.get_or_none(User.id == field.data)
        if person is None or not person.active:
            raise ValidationError("Người thực hiện không tồn tại hoặc đã bị khóa.")
        if person.unit_id != self.unit_id.data:
            raise ValidationError("%s không thuộc đơn vị đã chọn." % person.full_name)

    def validate_field_id(self, field):
        if field.data is not None and field.data not in {f.id for f in self.fields}:
            raise ValidationError("Lĩnh vực không tồn tại.")

    def validate(self, extra_validators=None):
        """The fields' own checks, then the deadline: a date, or N calendar or working days from today.

        (An empty optional field stops its own validators, so the "required in this mode" rules live here.)
        """
        valid = super().validate(extra_validators)
        mode = self.deadline_mode.data
        if mode == "date" and not self.deadline_on.errors:
            day = self.deadline_on.data
            kept = self.conclusion is not None and self.conclusion.deadline == day
            if day is None:
                self.deadline_on.errors = ["Vui lòng nhập ngày hết hạn."]
            elif day < today() and not kept:
                self.deadline_on.errors = ["Thời hạn không được trước ngày hôm nay (%s)."
                                           % today().strftime("%d/%m/%Y")]
            else:
                self.computed_deadline = day
        elif mode in ("calendar", "working") and not self.deadline_days.errors:
            if self.deadline_days.data is None:
                self.deadline_days.errors = ["Vui lòng nhập số ngày."]
            else:
                self.computed_deadline = deadlines.add_deadline(today(), self.deadline_days.data, mode)
        return valid and self.computed_deadline is not None

    def validate_public_summary(self, field):
        problems = publication.personal_data_problems(field.data or "")
        if problems:
            raise ValidationError("Tóm tắt công khai không được chứa thông tin cá nhân: " + " ".join(problems))
        if self.is_public.data and not (field.data or "").strip():
            raise ValidationError("Kết luận công khai cần có tóm tắt công khai.")

    def values(self):
        return {"decision": self.decision.data.strip(), "responsible_unit": self.unit_id.data,
                "responsible_user": self.user_id.data, "deadline": self.computed_deadline,
                "field": self.field_id.data, "public_summary": (self.public_summary.data or "").strip(),
                "is_public": bool(self.is_public.data)}


class SignForm(BaseForm):
    """Sign with the proposed number of the series, or with the number of the office's register."""

    number_mode = RadioField("Số thông báo", choices=choices({"auto": "Cấp số tiếp theo",
                                                               "manual": "Nhập số theo sổ văn thư"}),
                             default="auto", validators=[DataRequired("Vui lòng chọn cách cấp số.")])
    number = IntegerField("Số theo sổ văn thư", validators=[Optional(), NumberRange(
        min=1, max=MAX_NUMBER, message="Số từ 1 đến %d." % MAX_NUMBER)],
        invalid_value_message="Số thông báo phải là số nguyên dương.")
    version = HiddenField(validators=[valid_version])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.number_mode.data == "manual" and self.number.data is None and not self.number.errors:
            self.number.errors = ["Vui lòng nhập số thông báo theo sổ văn thư."]
            return False
        return valid

    @property
    def manual_number(self):
        return self.number.data if self.number_mode.data == "manual" else None


class NoteForm(BaseForm):
    """A step with a version and (for returning to draft) a reason."""

    note = TextAreaField("Lý do", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])
    version = HiddenField(validators=[valid_version])
