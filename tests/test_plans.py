"""Kế hoạch: plans edited in the app (coordinator, chief; leaders read), validated, audited, previewed, published."""
import datetime as dt

import pytest
from bs4 import BeautifulSoup

import models
from services import publish_runs
from tests.conftest import StaffClient
from views.public import create_public_app

D = dt.date
BASE = "/ke-hoach/"
EDITORS = ("coordinator", "chief")
NO_ACCESS = ("specialist", "unit_head", "admin")
HOSTILE_MD = ("# Kế hoạch thử\n\n**Mục đích** của kế hoạch.\n\n<script>alert('x')</script>\n\n"
              "<img src=x onerror=\"alert(1)\">\n\n[bấm vào đây](javascript:alert(1))\n\n"
              "<a href=\"#\" onclick=\"alert(2)\">liên kết</a>\n\n<iframe src=\"https://evil.example\"></iframe>\n")


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def error_beside(response, name):
    tag = soup(response).find(id="%s-error" % name)
    return tag.get_text(strip=True) if tag else None


def typed(response, name):
    page = soup(response)
    tag = page.find("input", attrs={"name": name}) or page.find("textarea", attrs={"name": name})
    return tag.get("value") if tag.name == "input" else tag.get_text()


def form(**changes):
    data = {"year": "2031", "title": "Kế hoạch thực hiện công tác đối thoại năm 2031", "number": "15/KH-VP",
            "issued_on": "10/01/2031", "midyear_report_due": "14/06/2031", "annual_report_due": "24/11/2031",
            "body_md": "# KẾ HOẠCH\n\n**Thực hiện công tác đối thoại năm 2031**\n\n- Mục đích\n- Yêu cầu\n"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def undated(**changes):
    """The form with no date and no deadline (a plan of another year than 2031)."""
    return form(issued_on="", midyear_report_due="", annual_report_due="", **changes)


def plan_of(year):
    return models.Plan.get_or_none(models.Plan.year == year)


def plan_audits(action=None):
    query = models.AuditLog.select().where(models.AuditLog.object_type == "plan")
    if action:
        query = query.where(models.AuditLog.action == action)
    return list(query.order_by(models.AuditLog.id))


def runs():
    return list(models.PublishRun.select().order_by(models.PublishRun.id))


@pytest.fixture(autouse=True)
def no_build(monkeypatch):
    """Publish runs are queued as rows; the job process itself is not launched (see test_publishing)."""
    launched = []
    monkeypatch.setattr(publish_runs, "launch", lambda app, run_id: launched.append(run_id))
    return launched


@pytest.fixture
def coordinator(login):
    return login("coordinator")


def a_plan(**values):
    data = {"year": 2031, "title": "Kế hoạch năm 2031", "body_md": "# Kế hoạch\n", "is_public": False,
            "midyear_report_due": D(2031, 6, 14), "annual_report_due": D(2031, 11, 24)}
    data.update(values)
    return models.Plan.create(**data)


# ---------------------------------------------------------------- who may do what


@pytest.mark.parametrize("role", EDITORS + ("leader",))
def test_coordinator_chief_and_leaders_read_the_list_and_each_plan(login, db, role):
    c = login(role)
    response = c.get(BASE)
    assert response.status_code == 200
    plan = plan_of(2022)
    link = soup(response).find("a", href="/ke-hoach/%d" % plan.id)
    assert link is not None and link.get_text(strip=True) == plan.title
    assert c.get(BASE + "%d" % plan.id).status_code == 200
    nav = soup(c.get("/")).find("nav", attrs={"aria-label": "Chức năng chính"})
    assert nav.find("a", href="/ke-hoach/").get_text(strip=True) == "Kế hoạch"


def test_leaders_read_but_may_not_add_edit_or_preview(login, db):
    leader = login("leader")
    plan = plan_of(2022)
    before = (models.Plan.select().count(), plan.title, plan.version, len(plan_audits()))
    assert leader.get(BASE + "moi").status_code == 403
    assert leader.get(BASE + "%d/sua" % plan.id).status_code == 403
    assert leader.post_form(BASE + "moi", form()).status_code == 403
    assert leader.post_form(BASE + "moi", form(preview="1")).status_code == 403
    assert leader.post_form(BASE + "%d/sua" % plan.id, form(year="2022", title="Đổi", version=plan.version)
                            ).status_code == 403
    assert leader.post_form(BASE + "xem-truoc", {"body_md": "# x"}, htmx=True).status_code == 403
    page = soup(leader.get(BASE))
    assert page.find("a", href="/ke-hoach/moi") is None
    assert soup(leader.get(BASE + "%d" % plan.id)).find("a", href="/ke-hoach/%d/sua" % plan.id) is None
    after = plan_of(2022)
    assert (models.Plan.select().count(), after.title, after.version, len(plan_audits())) == before
    assert runs() == []


@pytest.mark.parametrize("role", NO_ACCESS)
def test_other_roles_get_403_for_everything(login, db, role):
    c = login(role)
    plan = plan_of(2022)
    for url in (BASE, BASE + "%d" % plan.id, BASE + "moi", BASE + "%d/sua" % plan.id):
        assert c.get(url).status_code == 403, url
    for url in (BASE + "moi", BASE + "%d/sua" % plan.id, BASE + "xem-truoc"):
        assert c.post_form(url, form(year="2022", version=plan.version)).status_code == 403, url
    assert c.post_form(BASE + "xem-truoc", {"body_md": "# x"}, htmx=True).status_code == 403
    nav = soup(c.get("/")).find("nav", attrs={"aria-label": "Chức năng chính"})
    assert nav.find("a", href="/ke-hoach/") is None
    assert models.Plan.select().count() == 2 and plan_audits() == []


def test_signed_out_is_sent_to_login(client, db):
    response = client.get(BASE)
    assert response.status_code in (302, 303) and "/dang-nhap" in response.headers["Location"]


def test_a_missing_plan_is_404(coordinator, db):
    assert coordinator.get(BASE + "99999").status_code == 404
    assert coordinator.get(BASE + "99999/sua").status_code == 404
    assert coordinator.post_form(BASE + "99999/sua", form(version=1)).status_code == 404


# ---------------------------------------------------------------- list, detail


def test_the_list_shows_every_plan_newest_year_first(coordinator, db):
    a_plan(year=2019, title="Kế hoạch năm 2019")
    a_plan(year=2031, title="Kế hoạch năm 2031")
    rows = soup(coordinator.get(BASE)).select("#plans tbody tr")
    years = [int(tr.find("td").get_text(strip=True)) for tr in rows]
    assert years == sorted(years, reverse=True)
    assert {2019, 2022, 2031} <= set(years)


def test_the_detail_page_renders_the_markdown_sanitised(coordinator, db):
    plan = a_plan(body_md=HOSTILE_MD, number="7/KH-VP", issued_on=D(2031, 1, 5))
    response = coordinator.get(BASE + "%d" % plan.id)
    assert response.status_code == 200
    body = soup(response).find(id="plan-body")
    assert body.find("h1").get_text(strip=True) == "Kế hoạch thử"
    assert body.find("strong").get_text(strip=True) == "Mục đích"
    html = str(body)
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in html.lower(), bad
    facts = soup(response).find(id="plan-facts").get_text(" ", strip=True)
    assert "7/KH-VP" in facts and "05/01/2031" in facts and "14/06/2031" in facts and "24/11/2031" in facts


# ---------------------------------------------------------------- create


@pytest.mark.parametrize("role", EDITORS)
def test_a_new_plan_is_stored_with_its_dates_and_audited(login, db, role):
    c = login(role)
    assert c.get(BASE + "moi").status_code == 200
    response = c.post_form(BASE + "moi", form())
    assert response.status_code == 303
    plan = plan_of(2031)
    assert response.headers["Location"].endswith("/ke-hoach/%d" % plan.id)
    assert (plan.title, plan.number, plan.issued_on, plan.midyear_report_due, plan.annual_report_due,
            plan.is_public) == ("Kế hoạch thực hiện công tác đối thoại năm 2031", "15/KH-VP", D(2031, 1, 10),
                                D(2031, 6, 14), D(2031, 11, 24), False)
    assert plan.body_md.startswith("# KẾ HOẠCH")
    [entry] = plan_audits("create")
    assert entry.object_id == plan.id and entry.user_id == models.User.get(models.User.username == role).id
    assert runs() == []  # not public: nothing to publish
    assert "Đã thêm kế hoạch năm 2031" in c.get(response.headers["Location"]).get_data(as_text=True)


def test_dates_and_number_may_be_left_empty(coordinator, db):
    response = coordinator.post_form(BASE + "moi", undated(number=""))
    assert response.status_code == 303
    plan = plan_of(2031)
    assert (plan.number, plan.issued_on, plan.midyear_report_due, plan.annual_report_due) == ("", None, None, None)


def test_a_plan_may_be_issued_late_in_the_year_before(coordinator, db):
    assert coordinator.post_form(BASE + "moi", form(issued_on="20/12/2030")).status_code == 303
    assert plan_of(2031).issued_on == D(2030, 12, 20)


def test_iso_dates_are_read_too_and_shown_back_as_dd_mm_yyyy(coordinator, db):
    assert coordinator.post_form(BASE + "moi", form(issued_on="2031-01-10")).status_code == 303
    plan = plan_of(2031)
    assert plan.issued_on == D(2031, 1, 10)
    page = coordinator.get(BASE + "%d/sua" % plan.id)
    assert typed(page, "issued_on") == "10/01/2031"
    assert typed(page, "midyear_report_due") == "14/06/2031"
    assert typed(page, "year") == "2031"


@pytest.mark.parametrize("year", ["2022", " 2022 "])
def test_a_year_that_has_a_plan_is_refused_beside_the_field(coordinator, db, year):
    response = coordinator.post_form(BASE + "moi", undated(year=year, title="Kế hoạch thứ hai của năm 2022"))
    assert response.status_code == 422
    assert "đã có kế hoạch" in error_beside(response, "year")
    assert typed(response, "title") == "Kế hoạch thứ hai của năm 2022"
    assert models.Plan.select().where(models.Plan.year == 2022).count() == 1 and plan_audits() == []


def test_editing_onto_a_taken_year_is_refused(coordinator, db):
    plan = a_plan(year=2031)
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, undated(year="2022", version=1))
    assert response.status_code == 422
    assert "đã có kế hoạch" in error_beside(response, "year")
    assert models.Plan.get_by_id(plan.id).year == 2031


