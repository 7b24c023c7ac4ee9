"""Triage of a citizen's dialogue request: schedule a direct dialogue, answer in writing, refer, refuse."""
import datetime as dt

from flask import current_app
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from forms import REQUIRED, BaseForm
from forms.opinions import ActionForm


class ScheduleForm(ActionForm):
    day = DateField("Ngày đối thoại", validators=[DataRequired(REQUIRED % "ngày đối thoại")])
    time = TimeField("Giờ bắt đầu", validators=[DataRequired(REQUIRED % "giờ bắt đầu")])
    place = StringField("Địa điểm", validators=[DataRequired(REQUIRED % "địa điểm"),
                                                Length(max=300, message="Tối đa 300 ký tự.")])
    title = StringField("Tên buổi đối thoại", validators=[Length(max=300, message="Tối đa 300 ký tự.")])

    def starts_at(self):
        return dt.datetime.combine(self.day.data, self.time.data.replace(second=0, microsecond=0))


class AnswerForm(ActionForm):
    public_note = TextAreaField("Nội dung trả lời (công dân đọc được khi tra cứu)", validators=[
        DataRequired(REQUIRED % "nội dung trả lời"), Length(max=2000, message="Tối đa 2.000 ký tự.")])


class ReferForm(ActionForm):
    referred_to = StringField("Cơ quan có thẩm quyền", validators=[
        DataRequired(REQUIRED % "tên cơ quan có thẩm quyền"), Length(max=300, message="Tối đa 300 ký tự.")])


class RefuseForm(ActionForm):
    reason = SelectField("Lý do không tiếp nhận", validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [SelectChoice("", "— Chọn lý do —")] + [
            SelectChoice(r, r) for r in current_app.config["INTAKE_REFUSAL_REASONS"]]

    def validate_reason(self, field):
        if field.data not in current_app.config["INTAKE_REFUSAL_REASONS"]:
            raise ValidationError("Vui lòng chọn lý do trong danh sách.")


class LookupForm(BaseForm):
    """Find a request by its tracking code, its national code (mã PAKN) or the person's phone."""
    q = StringField("Mã tra cứu, mã PAKN hoặc số điện thoại", validators=[Length(max=60)])
