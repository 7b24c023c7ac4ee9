"""build.py: the frozen public site — its files, its links, atomic and incremental builds, privacy."""
import csv
import datetime as dt
import fcntl
import hashlib
import html
import http.server
import json
import marshal
import os
import re
import threading
import time
import unicodedata
import urllib.request
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import flask
import pytest
from flask import url_for
from flask_frozen import Freezer

import build
import models
import views.public
from services import memo
from services.text import fold
from sitebuild import freezer, links, state
from sitebuild import signatures as page_signatures
from sitebuild import workers as processes

BASE_URL = "https://dichvucong.example.gov.vn/dan-biet/"
STAFF_SEGMENTS = {"dang-nhap", "dang-xuat", "y-kien", "quan-tri", "xem-truoc", "doi-thoai", "nhat-ky"}
SHOWN_DIALOGUE_STATUSES = ("scheduled", "held", "concluded", "completed")
HIDDEN_DIALOGUE_STATUSES = ("proposed", "appraised", "cancelled")
DATA_FILES = ("ket-luan.csv", "ket-luan.json", "lich-doi-thoai.csv", "lich-doi-thoai.json")


@pytest.fixture
def public():
    """The module build.py freezes."""
    return views.public


# ---------------------------------------------------------------- helpers


@pytest.fixture
def make_site(app, public, tmp_path):
    """make_site(name="site") freezes the test's demo database into tmp_path/name; returns the folder."""
    def _make(name="site", **kwargs):
        destination = tmp_path / name
        kwargs.setdefault("base_url", BASE_URL)
        build.build(destination, database_url=app.config["DATABASE_URL"], **kwargs)
        return destination
    return _make


def files_of(root):
    """{relative path: sha256} of every file, the search index aside."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file() and not
            p.relative_to(root).as_posix().startswith(build.SEARCH_INDEX + "/")}


def times_of(root):
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in Path(root).rglob("*") if p.is_file()}


def stamp_apart(root):
    """Give every file a time that no build gives (a build stamps whole seconds), a few seconds back.

    A file the next build keeps still has this time afterwards and a file it rewrites has another,
    whatever the clock: two builds in the same second stamp the same time.
    """
    for path in Path(root).rglob("*"):
        if path.is_file():
            ns = (path.stat().st_mtime_ns // 10 ** 9 - 5) * 10 ** 9 + 123_456_789
            os.utime(path, ns=(ns, ns))


def published_conclusions():
    """Conclusions that DESIGN.md's rule publishes for certain (closed, public, signed notice in force)."""
    with models.db.connection_context():
        return list(models.Conclusion.in_force()
                    .where(models.Conclusion.is_public, models.Conclusion.status.in_(models.CONCLUSION_CLOSED))
                    .order_by(models.Conclusion.id))


def dialogues_where(*conditions):
    with models.db.connection_context():
        return list(models.Dialogue.select().where(*conditions).order_by(models.Dialogue.id))


# ---------------------------------------------------------------- the files


PAGE_PATTERNS = [re.compile(p) for p in (
    r"index\.html", r"404\.html", r"feed\.xml", r"sitemap\.xml", r"lich-doi-thoai\.ics",
    r"ke-hoach/index\.html", r"ke-hoach/\d{4}/index\.html",
    r"lich-doi-thoai/index\.html", r"lich-doi-thoai/[a-z0-9-]+/index\.html",
    r"lich-doi-thoai/nam/\d{4}/(trang/\d+/)?index\.html",
    r"ket-luan/index\.html", r"ket-luan/\d+/index\.html",
    r"ket-luan/((linh-vuc/[a-z0-9-]+|nam/\d{4})/)?(trang/\d+/)?index\.html",
    r"thong-ke/index\.html", r"yeu-cau-doi-thoai/index\.html", r"tim-kiem/index\.html",
    r"du-lieu/index\.html", r"du-lieu/(ket-luan|lich-doi-thoai)\.(csv|json)")]


def static_files(public, database_url):
    """Site paths of the public blueprint's static files: the only assets the build may hold."""
    application = public.create_public_app({"DATABASE_URL": database_url})
    blueprint = application.blueprints["public"]
    root = Path(blueprint.static_folder)
    with application.test_request_context():
        return {url_for("public.static", filename=p.relative_to(root).as_posix()).lstrip("/")
                for p in root.rglob("*") if p.is_file()}


def test_build_holds_the_public_pages_and_nothing_else(app, public, make_site):
    site = make_site()
    paths = set(files_of(site))
    assets = static_files(public, app.config["DATABASE_URL"])
    assert assets and any(p.endswith(".css") for p in assets)
    assert assets <= paths
    strangers = sorted(p for p in paths - assets if not any(pattern.fullmatch(p) for pattern in PAGE_PATTERNS))
    assert strangers == []
    for required in ("index.html", "404.html", "feed.xml", "sitemap.xml", "lich-doi-thoai.ics",
                     "ke-hoach/index.html", "ke-hoach/2022/index.html", "lich-doi-thoai/index.html",
                     "ket-luan/index.html", "thong-ke/index.html", "yeu-cau-doi-thoai/index.html",
                     "tim-kiem/index.html", "du-lieu/index.html", *("du-lieu/" + n for n in DATA_FILES)):
        assert required in paths, required
    assert any(re.fullmatch(r"ket-luan/linh-vuc/[a-z0-9-]+/index\.html", p) for p in paths)
    assert any(re.fullmatch(r"ket-luan/nam/\d{4}/index\.html", p) for p in paths)
    # A page for each public dialogue, none for the others.
    shown = dialogues_where(models.Dialogue.is_public, models.Dialogue.status.in_(SHOWN_DIALOGUE_STATUSES))
    hidden = dialogues_where(~models.Dialogue.is_public | models.Dialogue.status.in_(HIDDEN_DIALOGUE_STATUSES))
    assert shown and hidden
    for dialogue in shown:
        assert "lich-doi-thoai/%s/index.html" % dialogue.slug in paths
    for dialogue in hidden:
        assert "lich-doi-thoai/%s/index.html" % dialogue.slug not in paths
    # A page for each published conclusion; no page for a conclusion that is not public.
    published = published_conclusions()
    assert published
    for conclusion in published:
        assert "ket-luan/%d/index.html" % conclusion.id in paths
    with models.db.connection_context():
        private = [c.id for c in models.Conclusion.select().where(~models.Conclusion.is_public)]
    assert private
    for conclusion_id in private:
        assert "ket-luan/%d/index.html" % conclusion_id not in paths
    # No staff page, whatever its name.
    assert not [p for p in paths if STAFF_SEGMENTS & set(p.split("/"))]
    assert not [p for p in paths if p.startswith("static/") and p not in assets]


