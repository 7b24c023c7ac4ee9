"""The holiday calendar behind working-day deadlines: days off and make-up working days (admin only)."""
import functools

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

import models
from forms.holidays import DAY_TAKEN, FIRST_YEAR, LAST_YEAR, HolidayForm, conflict_fields, year_or
from models import AuditLog, Holiday
from services import deadlines
from services import holidays as holiday_service
from views.auth import roles_required
from views.common import edit_with_conflict, form_version, get_or_404, wants_fragment

bp = Blueprint("holidays", __name__, url_prefix="/quan-tri/ngay-nghi")


def _form_page(form, holiday=None, errors=None, current=None):
    conflict = current
    if conflict is not None:
        conflict.updated_by_name = AuditLog.last_editor_name(conflict)
    return render_template("staff/holidays/form.html", form=form, holiday=holiday, errors=errors or {},
                           conflict=conflict, conflict_fields=conflict_fields(conflict) if conflict else [],
                           kinds=models.HOLIDAY_KINDS)


def _holiday_or_404(holiday_id):
    return get_or_404(Holiday.select().where(Holiday.id == holiday_id))


def _table_context(year, message=None, error=None):
    rows = Holiday.in_year(year)
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
    return _list_page(year_or(request.args.get("nam"), models.today().year))


@bp.get("/moi")
@roles_required("admin")
def new_get():
    """An empty form."""
    return _form_page(HolidayForm())


@bp.post("/moi")
@roles_required("admin")
def new_post():
    """Add a day off or a make-up working day."""
    return edit_with_conflict(HolidayForm(), _form_page, lambda form: holiday_service.add(g.user, form.values()),
                              _saved("Đã thêm"), refused={"day": DAY_TAKEN})


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
        return holiday_service.edit(holiday, form_version(form), g.user, form.values())

    return edit_with_conflict(HolidayForm(holiday=holiday), functools.partial(_form_page, holiday=holiday), save,
                              _saved("Đã lưu"), refused={"day": DAY_TAKEN})


def _saved(verb):
    """After a day is saved: the list of its year follows."""
    def done(holiday):
        return ("%s ngày %s." % (verb, holiday_service.label(holiday)),
                url_for("holidays.list_get", nam=holiday.day.year))
    return done


@bp.post("/<int:holiday_id>/xoa")
@roles_required("admin")
def delete_post(holiday_id):
    """Remove a day from the calendar; htmx gets the year's table back, a plain form a 303."""
    holiday = _holiday_or_404(holiday_id)
    holiday_service.remove(g.user, holiday)
    message = "Đã xóa ngày %s." % holiday_service.label(holiday)
    if wants_fragment():
        return render_template("staff/holidays/_table.html", **_table_context(holiday.day.year, message=message))
    flash(message, "success")
    return redirect(url_for("holidays.list_get", nam=holiday.day.year), code=303)


@bp.post("/nap")
@roles_required("admin")
def seed_post():
    """Add the year's official holidays (Labour Code Art. 112) that the calendar lacks."""
    year = year_or(request.form.get("year"))
    if year is None:
        return _list_page(models.today().year, error="Năm không hợp lệ: chọn một năm từ %d đến %d."
                          % (FIRST_YEAR, LAST_YEAR)), 422
    created = deadlines.seed_official_holidays(year, g.user)
    if created:
        flash("Đã nạp %d ngày lễ chính thức năm %d." % (len(created), year), "success")
    else:
        flash("Lịch năm %d đã có đủ các ngày lễ chính thức; không thêm ngày nào." % year, "info")
    return redirect(url_for("holidays.list_get", nam=year), code=303)
