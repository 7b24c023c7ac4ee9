"""Deadlines in calendar or working days, their flags, and the holiday calendar behind them.

Working days skip Saturdays, Sundays and the holidays in the Holiday table; a make-up working day
(Holiday.kind == "workday", usually a Saturday the government swaps for a day off) counts as a
working day. The table is read once per computation, or once per request through `current_calendar()`.
"""
import datetime as dt
from typing import NamedTuple

import holidays as holiday_data
import peewee as pw
from flask import g, has_request_context

from models import Holiday, audit, db

DEADLINE_UNITS = {"calendar": "ngày", "working": "ngày làm việc"}
FLAG_LABELS = {"due_soon": "Sắp đến hạn", "overdue": "Quá hạn", "severe": "Quá hạn nghiêm trọng"}
FLAG_CLASSES = {"due_soon": "due-soon", "overdue": "overdue", "severe": "severe"}  # badge classes in app.css
DUE_SOON_DAYS = 3  # due in at most this many working days: "sắp đến hạn"
SEVERE_DAYS = 10  # more than this many working days past the deadline: "quá hạn nghiêm trọng"
WEEKDAYS_VN = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")

# The holidays of Labour Code 2019 Art. 112 as the `holidays` package names them (in Vietnamese),
# with the days it moves off a weekend (Art. 111(3), and Tết kept to five days off work).
# Left out: the government's yearly swaps ("Ngày nghỉ (thay cho ngày …)"), whose make-up working
# day the package does not carry, and days outside Art. 112 (the package's "Ngày Văn hóa Việt Nam"
# from 2026); the admin enters those.
OFFICIAL_NAMES = (
    "Tết Dương lịch", "29 Tết", "Giao thừa Tết Nguyên Đán", "Tết Nguyên Đán", "Mùng hai Tết Nguyên Đán",
    "Mùng ba Tết Nguyên Đán", "Mùng bốn Tết Nguyên Đán", "Mùng năm Tết Nguyên Đán", "Mùng sáu Tết Nguyên Đán",
    "Ngày Giỗ Tổ Hùng Vương", "Ngày Chiến thắng", "Ngày Quốc tế Lao động", "Quốc khánh",
)
OBSERVED_SUFFIX = " (nghỉ bù)"


def weekday_vn(day):
    """Thứ Hai … Chủ nhật."""
    return WEEKDAYS_VN[day.weekday()]


class Calendar:
    """Which days are working days: weekdays, minus holidays, plus make-up working days."""

    def __init__(self, holidays=(), workdays=()):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    @classmethod
    def load(cls):
        """The whole Holiday table in one query (a few dozen rows a year)."""
        off, on = [], []
        for day, kind in Holiday.select(Holiday.day, Holiday.kind).tuples():
            (on if kind == "workday" else off).append(_as_date(day))
        return cls(off, on)

    def is_working_day(self, day):
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def working_days_after(self, start, n):
        """The n-th working day after `start` (not counting `start`); `start` itself when n is 0."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def working_days_between(self, a, b):
        """Working days in (a, b]; negative (the days in (b, a]) when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        count, day = 0, a
        while day < b:
            day += dt.timedelta(days=1)
            count += self.is_working_day(day)
        return count

    def nth_working_day_back(self, end, n):
        """The n-th working day counting back from `end` (`end` itself is the first if it is one)."""
        day = end
        while True:
            if self.is_working_day(day):
                n -= 1
                if n == 0:
                    return day
            day -= dt.timedelta(days=1)


def _as_date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def current_calendar():
    """The holiday calendar: read once per request (kept in flask.g), or afresh outside a request."""
    if not has_request_context():
        return Calendar.load()
    if g.get("_holiday_calendar") is None:
        g._holiday_calendar = Calendar.load()
    return g._holiday_calendar


def forget_calendar():
    """Drop the request's cached calendar (after the Holiday table changed)."""
    if has_request_context():
        g.pop("_holiday_calendar", None)


def working_days_after(start, n, calendar=None):
    """The date n working days after `start`."""
    return (calendar or current_calendar()).working_days_after(start, n)


def working_days_between(a, b, calendar=None):
    """Working days after `a` up to and including `b` (negative when b is before a)."""
    return (calendar or current_calendar()).working_days_between(a, b)


def add_deadline(start, n, unit="calendar", calendar=None):
    """The deadline n days after `start`, counted in calendar days or in working days."""
    if unit == "calendar":
        return start + dt.timedelta(days=n)
    if unit == "working":
        return working_days_after(start, n, calendar)
    raise ValueError("unknown deadline unit: %r" % unit)


def deadline_flag(deadline, today, closed=False, calendar=None):
    """None, "due_soon" (≤3 working days left), "overdue" (past) or "severe" (>10 working days past)."""
    if closed or deadline is None:
        return None
    if deadline < today:
        late = working_days_between(deadline, today, calendar)
        return "severe" if late > SEVERE_DAYS else "overdue"
    if working_days_between(today, deadline, calendar) <= DUE_SOON_DAYS:
        return "due_soon"
    return None


def flag_label(flag):
    return FLAG_LABELS.get(flag, "")


class FlagBounds(NamedTuple):
    """Deadlines as date ranges, for filtering in SQL: for an open item on `today`,
    overdue ⇔ deadline < today; severe ⇔ deadline < severe_before;
    due soon ⇔ today ≤ deadline < due_soon_before."""

    today: dt.date
    due_soon_before: dt.date
    severe_before: dt.date


def flag_bounds(today, calendar=None):
    """The date bounds of the three flags on `today` (agrees with deadline_flag day for day)."""
    cal = calendar or current_calendar()
    return FlagBounds(today, cal.working_days_after(today, DUE_SOON_DAYS + 1),
                      cal.nth_working_day_back(today, SEVERE_DAYS + 1))


# ---------------------------------------------------------------- official holidays


def official_holidays(year):
    """[(day, name)] of the year's official holidays per the `holidays` package, in Vietnamese."""
    data = holiday_data.country_holidays("VN", years=year, language="vi")
    days = []
    for day in sorted(data):
        kept = [name for name in data.get_list(day) if _is_official(name)]
        if kept:
            days.append((day, "; ".join(kept)))
    return days


def _is_official(name):
    if name.endswith(OBSERVED_SUFFIX):
        name = name[:-len(OBSERVED_SUFFIX)]
    return name in OFFICIAL_NAMES


def seed_official_holidays(year, user=None):
    """Add the year's official holidays that the table lacks (any row on that day is kept); audited.

    Returns the rows created, in date order.
    """
    created = []
    with db.atomic():
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        taken = {_as_date(d) for (d,) in Holiday.select(Holiday.day).where(Holiday.day.between(start, end)).tuples()}
        for day, name in official_holidays(year):
            if day in taken:
                continue
            try:
                with db.atomic():
                    row = Holiday.create(day=day, name=name[:120], kind="holiday")
            except pw.IntegrityError:  # added meanwhile by someone else
                continue
            audit(user, "create", row, {"day": (None, day), "name": (None, row.name), "kind": (None, "holiday")},
                  summary="Nạp ngày lễ chính thức năm %d: %s (%s)" % (year, row.name, day.strftime("%d/%m/%Y")))
            created.append(row)
    forget_calendar()
    return created