def test_every_link_resolves_from_a_sub_folder(make_site):
    site = make_site()
    assert links.check_links(site, BASE_URL) == []
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert len(locs) > 10 and all(loc.startswith(BASE_URL) for loc in locs)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="/' not in home and 'src="/' not in home  # relative links only


def test_served_from_a_sub_folder_every_link_of_sample_pages_answers(make_site, tmp_path):
    """The build served by a real web server under /dan-biet/: sample pages and all their links load."""
    site = make_site("host/dan-biet")
    handler = lambda *args, **kw: QuietHandler(*args, directory=str(tmp_path / "host"), **kw)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        root = "http://127.0.0.1:%d/dan-biet/" % server.server_address[1]
        dialogue = next(p for p in files_of(site) if re.fullmatch(r"lich-doi-thoai/[a-z0-9-]+/index\.html", p))
        conclusion = "ket-luan/%d/" % published_conclusions()[0].id
        fetched = 0
        for page in ("", "ket-luan/", conclusion, dialogue.removesuffix("index.html"), "du-lieu/"):
            body = fetch(root + page)
            assert '<html lang="vi"' in body
            for link in set(links.html_links(body)):
                if link.startswith("#") or link.startswith(("mailto:", "tel:")):
                    continue
                target = urljoin(root + page, link)
                if urlsplit(target).netloc != urlsplit(root).netloc:
                    continue
                assert target.startswith(root), (page, link)
                fetch(target)
                fetched += 1
        assert fetched > 10
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def fetch(url):
    with urllib.request.urlopen(quote(url, safe=":/%#?=&")) as response:
        assert response.status == 200, url
        return response.read().decode("utf-8", errors="replace")


def test_the_link_check_finds_broken_links(tmp_path):
    site = tmp_path / "site"
    (site / "ket-luan" / "1").mkdir(parents=True)
    (site / "static").mkdir()
    (site / "static" / "site.css").write_text("body{background:url('../missing.png')}")
    (site / "index.html").write_text('<a href="ket-luan/1/index.html">ok</a><a href="ket-luan/">folder ok</a>'
                                     '<a href="ket-luan/2/index.html">gone</a><a href="/static/site.css">root</a>'
                                     '<img src="static/site.css"><a href="#main">x</a><a href="https://other.vn/">x</a>')
    (site / "ket-luan" / "index.html").write_text('<a href="../index.html">home</a><a href="../../x.html">out</a>')
    (site / "ket-luan" / "1" / "index.html").write_text('<link href="../../static/site.css" rel="stylesheet">')
    (site / "404.html").write_text('<a href="%s">ok</a><a href="index.html">relative</a>' % BASE_URL)
    (site / "sitemap.xml").write_text("<loc>%sket-luan/1/</loc><loc>%sket-luan/9/</loc>"
                                      "<loc>https://dichvucong.example.gov.vn/khac/</loc>" % (BASE_URL, BASE_URL))
    # Open data: a value that is a URL is checked (nested anywhere); a URL inside other text is not a link.
    (site / "data.json").write_text(json.dumps({"items": [{"url": BASE_URL + "ket-luan/1/"}, {"nested": [
        BASE_URL + "ket-luan/8/"]}, {"text": "Xem %sket-luan/7/ để biết" % BASE_URL}]}, ensure_ascii=False))
    problems = links.check_links(site, BASE_URL)
    assert sorted(p.split(": ", 1)[0] for p in problems) == sorted([
        "index.html → ket-luan/2/index.html", "index.html → /static/site.css", "ket-luan/index.html → ../../x.html",
        "data.json → %sket-luan/8/" % BASE_URL,
        "404.html → index.html", "sitemap.xml → %sket-luan/9/" % BASE_URL,
        "sitemap.xml → https://dichvucong.example.gov.vn/khac/", "static/site.css → ../missing.png"])


