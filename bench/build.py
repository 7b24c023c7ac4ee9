"""Benchmark of the public site's build on 2,000 public dialogues and 20,000 published conclusions.

Prints pages per second of the full freeze, the time of a rebuild after one conclusion changes,
and, as the upper bound, pages per second of rendering the same pages with Jinja alone into files
(the templates and data each page was rendered with, without the test client, the views or the
database). Each build runs in a process of its own, as `python build.py` and the app's publish job
run it. Targets (issue 3): the full freeze at no less than half the Jinja-alone rate, and the
freeze step of a one-change rebuild under 5 seconds.

    .venv/bin/python bench/build.py [--dialogues 2000] [--conclusions 20000] [--rebuilds 3]
"""
import argparse
import datetime as dt
import multiprocessing
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask  # noqa: E402
from flask_frozen import patch_url_for  # noqa: E402

import build  # noqa: E402
import models  # noqa: E402
from migrations import run_migrations  # noqa: E402
from services import memo  # noqa: E402
from services.text import parse_front_matter  # noqa: E402
from sitebuild.freezer import make_freezer, register_generators, site_items  # noqa: E402
from sitebuild.progress import Progress  # noqa: E402
from views.public import create_public_app  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
BASE_URL = "https://dichvucong.example.gov.vn/dan-biet/"
FIELDS = [("quyen-loi", "Quyền lợi, chế độ, chính sách"), ("dao-tao", "Đào tạo, bồi dưỡng"),
          ("danh-gia", "Đánh giá, sử dụng công chức"), ("chat-luong", "Chất lượng công việc"),
          ("dan-chu", "Dân chủ trong cơ quan"), ("xay-dung-dang", "Xây dựng Đảng, chính quyền"),
          ("thu-tuc", "Thủ tục hành chính"), ("tiep-dan", "Tiếp công dân, đơn thư"),
          ("thai-do", "Thái độ, tác phong công chức"), ("dat-dai", "Đất đai, giải phóng mặt bằng")]
SUBJECTS = ["cấp giấy chứng nhận quyền sử dụng đất", "bồi thường giải phóng mặt bằng", "thủ tục hành chính một cửa",
            "thái độ của công chức tiếp dân", "chế độ phụ cấp công vụ", "cử đi đào tạo, bồi dưỡng",
            "giải quyết đơn thư kéo dài", "điều kiện làm việc tại bộ phận một cửa", "tranh chấp đất đai giáp ranh"]
ACTIONS = ["Đã hướng dẫn thủ tục và giải quyết xong việc", "Đã rà soát, sửa đổi quy trình về",
           "Đã chuyển cơ quan có thẩm quyền xem xét việc", "Đã giải thích rõ quy định hiện hành về",
           "Đã bố trí kinh phí và hoàn thành việc"]
STATUSES = ["resolved", "resolved", "resolved", "explained", "referred"]


def _insert(model, rows, size=500):
    with models.db.atomic():
        for i in range(0, len(rows), size):
            model.insert_many(rows[i:i + size]).execute()


