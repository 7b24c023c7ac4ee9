"""The public site "Dân biết" served by the public-only app on the demo data, and its staff preview."""
import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import icalendar
import pytest
from bs4 import BeautifulSoup

import models
import publication
from app import create_app
from sitebuild.signatures import url_generators
from tests.conftest import FAST_HASH, StaffClient
from views.public import create_public_app, register_preview

BASE = "https://dan-biet.example.vn/dan-biet/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
PAGES = ["/", "/ke-hoach/", "/lich-doi-thoai/", "/ket-luan/", "/thong-ke/", "/yeu-cau-doi-thoai/", "/tim-kiem/",
         "/du-lieu/", "/404.html"]
FILES = ["/du-lieu/ket-luan.csv", "/du-lieu/ket-luan.json", "/du-lieu/lich-doi-thoai.csv",
         "/du-lieu/lich-doi-thoai.json", "/feed.xml", "/lich-doi-thoai.ics", "/sitemap.xml"]


@pytest.fixture
def site(app):
    """A test client of the public-only app on this test's copy of the demo database."""
    public_app = create_public_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True,
                                    "PUBLIC_BASE_URL": BASE})
    return public_app.test_client()


def generated_paths(client):
    """Paths of every page that takes arguments, from the generator build.py registers."""
    with client.application.test_request_context():
        return [client.application.url_for(endpoint, **values) for endpoint, values in url_generators()]


def all_paths(client):
    return PAGES + generated_paths(client) + FILES


def text_of(response):
    return response.get_data(as_text=True)


def visible(html):
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def public_dialogue_count():
    return (models.Dialogue.select().where(models.Dialogue.is_public == True,  # noqa: E712
                                           models.Dialogue.status.in_(
                                               ("scheduled", "held", "concluded", "completed", "postponed")))
            .count())


# ---------------------------------------------------------------- every page


@pytest.mark.parametrize("path", PAGES + FILES)
def test_each_page_and_file_is_served(site, path):
    response = site.get(path)
    assert response.status_code == 200
    assert response.data


def test_every_generated_page_is_served_in_vietnamese_under_30_kb(site):
    css = len(site.get("/static/public/site.css").data)
    assert css < 7 * 1024
    paths = PAGES + generated_paths(site)
    assert any(p.startswith("/ket-luan/trang/") for p in paths)  # the demo data has two list pages
    for path in paths:
        response = site.get(path)
        assert response.status_code == 200, path
        html = text_of(response)
        assert html.startswith("<!doctype html>\n<html lang=\"vi\">"), path
        assert len(response.data) + css < 30 * 1024, path
        soup = BeautifulSoup(html, "html.parser")
        assert len(soup.find_all("h1")) == 1, path
        assert soup.find("main") and soup.find("nav") and soup.find("footer"), path
        for tag in soup.find_all(["a", "link", "form"]):
            target = tag.get("href") or tag.get("action") or ""
            assert "?" not in target, (path, target)
        scripts = [tag.get("src", "inline") for tag in soup.find_all("script")]
        # No JavaScript is needed anywhere but on the search page, which loads one file of its own.
        assert scripts == (["/static/public/search.js"] if path.endswith("/tim-kiem/") else []), path
        assert not soup.find_all(style=True), path


def test_unknown_page_is_404_with_the_not_found_page(site):
    response = site.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in text_of(response)
    assert site.get("/ket-luan/999999/").status_code == 404
    assert site.get("/ket-luan/trang/9/").status_code == 404
    assert site.get("/ket-luan/trang/0/").status_code == 404


def test_not_found_page_links_are_absolute_on_the_public_host(site):
    soup = BeautifulSoup(text_of(site.get("/404.html")), "html.parser")
    links = [a["href"] for a in soup.find_all("a") if not a["href"].startswith("#")]
    links += [link["href"] for link in soup.find_all("link")]
    assert links and all(href.startswith(BASE) for href in links), links
    assert BASE + "static/public/site.css" in links