def test_the_same_relative_link_is_judged_from_each_files_own_folder(tmp_path):
    """Verdicts are shared between files (25,000 pages repeat one menu): never between folders where the
    same URL leads to different files, and a problem names the file it is in."""
    site = tmp_path / "site"
    for folder in ("a/1", "a/2", "b/1", "b/c/1"):
        (site / folder).mkdir(parents=True)
    (site / "a" / "x.html").write_text("x")
    (site / "top.html").write_text("top")
    links_of = '<a href="../x.html">x</a><a href="../../top.html">top</a><a href="../../../top.html">out</a>' \
               '<a href="./../x.html">dot</a><a href="../x.html#tren">anchor</a><a href="x.html">here</a>' \
               '<a href="./x.html">dot here</a><a href="../../a/./x.html">dot after</a><a href="..//x.html">two</a>'
    for folder in ("a/1", "a/2", "b/1", "b/c/1"):
        (site / folder / "index.html").write_text(links_of)
    (site / "index.html").write_text('<a href="a/x.html">x</a><a href="../top.html">out</a><a href="top.html">t</a>')
    problems = links.check_links(site, BASE_URL)
    found = sorted(p.split(": ", 1)[0] for p in problems)
    expected = ["index.html → ../top.html"]
    for folder in ("a/1", "a/2", "b/1", "b/c/1"):
        page = folder + "/index.html"
        expected += [page + " → x.html", page + " → ./x.html"]
        if folder == "b/c/1":
            expected += [page + " → ../../a/./x.html"]  # b/a/x.html: none
        if folder != "b/c/1":
            expected += [page + " → ../../../top.html"]
        else:
            expected += [page + " → ../../top.html"]  # b/top.html: none
        if not folder.startswith("a/"):
            expected += [page + " → ../x.html", page + " → ./../x.html", page + " → ../x.html#tren",
                         page + " → ..//x.html"]
    assert found == sorted(expected)


def test_a_link_to_a_parent_folder_or_with_a_line_break_is_judged_like_a_browser_follows_it(tmp_path):
    """"../" alone leads to the folder's index.html (it was left unchecked when verdicts were first shared), and
    tab, CR and LF inside a URL are dropped, as browsers and urlsplit do."""
    site = tmp_path / "site"
    for folder in ("a/1", "b/1"):
        (site / folder).mkdir(parents=True)
    (site / "a" / "index.html").write_text("a")
    (site / "a" / "x.html").write_text("x")
    for folder in ("a/1", "b/1"):
        (site / folder / "index.html").write_text('<a href="../">up</a><a href="../../">top</a><a href="../x\n.html">'
                                                  'x</a><a href="..\t/x.html">t</a>')
    link_map = {}
    problems = links.check_links(site, BASE_URL, link_map=link_map)
    assert sorted(p.split(": ", 1)[0] for p in problems) == sorted([
        "a/1/index.html → ../../", "b/1/index.html → ../../", "b/1/index.html → ../",
        "b/1/index.html → ../x\n.html", "b/1/index.html → ..\t/x.html"])
    assert link_map["a/1/index.html"] == ["a/index.html", "a/x.html"]


# ---------------------------------------------------------------- reproducible, atomic, incremental


def test_two_builds_of_the_same_data_are_byte_identical(make_site):
    first, second = files_of(make_site("one")), files_of(make_site("two"))
    assert len(first) > 20
    assert first == second


def test_an_interrupted_build_leaves_the_previous_site_whole(app, public, make_site, monkeypatch, tmp_path):
    site = make_site()
    before, before_times = files_of(site), times_of(site)
    with models.db.connection_context():
        models.Conclusion.update(public_summary="Nội dung mới sẽ không được xuất").execute()
    original, calls = Freezer._build_one, []

    def failing(self, url, last_modified=None):
        calls.append(url)
        if len(calls) == 15:
            raise KeyboardInterrupt
        return original(self, url, last_modified)

    monkeypatch.setattr(Freezer, "_build_one", failing)
    with pytest.raises(KeyboardInterrupt):
        make_site()
    assert files_of(site) == before and times_of(site) == before_times
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("site")) == [
        "site", "site.builds", "site.carried", "site.hashes", "site.links", "site.lock", "site.state.json"]
    assert only_the_current_build(site)
    # A build that fails also keeps it, and says why: a page that cannot be written …
    monkeypatch.setattr(Freezer, "_build_one", original)
    generators = page_signatures.url_generators
    monkeypatch.setattr(page_signatures, "url_generators",
                        lambda **kw: [*generators(**kw), ("public.conclusion_page", {"conclusion_id": 999999})])
    with pytest.raises(build.BuildError, match="không xuất được.*/ket-luan/999999/"):
        make_site()
    assert files_of(site) == before
    # … or a broken link.
    monkeypatch.setattr(page_signatures, "url_generators", generators)
    monkeypatch.setattr(links, "check_links", lambda root, base_url, **options: ["index.html → x.html: hỏng"])
    with pytest.raises(build.BuildError, match="liên kết hỏng"):
        make_site()
    assert files_of(site) == before and times_of(site) == before_times


def test_two_worker_processes_build_the_same_site_as_one(make_site, tmp_path, monkeypatch):
    one = files_of(make_site("one", workers=1))
    steps = []
    site = make_site("two", workers=2, progress=lambda done, total, url: steps.append((done, total)))
    assert files_of(site) == one
    pages = sum(1 for p in one if not p.startswith(build.SEARCH_INDEX + "/"))
    assert steps[-1] == (pages, pages) and all(total == pages for _, total in steps)
    (site / "trang-cu.html").write_text("<p>Trang của lần xuất trước</p>")  # no URL gives it
    make_site("two", workers=2)
    assert files_of(site) == one
    # An error in a worker stops the build there; the previous site stays whole.
    original, before = Freezer._build_one, times_of(site)

    def failing(self, url, last_modified=None):
        if url.startswith("/ket-luan/"):
            raise KeyboardInterrupt
        return original(self, url, last_modified)

    monkeypatch.setattr(Freezer, "_build_one", failing)
    with models.db.connection_context():
        models.Conclusion.update(public_summary="Nội dung mới sẽ không được xuất").execute()
    with pytest.raises(KeyboardInterrupt):
        make_site("two", workers=2)
    assert files_of(site) == one and times_of(site) == before
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]
    assert only_the_current_build(site)