def fill(dialogues, conclusions, seed=11):
    """Public dialogues every 22 hours from 2022 into next year; each held one has a signed notice of conclusions."""
    rng = random.Random(seed)
    with models.db.atomic():
        units = [models.Unit.create(code="P%02d" % i, name="Phòng nội dung số %d" % i) for i in range(12)]
        fields = [models.Field.create(code=code, name=name, position=i) for i, (code, name) in enumerate(FIELDS)]
        chief = models.User.create(username="chief", full_name="Chánh Văn phòng", role="chief", password_hash="x")
        _, body = parse_front_matter((build.BASE_DIR / "content" / "ke-hoach" / "2022.md").read_text(encoding="utf-8"))
        for year in range(2022, 2027):
            models.Plan.create(year=year, title="Kế hoạch tổ chức đối thoại năm %d" % year, number="%d/KH-VP" % year,
                               issued_on=dt.date(year, 1, 10), body_md=body,
                               midyear_report_due=dt.date(year, 6, 14), annual_report_due=dt.date(year, 11, 24))
    now = models.now()
    start = dt.datetime(2022, 1, 3, 8, 0)
    rows, links = [], []
    for i in range(dialogues):
        at = start + dt.timedelta(hours=22 * i)
        rows.append({"title": "Đối thoại số %d về %s" % (i + 1, rng.choice(SUBJECTS)), "slug": "doi-thoai-%d" % (i + 1),
                     "kind": rng.choice(list(models.DIALOGUE_KINDS)), "audience": rng.choice(list(models.AUDIENCES)),
                     "occasion": "", "is_chairman": False, "starts_at": at, "ends_at": at + dt.timedelta(hours=2),
                     "place": "Hội trường Văn phòng UBND tỉnh", "chair": "Chánh Văn phòng UBND tỉnh",
                     "description": "", "status": "completed" if at < now else "scheduled", "is_public": True,
                     "discussion": "", "directions": "", "version": 1, "created_at": at - dt.timedelta(days=20),
                     "updated_at": min(at + dt.timedelta(days=1), now)})
    _insert(models.Dialogue, rows)
    held = []
    for dialogue_id, at in models.Dialogue.select(models.Dialogue.id, models.Dialogue.starts_at).tuples():
        links += [{"dialogue": dialogue_id, "field": f.id} for f in rng.sample(fields, 2)]
        if at < now - dt.timedelta(days=10):
            held.append((dialogue_id, at))
    _insert(models.DialogueField, links)
    numbers, notices = {}, []
    for dialogue_id, at in held:
        signed_at = at + dt.timedelta(days=3, hours=2)
        numbers[signed_at.year] = numbers.get(signed_at.year, 0) + 1
        notices.append({"dialogue": dialogue_id, "title": "Thông báo ý kiến kết luận", "body_md": "",
                        "status": "signed", "year": signed_at.year, "number": numbers[signed_at.year],
                        "doc_type": "TB", "revision": 1, "signed_by": chief.id, "signed_at": signed_at,
                        "created_at": signed_at, "version": 3})
    _insert(models.ConclusionNotice, notices)
    notice_rows = list(models.ConclusionNotice.select(models.ConclusionNotice.id, models.ConclusionNotice.signed_at)
                       .order_by(models.ConclusionNotice.id).tuples())
    rows = []
    for i in range(conclusions):
        notice_id, signed_at = notice_rows[i % len(notice_rows)]
        closed_at = min(signed_at + dt.timedelta(days=rng.randrange(5, 60)), now)
        rows.append({"notice": notice_id, "decision": "Giao phòng xử lý", "responsible_unit": rng.choice(units).id,
                     "deadline": (signed_at + dt.timedelta(days=45)).date(),
                     "public_summary": "%s %s (mục %d)." % (rng.choice(ACTIONS), rng.choice(SUBJECTS), i + 1),
                     "is_public": True, "publish_in_progress": False, "status": rng.choice(STATUSES),
                     "percent_done": 100, "closed_at": closed_at, "field": rng.choice(fields).id,
                     "created_at": signed_at, "updated_at": closed_at, "version": 2})
    _insert(models.Conclusion, rows)
    history = []
    for conclusion_id, status, created_at, closed_at in models.Conclusion.select(
            models.Conclusion.id, models.Conclusion.status, models.Conclusion.created_at,
            models.Conclusion.closed_at).tuples():
        history += [{"object_type": "conclusion", "object_id": conclusion_id, "from_status": "", "to_status": "open",
                     "note": "", "at": created_at},
                    {"object_type": "conclusion", "object_id": conclusion_id, "from_status": "open",
                     "to_status": status, "note": "", "at": closed_at}]
    _insert(models.StatusChange, history, 1000)
    models.db.execute_sql("ANALYZE")


def capture_pages(database_url):
    """(url, template name, context) of every HTML page, as the public app renders them."""
    app = create_public_app({"DATABASE_URL": database_url, "PUBLIC_BASE_URL": BASE_URL})
    freezer = make_freezer(app, OUT / "unused", BASE_URL)
    pages, current = [], {}

    def record(sender, template, context, **extra):
        pages.append((current["url"], template.name, dict(context)))

    with memo.build_cache():
        register_generators(freezer, site_items(app), allow_skip=False)
        with app.test_request_context():
            urls = sorted(set(freezer.all_urls()))
        client = app.test_client()
        flask.template_rendered.connect(record, app)
        try:
            with patch_url_for(app):
                for url in urls:
                    current["url"] = url
                    client.get(url, base_url=app.config["FREEZER_BASE_URL"])
        finally:
            flask.template_rendered.disconnect(record, app)
    return app, pages


def render_with_jinja(app, pages, destination):
    """Render each captured page's template with its context into files; returns seconds."""
    shutil.rmtree(destination, ignore_errors=True)
    t0 = time.perf_counter()
    with patch_url_for(app):
        for url, name, context in pages:
            template = app.jinja_env.get_template(name)
            with app.test_request_context(url, base_url=app.config["FREEZER_BASE_URL"]):
                context.update(request=flask.request, g=flask.g)
                html = template.render(context)
            path = destination / (url.lstrip("/") + ("index.html" if url.endswith("/") else ""))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(html, encoding="utf-8")
    return time.perf_counter() - t0


