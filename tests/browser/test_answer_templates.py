"""Answer templates in a real browser: choosing one fills the draft answer in place (htmx, no inline script), the
draft stays editable and saving records the template used; without JavaScript the "Dùng mẫu" button does it."""
import re

from playwright.sync_api import expect

import models

OPINION = 30  # YK-2022-0030, KTN's, assigned to the demo specialist
TITLE = "Đất đai: trả lời kiến nghị về bồi thường, hỗ trợ"


def template_id():
    return models.AnswerTemplate.get(models.AnswerTemplate.title == TITLE).id


def test_choosing_a_template_fills_the_draft_in_place_and_saving_records_it(live_server, sign_in, page):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, "specialist")
    page.goto(live_server + "/y-kien/%d" % OPINION)
    page.fill("#answer-resolution_path", "Phối hợp Sở Tài nguyên và Môi trường.")
    page.select_option("#answer-answer_template_id", str(template_id()))
    draft = page.locator("#answer-draft_answer")
    expect(draft).to_have_value(re.compile(r"^Kính gửi .*YK-2022-0030", re.S))
    assert page.url.endswith("/y-kien/%d" % OPINION)  # in place: no page load
    assert page.input_value("#answer-resolution_path") == "Phối hợp Sở Tài nguyên và Môi trường."
    assert "{so}" not in draft.input_value()
    draft.fill(draft.input_value() + "\nĐã bổ sung ý kiến của phòng.")  # still editable
    page.get_by_role("button", name="Lưu dự thảo", exact=True).click()
    expect(page.get_by_text("Đã lưu dự thảo trả lời.")).to_be_visible()
    with models.db.connection_context():
        saved = models.Opinion.get_by_id(OPINION)
    assert saved.answer_template_id == template_id()
    assert saved.draft_answer.endswith("Đã bổ sung ý kiến của phòng.") and "YK-2022-0030" in saved.draft_answer
    assert not [e for e in errors if "Content Security Policy" in e]


def test_without_javascript_the_use_template_button_fills_the_draft(live_server, sign_in, page_nojs):
    sign_in(page_nojs, "specialist")
    page_nojs.goto(live_server + "/y-kien/%d" % OPINION)
    page_nojs.fill("#answer-resolution_path", "Giữ nguyên điều đã gõ.")
    page_nojs.select_option("#answer-answer_template_id", str(template_id()))
    page_nojs.get_by_role("button", name="Dùng mẫu").click()
    assert "YK-2022-0030" in page_nojs.input_value("#answer-draft_answer")
    assert page_nojs.input_value("#answer-resolution_path") == "Giữ nguyên điều đã gõ."
    with models.db.connection_context():
        assert models.Opinion.get_by_id(OPINION).answer_template_id is None  # nothing saved yet


def test_the_preview_of_a_template_comes_in_place_and_names_an_unknown_placeholder(live_server, sign_in, page):
    sign_in(page, "unit_head")
    page.goto(live_server + "/mau-tra-loi/moi")
    page.fill("#title", "Mẫu xem trước")
    page.fill("#body_md", "## Kính gửi {nguoi_gui}\n\nVề ý kiến **{so}**, hẹn ngày {ngay_hen}.")
    page.get_by_role("button", name="Xem trước").click()
    preview = page.locator("#template-preview")
    expect(preview.locator("h2", has_text="Kính gửi")).to_have_text("Kính gửi {nguoi_gui}")
    expect(preview.locator("strong")).to_have_text("{so}")
    expect(preview.get_by_role("alert")).to_have_text("Trường thay thế không hợp lệ: {ngay_hen}.")
    assert page.url.endswith("/mau-tra-loi/moi") and page.input_value("#title") == "Mẫu xem trước"
    page.fill("#body_md", "## Kính gửi {nguoi_gui}\n\nVề ý kiến **{so}**.")
    page.get_by_role("button", name="Thêm mẫu").click()
    expect(page.get_by_role("heading", name="Mẫu xem trước")).to_be_visible()
    with models.db.connection_context():
        assert models.AnswerTemplate.get(models.AnswerTemplate.title == "Mẫu xem trước").body_md.endswith("**{so}**.")