def test_no_staff_page_is_in_the_public_app(site):
    assert site.get("/dang-nhap").status_code == 404
    assert site.get("/static/vendor/htmx.min.js").status_code == 404
    assert site.get("/xem-truoc/").status_code == 404


# ---------------------------------------------------------------- what the pages show


def test_home_shows_upcoming_public_dialogues_latest_resolved_and_figures(site, db):
    html = visible(text_of(site.get("/")))
    upcoming = publication.upcoming_dialogues()
    assert upcoming and upcoming[0].title in html
    assert upcoming[0].starts_at.strftime("%d/%m/%Y") in html
    staff_only = models.Dialogue.get(models.Dialogue.is_public == False,  # noqa: E712
                                     models.Dialogue.status == "scheduled")
    assert staff_only.title not in html
    assert publication.latest_resolved(1)[0].summary in html
    assert "Buổi đối thoại đã tổ chức" in html


def test_schedule_shows_upcoming_and_past_by_year_but_not_cancelled(site, db):
    html = visible(text_of(site.get("/lich-doi-thoai/")))
    assert "Sắp tới" in html and "Năm 2022" in html
    assert "Đối thoại trực tiếp với công dân về việc cấp đổi giấy chứng nhận" in html  # postponed
    assert "Hoãn" in html
    cancelled = models.Dialogue.get(models.Dialogue.status == "cancelled")
    assert cancelled.is_public and cancelled.title not in html
    year = visible(text_of(site.get("/lich-doi-thoai/nam/2022/")))
    assert "Đối thoại trực tiếp với công dân về giải quyết hồ sơ cấp giấy chứng nhận" in year


def test_dialogue_page_shows_facts_and_its_published_conclusions(site, db):
    dialogue = models.Dialogue.get(models.Dialogue.title.startswith("Đối thoại trực tiếp với công dân về giải quyết"))
    html = visible(text_of(site.get("/lich-doi-thoai/%s/" % dialogue.slug)))
    for fact in (dialogue.title, dialogue.place, dialogue.chair, "14/04/2022", "Đối thoại trực tiếp (theo yêu cầu)",
                 "Nhân dân, công dân", "Đất đai", "Hoàn thành"):
        assert fact in html
    published = publication.conclusions_of_dialogue(dialogue.id)
    assert published
    for conclusion in published:
        assert conclusion.summary in html and conclusion.status_label in html
    assert dialogue.discussion not in html and dialogue.directions not in html


def test_dialogue_that_is_not_public_has_no_page(site, db):
    hidden = models.Dialogue.get(models.Dialogue.is_public == False)  # noqa: E712
    assert site.get("/lich-doi-thoai/%s/" % hidden.slug).status_code == 404


def test_conclusion_page_shows_summary_unit_deadline_and_dated_history(site, db):
    record = publication.conclusions()[0]
    html = visible(text_of(site.get("/ket-luan/%d/" % record.id)))
    assert record.summary in html and record.unit in html
    assert record.deadline.strftime("%d/%m/%Y") in html
    for entry in record.timeline:
        assert "%s %s" % (entry.on.strftime("%d/%m/%Y"), entry.label) in html
    decision = models.Conclusion.get_by_id(record.id).decision
    assert decision not in html


def test_draft_notice_conclusions_appear_nowhere(site, db):
    drafts = [c.public_summary for c in models.Conclusion.select().join(models.ConclusionNotice)
              .where(models.ConclusionNotice.status == "draft")]
    assert drafts
    for path in all_paths(site):
        body = text_of(site.get(path))
        for summary in drafts:
            assert summary not in body, path


def test_conclusion_lists_page_from_the_oldest_and_keep_old_pages_stable(site, db):
    ids = [c.id for c in publication.conclusions()]
    assert len(ids) > 20
    first = site.get("/ket-luan/trang/1/").data
    soup = BeautifulSoup(first, "html.parser")
    shown = [int(a["href"].rstrip("/").rsplit("/", 1)[1]) for a in soup.select("main .items a")]
    assert sorted(shown) == ids[:20] and shown == sorted(shown, reverse=True)
    landing = BeautifulSoup(site.get("/ket-luan/").data, "html.parser")
    assert [int(a["href"].rstrip("/").rsplit("/", 1)[1]) for a in landing.select("main .items a")] == ids[-20:][::-1]
    # A conclusion published later goes on the newest page; page 1 keeps its bytes.
    newest = models.Conclusion.get(models.Conclusion.is_public == False,  # noqa: E712
                                   models.Conclusion.status == "in_progress")
    models.Conclusion.update(publish_in_progress=True, is_public=True).where(
        models.Conclusion.id == newest.id).execute()
    assert newest.id in [c.id for c in publication.conclusions()]
    assert site.get("/ket-luan/trang/1/").data == first