def test_the_year_of_a_plan_with_dialogues_or_reports_stays(coordinator, db):
    plan = plan_of(2022)
    assert plan.is_in_use()
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, undated(year="2032", version=plan.version))
    assert response.status_code == 422
    assert "không đổi năm" in error_beside(response, "year")
    assert plan_of(2022).version == plan.version


BAD_INPUT = [
    ("year", {"year": ""}, "Vui lòng nhập năm kế hoạch"),
    ("year", {"year": "hai nghìn"}, "Năm không hợp lệ"),
    ("year", {"year": "31"}, "Năm không hợp lệ"),
    ("year", {"year": "3031"}, "Năm không hợp lệ"),
    ("year", {"year": "-2031"}, "Năm không hợp lệ"),
    ("year", {"year": "2031.0"}, "Năm không hợp lệ"),
    ("year", {"year": "２０３１"}, "Năm không hợp lệ"),
    ("year", {"year": "99999999999999999999999"}, "Năm không hợp lệ"),
    ("title", {"title": ""}, "Vui lòng nhập tên kế hoạch"),
    ("title", {"title": "   "}, "Vui lòng nhập tên kế hoạch"),
    ("title", {"title": "\u200b\u200b"}, "Vui lòng nhập tên kế hoạch"),
    ("title", {"title": "K" * 301}, "tối đa 300"),
    ("number", {"number": "1" * 61}, "tối đa 60"),
    ("issued_on", {"issued_on": "31/02/2031"}, "Ngày không hợp lệ"),
    ("issued_on", {"issued_on": "10-01-2031"}, "Ngày không hợp lệ"),
    ("issued_on", {"issued_on": "hôm nay"}, "Ngày không hợp lệ"),
    ("issued_on", {"issued_on": "10/01/2032"}, "được ban hành trong năm 2031"),
    ("issued_on", {"issued_on": "31/12/2029"}, "được ban hành trong năm 2031"),
    ("midyear_report_due", {"midyear_report_due": "32/06/2031"}, "Ngày không hợp lệ"),
    ("midyear_report_due", {"midyear_report_due": "14/06/2030"}, "thuộc năm của kế hoạch"),
    ("midyear_report_due", {"midyear_report_due": "05/01/2031"}, "sau ngày ban hành"),
    ("midyear_report_due", {"midyear_report_due": "10/01/2031"}, "sau ngày ban hành"),
    ("annual_report_due", {"annual_report_due": "24/11/2032"}, "thuộc năm của kế hoạch"),
    ("annual_report_due", {"annual_report_due": "09/01/2031"}, "sau ngày ban hành"),
    ("annual_report_due", {"annual_report_due": "01/06/2031"}, "sau hạn báo cáo 6 tháng"),
    ("annual_report_due", {"annual_report_due": "2031/11/24"}, "Ngày không hợp lệ"),
    ("body_md", {"body_md": ""}, "Vui lòng nhập nội dung kế hoạch"),
    ("body_md", {"body_md": " \n\t "}, "Vui lòng nhập nội dung kế hoạch"),
    ("body_md", {"body_md": "x" * 200_001}, "tối đa 200.000"),
]


