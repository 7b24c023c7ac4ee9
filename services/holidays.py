"""The holiday calendar's writes: add, edit and remove a day, each audited; the cached calendar is dropped."""
import models
from models import Holiday, audit, db, save_versioned
from services import deadlines


def label(holiday):
    return "%s: %s" % (holiday.day.strftime("%d/%m/%Y"), holiday.name)


def add(user, values):
    with db.atomic():
        holiday = Holiday.create(**values)
        audit(user, "create", holiday, {k: (None, v) for k, v in values.items()},
              summary="Thêm %s %s" % (models.HOLIDAY_KINDS[holiday.kind].lower(), label(holiday)))
    deadlines.forget_calendar()
    return holiday


def edit(holiday, version, user, values):
    """ConflictError when someone saved the day since `version`."""
    saved = save_versioned(holiday, version, user, values, summary="Sửa ngày %s" % label(holiday))
    deadlines.forget_calendar()
    return saved


def remove(user, holiday):
    with db.atomic():
        Holiday.delete().where(Holiday.id == holiday.id).execute()
        audit(user, "delete", holiday,
              {"day": (holiday.day, None), "name": (holiday.name, None), "kind": (holiday.kind, None)},
              summary="Xóa ngày %s" % label(holiday))
    deadlines.forget_calendar()
