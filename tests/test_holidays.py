"""The holiday calendar screens: admin only, the year's list, official holidays, validation, conflicts, audit."""
import datetime as dt

import pytest
from bs4 import BeautifulSoup

import models
from services import deadlines
from tests.conftest import ROLES, StaffClient, user

D = dt.date
BASE = "/quan-tri/ngay-nghi/"


@pytest.fixture(autouse=True)
def _empty_calendar(request):
    """These tests start from an empty holiday calendar, when they use the database at all."""
    if "app" in request.fixturenames or "db" in request.fixturenames:
        request.getfixturevalue("empty_calendar")


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def error_beside(response, name):
    tag = soup(response).find(id="%s-error" % name)
    return tag.get_text(strip=True) if tag else None


def table_rows(response):
    """[(date, weekday, name, kind)] as the list shows them."""
    return [tuple(td.get_text(" ", strip=True) for td in tr.find_all("td")[:4])
            for tr in soup(response).select("#holidays tbody tr")]


def flashes(response):
    return [p.get_text(strip=True) for p in soup(response).select(".flash")]


def holiday_audits(action=None):
    query = models.AuditLog.select().where(models.AuditLog.object_type == "holiday")
    if action:
        query = query.where(models.AuditLog.action == action)
    return list(query.order_by(models.AuditLog.id))


def add(day, name, kind="holiday"):
    return models.Holiday.create(day=day, name=name, kind=kind)


def form(**changes):
    data = {"day": "31/08/2026", "name": "Nghỉ thay cho thứ Bảy 22/08/2026", "kind": "holiday"}
    data.update(changes)
    return data


@pytest.fixture
def admin(login):
    return login("admin")


# ---------------------------------------------------------------- access


@pytest.mark.parametrize("role", ROLES)
def test_each_screen_by_role(login, db, role):
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    expected = 200 if role == "admin" else 403
    c = login(role)
    for url in (BASE, BASE + "?nam=2026", BASE + "moi", BASE + "%d/sua" % holiday.id):
        assert c.get(url).status_code == expected, url


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_the_admin_changes_the_calendar(login, db, role):
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    c = login(role)
    assert c.post_form(BASE + "moi", form(day="22/08/2026", kind="workday")).status_code == 403
    assert c.post_form(BASE + "%d/sua" % holiday.id, form(name="Đổi tên", version=1)).status_code == 403
    assert c.post_form(BASE + "%d/xoa" % holiday.id).status_code == 403
    assert c.post_form(BASE + "nap", {"year": "2026"}).status_code == 403
    assert [(h.day, h.name) for h in models.Holiday.select()] == [(D(2026, 8, 31), "Nghỉ thay")]
    assert holiday_audits() == []


def test_anonymous_is_sent_to_login(client):
    response = client.get(BASE)
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


# ---------------------------------------------------------------- the list and the official holidays


def test_the_year_list_shows_days_in_order_with_weekday_and_kind(admin, db):
    add(D(2025, 5, 2), "Nghỉ thay cho thứ Bảy 26/04/2025")
    add(D(2025, 4, 26), "Làm bù cho thứ Sáu 02/05/2025", kind="workday")
    add(D(2026, 8, 31), "Nghỉ thay cho thứ Bảy 22/08/2026")
    response = admin.get(BASE + "?nam=2025")
    assert table_rows(response) == [
        ("26/04/2025", "Thứ Bảy", "Làm bù cho thứ Sáu 02/05/2025", "Ngày làm bù"),
        ("02/05/2025", "Thứ Sáu", "Nghỉ thay cho thứ Bảy 26/04/2025", "Ngày nghỉ lễ, tết"),
    ]
    page = soup(response)
    assert page.h1.get_text(strip=True) == "Lịch ngày nghỉ năm 2025"
    assert page.find("a", rel="next")["href"].endswith("?nam=2026")
    assert "1 ngày nghỉ, 1 ngày làm bù" in page.get_text()


def test_the_list_defaults_to_this_year_and_ignores_a_garbled_year(admin, db):
    this_year = models.today().year
    for url in (BASE, BASE + "?nam=abc", BASE + "?nam=99999"):
        assert soup(admin.get(url)).h1.get_text(strip=True) == "Lịch ngày nghỉ năm %d" % this_year