def test_field_and_year_lists(site, db):
    html = visible(text_of(site.get("/ket-luan/linh-vuc/dat-dai/")))
    in_field = publication.conclusions_in_field("dat-dai")
    assert in_field and all(c.summary in html for c in in_field)
    assert site.get("/ket-luan/linh-vuc/khong-co/").status_code == 404
    year = visible(text_of(site.get("/ket-luan/nam/2022/")))
    assert "Kết luận năm 2022" in year
    assert site.get("/ket-luan/nam/1999/").status_code == 404


def test_plan_page_renders_the_plan_with_headings_below_the_title(site, db):
    soup = BeautifulSoup(site.get("/ke-hoach/2022/").data, "html.parser")
    assert soup.h1.get_text() == "Kế hoạch thực hiện công tác đối thoại năm 2022"
    assert "MỤC ĐÍCH, YÊU CẦU" in soup.get_text()
    assert soup.select(".prose h2") and not soup.select(".prose h1")
    assert "14/06/2022" in soup.get_text()  # the mid-year report deadline, dd/mm/yyyy


def test_request_page_explains_how_to_ask_and_links_relatively(site):
    soup = BeautifulSoup(site.get("/yeu-cau-doi-thoai/").data, "html.parser")
    text = soup.get_text()
    assert "Cách đề nghị" in text and "Trụ sở Tiếp công dân tỉnh" in text
    links = [a["href"] for a in soup.select(".prose a")]
    assert "../ket-luan/" in links
    assert not [href for href in links if href.startswith(("/", BASE, "http://127.0.0.1"))], links


def test_search_page_is_a_form_with_an_empty_results_area(site):
    soup = BeautifulSoup(site.get("/tim-kiem/").data, "html.parser")
    form = soup.find("form", attrs={"role": "search"})
    assert form["method"] == "get" and form.find("input", attrs={"type": "search"})
    assert soup.find("label", attrs={"for": form.find("input")["id"]})
    assert soup.find(id="ket-qua").get_text(strip=True) == ""


def test_statistics_draw_svg_charts_with_the_same_numbers_as_tables(site, db):
    soup = BeautifulSoup(site.get("/thong-ke/").data, "html.parser")
    sections = soup.select("main section")
    assert len(sections) == len(publication.statistics().series)
    for section in sections:
        svg = section.find("svg")
        assert svg["role"] == "img" and svg["aria-label"] and svg.find("title")
        bars = [int(t.get_text()) for t in svg.select("text.v")]
        table = [int(td.get_text()) for td in section.select("tbody td")]
        assert bars == table and bars
        assert section.find("caption") and section.find("th", attrs={"scope": "col"})
    held = models.Dialogue.select().where(models.Dialogue.status.in_(("held", "concluded", "completed"))).count()
    by_year = soup.find(id="doi-thoai-theo-nam").find_parent("section")
    assert int(by_year.select_one("tfoot td").get_text()) == held


# ---------------------------------------------------------------- open data, feed, calendar, sitemap


def test_csv_files_have_a_bom_and_the_documented_columns(site, db):
    documented = visible(text_of(site.get("/du-lieu/")))
    for path, count in (("/du-lieu/ket-luan.csv", len(publication.conclusions())),
                        ("/du-lieu/lich-doi-thoai.csv", public_dialogue_count())):
        data = site.get(path).data
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert len(rows) == count + 1
        for column in rows[0]:
            assert column in documented, column
    rows = list(csv.DictReader(io.StringIO(site.get("/du-lieu/ket-luan.csv").data.decode("utf-8-sig"))))
    assert all(row["duong_dan"].startswith(BASE + "ket-luan/") for row in rows)


