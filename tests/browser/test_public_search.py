"""The public site's search page (/tim-kiem/) in Chromium: the frozen demo site with its Pagefind
index, served by a plain file server from a parent folder so the site lives under /dan-biet/.

The index is cut into slices of a few pages (sitebuild.search.SLICE_PAGES made small), so that
every search here runs over several slices merged in the browser, as on a site of 20,000 pages."""
import contextlib
import functools
import http.server
import json
import shutil
import sqlite3
import threading
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import expect

import build
from sitebuild import search as site_search

PREFIX = "/dan-biet/"
SLICE_PAGES = 8  # the demo's ~60 indexed pages in 8 slices


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def make_site(demo_db_file, root):
    """The demo database (a copy in root) frozen, with its search index in small slices, into <root>/dan-biet/."""
    database = root / "demo.db"
    shutil.copy(demo_db_file, database)
    folder = root / PREFIX.strip("/")
    rebuild(folder)
    return folder


def rebuild(folder):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(site_search, "SLICE_PAGES", SLICE_PAGES)
        return build.build(folder, base_url="https://dichvucong.example.gov.vn" + PREFIX,
                           database_url="sqlite:///%s" % (folder.parent / "demo.db"))


@pytest.fixture(scope="module")
def site(demo_db_file, tmp_path_factory):
    """The demo site, built once for the module."""
    return make_site(demo_db_file, tmp_path_factory.mktemp("search"))


def serve(site):
    """The site served over HTTP from its parent folder: yields http://127.0.0.1:port/dan-biet/."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site.parent)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d%s" % (server.server_port, PREFIX)
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def site_url(site):
    yield from serve(site)


@pytest.fixture
def watched(page):
    """The page, with the script errors and failed requests it meets collected."""
    problems = []
    page.on("pageerror", lambda error: problems.append("script error: %s" % error))
    page.on("response", lambda r: problems.append("%d %s" % (r.status, r.url)) if r.status >= 400 else None)
    page.on("requestfailed", lambda r: problems.append("failed %s" % r.url))
    page.problems = problems
    return page


def search(page, site_url, query):
    """Type `query` in the search box of /tim-kiem/ and submit; returns the status line's text."""
    page.goto(site_url + "tim-kiem/")
    page.fill("#tu-khoa", query)
    page.press("#tu-khoa", "Enter")
    status = page.locator("#trang-thai")
    page.wait_for_function("""() => { const t = document.getElementById('trang-thai').textContent;
                                      return t && !t.startsWith('Đang tìm'); }""", timeout=8000)
    return status.inner_text()


def results(page):
    """[(title, href, excerpt text, [highlighted words])] of the results shown."""
    return [tuple(r) for r in page.evaluate("""() => [...document.querySelectorAll('#ket-qua > li')].map(li => [
        li.querySelector('a').textContent, li.querySelector('a').getAttribute('href'),
        li.querySelector('p').textContent, [...li.querySelectorAll('mark')].map(m => m.textContent.toLowerCase().replace(/[^\\p{L}\\p{N}]+/gu, ''))])""")]  # noqa: E501


def file_of(site, href):
    """The built file a result link (a path under /dan-biet/) serves."""
    path = unquote(urlsplit(href).path)
    assert path.startswith(PREFIX), href
    target = site / path[len(PREFIX):]
    return target / "index.html" if path.endswith("/") else target


def slices_of(site):
    return json.loads((site / "pagefind" / "slices.json").read_text())["slices"]


def test_the_index_is_built_with_the_site_in_slices_and_covers_the_detail_pages_only(site):
    slices = slices_of(site)
    assert len(slices) >= 4
    assert all((site / "pagefind" / name / "pagefind.js").is_file() for name in slices)
    assert sorted(p.name for p in (site / "pagefind").iterdir()) == sorted([*slices, "slices.json"])
    conclusion = next(p for p in (site / "ket-luan").iterdir() if p.name.isdigit())
    dialogue = next(p for p in (site / "lich-doi-thoai").iterdir() if p.name.startswith("doi-thoai"))
    for page in (conclusion, dialogue, site / "ke-hoach" / "2022", site / "yeu-cau-doi-thoai"):
        assert 'data-pagefind-body' in (page / "index.html").read_text(encoding="utf-8"), page
    for listing in ("", "ket-luan/", "lich-doi-thoai/", "ke-hoach/", "thong-ke/", "du-lieu/"):
        assert 'data-pagefind-body' not in (site / listing / "index.html").read_text(encoding="utf-8"), listing
    assert 'data-pagefind-body' not in (site / "ket-luan" / "index.html").read_text(encoding="utf-8")  # a list
    assert 'data-pagefind-body' not in (site / "tim-kiem" / "index.html").read_text(encoding="utf-8")
    assert 'data-pagefind-body' not in (site / "404.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("query, words", [
    ("dat dai", ("đất", "đai")),
    ("doi thoai", ("đối", "thoại")),
    ("ket luan", ("kết", "luận")),
], ids=["dat-dai", "doi-thoai", "ket-luan"])
def test_words_typed_without_diacritics_find_the_pages_with_them(watched, site, site_url, query, words):
    status = search(watched, site_url, query)
    found = results(watched)
    assert found, status
    count = int(status.split()[2])
    assert status.startswith("Tìm thấy %d kết quả cho “%s”" % (count, query)) and count >= len(found)
    phrase = " ".join(words)
    # Pagefind's excerpt shows the accented words, highlighted, and the page holds them.
    hits = [r for r in found if phrase in r[2].lower() and set(words) <= set(r[3])]
    assert hits, found[:3]
    assert not [r for r in found if "<" in r[2] or "&lt;" in r[2]]  # plain text with marks, no markup shown
    for title, href, _, _ in hits[:3]:
        assert title.strip()
        assert phrase in file_of(site, href).read_text(encoding="utf-8").lower()
    assert len({href for _, href, _, _ in found}) == len(found)  # each page once
    assert watched.problems == []