def test_loading_the_official_holidays_of_a_year(admin, db):
    page = soup(admin.get(BASE + "?nam=2026"))
    assert page.find("button", string="Nạp ngày lễ chính thức năm 2026") is not None
    assert "Chưa có ngày nghỉ nào trong năm 2026" in page.get_text()
    response = admin.post_form(BASE + "nap", {"year": "2026"})
    assert response.status_code == 303 and response.headers["Location"].endswith("?nam=2026")
    response = admin.get(response.headers["Location"])
    assert flashes(response) == ["Đã nạp 12 ngày lễ chính thức năm 2026."]
    rows = table_rows(response)
    assert len(rows) == 12
    assert ("17/02/2026", "Thứ Ba", "Tết Nguyên Đán", "Ngày nghỉ lễ, tết") in rows
    assert ("02/09/2026", "Thứ Tư", "Quốc khánh", "Ngày nghỉ lễ, tết") in rows
    # Twice: nothing new.
    response = admin.get(admin.post_form(BASE + "nap", {"year": "2026"}).headers["Location"])
    assert flashes(response) == ["Lịch năm 2026 đã có đủ các ngày lễ chính thức; không thêm ngày nào."]
    assert models.Holiday.select().count() == 12
    assert len(holiday_audits("create")) == 12


def test_loading_a_year_out_of_range_is_refused(admin, db):
    response = admin.post_form(BASE + "nap", {"year": "1800"})
    assert response.status_code == 422
    assert "Năm không hợp lệ" in soup(response).find(class_="error").get_text()
    assert models.Holiday.select().count() == 0


def test_a_day_added_on_the_screen_moves_working_day_deadlines(admin, db):
    assert deadlines.working_days_after(D(2026, 8, 28), 1) == D(2026, 8, 31)
    assert admin.post_form(BASE + "moi", form()).status_code == 303
    assert deadlines.working_days_after(D(2026, 8, 28), 1) == D(2026, 9, 1)


# ---------------------------------------------------------------- add


def test_add_a_make_up_working_day(admin, db):
    response = admin.post_form(BASE + "moi", form(day="22/08/2026", name="Làm bù cho thứ Hai 31/08/2026",
                                                  kind="workday"))
    assert response.status_code == 303 and response.headers["Location"].endswith("?nam=2026")
    assert flashes(admin.get(response.headers["Location"])) == [
        "Đã thêm ngày 22/08/2026: Làm bù cho thứ Hai 31/08/2026."]
    holiday = models.Holiday.get(models.Holiday.day == D(2026, 8, 22))
    assert holiday.kind == "workday"
    [entry] = holiday_audits("create")
    assert entry.object_id == holiday.id and entry.user_id == user("admin").id
    assert dict(entry.change_list)["kind"] == [None, "workday"]


def test_the_day_may_be_typed_as_iso(admin, db):
    assert admin.post_form(BASE + "moi", form(day="2026-08-31")).status_code == 303
    assert models.Holiday.get(models.Holiday.day == D(2026, 8, 31)).name == "Nghỉ thay cho thứ Bảy 22/08/2026"


@pytest.mark.parametrize("changes, name, message", [
    ({"day": ""}, "day", "Vui lòng nhập ngày."),
    ({"day": "31/02/2026"}, "day", "Ngày không hợp lệ: nhập dd/mm/yyyy, ví dụ 02/09/2026."),
    ({"day": "mai"}, "day", "Ngày không hợp lệ: nhập dd/mm/yyyy, ví dụ 02/09/2026."),
    ({"day": "01/01/1990"}, "day", "Năm cần trong khoảng 1995–2100."),
    ({"day": "02/09/2026"}, "day", "Ngày này đã có trong lịch; sửa dòng đã có thay vì thêm mới."),
    ({"name": "  "}, "name", "Vui lòng nhập tên ngày nghỉ."),
    ({"name": "x" * 121}, "name", "Tên tối đa 120 ký tự."),
    ({"kind": "party"}, "kind", "Vui lòng chọn loại trong danh sách."),
    ({"kind": "workday"}, "kind", "Ngày làm bù là một ngày thứ Bảy hoặc Chủ nhật được đổi thành ngày làm việc; "
                                  "31/08/2026 là Thứ Hai."),
])
def test_add_validation(admin, db, changes, name, message):
    add(D(2026, 9, 2), "Quốc khánh")
    response = admin.post_form(BASE + "moi", form(**changes))
    assert response.status_code == 422
    assert error_beside(response, name) == message
    assert soup(response).find(id=name)["aria-invalid"] == "true"
    assert models.Holiday.select().count() == 1 and holiday_audits() == []


# ---------------------------------------------------------------- edit and conflicts