def test_page_signatures_worked_out_in_two_processes_equal_one(make_site, tmp_path, monkeypatch):
    """The signatures shared out over a forked process are those of one process, in the same order,
    and a rebuild that uses them rewrites what changed like one that does not."""
    make_site("one", workers=1)
    serial = json.loads((tmp_path / "one.state.json").read_text())["pages"]
    forks = []
    original = processes.forked_map

    def counted(function, pages):
        forks.append(len(pages))
        return original(function, pages)

    monkeypatch.setattr(processes, "FORK_SIGNATURES_FROM", 2)
    monkeypatch.setattr(processes, "forked_map", counted)
    site = make_site("two")
    assert forks and forks[0] >= 2  # the forked path ran
    assert json.loads((tmp_path / "two.state.json").read_text())["pages"] == serial
    changed = published_conclusions()[0]
    with models.db.connection_context():
        models.Conclusion.update(public_summary="Đã lắp đặt xong hệ thống xếp hàng tự động").where(
            models.Conclusion.id == changed.id).execute()
    make_site("two")
    make_site("fresh", workers=1)
    assert files_of(site) == files_of(tmp_path / "fresh")
    assert "xếp hàng tự động" in (site / ("ket-luan/%d/index.html" % changed.id)).read_text(encoding="utf-8")


def _made_rows(monkeypatch):
    """{table: rows made, not carried} of the builds that follow (memo.carried_values' make)."""
    made, original = {}, memo.carried_values

    def counted(table, records, make):
        def counting(subset):
            made[table.split("|")[1]] = made.get(table.split("|")[1], 0) + len(subset)
            return make(subset)
        return original(table, records, counting)

    monkeypatch.setattr(memo, "carried_values", counted)
    return made


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_remakes_the_open_data_rows_of_changed_records_only(make_site, tmp_path, monkeypatch, workers):
    """The CSV and JSON lines of unchanged records come from the previous build (kept beside the
    site, also when a worker process made them); the files are those of a fresh build."""
    site = make_site(workers=workers)
    assert (tmp_path / "site.carried").is_file()
    changed = published_conclusions()[0]
    with models.db.connection_context():
        models.Conclusion.update(public_summary="Đã lắp đặt xong hệ thống xếp hàng tự động").where(
            models.Conclusion.id == changed.id).execute()
    made = _made_rows(monkeypatch)
    make_site(workers=1)
    assert made == {"conclusions": 1}  # the schedule's files are kept: nothing in them changed
    fresh = make_site("fresh", workers=1)
    assert files_of(site) == files_of(fresh)
    assert "xếp hàng tự động" in (site / "du-lieu" / "ket-luan.csv").read_text(encoding="utf-8-sig")
    # A conclusion taken down leaves both files at once.
    with models.db.connection_context():
        models.Conclusion.update(is_public=False).where(models.Conclusion.id == changed.id).execute()
    make_site()
    data = json.loads((site / "du-lieu" / "ket-luan.json").read_text(encoding="utf-8"))
    assert changed.id not in [row["id"] for row in data["du_lieu"]]
    assert "xếp hàng tự động" not in (site / "du-lieu" / "ket-luan.csv").read_text(encoding="utf-8-sig")


def test_carried_rows_are_used_only_from_the_same_code_and_day(make_site, tmp_path):
    """What the previous build left is trusted only under its fingerprint; a damaged file is ignored."""
    site, carried = make_site(), tmp_path / "site.carried"
    first, second, third = published_conclusions()[:3]

    def change(conclusion):  # one record changes, so the open-data files are made again
        with models.db.connection_context():
            models.Conclusion.update(public_summary="Đã xong việc số %d" % conclusion.id).where(
                models.Conclusion.id == conclusion.id).execute()

    def csv_text():
        return (site / "du-lieu" / "ket-luan.csv").read_text(encoding="utf-8-sig")

    kept = marshal.loads(carried.read_bytes())
    table = next(name for name in kept["tables"] if name.startswith("open data|conclusions|"))
    for signature, (csv_line, json_line) in kept["tables"][table].items():
        kept["tables"][table][signature] = (csv_line.replace(b",", b",GIA-MAO,", 1), json_line)
    carried.write_bytes(marshal.dumps(kept))
    change(first)
    make_site()
    assert "GIA-MAO" in csv_text()  # the lines of the unchanged records were carried, as left
    kept = marshal.loads(carried.read_bytes())
    kept["fingerprint"] = "made by other code"
    carried.write_bytes(marshal.dumps(kept))
    change(second)
    make_site()
    assert "GIA-MAO" not in csv_text()
    assert files_of(site) == files_of(make_site("fresh"))
    carried.write_bytes(b"\x00damaged")
    change(third)
    make_site()
    assert files_of(site) == files_of(make_site("fresh"))


def test_the_signature_process_may_not_touch_the_database(app, public, monkeypatch):
    """A page signature that would query the database in the forked process fails the build
    instead of sharing the parent's SQLite connection."""
    monkeypatch.setattr(processes, "FORK_SIGNATURES_FROM", 2)

    def queries(endpoint, values):
        return str(models.Conclusion.select().count())

    with models.db.connection_context():
        pages = [("public.conclusion_page", {"conclusion_id": n}) for n in range(6)]
        with pytest.raises(build.BuildError, match="initialized|Proxy"):
            processes.forked_map(queries, pages)
        assert processes.forked_map(lambda endpoint, values: values["conclusion_id"], pages) == list(range(6))


def test_a_build_killed_between_the_two_renames_is_recovered(make_site, tmp_path):
    site = make_site()
    before = files_of(site)
    site.rename(tmp_path / "site.old")  # as if killed after moving the old site aside
    (tmp_path / "site.tmp-dead").mkdir()
    state.tidy(site)
    assert files_of(site) == before
    assert not (tmp_path / "site.old").exists() and not (tmp_path / "site.tmp-dead").exists()


