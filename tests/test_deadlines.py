"""Deadlines in working days across Tết, weekends and make-up days; the three flags; official holidays."""
import datetime as dt

import pytest

import models
from services import deadlines
from services.deadlines import add_deadline, deadline_flag, flag_bounds, working_days_after, working_days_between
from tests.conftest import count_queries

D = dt.date


@pytest.fixture(autouse=True)
def _empty_calendar(request):
    """These tests start from an empty holiday calendar, when they use the database at all."""
    if "app" in request.fixturenames or "db" in request.fixturenames:
        request.getfixturevalue("empty_calendar")


@pytest.fixture
def cal2026(db):
    """The demo database with the official holidays of 2026 loaded from the `holidays` package."""
    deadlines.seed_official_holidays(2026)
    return db


def add_day(day, name, kind="holiday"):
    return models.Holiday.create(day=day, name=name, kind=kind)


# ---------------------------------------------------------------- the lunar tables


def test_tet_falls_on_the_vietnamese_lunar_new_year():
    tet = {year: [d for d, name in deadlines.official_holidays(year) if name == "Tết Nguyên Đán"]
           for year in (1985, 2026, 2030)}
    # 1985 and 2030 are the years where a Chinese-calendar library gives the day after.
    assert tet == {1985: [D(1985, 1, 21)], 2026: [D(2026, 2, 17)], 2030: [D(2030, 2, 2)]}


def test_official_holidays_of_2026_are_those_of_the_labour_code():
    days = dict(deadlines.official_holidays(2026))
    assert sorted(days) == [
        D(2026, 1, 1),  # Tết Dương lịch
        D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19), D(2026, 2, 20),  # Tết: five days
        D(2026, 4, 26), D(2026, 4, 27),  # Giỗ Tổ falls on a Sunday: Monday off instead
        D(2026, 4, 30), D(2026, 5, 1),
        D(2026, 9, 1), D(2026, 9, 2),  # Quốc khánh: two days
    ]
    assert days[D(2026, 2, 17)] == "Tết Nguyên Đán"
    assert days[D(2026, 4, 27)] == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    # The government's yearly swap (31/8 off for Saturday 22/8) is left to the admin.
    assert D(2026, 8, 31) not in days


def test_tet_gives_five_days_off_work_when_it_meets_a_weekend():
    # Mùng 1 of 2030 is a Saturday: 29 Tết and mùng 5 are given so that five working days are off.
    days = dict(deadlines.official_holidays(2030))
    tet = [d for d, name in days.items() if "Tết" in name and d.month in (1, 2) and d != D(2030, 1, 1)]
    assert [d for d in tet if d.weekday() < 5] == [D(2030, 1, 31), D(2030, 2, 1), D(2030, 2, 4),
                                                    D(2030, 2, 5), D(2030, 2, 6)]


# ---------------------------------------------------------------- working-day arithmetic


