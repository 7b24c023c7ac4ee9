"""Answer templates (issue 13): kept by unit heads and the coordinator, placeholders filled from an opinion (a
denouncer's name never), the answer form filled with and without JavaScript, versions, retire and delete."""
import datetime as dt

import pytest
from bs4 import BeautifulSoup

import models
from services import answer_templates
from tests.conftest import user

OPINION = 30  # YK-2022-0030: KTN's, assigned to the demo specialist
OTHER_UNIT_OPINION = 27


def template(title):
    return models.AnswerTemplate.get(models.AnswerTemplate.title == title)


def ktn_template():
    return template("Đất đai: trả lời kiến nghị về bồi thường, hỗ trợ")


def nc_template():
    return template("Tiếp công dân: hẹn lịch làm việc")


def office_template():
    return template("Trả lời chung: đã tiếp nhận và giao xử lý")


def audits(obj, action):
    return list(models.AuditLog.select().where(models.AuditLog.object_type == "answer_template",
                                               models.AuditLog.object_id == obj.id,
                                               models.AuditLog.action == action))


def textarea(html, name):
    found = BeautifulSoup(html, "html.parser").find("textarea", attrs={"name": name})
    return found.get_text() if found is not None else None


def selected(html, name):
    select = BeautifulSoup(html, "html.parser").find("select", attrs={"name": name})
    option = select.find("option", selected=True)
    return option["value"] if option else None


ALL = "Số {so}, nhận {ngay_nhan}, {linh_vuc}, {don_vi}, hạn {han}, gửi {nguoi_gui}; {{so}} và }}"


# ---------------------------------------------------------------- placeholders


def test_fill_writes_every_placeholder_from_the_opinion_with_dates_as_dd_mm_yyyy(db):
    opinion = models.Opinion.get_by_id(OPINION)
    models.Opinion.update(deadline=dt.date(2022, 7, 5), submitter_name="Nguyễn Văn Hòa", kind="petition").where(
        models.Opinion.id == OPINION).execute()
    opinion = models.Opinion.get_by_id(OPINION)
    text = answer_templates.fill(models.AnswerTemplate(body_md=ALL), opinion, user("specialist"))
    assert text == "Số %s, nhận %s, %s, %s, hạn 05/07/2022, gửi Nguyễn Văn Hòa; {so} và }" % (
        opinion.code, opinion.received_on.strftime("%d/%m/%Y"), opinion.field.name, opinion.assigned_unit.name)


def test_missing_deadline_field_and_unit_read_as_not_yet_known(db):
    opinion = models.create_opinion(user("coordinator"), kind="opinion", channel="letter", audience="citizens",
                                    content="Đề nghị sửa đường vào thôn.", received_on=dt.date(2026, 3, 9))
    text = answer_templates.fill(models.AnswerTemplate(body_md="{linh_vuc} / {don_vi} / {han} / {ngay_nhan} / "
                                                       "{nguoi_gui}"), opinion, user("coordinator"))
    assert text == "chưa xác định / chưa xác định / chưa xác định / 09/03/2026 / ông/bà"


@pytest.mark.parametrize("username", ["coordinator", "unit_head"])
def test_a_denouncers_name_is_never_filled_in(db, username):
    opinion = models.create_opinion(user("coordinator"), kind="denunciation", channel="letter", audience="citizens",
                                    submitter_name="Phan Văn Tố", content="Tố cáo việc thu tiền sai quy định.",
                                    assigned_unit=models.Unit.get(models.Unit.code == "KTN").id)
    reader = user(username)
    assert opinion.can_see_identity(reader)  # they may see it on the page, but an answer never carries it
    text = answer_templates.fill(models.AnswerTemplate(body_md="Kính gửi {nguoi_gui}"), opinion, reader)
    assert text == "Kính gửi ông/bà"


