"""Validation of the reports (statutory and for any period): a new report, a draft's edit, its steps, its approval."""
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from forms import BaseForm, IdSelectField, parse_id
from models import REPORT_KINDS, STATUTORY_REPORT_KINDS, Plan, Report
from services.reports import PERIOD_KINDS, REPORT_STATUSES, lines, period_of, period_words

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
    """A new report: a statutory one (plan, kind, cut-off) or one for a period (a month, a quarter, the first
    9 months of the plan's year, or a date range, which belongs to the plan of its last day's year)."""

    plan_id = IdSelectField("Kế hoạch")
    kind = SelectField("Loại báo cáo", choices=[SelectChoice(k, v) for k, v in REPORT_KINDS.items()],
                       default="midyear", invalid_choice_message="Loại báo cáo không hợp lệ.")
    cutoff = DateField("Ngày chốt số liệu", validators=[Optional(), _in_plan_year(lambda f: f.plan)],
                       invalid_value_message=INVALID_DAY)
    month = SelectField("Tháng", choices=[SelectChoice(str(m), "Tháng %d" % m) for m in range(1, 13)],
                        default="1", invalid_choice_message="Tháng không hợp lệ.")
    quarter = SelectField("Quý", choices=[SelectChoice(str(q), "Quý %s" % r) for q, r in
                                          ((1, "I"), (2, "II"), (3, "III"), (4, "IV"))],
                          default="1", invalid_choice_message="Quý không hợp lệ.")
    period_start = DateField("Từ ngày", validators=[Optional()], invalid_value_message=INVALID_DAY)
    period_end = DateField("Đến ngày", validators=[Optional()], invalid_value_message=INVALID_DAY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = list(Plan.select().order_by(Plan.year.desc()))
        self.plan_id.choices = [SelectChoice(p.id, "Năm %d — %s" % (p.year, p.title)) for p in self.plans]

    @property
    def plan(self):
        return next((p for p in self.plans if p.id == self.plan_id.data), None)

    @property
    def period(self):
        """(first day, last day, key) of a periodic report, or None (statutory, or not yet valid)."""
        kind = self.kind.data
        if kind not in PERIOD_KINDS:
            return None
        try:
            if kind == "range":
                return period_of(kind, start=self.period_start.data, end=self.period_end.data)
            if self.plan is None:
                return None
            return period_of(kind, self.plan.year, month=int(self.month.data or 1),
                             quarter=int(self.quarter.data or 1))
        except ValueError:
            return None

    def taken(self, kind):
        """"The plan has a report of that kind (and period) already", the message beside the kind."""
        period = self.period
        if period is not None:
            return "Đã có báo cáo %s." % period_words(kind, period[0], period[1])
        return "Kế hoạch năm %d đã có %s." % (self.plan.year, REPORT_KINDS[kind].lower())

    def validate_plan_id(self, field):
        if self.kind.data == "range" and self.period_end.data:
            # a range belongs to the plan of its last day's year
            plan = next((p for p in self.plans if p.year == self.period_end.data.year), None)
            if plan is None:
                raise ValidationError("Chưa có kế hoạch năm %d, năm của ngày cuối kỳ." % self.period_end.data.year)
            field.data = plan.id
            return
        if field.data is None:
            raise ValidationError("Vui lòng chọn kế hoạch.")
        if self.plan is None:
            raise ValidationError("Kế hoạch không tồn tại.")

    def validate_period_start(self, field):
        if self.kind.data == "range" and field.data is None and not field.errors:
            raise ValidationError("Vui lòng nhập ngày đầu kỳ.")

    def validate_period_end(self, field):
        if self.kind.data != "range":
            return
        if field.data is None:
            raise ValidationError("Vui lòng nhập ngày cuối kỳ.")
        if self.period_start.data and field.data < self.period_start.data:
            raise ValidationError("Ngày cuối kỳ phải từ ngày đầu kỳ trở đi.")

    def validate_kind(self, field):
        if self.plan is None:
            return
        key = str(self.plan.year) if field.data in STATUTORY_REPORT_KINDS else (self.period or (None, None, None))[2]
        if key is not None and Report.select().where(Report.plan == self.plan.id, Report.kind == field.data,
                                                     Report.period_key == key).exists():
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
        if field.data is None and self.report.kind in STATUTORY_REPORT_KINDS:
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
