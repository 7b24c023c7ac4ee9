"""Benchmark of the public site's build on 2,000 public dialogues and 20,000 published conclusions.

Prints pages per second of the full freeze, the time of a rebuild after one conclusion changes (each
step: the first starts by linking the build on show forward, the next ones in the build replaced
before, brought up to date), the peak memory of a build (all its processes), the publishing of each
one-change rebuild to a folder and to an FTP server on this machine (files sent and seconds), and,
as the upper bound, pages per second of rendering the same pages with Jinja alone into files (the
templates and data each page was rendered with, without the test client, the views or the database).
Each build runs in a process of its own, as `python build.py` and the app's publish job run it.
Targets (issue 3): the full freeze at no less than half the Jinja-alone rate, and the freeze step of
a one-change rebuild under 5 seconds; (issue 14): a one-change rebuild, everything included, under
10 seconds (median of 5), the full build under 60 seconds, publishing a one-change rebuild under 2
seconds beyond the build, sending only the changed files, and a build's peak memory under 1 GB.

    .venv/bin/python bench/build.py [--dialogues 2000] [--conclusions 20000] [--rebuilds 5] [--skip-jinja]
"""
import argparse
import datetime as dt
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import sys
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask  # noqa: E402
from flask_frozen import patch_url_for  # noqa: E402

import build  # noqa: E402
import models  # noqa: E402
from migrations import run_migrations  # noqa: E402
from services import memo  # noqa: E402
from services.text import parse_front_matter  # noqa: E402
from sitebuild import publish  # noqa: E402
from sitebuild.freezer import make_freezer, register_generators, site_items  # noqa: E402
from sitebuild.progress import Progress  # noqa: E402
from views.public import create_public_app  # noqa: E402

with warnings.catch_warnings():  # pyftpdlib 2.2 still imports asyncore/asynchat (deprecated in Python 3.11)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer  # noqa: E402
    from pyftpdlib.handlers import FTPHandler  # noqa: E402
    from pyftpdlib.servers import FTPServer  # noqa: E402

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
        summary = build.build(site, base_url=BASE_URL, database_url=url, progress=Progress())
        summary.own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        pipe.send(summary)
    except BaseException as error:  # noqa: B036 (raised again by the parent)
        pipe.send(error)
    finally:
        pipe.close()


def tree_rss(pid):
    """Bytes resident in process `pid` and all its descendants now (shared pages counted in each)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as file:
                    parents[int(entry)] = int(file.read().rpartition(")")[2].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    family, grown = {pid}, True
    while grown:
        more = {child for child, parent in parents.items() if parent in family} - family
        family |= more
        grown = bool(more)
    total = 0
    for member in family:
        try:
            with open("/proc/%d/statm" % member) as file:
                total += int(file.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total


def in_own_process(site, url):
    """build.build() in a fresh process, as `python build.py` and the app's publish job run it
    (a build run after another in the same process would also pay for collecting its garbage);
    its summary, with peak_rss
    (the most its processes held at once: it, its workers and Pagefind, sampled every 50 ms)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_build, args=(site, url, sender))
    process.start()
    sender.close()
    peak, done = [0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(process.pid))
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = receiver.recv()
    finally:
        done.set()
        sampler.join()
        process.join()
    if isinstance(result, BaseException):
        raise result
    result.peak_rss = max(peak[0], result.own_peak)
    return result