def test_five_working_days_from_before_tet_land_after_tet_and_the_weekend(cal2026):
    # Thursday 12/2/2026: Friday 13/2 is day 1; 14–15/2 weekend, 16–20/2 Tết, 21–22/2 weekend.
    assert working_days_after(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert working_days_after(D(2026, 2, 13), 1) == D(2026, 2, 23)
    assert add_deadline(D(2026, 2, 12), 5, "working") == D(2026, 2, 26)
    assert working_days_between(D(2026, 2, 12), D(2026, 2, 26)) == 5
    assert working_days_between(D(2026, 2, 26), D(2026, 2, 12)) == -5


def test_without_the_calendar_tet_would_count(db):
    """The same sum with an empty holiday table: Tết days are working days, so the answer differs."""
    assert working_days_after(D(2026, 2, 12), 5) == D(2026, 2, 19)


def test_calendar_day_deadlines_ignore_holidays(cal2026):
    assert add_deadline(D(2026, 2, 12), 5, "calendar") == D(2026, 2, 17)
    assert add_deadline(D(2026, 2, 12), 5) == D(2026, 2, 17)
    assert add_deadline(D(2026, 12, 31), 1, "calendar") == D(2027, 1, 1)
    with pytest.raises(ValueError):
        add_deadline(D(2026, 2, 12), 5, "weeks")


def test_zero_working_days_is_the_start_day_and_negative_is_refused(cal2026):
    assert working_days_after(D(2026, 2, 14), 0) == D(2026, 2, 14)
    with pytest.raises(ValueError):
        working_days_after(D(2026, 2, 14), -1)


def test_a_make_up_working_day_counts_even_on_a_saturday(db):
    # 2025: Friday 2/5 off in exchange for working Saturday 26/4 (Official Dispatch of the government).
    deadlines.seed_official_holidays(2025)
    add_day(D(2025, 5, 2), "Nghỉ thay cho thứ Bảy 26/04/2025")
    assert working_days_after(D(2025, 4, 25), 1) == D(2025, 4, 28)  # before the make-up day is entered
    add_day(D(2025, 4, 26), "Làm bù cho thứ Sáu 02/05/2025", kind="workday")
    assert working_days_after(D(2025, 4, 25), 1) == D(2025, 4, 26)
    # 26/4 (Sat, make-up), 28/4, 29/4; then 30/4, 1/5, 2/5 off and the weekend; 5/5 is the fourth.
    assert working_days_after(D(2025, 4, 25), 4) == D(2025, 5, 5)
    assert working_days_between(D(2025, 4, 25), D(2025, 5, 5)) == 4


def test_a_holiday_added_by_hand_moves_the_deadline(db):
    assert working_days_after(D(2026, 8, 28), 1) == D(2026, 8, 31)
    add_day(D(2026, 8, 31), "Nghỉ thay cho thứ Bảy 22/08/2026")
    assert working_days_after(D(2026, 8, 28), 1) == D(2026, 9, 1)


# ---------------------------------------------------------------- flags


def test_due_soon_counts_working_days_across_tet(cal2026):
    deadline = D(2026, 2, 23)  # the Monday after Tết
    # On 10/2 four working days are left (11, 12, 13, 23/2); on 11/2 three, though 12 calendar days remain.
    assert deadline_flag(deadline, D(2026, 2, 10)) is None
    assert deadline_flag(deadline, D(2026, 2, 11)) == "due_soon"
    assert deadline_flag(deadline, D(2026, 2, 20)) == "due_soon"
    assert deadline_flag(deadline, deadline) == "due_soon"


def test_overdue_and_severe_at_ten_working_days(cal2026):
    deadline = D(2026, 2, 12)
    # Working days after it: 13/2 (1), 23–27/2 (2–6), 2–5/3 (7–10), 6/3 (11).
    assert deadline_flag(deadline, D(2026, 2, 13)) == "overdue"
    assert deadline_flag(deadline, D(2026, 2, 22)) == "overdue"
    assert deadline_flag(deadline, D(2026, 3, 5)) == "overdue"
    assert deadline_flag(deadline, D(2026, 3, 6)) == "severe"
    assert deadline_flag(deadline, D(2026, 3, 8)) == "severe"
    assert deadline_flag(deadline, D(2026, 3, 6), closed=True) is None
    assert deadline_flag(None, D(2026, 3, 6)) is None


def test_past_a_weekend_deadline_is_overdue_even_with_no_working_day_between(db):
    assert deadline_flag(D(2026, 3, 7), D(2026, 3, 8)) == "overdue"  # Saturday's deadline, seen on Sunday


def test_labels_are_vietnamese():
    assert [deadlines.flag_label(f) for f in ("due_soon", "overdue", "severe", None)] == [
        "Sắp đến hạn", "Quá hạn", "Quá hạn nghiêm trọng", ""]


def test_flag_bounds_agree_with_the_flags_day_by_day(cal2026):
    """The date bounds others filter with in SQL give the same answer as deadline_flag."""
    cal = deadlines.Calendar.load()
    for today in (D(2026, 2, 11), D(2026, 2, 14), D(2026, 2, 20), D(2026, 3, 6), D(2026, 3, 8)):
        bounds = flag_bounds(today, cal)
        for offset in range(-40, 20):
            deadline = today + dt.timedelta(days=offset)
            if deadline < bounds.severe_before:
                by_bounds = "severe"
            elif deadline < today:
                by_bounds = "overdue"
            elif deadline < bounds.due_soon_before:
                by_bounds = "due_soon"
            else:
                by_bounds = None
            assert by_bounds == deadline_flag(deadline, today, calendar=cal), (today, deadline)


# ---------------------------------------------------------------- one query per computation


def test_one_query_per_computation(cal2026):
    with count_queries() as statements:
        assert working_days_after(D(2026, 2, 12), 5) == D(2026, 2, 26)
        # 260 weekdays after 1/1, less the ten holidays that fall on weekdays.
        assert working_days_between(D(2026, 1, 1), D(2026, 12, 31)) == 260 - 10
    assert len(statements) == 2


def test_one_query_per_request_however_many_flags(app, cal2026):
    deadlines_list = [D(2026, 2, 1) + dt.timedelta(days=i) for i in range(60)]
    with app.test_request_context("/"):
        with count_queries() as statements:
            flags = [deadline_flag(d, D(2026, 3, 1)) for d in deadlines_list]
        assert len(statements) == 1
        assert {"severe", "overdue", "due_soon", None} == set(flags)
        add_day(D(2026, 3, 2), "Ngày nghỉ thêm")
        deadlines.forget_calendar()  # what the holiday screens do after a change
        assert deadline_flag(D(2026, 3, 3), D(2026, 2, 27)) == "due_soon"
        assert working_days_between(D(2026, 2, 27), D(2026, 3, 3)) == 1


# ---------------------------------------------------------------- seeding


def test_seeding_twice_adds_nothing_and_keeps_rows_already_there(db, app):
    edited = add_day(D(2026, 9, 2), "Quốc khánh (đã nhập tay)")
    first = deadlines.seed_official_holidays(2026)
    assert len(first) == 11 and D(2026, 9, 2) not in [r.day for r in first]
    count = models.Holiday.select().count()
    assert deadlines.seed_official_holidays(2026) == []
    assert models.Holiday.select().count() == count == 12
    assert models.Holiday.get_by_id(edited.id).name == "Quốc khánh (đã nhập tay)"


def test_seeding_is_audited(db, app):
    admin = models.User.get(models.User.username == "admin")
    deadlines.seed_official_holidays(2026, admin)
    rows = list(models.AuditLog.select().where(models.AuditLog.object_type == "holiday"))
    assert len(rows) == 12
    assert {r.user_id for r in rows} == {admin.id} and {r.action for r in rows} == {"create"}
    assert any("Tết Nguyên Đán (17/02/2026)" in r.summary for r in rows)