@pytest.mark.parametrize("field, changes, message", BAD_INPUT)
def test_bad_input_is_refused_beside_its_field_keeping_what_was_typed(coordinator, db, field, changes, message):
    data = form(**changes)
    response = coordinator.post_form(BASE + "moi", data)
    assert response.status_code == 422
    assert message.lower() in (error_beside(response, field) or "").lower()
    page = soup(response)
    assert page.find(id=field)["aria-invalid"] == "true"
    for name in ("title", "number", "issued_on", "midyear_report_due"):
        if name not in changes:
            assert typed(response, name) == data[name]
    assert "Chưa lưu được" in page.find(class_="error", role="alert").get_text()
    assert models.Plan.select().count() == 2 and plan_audits() == [] and runs() == []


EDIT_BAD_INPUT = BAD_INPUT[:3] + [row for row in BAD_INPUT if row[0] == "midyear_report_due"]


@pytest.mark.parametrize("field, changes, message", EDIT_BAD_INPUT)
def test_bad_input_on_an_edit_saves_nothing(coordinator, db, field, changes, message):
    plan = a_plan(title="Bản đầu")
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, form(version=1, title="Bản mới", **{
        k: v for k, v in changes.items() if k != "title"}))
    assert response.status_code == 422
    assert message.lower() in (error_beside(response, field) or "").lower()
    assert typed(response, "title") == "Bản mới"
    stored = models.Plan.get_by_id(plan.id)
    assert (stored.title, stored.version) == ("Bản đầu", 1) and plan_audits() == []