def _build(site, url, pipe):
    try:
        pipe.send(build.build(site, base_url=BASE_URL, database_url=url, progress=Progress()))
    except BaseException as error:  # noqa: B036 (raised again by the parent)
        pipe.send(error)
    finally:
        pipe.close()


def in_own_process(site, url):
    """build.build() in a fresh process, as `python build.py` and the app's publish job run it
    (a build run after another in the same process would also pay for collecting its garbage)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_build, args=(site, url, sender))
    process.start()
    sender.close()
    result = receiver.recv()
    process.join()
    if isinstance(result, BaseException):
        raise result
    return result


def calibrate():
    started = time.process_time()
    total = 0
    for step in range(10_000_000):
        total += step
    return time.process_time() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=2_000)
    parser.add_argument("--conclusions", type=int, default=20_000)
    parser.add_argument("--rebuilds", type=int, default=3, help="one-change rebuilds to time (the median is shown)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / ("build-%d-%d.db" % (args.dialogues, args.conclusions))
    url = "sqlite:///%s" % path
    fresh = not path.exists()
    models.db.initialize(models.open_database(url))
    t0 = time.perf_counter()
    with models.db.connection_context():
        run_migrations(models.db)  # a database kept from an earlier run may lack the newer columns
    if fresh:
        with models.db:
            fill(args.dialogues, args.conclusions)
    if fresh:
        print("filled %d dialogues, %d conclusions in %.1f s" % (args.dialogues, args.conclusions,
                                                                 time.perf_counter() - t0))
    site = OUT / "site"
    shutil.rmtree(site, ignore_errors=True)  # a folder of the layout of before
    shutil.rmtree(OUT / "site.builds", ignore_errors=True)  # the builds site links to: a full build follows
    print("machine speed: a 10-million-step Python loop takes %.2f s of CPU (the figures below scale with it)"
          % calibrate())

    full = in_own_process(site, url)
    print(full.line())

    rebuilds = []
    for run in range(args.rebuilds):  # a different conclusion each time: each rebuild has one change
        models.db.initialize(models.open_database(url))
        with models.db:
            changed = (models.Conclusion.select(models.Conclusion.id, models.Conclusion.public_summary,
                                                models.Conclusion.version)
                       .order_by(models.Conclusion.id.desc()).offset(run).get())
            models.Conclusion.update(public_summary=changed.public_summary + " Đã cập nhật kết quả.",
                                     updated_at=models.now(), version=changed.version + 1).where(
                models.Conclusion.id == changed.id).execute()
        speed = calibrate()
        rebuilds.append(in_own_process(site, url))
        print("%s (machine speed %.2f s)" % (rebuilds[-1].line(), speed))
    again = sorted(rebuilds, key=lambda summary: summary.freeze_seconds)[len(rebuilds) // 2]  # the median

    app, pages = capture_pages(url)
    seconds = render_with_jinja(app, pages, OUT / "jinja")
    shutil.rmtree(OUT / "jinja")
    if not models.db.is_closed():
        models.db.close()

    full_rate = full.pages / full.freeze_seconds
    jinja_rate = len(pages) / seconds
    print()
    print("%-46s %10s %10s %10s" % ("", "pages", "seconds", "pages/s"))
    print("%-46s %10d %10.1f %10.0f" % ("full build: freeze", full.pages, full.freeze_seconds, full_rate))
    print("%-46s %10d %10.1f %10s" % ("full build: everything (copy, freeze, check)", full.pages, full.seconds, ""))
    print("%-46s %10d %10.1f %10s" % ("rebuild after one change: freeze (median)", again.pages,
                                      again.freeze_seconds, ""))
    print("%-46s %10d %10.1f %10s" % ("rebuild after one change: everything", again.pages, again.seconds, ""))
    print("%-46s %10d %10s %10s" % ("rebuild after one change: files rewritten", again.written, "", ""))
    print("%-46s %10d %10.1f %10.0f" % ("Jinja alone (HTML pages, upper bound)", len(pages), seconds, jinja_rate))
    print("%-46s %10s %10.1f %10s" % ("full build: search indexing (Pagefind)", "", full.index_seconds, ""))
    print()
    print("freeze rate / Jinja-alone rate: %.2f (target >= 0.50)" % (full_rate / jinja_rate))
    print("one-change rebuild, freeze step: median %.1f s of %s (target < 5 s)" % (
        again.freeze_seconds, ", ".join("%.1f" % r.freeze_seconds for r in rebuilds)))


if __name__ == "__main__":
    main()
