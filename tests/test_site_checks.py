"""Checks of the frozen public site: the Nu Html Checker (vnu.jar) on every page; the feed and the calendar."""
import datetime as dt
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urlsplit

import icalendar
import pytest

import build

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
BASE_URL = "https://dichvucong.example.gov.vn/dan-biet/"


def freeze_demo(tmp_path_factory, demo_db_file, name="site", base_url=BASE_URL):
    """Freeze a private copy of the demo database into a fresh folder; returns the site folder."""
    folder = tmp_path_factory.mktemp("frozen")
    database = folder / "demo.db"
    shutil.copy(demo_db_file, database)
    destination = folder / name
    build.build(destination, base_url=base_url, database_url="sqlite:///%s" % database)
    return destination


@pytest.fixture(scope="module")
def frozen_site(tmp_path_factory, demo_db_file):
    return freeze_demo(tmp_path_factory, demo_db_file)


def html_files(site):
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != build.SEARCH_INDEX)


def run_vnu(paths):
    """vnu.jar's messages for `paths`, all checked in one JVM; fails the test when Java is missing."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("Không có Java (java) trên máy: cần gói default-jre-headless để chạy Nu Html Checker.")
    if not VNU_JAR.is_file():
        pytest.fail("Thiếu %s: chạy `npm ci` để cài vnu-jar." % VNU_JAR.relative_to(ROOT))
    # A bigger thread stack is required by the HTML schema; C1 only starts the JVM twice as fast.
    result = subprocess.run([java, "-Xss4m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR),
                             "--errors-only", "--format", "json",
                             *map(str, paths)], capture_output=True, text=True, timeout=300)
    # vnu writes its JSON report on stderr; its exit status is 1 when there are errors.
    report = result.stderr + result.stdout
    try:  # (the JVM may print a notice such as "Picked up JAVA_TOOL_OPTIONS" before the report)
        return json.JSONDecoder().raw_decode(report, report.index('{'))[0]["messages"]
    except (ValueError, KeyError):
        pytest.fail("vnu.jar did not answer in JSON (exit %d):\n%s" % (result.returncode, report[:2000]))


def describe(message, site):
    url = message.get("url", "")
    where = url.removeprefix("file:")
    try:
        where = Path(where).relative_to(site).as_posix()
    except ValueError:
        pass
    line = message.get("lastLine") or message.get("firstLine") or "?"
    return "%s:%s: %s: %s «%s»" % (where, line, message.get("type"), message.get("message"),
                                    " ".join((message.get("extract") or "").split()))


CANARY = ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>x</title></head>'
          '<body><p id="a">một</p><p id="a">hai</div></body></html>')


def test_every_page_is_valid_html(frozen_site, tmp_path):
    pages = html_files(frozen_site)
    expected = {"index.html", "404.html", "ke-hoach/index.html", "lich-doi-thoai/index.html",
                "ket-luan/index.html", "thong-ke/index.html", "tim-kiem/index.html", "du-lieu/index.html"}
    assert expected <= {p.relative_to(frozen_site).as_posix() for p in pages}
    # An invalid page checked in the same run shows that the checker does report errors.
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    messages = run_vnu([*pages, canary])
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")
              or m.get("subType") == "fatal"]
    canary_errors = [m["message"] for m in errors if m.get("url", "").endswith("/canary.html")]
    assert any("Duplicate ID" in m for m in canary_errors), messages
    assert any("Stray end tag" in m for m in canary_errors), messages
    errors = [m for m in errors if not m.get("url", "").endswith("/canary.html")]
    assert errors == [], "Nu Html Checker: %d lỗi\n%s" % (
        len(errors), "\n".join(describe(m, frozen_site) for m in errors))


# ---------------------------------------------------------------- feed and calendar

ATOM = "{http://www.w3.org/2005/Atom}"


def site_file(site, url):
    """The file of the build that serves `url` (an absolute URL under the base URL), or None."""
    assert url.startswith(BASE_URL), url
    path = unquote(urlsplit(url).path)[len(urlsplit(BASE_URL).path):]
    target = site / path
    if path == "" or path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def test_the_feed_and_the_calendar_parse_and_every_link_in_them_is_a_file_of_the_build(frozen_site):
    """Parsed with the standard library (Atom) and icalendar, from a build for a base URL with a
    sub-folder: every URL they hold is under the base URL and names a file of the build."""
    feed = ET.parse(frozen_site / "feed.xml").getroot()
    assert feed.tag == ATOM + "feed"
    entries = feed.findall(ATOM + "entry")
    assert entries
    feed_urls = [link.get("href") for link in feed.iter(ATOM + "link")]
    feed_urls += [element.text for element in feed.iter(ATOM + "id")]
    assert len(feed_urls) == 3 + 2 * len(entries)  # the feed's two links and id, each entry's link and id
    for entry in entries:
        dt.datetime.fromisoformat(entry.find(ATOM + "updated").text)  # RFC 3339 dates
        assert entry.find(ATOM + "title").text.strip()
    self_link = next(link.get("href") for link in feed.findall(ATOM + "link") if link.get("rel") == "self")
    assert site_file(frozen_site, self_link) == frozen_site / "feed.xml"

    calendar = icalendar.Calendar.from_ical((frozen_site / "lich-doi-thoai.ics").read_bytes())
    events = calendar.walk("VEVENT")
    assert events and calendar.walk("VTIMEZONE")
    calendar_urls = []
    for event in events:
        assert event.decoded("DTSTART").tzinfo is not None
        calendar_urls.append(str(event["URL"]))
        # The description ends with the link back to the dialogue's page.
        calendar_urls += re.findall(r"https?://\S+", str(event["DESCRIPTION"]))
    assert len(calendar_urls) == 2 * len(events)

    missing = [url for url in feed_urls + calendar_urls if site_file(frozen_site, url) is None]
    assert missing == []
    pages = {site_file(frozen_site, url).relative_to(frozen_site).as_posix() for url in calendar_urls}
    assert all(re.fullmatch(r"lich-doi-thoai/[a-z0-9-]+/index\.html", page) for page in pages)
    assert len(pages) == len(events)  # one page per event


def test_site_file_maps_urls_as_a_web_host_does(tmp_path):
    (tmp_path / "ket-luan" / "5").mkdir(parents=True)
    (tmp_path / "ket-luan" / "5" / "index.html").write_text("x")
    (tmp_path / "feed.xml").write_text("x")
    assert site_file(tmp_path, BASE_URL + "ket-luan/5/") == tmp_path / "ket-luan" / "5" / "index.html"
    assert site_file(tmp_path, BASE_URL + "ket-luan/5") == tmp_path / "ket-luan" / "5" / "index.html"
    assert site_file(tmp_path, BASE_URL + "feed.xml") == tmp_path / "feed.xml"
    assert site_file(tmp_path, BASE_URL + "ket-luan/6/") is None
    with pytest.raises(AssertionError):
        site_file(tmp_path, "https://other.example.vn/dan-biet/feed.xml")
