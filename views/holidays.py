"""The holiday calendar behind working-day deadlines: days off and make-up working days (admin only)."""
import datetime as dt
import functools

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

import models
from forms import REQUIRED, BaseForm, choices, parse_day, strip
from models import AuditLog, Holiday, audit, db, save_versioned
from services import deadlines
from views.auth import roles_required
from views.common import edit_with_conflict, form_version, get_or_404, wants_fragment

bp = Blueprint("holidays", __name__, url_prefix="/quan-tri/ngay-nghi")

FIRST_YEAR, LAST_YEAR = 1995, 2100  # years the screens accept (the package has nghỉ bù rules from 1995)
DAY_TAKEN = "Ngày này đã có trong lịch; sửa dòng đã có thay vì thêm mới."


def _year_arg(value, default=None):
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
        try:
            field.day = parse_day(field.data)
        except ValueError:
            field.day = None
            raise ValidationError("Ngày không hợp lệ: nhập dd/mm/yyyy, ví dụ 02/09/2026.") from None
        if not FIRST_YEAR <= field.day.year <= LAST_YEAR:
            raise ValidationError("Năm cần trong khoảng %d–%d." % (FIRST_YEAR, LAST_YEAR))
        taken = Holiday.select().where(Holiday.day == field.day)
        if self.holiday is not None:
            taken = taken.where(Holiday.id != self.holiday.id)
        if taken.exists():
            raise ValidationError(DAY_TAKEN)

    def validate_kind(self, field):
        day = getattr(self.day, "day", None)
        if field.data == "workday" and day is not None and day.weekday() < 5:
            raise ValidationError("Ngày làm bù là một ngày thứ Bảy hoặc Chủ nhật được đổi thành ngày làm việc; "
                                  "%s là %s." % (day.strftime("%d/%m/%Y"), deadlines.weekday_vn(day)))

    def values(self):
        return {"day": self.day.day, "name": self.name.data, "kind": self.kind.data}


def _conflict_fields(holiday):
    return [("Ngày", holiday.day.strftime("%d/%m/%Y")), ("Tên ngày nghỉ", holiday.name),
            ("Loại", models.HOLIDAY_KINDS.get(holiday.kind, holiday.kind))]


def _form_page(form, holiday=None, errors=None, current=None):
    conflict = current
    if conflict is not None:
        conflict.updated_by_name = AuditLog.last_editor_name(conflict)
    return render_template("staff/holidays/form.html", form=form, holiday=holiday, errors=errors or {},
                           conflict=conflict, conflict_fields=_conflict_fields(conflict) if conflict else [],
                           kinds=models.HOLIDAY_KINDS)


def _holiday_or_404(holiday_id):
    return get_or_404(Holiday.select().where(Holiday.id == holiday_id))


def _table_context(year, message=None, error=None):
    rows = list(Holiday.select().where(Holiday.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31)))
                .order_by(Holiday.day))
    return {"year": year, "rows": rows, "message": message, "error": error, "kinds": models.HOLIDAY_KINDS,
            "weekday": deadlines.weekday_vn,
            "off_count": sum(1 for r in rows if r.kind != "workday"),
            "workday_count": sum(1 for r in rows if r.kind == "workday"),
            "first_year": FIRST_YEAR, "last_year": LAST_YEAR}


def _list_page(year, error=None):
    return render_template("staff/holidays/list.html", **_table_context(year, error=error))


@bp.get("/")
@roles_required("admin")
def list_get():
    """The year's days off and make-up working days, in date order."""
    return _list_page(_year_arg(request.args.get("nam"), models.today().year))


@bp.get("/moi")
@roles_required("admin")
def new_get():
    """An empty form."""
    return _form_page(HolidayForm())


@bp.post("/moi")
@roles_required("admin")
def new_post():
    """Add a day off or a make-up working day."""
    def save(form):
        values = form.values()
        with db.atomic():
            holiday = Holiday.create(**values)
            audit(g.user, "create", holiday, {k: (None, v) for k, v in values.items()},
                  summary="Thêm %s %s: %s" % (models.HOLIDAY_KINDS[holiday.kind].lower(),
                                             holiday.day.strftime("%d/%m/%Y"), holiday.name))
        return holiday

    return edit_with_conflict(HolidayForm(), _form_page, save, _saved("Đã thêm"), refused={"day": DAY_TAKEN})


@bp.get("/<int:holiday_id>/sua")
@roles_required("admin")
def edit_get(holiday_id):
    """The day's form, filled in, carrying the version it was opened at."""
    holiday = _holiday_or_404(holiday_id)
    return _form_page(HolidayForm(obj=holiday, holiday=holiday), holiday)


@bp.post("/<int:holiday_id>/sua")
@roles_required("admin")
def edit_post(holiday_id):
    """Save the day unless someone saved it since it was opened (409 shows their version)."""
    holiday = _holiday_or_404(holiday_id)

    def save(form):
        return save_versioned(holiday, form_version(form), g.user, form.values(),
                              summary="Sửa ngày %s: %s" % (holiday.day.strftime("%d/%m/%Y"), holiday.name))

    return edit_with_conflict(HolidayForm(holiday=holiday), functools.partial(_form_page, holiday=holiday), save,
                              _saved("Đã lưu"), refused={"day": DAY_TAKEN})


def _saved(verb):
    """After a day is saved: the calendar cache goes, and the list of its year follows."""
    def done(holiday):
        deadlines.forget_calendar()
        return ("%s ngày %s: %s." % (verb, holiday.day.strftime("%d/%m/%Y"), holiday.name),
                url_for("holidays.list_get", nam=holiday.day.year))
    return done


@bp.post("/<int:holiday_id>/xoa")
@roles_required("admin")
def delete_post(holiday_id):
    """Remove a day from the calendar; htmx gets the year's table back, a plain form a 303."""
    holiday = _holiday_or_404(holiday_id)
    label = "%s: %s" % (holiday.day.strftime("%d/%m/%Y"), holiday.name)
    with db.atomic():
        Holiday.delete().where(Holiday.id == holiday.id).execute()
        audit(g.user, "delete", holiday,
              {"day": (holiday.day, None), "name": (holiday.name, None), "kind": (holiday.kind, None)},
              summary="Xóa ngày %s" % label)
    deadlines.forget_calendar()
    message = "Đã xóa ngày %s." % label
    if wants_fragment():
        return render_template("staff/holidays/_table.html", **_table_context(holiday.day.year, message=message))
    flash(message, "success")
    return redirect(url_for("holidays.list_get", nam=holiday.day.year), code=303)


@bp.post("/nap")
@roles_required("admin")
def seed_post():
    """Add the year's official holidays (Labour Code Art. 112) that the calendar lacks."""
    year = _year_arg(request.form.get("year"))
    if year is None:
        return _list_page(models.today().year, error="Năm không hợp lệ: chọn một năm từ %d đến %d."
                          % (FIRST_YEAR, LAST_YEAR)), 422
    created = deadlines.seed_official_holidays(year, g.user)
    if created:
        flash("Đã nạp %d ngày lễ chính thức năm %d." % (len(created), year), "success")
    else:
        flash("Lịch năm %d đã có đủ các ngày lễ chính thức; không thêm ngày nào." % year, "info")
    return redirect(url_for("holidays.list_get", nam=year), code=303)