def test_open_data_links_name_each_records_own_page(site, db):
    """Each row links its own conclusion or dialogue page; a conclusion from a dialogue that is not
    public has an empty dialogue link (never a staff-only dialogue's address)."""
    records = {c.id: c for c in publication.conclusions()}
    rows = list(csv.DictReader(io.StringIO(site.get("/du-lieu/ket-luan.csv").data.decode("utf-8-sig"))))
    linked = {"": 0, "page": 0}
    for row in rows:
        record = records[int(row["id"])]
        assert row["duong_dan"] == BASE + "ket-luan/%d/" % record.id
        if record.dialogue is None:
            assert row["doi_thoai"] == ""
            linked[""] += 1
        else:
            assert row["doi_thoai"] == BASE + "lich-doi-thoai/%s/" % record.dialogue.slug
            assert site.get("/lich-doi-thoai/%s/" % record.dialogue.slug).status_code == 200
            linked["page"] += 1
    assert linked[""] and linked["page"], linked  # the demo data have both
    for row in json.loads(site.get("/du-lieu/ket-luan.json").data)["du_lieu"]:
        assert row["duong_dan"] == BASE + "ket-luan/%d/" % row["id"]
    for row in csv.DictReader(io.StringIO(site.get("/du-lieu/lich-doi-thoai.csv").data.decode("utf-8-sig"))):
        slug = row["duong_dan"][len(BASE + "lich-doi-thoai/"):-1]
        assert row["duong_dan"] == BASE + "lich-doi-thoai/%s/" % slug
        assert site.get("/lich-doi-thoai/%s/" % slug).status_code == 200


def test_json_files_match_the_csv(site, db):
    conclusions = json.loads(site.get("/du-lieu/ket-luan.json").data)
    assert conclusions["so_ban_ghi"] == len(conclusions["du_lieu"]) == len(publication.conclusions())
    assert conclusions["du_lieu"][0]["dien_bien"][0]["ma_tinh_trang"] == "open"
    schedule = json.loads(site.get("/du-lieu/lich-doi-thoai.json").data)
    assert len(schedule["du_lieu"]) == public_dialogue_count()
    assert schedule["du_lieu"][0]["bat_dau"].endswith("+07:00")


def test_feed_is_atom_with_absolute_links_that_resolve(site, db):
    root = ET.fromstring(site.get("/feed.xml").data)
    assert root.tag == ATOM + "feed"
    entries = root.findall(ATOM + "entry")
    assert len(entries) == min(50, len(publication.conclusions()) + public_dialogue_count())
    for entry in entries:
        href = entry.find(ATOM + "link").get("href")
        assert href.startswith(BASE)
        assert site.get("/" + href[len(BASE):]).status_code == 200
        assert entry.find(ATOM + "updated").text.endswith("+07:00")


def test_calendar_has_one_event_per_public_dialogue_with_stable_uids(site, db):
    first = site.get("/lich-doi-thoai.ics")
    assert first.mimetype == "text/calendar"
    calendar = icalendar.Calendar.from_ical(first.data)
    events = calendar.walk("VEVENT")
    assert len(events) == public_dialogue_count()
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    for event in events:
        assert event.decoded("DTSTART").utcoffset().total_seconds() == 7 * 3600
        url = str(event["URL"])
        assert url.startswith(BASE + "lich-doi-thoai/")
        assert site.get("/" + url[len(BASE):]).status_code == 200
    # Stamps come from the records, not the clock: two builds of the same data give the same file.
    an_hour_ago = models.now().replace(tzinfo=models.TZ).timestamp() - 3600
    assert all(event.decoded("DTSTAMP").timestamp() < an_hour_ago for event in events)


def test_sitemap_lists_every_page_with_absolute_urls(site):
    root = ET.fromstring(site.get("/sitemap.xml").data)
    locs = [loc.text for loc in root.iter(SITEMAP + "loc")]
    expected = {BASE + p.lstrip("/") for p in PAGES + generated_paths(site) if p != "/404.html"}
    assert set(locs) == expected