# ---------------------------------------------------------------- edit and conflicts


def test_an_edit_is_saved_and_audited_with_what_changed(coordinator, db):
    plan = a_plan(title="Bản đầu")
    page = coordinator.get(BASE + "%d/sua" % plan.id)
    assert soup(page).find("input", attrs={"name": "version"})["value"] == "1"
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, form(title="Bản đã sửa", version=1))
    assert response.status_code == 303
    stored = models.Plan.get_by_id(plan.id)
    assert (stored.title, stored.version, stored.number, stored.issued_on) == (
        "Bản đã sửa", 2, "15/KH-VP", D(2031, 1, 10))
    [entry] = plan_audits("update")
    changes = dict(entry.change_list)
    assert changes["title"] == ["Bản đầu", "Bản đã sửa"] and "number" in changes


def test_a_stale_edit_gets_409_with_the_other_version_and_saves_nothing(coordinator, app, db):
    plan = a_plan(title="Bản đầu")
    chief = StaffClient(app.test_client())
    chief.login("chief")
    assert chief.post_form(BASE + "%d/sua" % plan.id, form(title="Bản của Chánh Văn phòng", number="9/KH-VP",
                                                           version=1)).status_code == 303
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, form(title="Bản của tôi", version=1))
    assert response.status_code == 409
    box = soup(response).find(class_="conflict").get_text(" ", strip=True)
    assert "Bản của Chánh Văn phòng" in box and "9/KH-VP" in box and "phiên bản 2" in box
    assert typed(response, "title") == "Bản của tôi"  # what was typed is kept
    stored = models.Plan.get_by_id(plan.id)
    assert (stored.title, stored.version) == ("Bản của Chánh Văn phòng", 2)
    assert len(plan_audits("update")) == 1
    assert soup(response).find("input", attrs={"name": "version"})["value"] == "2"
    assert coordinator.post_form(BASE + "%d/sua" % plan.id, form(title="Bản của tôi", version=2)).status_code == 303
    assert models.Plan.get_by_id(plan.id).title == "Bản của tôi"


