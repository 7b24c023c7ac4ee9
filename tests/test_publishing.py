"""Công khai: the review screen, the personal-data refusal, take-down and republish, builds started from the app."""
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import build
import models
import publication
from services import publish_runs
from tests.conftest import user

BASE_URL = "https://dichvucong.example.gov.vn/dan-biet/"
PERSONAL = ("Ông Trần Văn Bình, điện thoại 0912 345 678, CCCD 001203004567, "
            "thư điện tử binh.tran@example.com, đề nghị được trả lời.")


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def item(response, conclusion):
    return soup(response).find(id="ket-luan-%d" % conclusion.id)


def reload(obj):
    return type(obj).get_by_id(obj.id)


def signed_conclusions():
    return (models.Conclusion.select().join(models.ConclusionNotice)
            .where(models.ConclusionNotice.status == "signed").order_by(models.Conclusion.id))


def published():
    """Conclusions on the public site right now (the gate's answer)."""
    return [c.id for c in publication.conclusions()]


def private_conclusion():
    """A conclusion of a signed notice, closed, not public: publishable once its summary is clean."""
    c = (signed_conclusions().where(models.Conclusion.is_public == False,  # noqa: E712
                                    models.Conclusion.status.in_(models.CONCLUSION_CLOSED)).first())
    assert c is not None, "the demo data has a closed conclusion that is not public"
    return c


def runs():
    return list(models.PublishRun.select().order_by(models.PublishRun.id))


