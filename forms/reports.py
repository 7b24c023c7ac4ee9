"""Validation of the statutory reports: a new report, a draft's edit, its steps and its approval."""
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from forms import BaseForm, IdSelectField, parse_id
from models import REPORT_KINDS, Plan, Report
from services.reports import REPORT_STATUSES, lines

INVALID_DAY = "Ngày không hợp lệ (nhập theo dạng dd/mm/yyyy)."


def _in_plan_year(plan_of):
    def check(form, field):
        plan = plan_of(form)
        if field.data and plan is not None:
            if field.data.year != plan.year:
                raise ValidationError("Ngày chốt số liệu phải thuộc năm %d của kế hoạch." % plan.year)
    return check


def _report_version(form, field):
    """The version the report was shown at (conflict detection) must be there."""
    if parse_id(field.data) is None:
        raise ValidationError("Thiếu số phiên bản của báo cáo; vui lòng tải lại trang.")


class NewReportForm(BaseForm):
    plan_id = IdSelectField("Kế hoạch")
    kind = SelectField("Loại báo cáo", choices=[SelectChoice(k, v) for k, v in REPORT_KINDS.items()],
                       default="midyear", invalid_choice_message="Loại báo cáo không hợp lệ.")
    cutoff = DateField("Ngày chốt số liệu", validators=[Optional(), _in_plan_year(lambda f: f.plan)],
                       invalid_value_message=INVALID_DAY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = list(Plan.select().order_by(Plan.year.desc()))
        self.plan_id.choices = [SelectChoice(p.id, "Năm %d — %s" % (p.year, p.title)) for p in self.plans]

    @property
    def plan(self):
        return next((p for p in self.plans if p.id == self.plan_id.data), None)

    def taken(self, kind):
        """"The plan has a report of that kind already", the message beside the kind."""
        return "Kế hoạch năm %d đã có %s." % (self.plan.year, REPORT_KINDS[kind].lower())

    def validate_plan_id(self, field):
        if field.data is None:
            raise ValidationError("Vui lòng chọn kế hoạch.")
        if self.plan is None:
            raise ValidationError("Kế hoạch không tồn tại.")

    def validate_kind(self, field):
        if self.plan is not None and Report.select().where(Report.plan == self.plan.id,
                                                           Report.kind == field.data).exists():
            raise ValidationError(self.taken(field.data))


class EditReportForm(BaseForm):
    cutoff = DateField("Ngày chốt số liệu", validators=[_in_plan_year(lambda f: f.report.plan)],
                       invalid_value_message=INVALID_DAY)
    narrative_md = TextAreaField("Nội dung báo cáo (Markdown)", validators=[
        Length(max=100000, message="Tối đa 100.000 ký tự.")])
    recipients = TextAreaField("Nơi nhận (mỗi dòng một nơi)", validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    version = HiddenField(validators=[_report_version])

    def __init__(self, *args, report=None, **kwargs):
        self.report = report
        super().__init__(*args, **kwargs)

    def validate_cutoff(self, field):
        if field.data is None:
            raise ValidationError("Vui lòng nhập ngày chốt số liệu.")

    def validate_recipients(self, field):
        if not lines(field.data):
            raise ValidationError("Vui lòng nhập ít nhất một nơi nhận.")

    def values(self):
        return {"cutoff": self.cutoff.data, "narrative_md": (self.narrative_md.data or "").strip() + "\n",
                "recipients": "\n".join(lines(self.recipients.data))}


class StatusForm(BaseForm):
    to = SelectField("Chuyển sang", choices=[SelectChoice(k, v) for k, v in REPORT_STATUSES.items()],
                     invalid_choice_message="Trạng thái không hợp lệ.")
    note = TextAreaField("Ghi chú, lý do", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])
    version = HiddenField(validators=[_report_version])

    def validate_note(self, field):
        if self.to.data == "draft" and not (field.data or "").strip():
            raise ValidationError("Vui lòng ghi lý do trả lại, rút lại báo cáo.")


class ApproveForm(BaseForm):
    """The chief's approval: the version the report was shown at, and an optional note."""

    note = TextAreaField("Ý kiến phê duyệt")
    version = HiddenField(validators=[_report_version])