# ---------------------------------------------------------------- privacy


def _canaries():
    """Names, phone numbers, ID numbers and e-mail addresses of the demo opinions' submitters, and their texts."""
    canaries = set()
    for name, contact, content in models.Opinion.select(
            models.Opinion.submitter_name, models.Opinion.submitter_contact, models.Opinion.content).tuples():
        if name and not name.startswith("Tập thể"):
            canaries.add(name)
        for number in re.findall(r"\+?\d[\d .]{7,}\d", contact):
            canaries.add(number)
            canaries.add(re.sub(r"\D", "", number))
        canaries.update(re.findall(r"\S+@\S+", contact))
        canaries.add(content[:50])
    return canaries


def test_no_submitter_name_phone_id_or_opinion_text_appears_anywhere(site, db):
    canaries = _canaries()
    assert "Nguyễn Văn Tám" in canaries and "049068001235" in canaries and "0912 345 678" in canaries
    for path in all_paths(site):
        body = site.get(path).get_data(as_text=True)
        if path.endswith(".ics"):
            body = body.replace("\r\n ", "")  # unfold long lines
        squeezed = re.sub(r"[\s.]", "", body)
        for canary in canaries:
            assert canary not in body, (path, canary)
            if canary.isdigit():
                assert canary not in squeezed, (path, canary)


# ---------------------------------------------------------------- the staff preview


@pytest.fixture
def internal(app):
    """The internal app with the preview registered (as app.py will do)."""
    staff_app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "PASSWORD_HASH": FAST_HASH,
                            "DATABASE_URL": app.config["DATABASE_URL"], "PUBLIC_BASE_URL": BASE})
    if "preview" not in staff_app.blueprints:
        register_preview(staff_app)
    return staff_app


def test_preview_sends_anonymous_visitors_to_login(internal):
    response = internal.test_client().get("/xem-truoc/ket-luan/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/dang-nhap?next=/xem-truoc/ket-luan/")


@pytest.mark.parametrize("role, status", [("coordinator", 200), ("leader", 200), ("chief", 200),
                                          ("specialist", 403), ("unit_head", 403), ("admin", 403)])
def test_preview_is_for_the_coordinator_leaders_and_chief(internal, role, status):
    """README: staff preview the public site at /xem-truoc/ (coordinator, chief, leaders); others get 403."""
    client = StaffClient(internal.test_client())
    assert client.login(role).status_code == 303
    for path in ("/xem-truoc/", "/xem-truoc/ket-luan/", "/xem-truoc/404.html", "/xem-truoc/static/public/site.css"):
        response = client.get(path)
        assert response.status_code == status, path
        if status == 403:
            html = text_of(response)
            assert "Không có quyền truy cập" in html and "Bản xem trước" not in html
    nav = BeautifulSoup(text_of(client.get("/")), "html.parser").select('header nav a[href^="/xem-truoc/"]')
    assert bool(nav) == (status == 200)  # the menu offers the preview only to those who may open it


def test_preview_shows_the_public_pages_to_signed_in_staff(internal):
    client = StaffClient(internal.test_client())
    assert client.login("coordinator").status_code == 303
    response = client.get("/xem-truoc/")
    assert response.status_code == 200
    html = text_of(response)
    assert "Bản xem trước" in html and 'lang="vi"' in html
    soup = BeautifulSoup(html, "html.parser")
    nav = [a["href"] for a in soup.select("header nav a")]
    assert nav and all(href.startswith("/xem-truoc/") for href in nav)
    assert client.get("/xem-truoc/static/public/site.css").status_code == 200
    record = publication.conclusions()[0]
    page = text_of(client.get("/xem-truoc/ket-luan/%d/" % record.id))
    assert record.summary in page
    links = [a["href"] for a in BeautifulSoup(text_of(client.get("/xem-truoc/404.html")), "html.parser")
             .select("main a")]
    assert links and all(href.startswith("/xem-truoc/") for href in links)