def test_the_htmx_choice_fills_the_text_area_only_from_a_usable_template(login, db):
    c = login("specialist")
    response = c.hx_get("/y-kien/%d/mau-tra-loi?answer_template_id=%d" % (OPINION, ktn_template().id))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="answer-draft_answer"' in html
    assert "Trả lời kiến nghị số YK-2022-0030" in textarea(html, "draft_answer")
    assert c.hx_get("/y-kien/%d/mau-tra-loi?answer_template_id=" % OPINION).status_code == 204
    assert c.hx_get("/y-kien/%d/mau-tra-loi?answer_template_id=%d" % (OPINION, nc_template().id)).status_code == 404
    assert c.hx_get("/y-kien/%d/mau-tra-loi?answer_template_id=1" % OTHER_UNIT_OPINION).status_code == 404


# ---------------------------------------------------------------- the answer form


def test_the_answer_form_offers_usable_templates_the_opinions_field_first(login, db):
    html = login("specialist").get("/y-kien/%d" % OPINION).get_data(as_text=True)
    select = BeautifulSoup(html, "html.parser").find("select", attrs={"name": "answer_template_id"})
    titles = [o.get_text() for o in select.find_all("option") if o["value"]]
    assert titles[0] == ktn_template().title
    assert "Trả lời chung: đã tiếp nhận và giao xử lý (dùng chung)" in titles
    assert nc_template().title not in " ".join(titles)  # another unit's
    assert "Mẫu cũ: trả lời đất đai năm 2022" not in " ".join(titles)  # retired


