"""Validation of the holiday calendar: a day off or a make-up working day, one per date."""
import datetime as dt

from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

import models
from forms import REQUIRED, BaseForm, choices, strip
from forms.admin import read_day, unique
from models import Holiday
from services import deadlines

FIRST_YEAR, LAST_YEAR = 1995, 2100  # years the screens accept (the package has nghỉ bù rules from 1995)
DAY_TAKEN = "Ngày này đã có trong lịch; sửa dòng đã có thay vì thêm mới."


def year_or(value, default=None):
    """A year the screens accept from text, else `default`."""
    try:
        year = int(value)
    except (TypeError, ValueError):
        return default
    return year if FIRST_YEAR <= year <= LAST_YEAR else default


class HolidayForm(BaseForm):
    day = StringField("Ngày", filters=[strip], validators=[DataRequired(REQUIRED % "ngày")])
    name = StringField("Tên ngày nghỉ", filters=[strip], validators=[
        DataRequired(REQUIRED % "tên ngày nghỉ"), Length(max=120, message="Tên tối đa 120 ký tự.")])
    kind = SelectField("Loại", choices=choices(models.HOLIDAY_KINDS), default="holiday", validate_choice=False,
                       validators=[AnyOf(list(models.HOLIDAY_KINDS), message="Vui lòng chọn loại trong danh sách.")])
    version = HiddenField()

    def __init__(self, *args, holiday=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.holiday = holiday
        if isinstance(self.day.data, dt.date):  # filled from the record: show it as dd/mm/yyyy
            self.day.data = self.day.data.strftime("%d/%m/%Y")

    def validate_day(self, field):
        read_day(field, "02/09/2026")
        if not FIRST_YEAR <= field.day.year <= LAST_YEAR:
            raise ValidationError("Năm cần trong khoảng %d–%d." % (FIRST_YEAR, LAST_YEAR))
        unique(Holiday.select().where(Holiday.day == field.day), self.holiday, DAY_TAKEN)

    def validate_kind(self, field):
        day = getattr(self.day, "day", None)
        if field.data == "workday" and day is not None and day.weekday() < 5:
            raise ValidationError("Ngày làm bù là một ngày thứ Bảy hoặc Chủ nhật được đổi thành ngày làm việc; "
                                  "%s là %s." % (day.strftime("%d/%m/%Y"), deadlines.weekday_vn(day)))

    def values(self):
        return {"day": self.day.day, "name": self.name.data, "kind": self.kind.data}


def conflict_fields(holiday):
    """A day's stored values as (label, value), for the conflict box."""
    return [("Ngày", holiday.day.strftime("%d/%m/%Y")), ("Tên ngày nghỉ", holiday.name),
            ("Loại", models.HOLIDAY_KINDS.get(holiday.kind, holiday.kind))]
