"""Validation of the yearly dialogue plans: year (one plan each), title, number, dates, report deadlines, body."""
import datetime as dt

from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms import REQUIRED, BaseForm, strip, valid_version
from forms.admin import read_day, unique
from forms.holidays import FIRST_YEAR, LAST_YEAR, year_or
from models import Plan

YEAR_TAKEN = "Năm này đã có kế hoạch; mở kế hoạch của năm đó để sửa thay vì thêm mới."
BODY_MAX = 200_000
DATE_FIELDS = ("issued_on", "midyear_report_due", "annual_report_due")


def _day_text(value):
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else value


class PlanForm(BaseForm):
    """A plan's facts and Markdown text; the same form creates and edits (then with the version it was opened at)."""

    year = StringField("Năm kế hoạch", filters=[strip], validators=[DataRequired(REQUIRED % "năm kế hoạch")])
    title = StringField("Tên kế hoạch", filters=[strip], validators=[
        DataRequired(REQUIRED % "tên kế hoạch"), Length(max=300, message="Tên kế hoạch tối đa 300 ký tự.")])
    number = StringField("Số kế hoạch", filters=[strip], validators=[
        Length(max=60, message="Số kế hoạch tối đa 60 ký tự.")])
    issued_on = StringField("Ngày ban hành", filters=[strip])
    midyear_report_due = StringField("Hạn báo cáo 6 tháng", filters=[strip])
    annual_report_due = StringField("Hạn báo cáo năm", filters=[strip])
    body_md = TextAreaField("Nội dung kế hoạch (Markdown)", validators=[
        DataRequired(REQUIRED % "nội dung kế hoạch"),
        Length(max=BODY_MAX, message="Nội dung tối đa 200.000 ký tự.")])
    is_public = BooleanField("Công khai kế hoạch trên trang Dân biết")
    version = HiddenField()

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        if plan is not None:  # an edit says which version it started from
            self.version.validators = [valid_version]
        for name in DATE_FIELDS:  # filled from the record: shown as dd/mm/yyyy
            self[name].data = _day_text(self[name].data)
        self.year.value = None
        for name in DATE_FIELDS:
            self[name].day = None

    def validate_year(self, field):
        year = year_or(field.data)
        if year is None or not (str(field.data).isascii() and str(field.data).isdigit()):
            raise ValidationError("Năm không hợp lệ: nhập bốn chữ số, từ %d đến %d (ví dụ 2026)."
                                  % (FIRST_YEAR, LAST_YEAR))
        if self.plan is not None and year != self.plan.year and self.plan.is_in_use():
            raise ValidationError("Kế hoạch năm %d đã có buổi đối thoại hoặc báo cáo; không đổi năm được."
                                  % self.plan.year)
        unique(Plan.of_year(year), self.plan, YEAR_TAKEN)
        field.value = year

    def validate_issued_on(self, field):
        read_day(field, "10/01/2026")
        year = self.year.value
        if field.day is not None and year is not None and field.day.year not in (year - 1, year):
            raise ValidationError("Kế hoạch năm %d được ban hành trong năm %d hoặc cuối năm %d."
                                  % (year, year, year - 1))

    def _deadline(self, field, label):
        read_day(field, "14/06/2026")
        day, year, issued = field.day, self.year.value, self.issued_on.day
        if day is None:
            return
        if year is not None and day.year != year:
            raise ValidationError("%s phải thuộc năm của kế hoạch (%d)." % (label, year))
        if issued is not None and day <= issued:
            raise ValidationError("%s phải sau ngày ban hành kế hoạch (%s)." % (label, issued.strftime("%d/%m/%Y")))

    def validate_midyear_report_due(self, field):
        self._deadline(field, "Hạn báo cáo 6 tháng")

    def validate_annual_report_due(self, field):
        self._deadline(field, "Hạn báo cáo năm")
        midyear = self.midyear_report_due.day
        if field.day is not None and midyear is not None and field.day <= midyear:
            raise ValidationError("Hạn báo cáo năm phải sau hạn báo cáo 6 tháng (%s)." % midyear.strftime("%d/%m/%Y"))

    def values(self):
        """The model fields this form sets."""
        return {"year": self.year.value, "title": self.title.data, "number": self.number.data or "",
                "issued_on": self.issued_on.day, "body_md": self.body_md.data.strip(),
                "midyear_report_due": self.midyear_report_due.day, "annual_report_due": self.annual_report_due.day,
                "is_public": bool(self.is_public.data)}


def conflict_fields(plan):
    """A plan's stored values as (label, value), for the conflict box."""
    return [("Năm", plan.year), ("Tên kế hoạch", plan.title), ("Số", plan.number),
            ("Ngày ban hành", _day_text(plan.issued_on)),
            ("Hạn báo cáo 6 tháng", _day_text(plan.midyear_report_due)),
            ("Hạn báo cáo năm", _day_text(plan.annual_report_due)),
            ("Công khai", "Có" if plan.is_public else "Không"), ("Nội dung", plan.body_md)]