class FtpServer:
    """pyftpdlib on a free port of 127.0.0.1 serving `home`, as the tests' FTP host (tests/test_publish.py)."""

    user, password = "webhost", "bench-only"

    def __init__(self, home):
        authorizer = DummyAuthorizer()
        authorizer.add_user(self.user, self.password, str(home), perm="elradfmwMT")
        handler = type("Handler", (FTPHandler,), {"authorizer": authorizer})
        self.stored = 0
        server_state = self

        def ftp_STOR(handler_self, file, mode="w"):
            server_state.stored += 1
            return FTPHandler.ftp_STOR(handler_self, file, mode)
        handler.ftp_STOR = ftp_STOR
        self.server = FTPServer(("127.0.0.1", 0), handler)
        self.url = "ftp://%s@127.0.0.1:%d/dan-biet" % (self.user, self.server.address[1])
        self.thread = threading.Thread(target=self.server.ioloop.loop, kwargs={"timeout": 0.05, "blocking": True},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.ioloop.call_later(0, self.server.close_all)
        self.thread.join(5)


def timed_publish(site, target, environ=None):
    """publish.publish() of the site to target; (summary, seconds)."""
    t0 = time.perf_counter()
    sent = publish.publish(site, target, out=open(os.devnull, "w"), environ=environ)
    return sent, time.perf_counter() - t0


def calibrate(wall=False):
    """Seconds of CPU (or, with wall, of the clock) a 10-million-step Python loop takes."""
    clock = time.perf_counter if wall else time.process_time
    started = clock()
    total = 0
    for step in range(10_000_000):
        total += step
    return clock() - started


def speed_line():
    """The machine's speed, and how much of it this process gets (others share the cores)."""
    cpu, wall = calibrate(), calibrate(wall=True)
    return "%.2f s of CPU, %.2f s of wall time; load average %.1f on %d cores" % (
        cpu, wall, os.getloadavg()[0], os.cpu_count() or 1)


def median_of(summaries, attribute):
    return statistics.median(getattr(summary, attribute) for summary in summaries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=2_000)
    parser.add_argument("--conclusions", type=int, default=20_000)
    parser.add_argument("--rebuilds", type=int, default=5, help="one-change rebuilds to time (the median is shown)")
    parser.add_argument("--skip-jinja", action="store_true", help="leave out the Jinja-alone upper bound")
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
    for name in ("site.state.json", "site.carried", "site.links"):
        (OUT / name).unlink(missing_ok=True)
    print("machine speed: a 10-million-step Python loop takes %s (the figures below scale with the wall time)"
          % speed_line())

    full = in_own_process(site, url)
    print(full.line())
    folder_target, ftp_home = OUT / "host-folder", OUT / "host-ftp"
    shutil.rmtree(folder_target, ignore_errors=True)
    shutil.rmtree(ftp_home, ignore_errors=True)
    first, first_seconds = timed_publish(site, str(folder_target))
    print(first.line())
    # The FTP host starts with the same site: hard links (publish writes new files and renames them).
    shutil.copytree(folder_target, ftp_home / "dan-biet", copy_function=os.link)
    ftp = FtpServer(ftp_home)
    environ = {publish.PASSWORD_VARIABLE: ftp.password}

    rebuilds, sends = [], []
    try:
        for run in range(args.rebuilds):  # a different conclusion each time: each rebuild has one change
            models.db.initialize(models.open_database(url))
            with models.db:
                changed = (models.Conclusion.select(models.Conclusion.id, models.Conclusion.public_summary,
                                                    models.Conclusion.version)
                           .order_by(models.Conclusion.id.desc()).offset(run).get())
                models.Conclusion.update(public_summary=changed.public_summary + " Đã cập nhật kết quả.",
                                         updated_at=models.now(), version=changed.version + 1).where(
                    models.Conclusion.id == changed.id).execute()
            speed = speed_line()
            rebuilds.append(in_own_process(site, url))
            print("%s (machine speed %s)" % (rebuilds[-1].line(), speed))
            to_folder, folder_seconds = timed_publish(site, str(folder_target))
            stored = ftp.stored
            to_ftp, ftp_seconds = timed_publish(site, ftp.url, environ)
            sends.append((to_folder, folder_seconds, to_ftp, ftp_seconds, ftp.stored - stored))
            print("  %s\n  %s (%d files stored by the FTP server)" % (to_folder.line(), to_ftp.line(), sends[-1][4]))
    finally:
        ftp.stop()
    again = sorted(rebuilds, key=lambda summary: summary.seconds)[len(rebuilds) // 2]  # the median run

    jinja = None
    if not args.skip_jinja:
        app, pages = capture_pages(url)
        jinja = (len(pages), render_with_jinja(app, pages, OUT / "jinja"))
        shutil.rmtree(OUT / "jinja")
    if not models.db.is_closed():
        models.db.close()

    full_rate = full.pages / full.freeze_seconds
    row = "%-52s %10s %10s %10s"
    print()
    print(row % ("", "pages", "seconds", "pages/s"))
    print(row % ("full build: freeze", full.pages, "%.1f" % full.freeze_seconds, "%.0f" % full_rate))
    print(row % ("full build: search index (%d pages)" % full.indexed, "", "%.1f" % full.index_seconds, ""))
    print(row % ("full build: link check", "", "%.1f" % full.check_seconds, ""))
    print(row % ("full build: everything", full.pages, "%.1f" % full.seconds, ""))
    for label, attribute in (("carry forward (%s)" % again.carried_as, "copy_seconds"), ("freeze", "freeze_seconds"),
                             ("search index", "index_seconds"), ("link check", "check_seconds")):
        print(row % ("rebuild after one change: %s (median)" % label, "", "%.1f" % median_of(rebuilds, attribute),
                     ""))
    print(row % ("rebuild after one change: everything", again.pages, "%.1f" % again.seconds, ""))
    print(row % ("rebuild after one change: files rewritten", again.written, "", ""))
    print(row % ("rebuild after one change: slices indexed again", again.slices_indexed, "", ""))
    print(row % ("rebuilds that started in the build replaced before", sum(
        r.carried_as == "spare" for r in rebuilds), "", ""))
    print(row % ("publish a one-change rebuild to a folder (median)", "", "%.2f" % statistics.median(
        send[1] for send in sends), ""))
    print(row % ("publish a one-change rebuild by FTP (median)", "", "%.2f" % statistics.median(
        send[3] for send in sends), ""))
    print(row % ("  files sent each time (folder; FTP, as the server stored)", "", "", ""))
    print("      %s" % ", ".join("%d; %d" % (send[0].sent, send[4]) for send in sends))
    print(row % ("peak memory of a build, all its processes (MB)", "", "", ""))
    print("      full build %.0f MB; one-change rebuilds %s MB" % (
        full.peak_rss / 2 ** 20, ", ".join("%.0f" % (r.peak_rss / 2 ** 20) for r in rebuilds)))
    if jinja:
        print(row % ("Jinja alone (HTML pages, upper bound)", jinja[0], "%.1f" % jinja[1],
                     "%.0f" % (jinja[0] / jinja[1])))
    print()
    if jinja:
        print("freeze rate / Jinja-alone rate: %.2f (target >= 0.50)" % (full_rate / (jinja[0] / jinja[1])))
    print("one-change rebuild, freeze step: median %.1f s of %s (target < 5 s)" % (
        median_of(rebuilds, "freeze_seconds"), ", ".join("%.1f" % r.freeze_seconds for r in rebuilds)))
    print("one-change rebuild, everything: median %.1f s of %s (target < 10 s)" % (
        again.seconds, ", ".join("%.1f" % r.seconds for r in rebuilds)))
    print("full build, everything: %.1f s (target < 60 s); first publish to a folder: %d files, %.1f s" % (
        full.seconds, first.sent, first_seconds))


if __name__ == "__main__":
    main()