@pytest.mark.parametrize("version", ["", "abc", "0", "-1", "99999999999999999999999"])
def test_an_edit_without_a_good_version_is_refused(coordinator, db, version):
    plan = a_plan(title="Bản đầu")
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, form(title="Bản mới", version=version))
    assert response.status_code in (409, 422)
    assert models.Plan.get_by_id(plan.id).title == "Bản đầu"


# ---------------------------------------------------------------- preview


def test_the_preview_button_renders_the_text_without_javascript_and_saves_nothing(coordinator, db):
    response = coordinator.post_form(BASE + "moi", form(body_md=HOSTILE_MD, title="Bản nháp", preview="1"))
    assert response.status_code == 200
    section = soup(response).find(id="plan-preview")
    assert section.find("h1").get_text(strip=True) == "Kế hoạch thử"
    html = str(section).lower()
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in html, bad
    assert typed(response, "title") == "Bản nháp" and typed(response, "body_md") == HOSTILE_MD
    assert plan_of(2031) is None and plan_audits() == []


def test_the_preview_of_an_edit_keeps_the_version_and_saves_nothing(coordinator, db):
    plan = a_plan(title="Bản đầu")
    response = coordinator.post_form(BASE + "%d/sua" % plan.id,
                                     form(title="Bản mới", body_md="## Mục II\n", version=1, preview="1"))
    assert response.status_code == 200
    assert soup(response).find(id="plan-preview").find("h2", string="Mục II") is not None
    assert soup(response).find("input", attrs={"name": "version"})["value"] == "1"
    assert models.Plan.get_by_id(plan.id).title == "Bản đầu" and plan_audits() == []


def test_the_htmx_preview_returns_the_sanitised_fragment(coordinator, db):
    response = coordinator.post_form(BASE + "xem-truoc", {"body_md": HOSTILE_MD}, htmx=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<html" not in text and "<nav" not in text
    section = BeautifulSoup(text, "html.parser").find(id="plan-preview")
    assert section.find("strong").get_text(strip=True) == "Mục đích"
    for bad in ("<script", "onerror", "onclick", "javascript:", "<iframe"):
        assert bad not in text.lower(), bad


def test_the_preview_needs_the_csrf_token(coordinator, db):
    assert coordinator.client.post(BASE + "xem-truoc", data={"body_md": "# x"}).status_code == 400


def test_the_form_has_a_preview_button_that_works_with_and_without_htmx(coordinator, db):
    page = soup(coordinator.get(BASE + "moi"))
    button = page.find("button", attrs={"name": "preview"})
    assert button["type"] == "submit" and button.get_text(strip=True) == "Xem trước"
    assert button["hx-post"] == "/ke-hoach/xem-truoc" and button["hx-target"] == "#plan-preview"
    assert button.find_parent("form")["action"] == "/ke-hoach/moi"
    # Enter in a field presses the form's first submit button: it must save, not preview
    first = button.find_parent("form").find("button", attrs={"type": "submit"})
    assert first.get("name") is None and first.get_text(strip=True) == "Thêm kế hoạch"


# ---------------------------------------------------------------- publishing


def test_saving_a_public_plan_queues_a_publish(coordinator, db, no_build):
    response = coordinator.post_form(BASE + "moi", form(is_public="y"))
    assert response.status_code == 303
    [run] = runs()
    assert run.status == "running" and no_build == [run.id]
    assert models.AuditLog.select().where(models.AuditLog.action == "publish_start").count() == 1
    assert "xuất bản" in coordinator.get(response.headers["Location"]).get_data(as_text=True).lower()


def test_saving_while_a_publish_runs_queues_one_behind_it(coordinator, app, db, no_build):
    going, _ = publish_runs.start_run(app, models.User.get(models.User.username == "chief"), False, "Thử")
    plan = plan_of(2022)
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, form(
        year="2022", title="Kế hoạch 2022 (sửa)", issued_on="", midyear_report_due="14/06/2022",
        annual_report_due="24/11/2022", is_public="y", version=plan.version))
    assert response.status_code == 303
    assert [(r.id, r.status) for r in runs()] == [(going.id, "running"), (going.id + 1, "queued")]


