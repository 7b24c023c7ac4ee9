"""Fast entry of opinions on a held dialogue's page, keyboard only, in a real Chromium;
and the same entry as a plain form post when JavaScript is off."""
from playwright.sync_api import expect

import models

ROWS = "#opinion-rows > tr[id^=opinion-]"


def held_dialogue():
    dialogue = (models.Dialogue.select().where(models.Dialogue.status == "held")
                .order_by(models.Dialogue.starts_at.desc()).first())
    assert dialogue is not None, "the demo data has no held dialogue"
    return dialogue


def opinions_of(dialogue):
    return list(models.Opinion.select().where(models.Opinion.dialogue == dialogue.id).order_by(models.Opinion.id))


def type_and_submit(page, text):
    """Keyboard only: focus the content field, type, Tab to the submit button, Enter."""
    page.focus("#content")
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Ghi ý kiến"
    with page.expect_response(lambda r: r.request.method == "POST" and "/y-kien" in r.url) as info:
        page.keyboard.press("Enter")
    return info.value


def test_fast_entry_with_the_keyboard(page, live_server, sign_in, db):
    dialogue = held_dialogue()
    before = opinions_of(dialogue)
    first = "Đề nghị hướng dẫn lại cách ký số văn bản"
    second = "Đề nghị bổ sung máy quét cho văn thư"
    sign_in(page, "coordinator")
    page.goto(live_server + "/doi-thoai/%d" % dialogue.id)
    page.evaluate("window.__marker = 1")
    rows = page.locator(ROWS)
    expect(rows).to_have_count(len(before))

    assert type_and_submit(page, first).status == 200
    expect(rows).to_have_count(len(before) + 1)
    expect(rows.last).to_contain_text(first)
    expect(page.locator("#content")).to_have_value("")
    expect(page.locator("#fast-entry [role=status]")).to_contain_text("Đã ghi nhận ý kiến")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'content'")
    assert page.evaluate("document.activeElement.id") == "content"

    # straight on with the next one: the focus is already in the content field
    page.keyboard.type(second)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(len(before) + 2)
    expect(rows.last).to_contain_text(second)
    expect(page.locator("#content")).to_have_value("")
    assert page.evaluate("window.__marker") == 1, "the entry reloaded the whole page"

    after = opinions_of(dialogue)
    assert [o.content for o in after[len(before):]] == [first, second]
    new = after[-1]
    assert (new.channel, new.audience, new.status) == ("dialogue", dialogue.audience, "received")
    expect(page.locator("#opinion-%d" % new.id)).to_contain_text(new.code)


def test_fast_entry_refuses_a_too_short_content_and_keeps_it(page, live_server, sign_in, db):
    dialogue = held_dialogue()
    before = len(opinions_of(dialogue))
    sign_in(page, "coordinator")
    page.goto(live_server + "/doi-thoai/%d" % dialogue.id)
    rows = page.locator(ROWS)
    expect(rows).to_have_count(before)

    assert type_and_submit(page, "Quá ngắn").status == 200
    expect(page.locator("#content-error")).to_have_text("Nội dung cần từ 10 đến 5.000 ký tự.")
    expect(page.locator("#fast-entry [role=alert]")).to_contain_text("Chưa ghi được ý kiến")
    expect(page.locator("#content")).to_have_value("Quá ngắn")
    expect(page.locator("#content")).to_have_attribute("aria-invalid", "true")
    expect(rows).to_have_count(before)
    assert len(opinions_of(dialogue)) == before

    # corrected in place, it goes through and the error is gone
    page.focus("#content")
    page.keyboard.press("Control+End")  # focus() puts the caret at the start
    page.keyboard.type(" — cần giải thích rõ")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(rows).to_have_count(before + 1)
    expect(page.locator("#content-error")).to_have_count(0)
    assert opinions_of(dialogue)[-1].content == "Quá ngắn — cần giải thích rõ"


def test_fast_entry_error_puts_the_focus_on_the_invalid_field(page, live_server, sign_in, db):
    dialogue = held_dialogue()
    sign_in(page, "coordinator")
    page.goto(live_server + "/doi-thoai/%d" % dialogue.id)
    type_and_submit(page, "Quá ngắn")
    expect(page.locator("#content-error")).to_be_visible()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'content'", timeout=2000)


def test_fast_entry_without_javascript(page_nojs, live_server, sign_in, db):
    page = page_nojs
    dialogue = held_dialogue()
    before = len(opinions_of(dialogue))
    text = "Đề nghị công khai kết quả xử lý các ý kiến nêu tại buổi đối thoại này"
    sign_in(page, "coordinator")
    page.goto(live_server + "/doi-thoai/%d" % dialogue.id)
    page.fill("#content", text)
    page.select_option("#field_id", label="Thực hiện dân chủ trong cơ quan")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Ghi ý kiến").click()
    assert nav.value.request.redirected_from is not None  # POST → 303 → the dialogue's page
    assert page.url == live_server + "/doi-thoai/%d#nhap-nhanh" % dialogue.id
    new = opinions_of(dialogue)[-1]
    assert len(opinions_of(dialogue)) == before + 1 and new.content == text
    expect(page.locator(".flash.success")).to_have_text("Đã ghi nhận ý kiến %s." % new.code)
    row = page.locator("#opinion-%d" % new.id)
    expect(row).to_contain_text(text)
    expect(row).to_contain_text("Thực hiện dân chủ trong cơ quan")
    expect(page.locator(ROWS)).to_have_count(before + 1)


def test_fast_entry_error_without_javascript(page_nojs, live_server, sign_in, db):
    page = page_nojs
    dialogue = held_dialogue()
    before = len(opinions_of(dialogue))
    sign_in(page, "coordinator")
    page.goto(live_server + "/doi-thoai/%d" % dialogue.id)
    page.fill("#content", "Quá ngắn")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Ghi ý kiến").click()
    assert nav.value.status == 422
    expect(page.locator("#content-error")).to_have_text("Nội dung cần từ 10 đến 5.000 ký tự.")
    expect(page.locator("#content")).to_have_value("Quá ngắn")
    expect(page.locator(ROWS)).to_have_count(before)
    assert len(opinions_of(dialogue)) == before