def test_edit_shows_the_day_as_dd_mm_yyyy_and_saves(admin, db):
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    page = soup(admin.get(BASE + "%d/sua" % holiday.id))
    assert page.find("input", id="day")["value"] == "31/08/2026"
    assert page.find("input", attrs={"name": "version"})["value"] == "1"
    response = admin.post_form(BASE + "%d/sua" % holiday.id, form(name="Nghỉ thay cho thứ Bảy 22/08/2026", version=1))
    assert response.status_code == 303
    saved = models.Holiday.get_by_id(holiday.id)
    assert (saved.name, saved.version) == ("Nghỉ thay cho thứ Bảy 22/08/2026", 2)
    [entry] = holiday_audits("update")
    assert dict(entry.change_list) == {"name": ["Nghỉ thay", "Nghỉ thay cho thứ Bảy 22/08/2026"]}


def test_edit_may_not_move_onto_a_day_already_there(admin, db):
    add(D(2026, 9, 2), "Quốc khánh")
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    response = admin.post_form(BASE + "%d/sua" % holiday.id, form(day="02/09/2026", version=1))
    assert response.status_code == 422
    assert error_beside(response, "day") == "Ngày này đã có trong lịch; sửa dòng đã có thay vì thêm mới."
    assert models.Holiday.get_by_id(holiday.id).day == D(2026, 8, 31)


def test_a_stale_edit_shows_the_other_version_and_saves_nothing(admin, app, db):
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    other = StaffClient(app.test_client())
    other.login("admin")
    assert other.post_form(BASE + "%d/sua" % holiday.id, form(name="Bản của người khác", version=1)).status_code == 303
    response = admin.post_form(BASE + "%d/sua" % holiday.id, form(name="Bản của tôi", version=1))
    assert response.status_code == 409
    box = soup(response).find(class_="conflict").get_text(" ", strip=True)
    assert "Bản của người khác" in box and "phiên bản 2" in box
    assert models.Holiday.get_by_id(holiday.id).name == "Bản của người khác"
    # The form now carries version 2: saving again is a deliberate overwrite.
    assert soup(response).find("input", attrs={"name": "version"})["value"] == "2"
    assert admin.post_form(BASE + "%d/sua" % holiday.id, form(name="Bản của tôi", version=2)).status_code == 303
    assert models.Holiday.get_by_id(holiday.id).name == "Bản của tôi"


def test_editing_a_missing_day_is_404(admin, db):
    assert admin.get(BASE + "999/sua").status_code == 404
    assert admin.post_form(BASE + "999/xoa").status_code == 404


# ---------------------------------------------------------------- delete


def test_delete_without_javascript_redirects_to_the_year(admin, db):
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    page = soup(admin.get(BASE + "?nam=2026"))
    button = page.select_one("#holiday-%d form button" % holiday.id)
    assert button["hx-confirm"].startswith("Xóa ngày 31/08/2026 (Nghỉ thay) khỏi lịch?")
    assert button.find_parent("form")["method"] == "post"
    response = admin.post_form(BASE + "%d/xoa" % holiday.id)
    assert response.status_code == 303 and response.headers["Location"].endswith("?nam=2026")
    assert flashes(admin.get(response.headers["Location"])) == ["Đã xóa ngày 31/08/2026: Nghỉ thay."]
    assert not models.Holiday.select().exists()
    [entry] = holiday_audits("delete")
    assert entry.object_id == holiday.id and dict(entry.change_list)["day"] == ["2026-08-31", None]


def test_delete_with_htmx_returns_the_table_fragment(admin, db):
    kept = add(D(2026, 9, 2), "Quốc khánh")
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    response = admin.post_form(BASE + "%d/xoa" % holiday.id, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    fragment = soup(response)
    assert fragment.find(id="holiday-list") is not None
    assert fragment.find(id="holiday-%d" % holiday.id) is None and fragment.find(id="holiday-%d" % kept.id)
    assert "Đã xóa ngày 31/08/2026: Nghỉ thay." in fragment.get_text()
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


# ---------------------------------------------------------------- CSRF


def test_posts_without_the_csrf_token_are_refused(admin, db):
    holiday = add(D(2026, 8, 31), "Nghỉ thay")
    for url, data in ((BASE + "moi", form(day="01/09/2026")), (BASE + "%d/xoa" % holiday.id, {}),
                      (BASE + "nap", {"year": "2026"}),
                      (BASE + "%d/sua" % holiday.id, form(name="Đổi", version=1))):
        response = admin.client.post(url, data=data)
        assert response.status_code == 400, url
    assert [(h.day, h.name) for h in models.Holiday.select()] == [(D(2026, 8, 31), "Nghỉ thay")]
    assert holiday_audits() == []