def test_dang_uy_finds_the_plan_that_names_the_party_committee(watched, site, site_url):
    search(watched, site_url, "Dang uy")
    pages = [file_of(site, href).read_text(encoding="utf-8") for _, href, _, _ in results(watched)]
    assert any("Đảng ủy" in text for text in pages)
    assert watched.problems == []


def test_a_result_link_opens_its_page_in_the_sub_folder(watched, site_url):
    search(watched, site_url, "dat dai")
    first = watched.locator("#ket-qua > li a").first
    title = first.inner_text()
    first.click()
    watched.wait_for_load_state()
    assert watched.url.startswith(site_url) and "tim-kiem" not in watched.url
    expect(watched.locator("h1")).to_have_text(title)
    assert watched.problems == []


def test_a_query_that_matches_nothing_says_so(watched, site_url):
    status = search(watched, site_url, "qzxjwv")
    expect(watched.locator("#can-js")).to_be_hidden()  # with JavaScript, no word of needing it
    assert status.startswith("Không tìm thấy kết quả")
    assert results(watched) == []
    assert watched.problems == []


def test_the_query_in_the_address_is_searched_on_arrival(watched, site_url):
    watched.goto(site_url + "tim-kiem/?q=doi%20thoai")
    expect(watched.locator("#tu-khoa")).to_have_value("doi thoai")
    expect(watched.locator("#ket-qua > li").first).to_contain_text("đối thoại", timeout=8000)


def test_without_javascript_the_page_says_search_needs_it_and_links_to_the_lists(page_nojs, site_url):
    page_nojs.goto(site_url + "tim-kiem/")
    expect(page_nojs.locator("#can-js")).to_be_visible()
    expect(page_nojs.locator("#can-js")).to_contain_text("Tìm kiếm cần JavaScript")
    expect(page_nojs.locator("#tu-khoa")).to_be_hidden()  # a form that could not work is not offered
    main = page_nojs.locator("main")
    for label, path in (("lịch đối thoại", "lich-doi-thoai/"), ("kết luận", "ket-luan/")):
        link = main.get_by_role("link", name=label).first
        expect(link).to_be_visible()
        assert path in link.evaluate("a => a.href")


def test_the_results_of_one_search_come_from_several_slices(watched, site, site_url):
    search(watched, site_url, "ket luan")
    found = results(watched)
    count = len(slices_of(site))
    slices = {site_search.slice_name(file_of(site, href).relative_to(site).as_posix(), count)
              for _, href, _, _ in found}
    assert len(slices) >= 2, found
    assert watched.problems == []


@pytest.fixture
def own_site(demo_db_file, tmp_path):
    """A demo site of the test's own, which it may change and rebuild; (folder, its address)."""
    folder = make_site(demo_db_file, tmp_path)
    server = serve(folder)
    yield folder, next(server)
    next(server, None)


def test_right_after_a_one_change_rebuild_a_word_only_in_the_changed_page_is_found(watched, own_site):
    site, site_url = own_site
    search(watched, site_url, "khuozi")
    assert not [r for r in results(watched) if "khuôzi" in r[3]]  # Pagefind shows near words; not this one
    conclusion_id = max(int(p.name) for p in (site / "ket-luan").iterdir() if p.name.isdigit())  # one published
    with contextlib.closing(sqlite3.connect(site.parent / "demo.db")) as database, database:
        database.execute("UPDATE conclusion SET public_summary = public_summary || ? WHERE id = ?",
                         (" Đã khảo sát tại bản Khuôzi.", conclusion_id))
    summary = rebuild(site)
    assert 0 < summary.slices_indexed < len(slices_of(site))  # the slices of the changed pages only
    status = search(watched, site_url, "khuozi")
    assert status.startswith("Tìm thấy"), status
    hits = {urlsplit(href).path for _, href, _, marks in results(watched) if "khuôzi" in marks}
    assert PREFIX + "ket-luan/%d/" % conclusion_id in hits
    holding = {PREFIX + p.relative_to(site).parent.as_posix() + "/" for p in site.rglob("index.html")
               if "Khuôzi" in p.read_text(encoding="utf-8") and "data-pagefind-body" in p.read_text(encoding="utf-8")}
    assert hits == holding  # the changed conclusion's page and its dialogue's, which lists it
    assert watched.problems == []