def test_use_template_without_javascript_fills_the_draft_keeps_the_rest_and_saves_nothing(login, db):
    before = models.Opinion.get_by_id(OPINION)
    c = login("specialist")
    response = c.post_form("/y-kien/%d/tra-loi/dung-mau" % OPINION, {
        "version": before.version, "answer_template_id": ktn_template().id,
        "draft_answer": "Bản nháp cũ", "resolution_path": "Hướng giải quyết đang gõ"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    draft = textarea(html, "draft_answer")
    assert draft.startswith("Kính gửi ") and "YK-2022-0030" in draft and "{so}" not in draft
    assert textarea(html, "resolution_path") == "Hướng giải quyết đang gõ"
    assert selected(html, "answer_template_id") == str(ktn_template().id)
    after = models.Opinion.get_by_id(OPINION)
    assert (after.version, after.draft_answer, after.answer_template_id) == (
        before.version, before.draft_answer, None)
    refused = c.post_form("/y-kien/%d/tra-loi/dung-mau" % OPINION, {"version": before.version,
                                                                   "answer_template_id": "",
                                                                   "resolution_path": "Giữ lại"})
    assert refused.status_code == 422
    assert "Vui lòng chọn một mẫu trả lời" in refused.get_data(as_text=True)
    assert textarea(refused.get_data(as_text=True), "resolution_path") == "Giữ lại"


def test_saving_the_answer_records_the_template_used_and_clears_it_when_none(login, db):
    c = login("specialist")
    chosen = ktn_template()
    version = models.Opinion.get_by_id(OPINION).version
    response = c.post_form("/y-kien/%d/tra-loi" % OPINION, {
        "version": version, "answer_template_id": chosen.id, "draft_answer": "Nội dung đã sửa từ mẫu."})
    assert response.status_code == 303
    saved = models.Opinion.get_by_id(OPINION)
    assert saved.answer_template_id == chosen.id and saved.draft_answer == "Nội dung đã sửa từ mẫu."
    response = c.post_form("/y-kien/%d/tra-loi" % OPINION, {
        "version": saved.version, "answer_template_id": "", "draft_answer": "Viết lại không theo mẫu."})
    assert response.status_code == 303
    assert models.Opinion.get_by_id(OPINION).answer_template_id is None
    refused = c.post_form("/y-kien/%d/tra-loi" % OPINION, {
        "version": saved.version + 1, "answer_template_id": nc_template().id, "draft_answer": "Mẫu của đơn vị khác."})
    assert refused.status_code == 422
    assert "Mẫu trả lời không dùng được cho ý kiến này." in refused.get_data(as_text=True)
    assert models.Opinion.get_by_id(OPINION).answer_template_id is None


# ---------------------------------------------------------------- who keeps the templates


def test_a_unit_head_creates_his_units_template_not_an_office_wide_one(login, db):
    c = login("unit_head")
    ktn = models.Unit.get(models.Unit.code == "KTN")
    refused = c.post_form("/mau-tra-loi/moi", {"title": "Mẫu chung", "unit_id": "office", "body_md": "Số {so}."})
    assert refused.status_code == 422
    assert "chỉ soạn mẫu của đơn vị mình" in refused.get_data(as_text=True)
    other = models.Unit.get(models.Unit.code == "NC")
    assert c.post_form("/mau-tra-loi/moi", {"title": "Mẫu NC", "unit_id": other.id,
                                            "body_md": "Số {so}."}).status_code == 422
    response = c.post_form("/mau-tra-loi/moi", {"title": "Mẫu mới của phòng", "unit_id": ktn.id,
                                                "field_id": "", "body_md": "Trả lời ý kiến số {so}."})
    assert response.status_code == 303
    made = template("Mẫu mới của phòng")
    assert (made.unit_id, made.field_id, made.is_retired, made.created_by_id) == (ktn.id, None, False,
                                                                                   user("unit_head").id)
    assert response.headers["Location"].endswith("/mau-tra-loi/%d" % made.id)
    assert len(audits(made, "create")) == 1
    assert not models.AnswerTemplate.select().where(models.AnswerTemplate.title.in_(["Mẫu chung", "Mẫu NC"])).exists()


def test_a_unit_head_edits_his_units_templates_only(login, db):
    c = login("unit_head")
    own = ktn_template()
    assert c.get("/mau-tra-loi/%d/sua" % office_template().id).status_code == 403  # office-wide: read, not edit
    assert c.get("/mau-tra-loi/%d/sua" % nc_template().id).status_code == 404  # another unit's: not even seen
    assert c.get("/mau-tra-loi/%d" % nc_template().id).status_code == 404
    assert c.post_form("/mau-tra-loi/%d/ngung-dung" % office_template().id,
                       {"version": 1}).status_code == 403
    response = c.post_form("/mau-tra-loi/%d/sua" % own.id, {
        "version": own.version, "title": own.title, "unit_id": own.unit_id, "field_id": own.field_id,
        "body_md": "Kính gửi {nguoi_gui}, trả lời ý kiến {so}."})
    assert response.status_code == 303
    saved = models.AnswerTemplate.get_by_id(own.id)
    assert saved.version == own.version + 1 and saved.body_md == "Kính gửi {nguoi_gui}, trả lời ý kiến {so}."
    assert saved.updated_by_id == user("unit_head").id
    assert len(audits(own, "update")) == 1


def test_a_specialist_reads_the_templates_but_may_not_write_them(login, db):
    c = login("specialist")
    listing = c.get("/mau-tra-loi/").get_data(as_text=True)
    assert ktn_template().title in listing and office_template().title in listing
    assert nc_template().title not in listing
    assert "Thêm mẫu" not in listing
    assert c.get("/mau-tra-loi/%d" % ktn_template().id).status_code == 200
    assert c.get("/mau-tra-loi/%d/sua" % ktn_template().id).status_code == 403
    assert c.get("/mau-tra-loi/moi").status_code == 403
    response = c.post_form("/mau-tra-loi/%d/sua" % ktn_template().id, {
        "version": 1, "title": "Đổi tên", "unit_id": ktn_template().unit_id, "body_md": "x"})
    assert response.status_code == 403
    assert c.post_form("/mau-tra-loi/%d/xoa" % ktn_template().id).status_code == 403
    assert models.AnswerTemplate.get_by_id(ktn_template().id).version == 1


def test_the_coordinator_keeps_office_wide_templates_and_shares_a_units_one(login, db):
    c = login("coordinator")
    response = c.post_form("/mau-tra-loi/moi", {"title": "Mẫu dùng chung mới", "unit_id": "office",
                                                "body_md": "Ý kiến {so} đã được tiếp nhận."})
    assert response.status_code == 303
    assert template("Mẫu dùng chung mới").unit_id is None
    own = ktn_template()
    response = c.post_form("/mau-tra-loi/%d/sua" % own.id, {
        "version": own.version, "title": own.title, "unit_id": "office", "field_id": own.field_id,
        "body_md": own.body_md})
    assert response.status_code == 303
    shared = models.AnswerTemplate.get_by_id(own.id)
    assert shared.unit_id is None and shared.version == own.version + 1
    assert audits(own, "update")[0].change_list == [("unit", [own.unit_id, None]),
                                                   ("updated_by", [user("unit_head").id, user("coordinator").id])]
    # now office-wide: another unit's staff read it, its unit head may no longer edit it
    assert login("unit_head").get("/mau-tra-loi/%d/sua" % own.id).status_code == 403


def test_the_list_filters_by_unit_and_field_and_shows_retired_ones_apart(login, db):
    c = login("coordinator")
    page = c.get("/mau-tra-loi/?unit=office").get_data(as_text=True)
    assert office_template().title in page and ktn_template().title not in page
    page = c.get("/mau-tra-loi/?unit=%d" % nc_template().unit_id).get_data(as_text=True)
    assert nc_template().title in page and office_template().title not in page
    dat_dai = models.Field.get(models.Field.code == "dat-dai")
    page = c.get("/mau-tra-loi/?field=%d" % dat_dai.id).get_data(as_text=True)
    assert ktn_template().title in page and office_template().title not in page
    assert "Mẫu cũ: trả lời đất đai năm 2022" not in page
    retired = c.get("/mau-tra-loi/?ngung=1").get_data(as_text=True)
    assert "Mẫu cũ: trả lời đất đai năm 2022" in retired and ktn_template().title not in retired
    models.AnswerTemplate.delete().where(models.AnswerTemplate.unit.is_null(False)).execute()
    empty = c.get("/mau-tra-loi/?unit=%d" % nc_template_unit()).get_data(as_text=True)
    assert "Không có mẫu nào khớp bộ lọc." in empty
    assert login("admin").get("/mau-tra-loi/").status_code == 403


def nc_template_unit():
    return models.Unit.get(models.Unit.code == "NC").id


def test_the_navigation_links_the_templates_for_those_who_use_them(login, db):
    for role in ("specialist", "unit_head", "coordinator", "leader", "chief"):
        assert 'href="/mau-tra-loi/"' in login(role).get("/").get_data(as_text=True), role
    assert 'href="/mau-tra-loi/"' not in login("admin").get("/").get_data(as_text=True)


# ---------------------------------------------------------------- placeholders checked on save


def test_an_unknown_placeholder_is_refused_beside_the_text_and_what_was_typed_is_kept(login, db):
    c = login("unit_head")
    ktn = models.Unit.get(models.Unit.code == "KTN")
    body = "Kính gửi {ten_nguoi_gui}, về ý kiến {so} ngày {ngay}."
    response = c.post_form("/mau-tra-loi/moi", {"title": "Mẫu có lỗi", "unit_id": ktn.id, "body_md": body})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = BeautifulSoup(html, "html.parser").find(id="body_md-error").get_text()
    assert "{ten_nguoi_gui}" in error and "{ngay}" in error and "{so}" not in error.split("Chỉ dùng được")[0]
    assert textarea(html, "body_md") == body
    assert 'value="Mẫu có lỗi"' in html
    assert not models.AnswerTemplate.select().where(models.AnswerTemplate.title == "Mẫu có lỗi").exists()
    # doubled braces are a brace itself, not a placeholder
    response = c.post_form("/mau-tra-loi/moi", {"title": "Mẫu có ngoặc", "unit_id": ktn.id,
                                                "body_md": "Ký hiệu {{ten}} trong ý kiến {so}."})
    assert response.status_code == 303
    opinion = models.Opinion.get_by_id(OPINION)
    assert answer_templates.fill(template("Mẫu có ngoặc"), opinion, user("unit_head")) == (
        "Ký hiệu {ten} trong ý kiến %s." % opinion.code)


# ---------------------------------------------------------------- preview

HOSTILE_MD = ("## Kính gửi {nguoi_gui}\n\nVề ý kiến **{so}**, hẹn {ngay_hen}.\n\n<script>alert(1)</script>"
              "<img src=x onerror=alert(2)> [bấm](javascript:alert(3))")


def preview_section(html):
    return BeautifulSoup(html, "html.parser").find(id="template-preview")


def assert_sanitised(section):
    markup = str(section).lower()
    for bad in ("<script", "onerror", "javascript:", "<img src=\"x\""):
        assert bad not in markup, bad


@pytest.mark.parametrize("where", ["new", "edit"])
def test_the_preview_button_renders_the_text_without_javascript_and_saves_nothing(login, db, where):
    c = login("coordinator")
    t = office_template()
    url = "/mau-tra-loi/moi" if where == "new" else "/mau-tra-loi/%d/sua" % t.id
    before = (models.AuditLog.select().count(), models.AnswerTemplate.select().count(), t.body_md)
    response = c.post_form(url, {"title": "Bản nháp mẫu", "unit_id": "office", "body_md": HOSTILE_MD,
                                 "version": "1", "preview": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    section = preview_section(html)
    assert section.find("h2", string="Kính gửi {nguoi_gui}") is not None
    assert section.find("strong").get_text() == "{so}"
    assert section.find(class_="error").get_text(strip=True) == "Trường thay thế không hợp lệ: {ngay_hen}."
    assert_sanitised(section)
    assert textarea(html, "body_md") == HOSTILE_MD and 'value="Bản nháp mẫu"' in html
    if where == "edit":
        assert BeautifulSoup(html, "html.parser").find("input", attrs={"name": "version"})["value"] == "1"
    assert (models.AuditLog.select().count(), models.AnswerTemplate.select().count(),
            office_template().body_md) == before


def test_a_placeholder_that_ends_a_heading_or_a_paragraph_is_shown_on_the_templates_page(login, db):
    """Markdown's attribute lists took "{nguoi_gui}" at the end of a heading for attributes and dropped it."""
    t = office_template()
    models.AnswerTemplate.update(body_md="## Kính gửi {nguoi_gui}\n\nVề ý kiến số {so}\n\nMã: `{han}`\n\n"
                                         "    {don_vi} trong khối mã\n").where(
        models.AnswerTemplate.id == t.id).execute()
    page = BeautifulSoup(login("specialist").get("/mau-tra-loi/%d" % t.id).get_data(as_text=True), "html.parser")
    assert page.find("h2", string="Kính gửi {nguoi_gui}") is not None
    assert page.find("p", string="Về ý kiến số {so}") is not None
    # and in code, where an entity would show as "&#123;"
    assert [code.get_text().strip() for code in page.find_all("code")] == ["{han}", "{don_vi} trong khối mã"]


def test_the_htmx_preview_returns_the_sanitised_fragment_and_the_form_offers_it(login, db):
    c = login("unit_head")
    page = BeautifulSoup(c.get("/mau-tra-loi/moi").get_data(as_text=True), "html.parser")
    button = page.find("button", attrs={"name": "preview"})
    assert button["hx-post"] == "/mau-tra-loi/xem-truoc" and button["hx-target"] == "#template-preview"
    assert "Bấm “Xem trước”" in page.find(id="template-preview").get_text()
    response = c.post_form("/mau-tra-loi/xem-truoc", {"body_md": "Ý kiến {so}: *đã giao*."}, htmx=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<html" not in text and "<nav" not in text
    section = preview_section(text)
    assert section.find("em").get_text() == "đã giao" and section.find(class_="error") is None
    assert_sanitised(preview_section(c.post_form("/mau-tra-loi/xem-truoc", {"body_md": HOSTILE_MD},
                                                 htmx=True).get_data(as_text=True)))
    assert login("specialist").post_form("/mau-tra-loi/xem-truoc", {"body_md": "x"}, htmx=True).status_code == 403


# ---------------------------------------------------------------- versions


def test_a_stale_version_is_refused_with_409_and_the_other_persons_version_shown(login, db):
    own = ktn_template()
    head = login("unit_head")
    assert head.post_form("/mau-tra-loi/%d/sua" % own.id, {
        "version": own.version, "title": "Tên do lãnh đạo phòng sửa", "unit_id": own.unit_id,
        "body_md": own.body_md}).status_code == 303
    c = login("coordinator")
    response = c.post_form("/mau-tra-loi/%d/sua" % own.id, {
        "version": own.version, "title": "Tên do TCHCQT sửa", "unit_id": own.unit_id, "body_md": own.body_md})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Tên do lãnh đạo phòng sửa" in html and "Trần Văn Dũng" in html
    assert 'name="version" value="%d"' % (own.version + 1) in html
    assert models.AnswerTemplate.get_by_id(own.id).title == "Tên do lãnh đạo phòng sửa"
    stale = c.post_form("/mau-tra-loi/%d/ngung-dung" % own.id, {"version": own.version})
    assert stale.status_code == 409
    assert not models.AnswerTemplate.get_by_id(own.id).is_retired


# ---------------------------------------------------------------- retire, restore, delete


def test_a_used_template_may_be_retired_but_not_deleted(login, db):
    used = ktn_template()
    specialist = login("specialist")
    version = models.Opinion.get_by_id(OPINION).version
    assert specialist.post_form("/y-kien/%d/tra-loi" % OPINION, {
        "version": version, "answer_template_id": used.id, "draft_answer": "Theo mẫu."}).status_code == 303
    head = login("unit_head")
    response = head.post_form("/mau-tra-loi/%d/xoa" % used.id)
    assert response.status_code == 422
    assert "đã được dùng cho 1 ý kiến nên không xóa được" in response.get_data(as_text=True)
    assert models.AnswerTemplate.get_or_none(models.AnswerTemplate.id == used.id) is not None
    assert not audits(used, "delete")
    response = head.post_form("/mau-tra-loi/%d/ngung-dung" % used.id, {"version": used.version})
    assert response.status_code == 303
    assert models.AnswerTemplate.get_by_id(used.id).is_retired
    assert len(audits(used, "retire")) == 1
    # no longer offered to another opinion of the unit; still shown (chosen) on the opinion that used it
    other = models.create_opinion(user("unit_head"), kind="opinion", channel="letter", audience="citizens",
                                  content="Kiến nghị về đền bù đất.", field=used.field_id)
    assert used.title not in specialist.get("/y-kien/%d" % other.id).get_data(as_text=True)
    page = specialist.get("/y-kien/%d" % OPINION).get_data(as_text=True)
    assert selected(page, "answer_template_id") == str(used.id) and "(ngừng sử dụng)" in page
    restored = head.post_form("/mau-tra-loi/%d/dung-lai" % used.id, {"version": used.version + 1})
    assert restored.status_code == 303 and not models.AnswerTemplate.get_by_id(used.id).is_retired
    assert len(audits(used, "restore")) == 1


def test_an_unused_template_is_deleted_and_audited(login, db):
    unused = template("Giải thích chính sách (Phòng Kinh tế ngành)")
    response = login("unit_head").post_form("/mau-tra-loi/%d/xoa" % unused.id)
    assert response.status_code == 303 and response.headers["Location"].endswith("/mau-tra-loi/")
    assert models.AnswerTemplate.get_or_none(models.AnswerTemplate.id == unused.id) is None
    entry = audits(unused, "delete")
    assert len(entry) == 1 and entry[0].user_id == user("unit_head").id


POSTS = ["/mau-tra-loi/moi", "/mau-tra-loi/xem-truoc", "/mau-tra-loi/{t}/sua", "/mau-tra-loi/{t}/ngung-dung",
         "/mau-tra-loi/{t}/dung-lai", "/mau-tra-loi/{t}/xoa", "/y-kien/%d/tra-loi/dung-mau" % OPINION]


@pytest.mark.parametrize("path", POSTS)
def test_every_post_needs_the_csrf_token(login, db, path):
    c = login("coordinator")
    url = path.format(t=ktn_template().id)
    before = (models.AuditLog.select().count(), models.AnswerTemplate.select().count())
    data = {"version": "1", "title": "Không được lưu", "unit_id": "office", "body_md": "x",
            "answer_template_id": ktn_template().id}
    for token in (None, "sai-token"):
        sent = dict(data, **({"csrf_token": token} if token else {}))
        assert c.client.post(url, data=sent).status_code == 400
    assert (models.AuditLog.select().count(), models.AnswerTemplate.select().count()) == before
    assert models.AnswerTemplate.get_by_id(ktn_template().id).version == 1
