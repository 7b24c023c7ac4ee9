"""Công khai in a real Chromium: the run page follows progress by htmx polling and stops when the run ends;
the inline summary edit shows the personal-data reasons in place."""
from playwright.sync_api import expect

import models


def set_run(run, **values):
    models.PublishRun.update(**values).where(models.PublishRun.id == run.id).execute()


def test_the_run_page_follows_progress_then_stops_polling(page, live_server, sign_in, db):
    run = models.PublishRun.create(status="running", progress="Đang xuất trang 1/90 (1%) /")
    sign_in(page, "coordinator")
    page.goto(live_server + "/cong-khai/lan-xuat-ban/%d" % run.id)
    page.evaluate("window.__marker = 1")  # survives only if the page is never reloaded
    expect(page.locator("#run-progress")).to_contain_text("1/90")
    set_run(run, progress="Đang xuất trang 45/90 (50%) /ket-luan/")
    expect(page.locator("#run-progress")).to_contain_text("45/90", timeout=5000)
    set_run(run, status="succeeded", finished_at=models.now(), progress="Hoàn tất.",
            summary="Đã xuất 90 trang (90 tệp ghi mới)")
    expect(page.locator("#run-status")).to_contain_text("Đã xuất 90 trang", timeout=5000)
    expect(page.locator("#run-status .badge")).to_have_text("Hoàn tất")
    assert page.evaluate("window.__marker") == 1
    polls = []
    page.on("request", lambda request: polls.append(request.url) if "/lan-xuat-ban/" in request.url else None)
    page.wait_for_timeout(2500)
    assert polls == [], "the finished run is still polled"


def test_the_inline_edit_refuses_a_summary_with_a_phone_number(page, live_server, sign_in, db):
    conclusion = (models.Conclusion.select().join(models.ConclusionNotice)
                  .where(models.ConclusionNotice.status == "signed", models.Conclusion.is_public == False)  # noqa: E712
                  .order_by(models.Conclusion.id).first())
    sign_in(page, "coordinator")
    page.goto(live_server + "/cong-khai/ket-luan/%d" % conclusion.id)
    page.evaluate("window.__marker = 1")
    item = page.locator("#ket-luan-%d" % conclusion.id)
    item.locator("textarea[name=public_summary]").fill("Liên hệ chị Hoa số 0987 654 321 để được hướng dẫn.")
    item.locator("input[name=is_public]").check()
    item.get_by_role("button", name="Lưu").click()
    expect(page.locator("#summary-%d-problems" % conclusion.id)).to_contain_text("Có số điện thoại (0987 654 321)")
    expect(page.locator("#public-%d-error" % conclusion.id)).to_contain_text("Không thể công khai")
    assert page.evaluate("window.__marker") == 1  # swapped in place, no reload
    assert not models.Conclusion.get_by_id(conclusion.id).is_public