def only_the_current_build(site):
    """site/ is a link to a build of site.builds/, and no other build is left there."""
    return site.is_symlink() and [p.name for p in (site.parent / (site.name + ".builds")).iterdir()] == [
        site.resolve().name]


def test_a_build_killed_at_any_step_of_the_swap_is_recovered(make_site, tmp_path):
    """Every half state a build can leave (an unfinished build, a link not yet in place, the old
    build not yet removed, a folder of the old layout moved aside) is undone by tidy and the next
    build, and site/ shows the whole previous site meanwhile."""
    site = make_site()
    before = files_of(site)
    builds = tmp_path / "site.builds"
    (builds / "unfinished").mkdir()
    (builds / "unfinished" / "index.html").write_text("half")
    os.symlink("site.builds/unfinished", tmp_path / "site.link")  # killed before the link replaced site/
    replaced = builds / "replaced"
    replaced.mkdir()  # killed after the flip, before the old build was removed
    assert files_of(site) == before
    state.tidy(site)
    assert files_of(site) == before and only_the_current_build(site)
    assert not (tmp_path / "site.link").exists()
    # the layout of before: site/ a real folder; killed between its two renames, then rebuilt
    real = tmp_path / "real"
    real.mkdir()
    (real / "index.html").write_text("trang cũ")
    (tmp_path / "real.old").mkdir()
    (tmp_path / "real.old" / "index.html").write_text("bản bị bỏ")
    state.tidy(real)
    assert not (tmp_path / "real.old").exists() and (real / "index.html").read_text() == "trang cũ"
    real.rename(tmp_path / "real.old")
    state.tidy(real)
    assert (real / "index.html").read_text() == "trang cũ" and not real.is_symlink()
    make_site("real")
    assert files_of(real) == before and only_the_current_build(real) and not (tmp_path / "real.old").exists()


def test_visitors_always_find_a_whole_site_while_builds_are_swapped(tmp_path):
    """A reader polling files under site/ during 50 swaps never misses one, and each read is one
    whole version (the atomic flip: site/ is a link replaced in one rename)."""
    site = tmp_path / "site"
    body = "<p>%s</p>" % ("x" * 20000)

    def make(version):
        work = state.new_build(site)
        (work / "ket-luan").mkdir()
        for name in ("index.html", "ket-luan/index.html"):
            (work / name).write_text("phiên bản %d\n%s\nhết\n" % (version, body), encoding="utf-8")
        return work

    state.swap(make(0), site)
    stop, misses, reads, versions = threading.Event(), [], [0], set()

    def reader():
        while not stop.is_set():
            for name in ("index.html", "ket-luan/index.html"):
                try:
                    text = (site / name).read_text(encoding="utf-8")
                except OSError as error:
                    misses.append("%s: %s" % (name, error))
                    continue
                reads[0] += 1
                head, middle, tail = text.split("\n", 2)
                if middle != body or tail != "hết\n":
                    misses.append("%s: incomplete (%d characters)" % (name, len(text)))
                versions.add(head)

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        for version in range(1, 51):
            state.swap(make(version), site)
            time.sleep(0.002)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert not misses, misses[:5]
    assert reads[0] > 50 and len(versions) > 1
    assert (site / "index.html").read_text(encoding="utf-8").startswith("phiên bản 50\n")
    state.tidy(site)  # what the next build does first: the replaced builds go
    assert only_the_current_build(site)
    assert (site / "index.html").read_text(encoding="utf-8").startswith("phiên bản 50\n")