def test_taking_a_plan_off_the_site_queues_a_publish_too(coordinator, db):
    plan = a_plan(is_public=True)
    response = coordinator.post_form(BASE + "%d/sua" % plan.id, form(version=1))  # the box unticked
    assert response.status_code == 303
    assert models.Plan.get_by_id(plan.id).is_public is False
    assert len(runs()) == 1


def test_an_internal_plan_or_an_unchanged_save_queues_nothing(coordinator, db):
    plan = a_plan(is_public=False)
    assert coordinator.post_form(BASE + "%d/sua" % plan.id, form(title="Sửa", version=1)).status_code == 303
    assert runs() == []
    public = a_plan(year=2032, title="Kế hoạch năm 2032", is_public=True, body_md="# A",
                    midyear_report_due=D(2032, 6, 14), annual_report_due=D(2032, 11, 24))
    same = {"year": "2032", "title": "Kế hoạch năm 2032", "number": "", "issued_on": "",
            "midyear_report_due": "14/06/2032", "annual_report_due": "24/11/2032", "body_md": "# A",
            "is_public": "y", "version": "1"}
    assert coordinator.post_form(BASE + "%d/sua" % public.id, same).status_code == 303
    assert models.Plan.get_by_id(public.id).version == 1 and runs() == []


def test_an_edited_public_plan_shows_on_the_public_plan_page_and_an_internal_one_does_not(coordinator, db):
    assert coordinator.post_form(BASE + "moi", form(is_public="y", body_md=HOSTILE_MD)).status_code == 303
    internal = undated(year="2032", title="Kế hoạch nội bộ năm 2032")
    assert coordinator.post_form(BASE + "moi", internal).status_code == 303
    page = coordinator.get("/xem-truoc/ke-hoach/2031/")
    assert page.status_code == 200
    html = soup(page)
    assert html.find("h1").get_text(strip=True) == "Kế hoạch thực hiện công tác đối thoại năm 2031"
    text = html.get_text(" ", strip=True)
    assert "15/KH-VP" in text and "Mục đích" in text
    assert "<script>alert" not in page.get_data(as_text=True)
    listing = coordinator.get("/xem-truoc/ke-hoach/").get_data(as_text=True)
    assert "năm 2031" in listing and "Kế hoạch nội bộ năm 2032" not in listing
    assert coordinator.get("/xem-truoc/ke-hoach/2032/").status_code == 404
    # taken off the site: the public page is gone
    plan = plan_of(2031)
    assert coordinator.post_form(BASE + "%d/sua" % plan.id, form(version=plan.version)).status_code == 303
    assert coordinator.get("/xem-truoc/ke-hoach/2031/").status_code == 404


def test_an_edited_plan_reaches_the_public_app_through_the_gate(coordinator, app, db):
    plan = plan_of(2022)
    assert coordinator.post_form(BASE + "%d/sua" % plan.id, form(
        year="2022", title="Kế hoạch đối thoại năm 2022 (đã sửa)", issued_on="", midyear_report_due="14/06/2022",
        annual_report_due="24/11/2022", is_public="y", version=plan.version)).status_code == 303
    public = create_public_app({"DATABASE_URL": app.config["DATABASE_URL"]})
    page = public.test_client().get("/ke-hoach/2022/")
    assert page.status_code == 200
    assert soup(page).find("h1").get_text(strip=True) == "Kế hoạch đối thoại năm 2022 (đã sửa)"