def wait_for(run_id, timeout=180):
    """Poll the PublishRun row until it is finished, then wait for the job process itself."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = models.PublishRun.get_by_id(run_id)
        if run.status in ("succeeded", "failed"):
            break
        time.sleep(0.2)
    else:
        pytest.fail("run %d did not finish in %d s (last progress: %s)" % (run_id, timeout, run.progress))
    for job in publish_runs.running_jobs():
        job.wait(timeout=30)
    return models.PublishRun.get_by_id(run_id)


@pytest.fixture
def site(app, tmp_path):
    """SITE_DIR and PUBLIC_BASE_URL of the test app point at a fresh folder (undone by the app fixture)."""
    app.config.update(SITE_DIR=str(tmp_path / "site"), PUBLIC_BASE_URL=BASE_URL, PUBLISH_TARGET="")
    yield tmp_path / "site"
    for job in publish_runs.running_jobs():  # never leave a build reading the test database
        job.wait(timeout=180)


# ---------------------------------------------------------------- the review screen


def test_review_lists_the_personal_data_problems_beside_the_summary(login, db):
    c = private_conclusion()
    models.Conclusion.update(public_summary=PERSONAL).where(models.Conclusion.id == c.id).execute()
    response = login("coordinator").get("/cong-khai/?state=blocked")
    assert response.status_code == 200
    node = item(response, c)
    assert node is not None
    problems = [li.get_text(strip=True) for li in node.select("#summary-%d-problems li" % c.id)]
    assert any(p.startswith("Có số điện thoại (0912 345 678)") for p in problems), problems
    assert any("001203004567" in p and "căn cước" in p for p in problems), problems
    assert any(p.startswith("Có địa chỉ thư điện tử (binh.tran@example.com)") for p in problems), problems
    assert node.find("textarea", id="summary-%d" % c.id)["aria-invalid"] == "true"
    assert "Có dữ liệu cá nhân" in node.select_one(".state").get_text()
    # a clean summary is not listed under "blocked"
    clean = (signed_conclusions().where(models.Conclusion.id != c.id, models.Conclusion.is_public == True)  # noqa: E712
             .first())
    assert item(response, clean) is None


def test_turning_the_flag_on_is_refused_while_the_summary_has_personal_data(login, db):
    c = private_conclusion()
    before = reload(c)
    coordinator = login("coordinator")
    audits = models.AuditLog.select().count()
    data = {"public_summary": PERSONAL, "is_public": "y", "version": c.version}
    response = coordinator.post_form("/cong-khai/ket-luan/%d" % c.id, data)
    assert response.status_code == 422
    node = item(response, c)
    assert "không thể công khai" in node.find(id="public-%d-error" % c.id).get_text().lower()
    problems = node.select_one("#summary-%d-problems" % c.id).get_text()
    assert "Có số điện thoại" in problems and "Có địa chỉ thư điện tử" in problems
    assert node.find("textarea", id="summary-%d" % c.id).get_text() == PERSONAL  # what was typed is kept
    after = reload(c)
    assert (after.public_summary, after.is_public, after.version) == (before.public_summary, False, before.version)
    assert models.AuditLog.select().count() == audits
    # htmx gets the item back (200, so it is swapped in) with the same reasons, and nothing is stored either
    fragment = coordinator.post_form("/cong-khai/ket-luan/%d" % c.id, data, htmx=True)
    assert fragment.status_code == 200
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Có số điện thoại" in item(fragment, c).get_text()
    assert reload(c).version == before.version
    assert c.id not in published()
    # An empty summary cannot be made public either
    empty = coordinator.post_form("/cong-khai/ket-luan/%d" % c.id, {"public_summary": " ", "is_public": "y",
                                                                   "version": c.version})
    assert empty.status_code == 422
    assert "Cần nhập tóm tắt công khai" in item(empty, c).get_text()


def test_a_clean_summary_is_saved_published_and_audited(login, db):
    c = private_conclusion()
    coordinator = login("coordinator")
    summary = "Đã bố trí lại lịch tiếp công dân vào sáng thứ Năm hằng tuần."
    response = coordinator.post_form("/cong-khai/ket-luan/%d" % c.id, {
        "public_summary": summary, "is_public": "y", "version": c.version, "next": "/cong-khai/?state=ready"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cong-khai/?state=ready#ket-luan-%d" % c.id)
    saved = reload(c)
    assert (saved.public_summary, saved.is_public, saved.version) == (summary, True, c.version + 1)
    assert c.id in published()
    row = (models.AuditLog.select().where(models.AuditLog.object_type == "conclusion",
                                          models.AuditLog.object_id == c.id)
           .order_by(models.AuditLog.id.desc()).first())
    assert row.action == "publication" and row.user_id == user("coordinator").id
    assert dict(row.change_list)["is_public"] == [False, True]
    shown = coordinator.get("/cong-khai/ket-luan/%d" % c.id)
    assert "Đang công khai" in item(shown, c).select_one(".state").get_text()


def test_an_edit_from_a_stale_page_shows_the_conflict_and_stores_nothing(login, db):
    c = private_conclusion()
    coordinator = login("coordinator")
    first = coordinator.post_form("/cong-khai/ket-luan/%d" % c.id, {
        "public_summary": "Bản thứ nhất của tóm tắt.", "version": c.version})
    assert first.status_code == 303
    second = coordinator.post_form("/cong-khai/ket-luan/%d" % c.id, {
        "public_summary": "Bản thứ hai, mở từ trang cũ.", "version": c.version})
    assert second.status_code == 409
    box = soup(second).select_one(".conflict")
    assert box is not None and "Bản thứ nhất của tóm tắt." in box.get_text()
    assert reload(c).public_summary == "Bản thứ nhất của tóm tắt."
    # the form now carries the stored version: saving again overwrites knowingly
    assert item(second, c).find("input", attrs={"name": "version"})["value"] == str(c.version + 1)


def test_the_filters_match_what_the_gate_publishes(login, db):
    coordinator = login("coordinator")
    ids = set()
    for number in (1, 2, 3):
        shown = coordinator.get("/cong-khai/?state=published&page=%d" % number)
        ids |= {int(a["id"].split("-")[-1]) for a in soup(shown).select("article.publish-item")}
    assert len(published()) <= 75 and ids and ids == set(published())
    hidden = coordinator.get("/cong-khai/?state=not_public")
    private = {int(a["id"].split("-")[-1]) for a in soup(hidden).select("article.publish-item")}
    assert private and not private & ids
    assert all(not models.Conclusion.get_by_id(i).is_public for i in private)
    everything = coordinator.get("/cong-khai/")
    in_force = signed_conclusions().count()  # the demo data has no superseded notice
    assert "trong %d kết luận" % in_force in everything.get_data(as_text=True)
    empty = coordinator.get("/cong-khai/?state=blocked")
    assert "Không có kết luận nào ở mục “Có dữ liệu cá nhân”" in empty.get_data(as_text=True)


def test_roles(login, db):
    c = private_conclusion()
    for role in ("specialist", "unit_head", "admin"):
        assert login(role).get("/cong-khai/").status_code == 403
        assert login(role).get("/cong-khai/xuat-ban").status_code == 403
    leader = login("leader")
    page = leader.get("/cong-khai/")
    assert page.status_code == 200
    assert soup(page).select("article.publish-item") and not soup(page).select("article.publish-item form")
    one = leader.get("/cong-khai/ket-luan/%d" % c.id)
    assert one.status_code == 200 and item(one, c) is not None and not item(one, c).find("form")
    assert not soup(page).select("form.start-run")
    assert leader.get("/cong-khai/xuat-ban").status_code == 200
    for url, data in (("/cong-khai/ket-luan/%d" % c.id, {"public_summary": "x", "version": c.version}),
                      ("/cong-khai/ket-luan/%d/dang-lai" % c.id, {"version": c.version}),
                      ("/cong-khai/xuat-ban", {})):
        assert leader.post_form(url, data).status_code == 403
        assert login("chief").post_form(url, data).status_code == 403
    assert reload(c).version == c.version and not runs()


# ---------------------------------------------------------------- take down, republish


def test_take_down_needs_a_reason(login, db, site):
    c = signed_conclusions().where(models.Conclusion.id.in_(published())).first()
    response = login("coordinator").post_form("/cong-khai/ket-luan/%d/go-xuong" % c.id,
                                              {"reason": "  ", "version": c.version})
    assert response.status_code == 422
    assert item(response, c).find(id="reason-%d-error" % c.id).get_text() == "Vui lòng ghi lý do gỡ xuống."
    assert reload(c).is_public and not runs()


def test_take_down_unpublishes_audits_and_republishes_at_once(app, login, db, site, tmp_path):
    target = tmp_path / "web-host"
    app.config["PUBLISH_TARGET"] = str(target)
    gone, kept = [c for c in signed_conclusions().where(models.Conclusion.id.in_(published()))][:2]
    response = login("coordinator").post_form("/cong-khai/ket-luan/%d/go-xuong" % gone.id, {
        "reason": "Tóm tắt cần viết lại cho rõ.", "version": gone.version})
    assert response.status_code == 303
    assert not reload(gone).is_public and gone.id not in published()
    row = (models.AuditLog.select().where(models.AuditLog.object_type == "conclusion",
                                          models.AuditLog.object_id == gone.id, models.AuditLog.action == "take_down")
           .get())
    assert row.user_id == user("coordinator").id and "Tóm tắt cần viết lại cho rõ." in row.summary
    (run,) = runs()
    assert response.headers["Location"].endswith("/cong-khai/lan-xuat-ban/%d" % run.id)
    assert run.publish and run.started_by_id == user("coordinator").id
    assert models.AuditLog.select().where(models.AuditLog.object_type == "publish_run",
                                          models.AuditLog.action == "publish_start").count() == 1
    run = wait_for(run.id)
    assert run.status == "succeeded", run.error
    assert "Đã xuất" in run.summary and "Đã đăng" in run.summary and run.finished_at and not run.error
    for root in (site, target):  # built, then sent to the web host
        assert (root / "index.html").is_file()
        assert (root / "ket-luan" / str(kept.id) / "index.html").is_file()
        assert not (root / "ket-luan" / str(gone.id)).exists()
    assert kept.public_summary in (site / "ket-luan" / str(kept.id) / "index.html").read_text(encoding="utf-8")
    page = login("leader").get("/cong-khai/lan-xuat-ban/%d" % run.id)
    assert page.status_code == 200
    status = soup(page).find(id="run-status")
    assert "Hoàn tất" in status.get_text() and not status.has_attr("hx-trigger")
    assert models.AuditLog.select().where(models.AuditLog.object_id == run.id,
                                          models.AuditLog.action == "publish_succeeded").exists()


def test_republish_is_checked_again_and_queues_behind_a_running_build(login, db, site):
    c = private_conclusion()
    coordinator = login("coordinator")
    models.Conclusion.update(public_summary=PERSONAL).where(models.Conclusion.id == c.id).execute()
    refused = coordinator.post_form("/cong-khai/ket-luan/%d/dang-lai" % c.id, {"version": c.version})
    assert refused.status_code == 422
    assert "dữ liệu cá nhân" in item(refused, c).find(id="public-%d-error" % c.id).get_text()
    assert not reload(c).is_public and not runs()
    models.Conclusion.update(public_summary="Đã giải quyết xong.").where(models.Conclusion.id == c.id).execute()
    running = models.PublishRun.create(status="running", progress="Đang xuất trang 3/90")
    response = coordinator.post_form("/cong-khai/ket-luan/%d/dang-lai" % c.id, {"version": c.version},
                                     htmx=True)
    assert response.status_code == 200
    assert reload(c).is_public and c.id in published()
    queued = runs()[-1]
    assert queued.id != running.id and queued.status == "queued"  # waits: one build at a time
    assert "sẽ chạy ngay sau lần #%d" % running.id in item(response, c).get_text()
    assert not publish_runs.running_jobs()
    assert models.AuditLog.select().where(models.AuditLog.object_id == c.id,
                                          models.AuditLog.action == "republish").exists()


# ---------------------------------------------------------------- runs


def test_a_second_start_while_one_runs_is_refused(login, db, site):
    running = models.PublishRun.create(status="running", started_by=user("coordinator").id,
                                       progress="Đang xuất trang 10/90")
    response = login("coordinator").post_form("/cong-khai/xuat-ban", {"publish": "y"})
    assert response.status_code == 409
    assert "Đang có một lần xuất bản khác (#%d" % running.id in soup(response).select_one(".flash.error").get_text()
    assert [r.id for r in runs()] == [running.id]
    assert not publish_runs.running_jobs()


def test_the_progress_fragment_polls_while_running_and_stops_when_finished(login, db):
    running = models.PublishRun.create(status="running", progress="Đang xuất trang 10/90 (11%) /ket-luan/")
    done = models.PublishRun.create(status="failed", progress="Đang gửi tệp 2/40", finished_at=models.now(),
                                    summary="Đã xuất 90 trang", error="Không kết nối được tới nơi đăng")
    leader = login("leader")
    fragment = leader.hx_get("/cong-khai/lan-xuat-ban/%d" % running.id)
    assert "<html" not in fragment.get_data(as_text=True)
    section = soup(fragment).find(id="run-status")
    assert section["hx-trigger"] == "every 1s" and section["hx-get"] == "/cong-khai/lan-xuat-ban/%d" % running.id
    assert "Đang xuất trang 10/90" in section.get_text()
    finished = soup(leader.hx_get("/cong-khai/lan-xuat-ban/%d" % done.id)).find(id="run-status")
    assert not finished.has_attr("hx-trigger") and not finished.has_attr("hx-get")
    assert "Không kết nối được tới nơi đăng" in finished.select_one(".run-error").get_text()
    page = leader.get("/cong-khai/lan-xuat-ban/%d" % done.id)
    rows = soup(page).select("tbody tr")
    assert [r.find("a").get_text() for r in rows] == ["#%d" % done.id, "#%d" % running.id]
    assert leader.get("/cong-khai/lan-xuat-ban/9999").status_code == 404


def test_a_failing_publish_target_is_recorded_and_a_dead_run_does_not_block(app, login, db, site, monkeypatch):
    app.config["PUBLISH_TARGET"] = "ftp://dan-biet@127.0.0.1:1/x"  # nothing listens on port 1
    monkeypatch.setenv("PUBLISH_PASSWORD", "not-used")
    dead = models.PublishRun.create(status="running", started_at=models.now() - dt.timedelta(minutes=45),
                                    progress="Đang xuất trang 5/90")
    response = login("coordinator").post_form("/cong-khai/xuat-ban", {"publish": "y"})
    assert response.status_code == 303
    dead = reload(dead)
    assert dead.status == "failed" and "gián đoạn" in dead.error
    run = runs()[-1]
    assert run.id != dead.id and run.publish
    run = wait_for(run.id)
    assert run.status == "failed"
    assert "Không kết nối được tới nơi đăng" in run.error and "127.0.0.1" in run.error
    assert "Đã xuất" in run.summary  # the build itself went through
    assert (site / "index.html").is_file()
    assert models.AuditLog.select().where(models.AuditLog.object_id == run.id,
                                          models.AuditLog.action == "publish_failed").exists()


def test_the_child_reports_a_bad_target_before_building(tmp_path, capsys):
    code = build.main(["--destination", str(tmp_path / "site"), "--base-url", BASE_URL,
                       "--database-url", "sqlite:///%s" % (tmp_path / "none.db"), "--publish", "sftp://host/x",
                       "--json"])
    assert code == 1
    messages = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "Chỉ đăng được vào một thư mục hoặc máy chủ ftp://" in messages[-1]["error"]
    assert not (tmp_path / "site").exists()


def test_starting_is_one_at_a_time_even_when_requests_race(app, db, monkeypatch):
    launched = []
    monkeypatch.setattr(publish_runs, "launch", lambda app, run_id: launched.append(run_id))
    # a pause inside the transaction, before the check, widens the window a race needs
    monkeypatch.setattr(publish_runs, "expire_stale_runs", lambda: time.sleep(0.1))
    coordinator = user("coordinator")
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def start():
        with app.app_context():
            models.db.connect(reuse_if_open=True)
            try:
                barrier.wait()
                run, active = publish_runs.start_run(app, coordinator, False, "Thử chạy song song")
                outcomes.append((run.id if run else None, active.id if active else None))
            except Exception as error:  # a race would surface here (e.g. database locked)
                errors.append(error)
            finally:
                models.db.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    (run,) = runs()
    assert launched == [run.id]
    assert sorted(outcomes, key=lambda o: o[0] is None) == [(run.id, None)] + [(None, run.id)] * 3


def test_public_dialogues_show_their_problems_and_can_be_taken_down(login, db, monkeypatch):
    launched = []
    monkeypatch.setattr(publish_runs, "launch", lambda app, run_id: launched.append(run_id))
    dialogue = (models.Dialogue.select().where(models.Dialogue.is_public == True,  # noqa: E712
                                               models.Dialogue.status.in_(publication.PUBLIC_DIALOGUE_STATUSES))
                .order_by(models.Dialogue.starts_at.desc()).first())
    models.Dialogue.update(place="Nhà anh Tuấn, số điện thoại 0905 111 222").where(
        models.Dialogue.id == dialogue.id).execute()
    coordinator = login("coordinator")
    listed = soup(coordinator.get("/cong-khai/doi-thoai"))
    row = listed.find(id="doi-thoai-%d" % dialogue.id)
    assert "Địa điểm: Có số điện thoại (0905 111 222)" in row.get_text()
    assert "Không (dữ liệu cá nhân)" in row.get_text()
    assert dialogue.slug not in {d.slug for d in publication.dialogues()}
    refused = coordinator.post_form("/cong-khai/doi-thoai/%d/go-xuong" % dialogue.id, {"version": dialogue.version})
    assert refused.status_code == 303 and reload(dialogue).is_public and not runs()
    done = coordinator.post_form("/cong-khai/doi-thoai/%d/go-xuong" % dialogue.id,
                                 {"reason": "Địa điểm ghi sai.", "version": dialogue.version})
    (run,) = runs()
    assert done.status_code == 303 and done.headers["Location"].endswith("/cong-khai/lan-xuat-ban/%d" % run.id)
    assert not reload(dialogue).is_public and launched == [run.id]
    assert models.AuditLog.select().where(models.AuditLog.object_type == "dialogue",
                                          models.AuditLog.object_id == dialogue.id,
                                          models.AuditLog.action == "take_down",
                                          models.AuditLog.summary.contains("Địa điểm ghi sai.")).exists()


# ---------------------------------------------------------------- a job that dies


def dead_pid():
    """The pid of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def children_of(pid):
    """The pids of the processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def site_files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("job, died", [
    ("its pid is gone", True),
    ("alive but silent for over a minute", True),
    ("on another host, silent for over a minute", True),
    ("alive and beating", False),
    ("on another host (its pid means nothing here), beating", False),
])
def test_a_run_whose_job_died_is_failed_and_the_next_start_runs(login, db, site, monkeypatch, job, died):
    launched = []
    monkeypatch.setattr(publish_runs, "launch", lambda app, run_id: launched.append(run_id))
    fresh, silent = models.now(), models.now() - dt.timedelta(seconds=61)
    values = {"its pid is gone": (dead_pid(), publish_runs.HOST, fresh),
              "alive but silent for over a minute": (os.getpid(), publish_runs.HOST, silent),
              "on another host, silent for over a minute": (4242, "may-chu-khac", silent),
              "alive and beating": (os.getpid(), publish_runs.HOST, fresh),
              "on another host (its pid means nothing here), beating": (dead_pid(), "may-chu-khac", fresh)}[job]
    pid, host, heartbeat_at = values
    stuck = models.PublishRun.create(status="running", started_at=fresh - dt.timedelta(minutes=5), pid=pid,
                                     host=host, heartbeat_at=heartbeat_at, progress="Đang xuất trang 5/90")
    response = login("coordinator").post_form("/cong-khai/xuat-ban", {})
    if not died:
        assert response.status_code == 409
        assert reload(stuck).status == "running" and [r.id for r in runs()] == [stuck.id] and not launched
        return
    assert response.status_code == 303
    stuck = reload(stuck)
    assert stuck.status == "failed" and stuck.finished_at
    assert "Lần xuất bản bị gián đoạn" in stuck.error
    assert ("pid %d" % stuck.pid in stuck.error) if job == "its pid is gone" else ("60 giây" in stuck.error)
    run = runs()[-1]
    assert run.id != stuck.id and run.status == "running" and launched == [run.id]
    assert models.AuditLog.select().where(models.AuditLog.object_type == "publish_run",
                                          models.AuditLog.object_id == stuck.id,
                                          models.AuditLog.action == "publish_failed").exists()
    shown = login("leader").get("/cong-khai/lan-xuat-ban/%d" % stuck.id)
    assert "Lần xuất bản bị gián đoạn" in soup(shown).find(id="run-status").get_text()


def test_a_look_at_the_runs_starts_the_one_queued_behind_a_dead_run(app, login, db, site, monkeypatch):
    """A take-down queued behind a run whose job died is not stuck: the next look at the runs
    (any worker's) fails the dead run and starts the oldest queued one, once."""
    launched = []
    monkeypatch.setattr(publish_runs, "launch", lambda app, run_id: launched.append(run_id))
    dead = models.PublishRun.create(status="running", pid=dead_pid(), host=publish_runs.HOST,
                                    heartbeat_at=models.now(), progress="Đang gửi tệp 3/40")
    first = models.PublishRun.create(status="queued", progress="Đang chờ bắt đầu…")
    second = models.PublishRun.create(status="queued", progress="Đang chờ bắt đầu…")
    leader = login("leader")
    assert leader.get("/cong-khai/xuat-ban").status_code == 200
    assert reload(dead).status == "failed"
    assert (reload(first).status, reload(second).status) == ("running", "queued")
    assert launched == [first.id]
    assert leader.hx_get("/cong-khai/lan-xuat-ban/%d" % first.id).status_code == 200
    assert launched == [first.id]  # the run going is left alone
    # a take-down now queues behind the run going (the queued one is reused)
    run, note = publish_runs.republish(app, user("coordinator"), "Gỡ xuống")
    assert run.id == second.id and "sau lần #%d" % first.id in note


def test_a_job_killed_during_its_run_is_failed_at_the_next_look_and_the_site_stays_whole(login, db, site):
    coordinator = login("coordinator")
    assert coordinator.post_form("/cong-khai/xuat-ban", {}).status_code == 303
    assert wait_for(runs()[-1].id).status == "succeeded"
    before, build_folder = site_files(site), site.resolve()
    builds = site.parent / "site.builds"
    spare = site.parent / "site.spare.json"
    known = set(builds.iterdir())  # the site alone: the first build replaced none
    assert known == {build_folder} and not spare.exists()
    assert coordinator.post_form("/cong-khai/xuat-ban", {}).status_code == 303
    run = runs()[-1]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the job has recorded its pid, and its build is under way
        run = reload(run)
        builders = children_of(run.pid) if run.pid else []
        if (builders and set(builds.iterdir()) - known) or run.status != "running":
            break
        time.sleep(0.005)
    assert run.status == "running" and builders, run.progress
    assert run.host == publish_runs.HOST and run.heartbeat_at
    os.kill(run.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the next looks at the run, as the progress fragment polls
        fragment = coordinator.hx_get("/cong-khai/lan-xuat-ban/%d" % run.id)
        if reload(run).status != "running":
            break
        time.sleep(0.05)
    run = reload(run)
    assert run.status == "failed" and "pid %d" % run.pid in run.error
    assert "Lần xuất bản bị gián đoạn" in soup(fragment).find(id="run-status").get_text()
    deadline = time.monotonic() + 10
    while any(publish_runs.pid_alive(pid) for pid in builders) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(publish_runs.pid_alive(pid) for pid in builders), "the build outlived its job"
    assert site.resolve() == build_folder and site_files(site) == before  # the previous site, whole
    assert len(list(builds.iterdir())) == 2  # beside it, the build killed half-way (the next one removes it)
    # a new publish is accepted at once and goes through
    response = coordinator.post_form("/cong-khai/xuat-ban", {})
    assert response.status_code == 303
    again = wait_for(runs()[-1].id)
    assert again.id != run.id and again.status == "succeeded", again.error
    assert (site / "index.html").is_file()
    # the half build is gone (the new build's tidy); the build it replaced is kept for the next one
    assert {p.name for p in builds.iterdir()} == {site.resolve().name, build_folder.name}
    assert json.loads(spare.read_text())["spare"] == build_folder.name