def test_a_second_build_at_the_same_time_is_refused(make_site, tmp_path):
    with open(tmp_path / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(build.BuildError, match="khác chạy"):
            make_site()
    assert not (tmp_path / "site").exists()


def test_a_rebuild_rewrites_only_the_pages_that_changed(make_site):
    site = make_site()
    stamp_apart(site)
    hashes, mtimes = files_of(site), times_of(site)
    changed = published_conclusions()[0]
    with models.db.connection_context():
        models.Conclusion.update(public_summary="Đã sửa chữa xong mái nhà bộ phận một cửa (bản cập nhật)",
                                 updated_at=models.now()).where(models.Conclusion.id == changed.id).execute()
    make_site()
    new_hashes, new_mtimes = files_of(site), times_of(site)
    page = "ket-luan/%d/index.html" % changed.id
    assert new_hashes[page] != hashes[page]
    assert "bản cập nhật" in (site / page).read_text(encoding="utf-8")
    rewritten = {p for p in new_hashes if new_mtimes[p] != mtimes.get(p)}
    assert rewritten == {p for p in new_hashes if new_hashes[p] != hashes.get(p)}  # same content → not touched
    others = {"ket-luan/%d/index.html" % c.id for c in published_conclusions()} - {page}
    assert others and not others & rewritten
    assert len(rewritten) < len(new_hashes) / 4


@pytest.fixture
def rendered():
    """The paths the public app renders while the fixture lives (Frozen-Flask's requests)."""
    paths = []

    def record(sender, **extra):
        paths.append(flask.request.path)

    flask.request_started.connect(record)
    yield paths
    flask.request_started.disconnect(record)


def showing(files, text):
    return {path for path, body in files.items() if text in body}


def test_a_changed_summary_rewrites_exactly_the_files_that_show_it(make_site, rendered):
    site = make_site()
    before = {p: (site / p).read_text(encoding="utf-8") for p in files_of(site) if not p.startswith("static/")}
    changed = next(c for c in published_conclusions()
                   if c.notice.dialogue.is_public and len(showing(before, c.public_summary.strip())) >= 6)
    old = changed.public_summary.strip()
    expected = showing(before, old)
    page = "ket-luan/%d/index.html" % changed.id
    assert {page, "lich-doi-thoai/%s/index.html" % changed.notice.dialogue.slug, "du-lieu/ket-luan.csv",
            "du-lieu/ket-luan.json"} <= expected
    assert any(re.fullmatch(r"ket-luan/(trang/\d+/)?index\.html", p) for p in expected)  # the list showing it
    assert any(p.startswith("ket-luan/linh-vuc/") for p in expected)
    assert any(p.startswith("ket-luan/nam/") for p in expected)
    hashes = files_of(site)
    with models.db.connection_context():
        models.Conclusion.update(public_summary="Đã sửa xong mái che bộ phận một cửa", updated_at=models.now()).where(
            models.Conclusion.id == changed.id).execute()
    rendered.clear()
    make_site()
    now = files_of(site)
    assert {p for p in now if now[p] != hashes.get(p)} == expected  # those files, and no other, changed
    for path in expected:
        text = (site / path).read_text(encoding="utf-8")
        assert "Đã sửa xong mái che bộ phận một cửa" in text and old not in text
    # Frozen-Flask rendered the pages whose records changed and kept the others (their last_modified).
    pages = {p for p in rendered if not p.startswith("/static/")}
    assert "/ket-luan/%d/" % changed.id in pages
    assert len(pages) < 30 < len(now)
    assert not {p for p in pages if re.fullmatch(r"/ket-luan/\d+/", p)} - {"/ket-luan/%d/" % changed.id}
    # The site carried forward is the site built afresh from the same data.
    assert files_of(make_site("fresh")) == now


@pytest.mark.parametrize("change", ["unpublish", "rename_unit", "hide_dialogue", "reword_without_time"])
def test_a_rebuild_after_a_change_equals_a_fresh_build(make_site, change):
    """Changes that record times alone would miss: a list shifted by a conclusion taken down, a unit
    renamed, a dialogue no longer public (its conclusions lose the link), a summary saved without
    touching updated_at."""
    site = make_site()
    target = published_conclusions()[len(published_conclusions()) // 2]
    with models.db.connection_context():
        if change == "unpublish":
            models.Conclusion.update(is_public=False).where(models.Conclusion.id == target.id).execute()
        elif change == "rename_unit":
            models.Unit.update(name=models.Unit.name.concat(" (đổi tên)")).where(
                models.Unit.id == target.responsible_unit_id).execute()
        elif change == "hide_dialogue":
            models.Dialogue.update(is_public=False).where(models.Dialogue.id == target.notice.dialogue_id).execute()
        else:
            models.Conclusion.update(public_summary="Tóm tắt sửa lại").where(
                models.Conclusion.id == target.id).execute()
    before = files_of(site)
    make_site()
    now = files_of(site)
    assert now != before
    assert now == files_of(make_site("fresh"))


def test_a_rebuild_checks_the_links_of_what_changed_and_of_the_files_that_linked_to_a_removed_one(
        make_site, monkeypatch):
    site = make_site()
    checked, check = [], links.check_links

    def spy(root, base_url, only=None, link_map=None):
        checked.append(None if only is None else sorted(only))
        return check(root, base_url, only=only, link_map=link_map)

    monkeypatch.setattr(links, "check_links", spy)
    changed = next(c for c in reversed(published_conclusions()) if c.notice.dialogue.is_public)  # not the first page
    with models.db.connection_context():
        models.Conclusion.update(public_summary="Tóm tắt mới").where(models.Conclusion.id == changed.id).execute()
    make_site()
    assert "ket-luan/%d/index.html" % changed.id in checked[-1]
    assert 0 < len(checked[-1]) < len(files_of(site)) / 4
    (site / "trang-cu.html").write_text("<p>Trang của lần xuất trước</p>")  # removed by the next build
    make_site()
    assert checked[-1] is not None and len(checked[-1]) < len(files_of(site)) / 4  # no full check for it
    assert not (site / "trang-cu.html").exists()
    # A conclusion taken down: its page goes. Were its dialogue's page kept by mistake (as a stale
    # signature would keep it), the link it still has to the page gone is found from the link map.
    dialogue_page = "lich-doi-thoai/%s/index.html" % changed.notice.dialogue.slug
    assert "ket-luan/%d/" % changed.id in (site / dialogue_page).read_text(encoding="utf-8")
    with models.db.connection_context():
        models.Conclusion.update(is_public=False).where(models.Conclusion.id == changed.id).execute()
    kept_paths = freezer.kept_paths

    def keeping_the_dialogue(app, frozen, items, existing):
        kept = kept_paths(app, frozen, items, existing)
        for index, item in enumerate(items):
            if item[0] == "public.dialogue_page" and item[1] == {"slug": changed.notice.dialogue.slug}:
                kept[index] = dialogue_page
        return kept

    monkeypatch.setattr(freezer, "kept_paths", keeping_the_dialogue)
    with pytest.raises(build.BuildError, match=r"liên kết hỏng(.|\n)*%s → \.\./\.\./ket-luan/%d/" % (
            re.escape(dialogue_page), changed.id)):
        make_site()
    assert dialogue_page in checked[-1] and len(checked[-1]) < len(files_of(site)) / 4
    monkeypatch.setattr(freezer, "kept_paths", kept_paths)
    make_site()
    assert "ket-luan/%d/" % changed.id not in (site / dialogue_page).read_text(encoding="utf-8")
    # --check-all checks every file.
    make_site(check_all=True)
    assert checked[-1] is None


def test_last_modified_lets_the_freezer_skip_pages_whose_records_are_older_than_their_file(
        make_site, public, monkeypatch, tmp_path):
    site = make_site()
    first, second = published_conclusions()[:2]
    with models.db.connection_context():
        models.Conclusion.update(public_summary=models.Conclusion.public_summary.concat(" (đã sửa)")).where(
            models.Conclusion.id.in_([first.id, second.id])).execute()
    generators, earlier = page_signatures.url_generators, models.now() - dt.timedelta(hours=1)

    def dated(**signatures):  # as if only the second conclusion changed after the last build (Vietnam time)
        for endpoint, values in generators():
            newer = values.get("conclusion_id") == second.id
            yield endpoint, values, models.now() if newer else earlier

    monkeypatch.setattr(page_signatures, "url_generators", dated)
    before = times_of(site)
    make_site()
    first_page, second_page = ("ket-luan/%d/index.html" % c.id for c in (first, second))
    assert "(đã sửa)" in (site / second_page).read_text(encoding="utf-8")
    assert "(đã sửa)" not in (site / first_page).read_text(encoding="utf-8")
    assert times_of(site)[first_page] == before[first_page]
    # Other code, base URL or day than the build carried forward: no page is skipped.
    (tmp_path / "site.state.json").write_text('{"fingerprint": "other", "checked": true}')
    make_site()
    assert "(đã sửa)" in (site / first_page).read_text(encoding="utf-8")


def test_a_change_saved_while_a_page_was_being_frozen_reaches_the_next_build(make_site, public, monkeypatch):
    """The page written from data read before the change must not look newer than the change."""
    target = published_conclusions()[0]
    page, generators = "ket-luan/%d/index.html" % target.id, page_signatures.url_generators

    def dated(**signatures):  # last_modified from the records, as a generator that uses it would give
        with models.db.connection_context():
            times = dict(models.Conclusion.select(models.Conclusion.id, models.Conclusion.updated_at).tuples())
        for endpoint, values in generators():
            yield endpoint, values, times.get(values.get("conclusion_id"), dt.datetime(2000, 1, 1))

    def save(summary):
        with models.db.connection_context():
            models.Conclusion.update(public_summary=summary, updated_at=models.now()).where(
                models.Conclusion.id == target.id).execute()

    monkeypatch.setattr(page_signatures, "url_generators", dated)
    site = make_site()
    save("Bản sửa thứ nhất")
    original = Freezer._build_one

    def saving_midway(self, url, last_modified=None):
        if url == "/index.html" or url == "/":  # the data are read; the page is not written yet
            save("Bản sửa thứ hai, lưu trong lúc xuất")
        return original(self, url, last_modified)

    monkeypatch.setattr(Freezer, "_build_one", saving_midway)
    make_site()
    assert "Bản sửa thứ nhất" in (site / page).read_text(encoding="utf-8")
    monkeypatch.setattr(Freezer, "_build_one", original)
    make_site()
    assert "Bản sửa thứ hai" in (site / page).read_text(encoding="utf-8")


# ---------------------------------------------------------------- command line


def test_the_command_builds_with_a_summary(app, public, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    assert build.main(["--base-url", "https://tinh.example.vn/dan-biet", "--destination", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert re.search(r"Đang xuất trang \d+/\d+", err)
    pages = int(re.search(r"Đã xuất (\d+) trang", err).group(1))
    assert pages == sum(1 for f in (tmp_path / "out").rglob("*")
                        if f.is_file() and "pagefind" not in f.relative_to(tmp_path / "out").parts)
    assert "chỉ mục tìm kiếm" in err
    assert set(re.findall(r"Đang xuất trang \d+/(\d+)", err)) == {str(pages)}  # the total is known from the start
    assert "https://tinh.example.vn/dan-biet/" in (tmp_path / "out" / "sitemap.xml").read_text(encoding="utf-8")
    assert build.main(["--base-url", "ftp://tinh.example.vn/", "--destination", str(tmp_path / "bad")]) == 1
    assert "Địa chỉ gốc không hợp lệ" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_the_command_builds_then_publishes_to_a_folder(app, public, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    out, host = tmp_path / "out", tmp_path / "host"
    args = ["--destination", str(out), "--publish", str(host)]
    assert build.main(args + ["--dry-run"]) == 0
    assert not (host / "index.html").exists()  # a dry run sends nothing
    assert build.main(args) == 0
    built = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    sent = sorted(p.relative_to(host) for p in host.rglob("*") if p.is_file() and p.name != ".dan-biet-manifest.json")
    assert sent == built
    assert (host / "index.html").read_bytes() == (out / "index.html").read_bytes()


# ---------------------------------------------------------------- the privacy canary

CANARIES = ["Canary Nguyễn Văn Lộ", "0987 654 321", "079203009999", "canary@example.com", "CANARY-TO-CAO",
            "CANARY-CHUA-KY", "CANARY-NOI-BO", "CANARY-NOI-DUNG-Y-KIEN", "CANARY-GHI-CHU-NOI-BO",
            "CANARY-QUYET-DINH-NOI-BO", "Canary Trần Thị Phụ Trách"]


def plant_canaries():
    """Personal and internal data that must never reach the public site, next to data that does."""
    today = models.today()
    public_dialogue = next(c.notice.dialogue for c in published_conclusions()
                           if c.notice.dialogue.is_public and c.notice.dialogue.status in SHOWN_DIALOGUE_STATUSES)
    field = models.Field.select().order_by(models.Field.id).first()
    unit = models.Unit.select().order_by(models.Unit.id).first()
    with models.db.atomic():
        person = models.User.create(username="canary", full_name="Canary Trần Thị Phụ Trách", role="unit_head",
                                    unit=unit, password_hash="x", email="canary@example.com")
        opinions = [models.Opinion.create(
            code="YK-%d-9%03d" % (today.year, n), kind=kind, audience="citizens", dialogue=public_dialogue,
            submitter_name="Canary Nguyễn Văn Lộ",
            submitter_contact="0987 654 321 · CCCD 079203009999 · canary@example.com · 12 đường Canary",
            content=text, field=field, assigned_unit=unit, status="concluded")
            for n, (kind, text) in enumerate((("petition", "CANARY-NOI-DUNG-Y-KIEN"),
                                              ("denunciation", "CANARY-TO-CAO")))]
        signed = models.ConclusionNotice.create(dialogue=public_dialogue, title="Thông báo kết luận", status="signed",
                                                year=today.year, number=990, signed_at=models.now())
        draft = models.ConclusionNotice.create(dialogue=public_dialogue, title="Dự thảo thông báo", status="draft")
        for notice, summary, decision in (
                (signed, "Đã liên hệ ông Lộ qua số 0987 654 321 để giải quyết", "Giao phòng xử lý"),
                (signed, "Đã trả lời bằng văn bản cho công dân", "CANARY-QUYET-DINH-NOI-BO"),
                (draft, "CANARY-CHUA-KY", "Chưa ký")):
            conclusion = models.Conclusion.create(
                notice=notice, decision=decision, responsible_unit=unit, responsible_user=person,
                public_summary=summary, is_public=True, status="resolved", closed_at=models.now(), field=field)
            for opinion in opinions:
                models.ConclusionOpinion.create(conclusion=conclusion, opinion=opinion)
            models.FollowUp.create(conclusion=conclusion, note="CANARY-GHI-CHU-NOI-BO", user=person)
            models.record_transition(conclusion, person, "open", "resolved", "CANARY-GHI-CHU-NOI-BO")
        for opinion in opinions:
            models.FollowUp.create(opinion=opinion, note="CANARY-GHI-CHU-NOI-BO", user=person)
        models.Dialogue.create(title="CANARY-NOI-BO đối thoại với công chức", slug="canary-noi-bo", kind="periodic",
                               audience="staff", starts_at=models.now() + dt.timedelta(days=3), status="scheduled",
                               is_public=False, place="Phòng họp Canary", chair="Canary Trần Thị Phụ Trách")
    return signed


def readable_forms(raw):
    """The ways a file may carry a string: as is, HTML/XML-unescaped, JSON-unescaped, unfolded (ICS)."""
    text = raw.decode("utf-8")
    forms = {text, html.unescape(text), re.sub(r"\r?\n[ \t]", "", text)}
    forms.add(re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text))
    forms |= {urllib.request.unquote(f) for f in list(forms)}
    forms |= {unicodedata.normalize("NFC", f) for f in list(forms)}
    return forms


def leaks(raw):
    found = []
    for form in readable_forms(raw):
        folded = fold(form)
        digits = re.sub(r"(?<=\d)[\s.\-]+(?=\d)", "", form)
        for canary in CANARIES:
            if canary in form or fold(canary) in folded:
                found.append(canary)
            if canary[0].isdigit() and re.sub(r"\D", "", canary)[1:] in digits:  # 0987… or +84 987…
                found.append(canary)
    return sorted(set(found))


def test_the_canaries_never_reach_the_build(app, make_site):
    signed = plant_canaries()
    site = make_site()
    leaked = {path: leaks((site / path).read_bytes()) for path in files_of(site)}
    assert {path: found for path, found in leaked.items() if found} == {}
    # The canaries sit next to published records: the public dialogue and its clean conclusion are there.
    dialogue_page = site / "lich-doi-thoai" / signed.dialogue.slug / "index.html"
    assert dialogue_page.is_file()
    clean = models.Conclusion.get(models.Conclusion.public_summary == "Đã trả lời bằng văn bản cho công dân")
    assert "Đã trả lời bằng văn bản cho công dân" in (site / "ket-luan" / str(clean.id) / "index.html").read_text(
        encoding="utf-8")


def test_the_canary_check_would_see_a_leak():
    assert leaks("<p>Ông Canary Nguy&#7877;n Văn Lộ</p>".encode()) == ["Canary Nguyễn Văn Lộ"]
    assert leaks(b"SUMMARY:goi 0987.654.321") == ["0987 654 321"]
    assert leaks(b'{"x": "canary\\u0040example.com"}') == ["canary@example.com"]
    assert leaks(b"LIEN HE: +84 987 654 321, CCCD 079 203 009 999") == ["079203009999", "0987 654 321"]
    assert leaks(b"DESCRIPTION:CANARY-TO-\r\n CAO") == ["CANARY-TO-CAO"]
    assert leaks(b"canary nguyen van lo") == ["Canary Nguyễn Văn Lộ"]
    assert leaks("Kết luận số 12 về đất đai".encode()) == []


def test_open_data_is_readable(make_site):
    site = make_site()
    rows = list(csv.reader((site / "du-lieu" / "ket-luan.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert len(rows) > len(published_conclusions())  # a header and one row per conclusion at least
    assert json.loads((site / "du-lieu" / "ket-luan.json").read_text(encoding="utf-8"))


def test_a_kept_page_whose_file_went_missing_is_rendered_again_and_the_others_stay_untouched(make_site):
    site = make_site()
    page = "ket-luan/%d/index.html" % published_conclusions()[0].id
    content = (site / page).read_text(encoding="utf-8")
    (site / page).unlink()
    stamp_apart(site)
    before = times_of(site)
    make_site()
    assert (site / page).read_text(encoding="utf-8") == content
    after = times_of(site)
    changed = {path for path in after if before.get(path) != after[path]
               and not path.startswith(build.SEARCH_INDEX + "/")}
    assert changed == {page}
