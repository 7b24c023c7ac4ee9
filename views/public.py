"""The public site "Dân biết": pages, open data, feed and calendar; data come only from publication.py.

The blueprint is registered at "/" in the public-only app that build.py freezes
(`create_public_app`) and a second time under /xem-truoc/ in the internal app, behind login
(`register_preview`). Templates link with relative endpoints (`url_for('.x')`), so the same
templates serve both registrations, and Frozen-Flask makes those links relative.
"""
import csv
import dataclasses
import datetime as dt
import hashlib
import json
import math
import mimetypes
import os
import posixpath
import re
from operator import attrgetter
from pathlib import Path

import flask
import icalendar
import jinja2
from flask import Blueprint, abort, current_app, g, redirect, render_template, request
from flask.globals import _cv_request
from markupsafe import Markup

import models
import publication

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
PER_PAGE = 20  # items per list page
YEAR_PREVIEW = 8  # past dialogues shown per year on the schedule page
HOME_ITEMS = 5
FEED_ITEMS = 50

bp = Blueprint("public", __name__, template_folder=str(BASE_DIR / "templates"),
               static_folder=str(BASE_DIR / "static" / "public"), static_url_path="/static/public")


# ---------------------------------------------------------------- URLs


def _endpoint(endpoint):
    """A relative endpoint resolved outside the blueprint too (the public app's 404 handler)."""
    if endpoint.startswith(".") and request.blueprint is None:
        return bp.name + endpoint
    return endpoint


def _root():
    """The path of the site's home in this registration ("/", "/xem-truoc/", "/dan-biet/" …)."""
    return flask.url_for(_endpoint(".home"))


def public_url(endpoint, **values):
    """The absolute URL of a page on the public host (PUBLIC_BASE_URL), for feeds, sitemap, calendar.

    Kept per app and registration: the sitemap, the feed, the calendar and the open data name the
    same pages, tens of thousands of times a build.
    """
    ctx = _cv_request.get()  # one context lookup (each proxy access costs as much as the rest)
    registration = (ctx.request.script_root, ctx.request.blueprint)
    by_registration = ctx.app.extensions.setdefault("public_urls", {})
    urls = by_registration.get(registration)
    if urls is None:
        base = (ctx.app.config.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/") + "/"
        urls = by_registration[registration] = _PublicUrls(base, _root(), ctx.request.blueprint or bp.name)
    return urls.get(endpoint, values, ctx)


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")  # written as is in a URL path (no quoting)
_SENTINEL = 7302915846  # a value no page has: a URL built with it shows where the value goes


def quick_builder(build):
    """`build(endpoint, values, *extra)` (a URL), quicker for pages named by one value.

    A page named by one number or plain slug (a conclusion's id, a dialogue's slug) is built once
    per endpoint with a sentinel value; then each value is put in its place, which is what the
    rule's build gives for such a value. Any other URL is built by `build` and kept.
    """
    templates, known = {}, {}

    def quick(endpoint, values, *extra):
        if len(values) == 1:
            (name, value), = values.items()
            if (type(value) is int and value >= 0) or (type(value) is str and _PLAIN_SEGMENT.fullmatch(value)):
                template = templates.get((endpoint, name))
                if template is None:
                    prefix, found, suffix = build(endpoint, {name: _SENTINEL}, *extra).partition(str(_SENTINEL))
                    template = templates[(endpoint, name)] = (prefix, suffix) if found else ()
                if template:
                    return template[0] + str(value) + template[1]
        key = (endpoint, *sorted(values.items()))
        url = known.get(key)
        if url is None:
            url = known[key] = build(endpoint, values, *extra)
        return url
    return quick


class _PublicUrls:
    """The public URLs of one registration of the blueprint."""

    def __init__(self, base, root, blueprint):
        self.base, self.root, self.blueprint = base, root, blueprint
        self.get = quick_builder(self._build)

    def _build(self, endpoint, values, ctx):
        # The rule's own build (what url_for does, less its per-call work).
        full = self.blueprint + endpoint if endpoint.startswith(".") else endpoint
        path = ctx.url_adapter.build(full, values)
        return self.base + (path[len(self.root):] if path.startswith(self.root) else path.lstrip("/"))


def any_depth_url(endpoint, **values):
    """A link that works from a page served at any depth (404.html): absolute on the public host.

    In the staff preview, a root-relative path keeps the visitor inside the preview.
    """
    if request.blueprint == "preview":
        return flask.url_for(_endpoint(endpoint), **values)
    return public_url(endpoint, **values)


_HREF = re.compile(r'href="([^"]*)"')
_HEADING = re.compile(r"<(/?)h([1-6])>")


def site_html(html):
    """Rendered Markdown made fit for a page: internal links relative, headings below the page's h1.

    A link written as "/ke-hoach/2022/" or as the public base URL plus a path points inside the
    site; it becomes relative to the current page, so the site works from any folder.
    """
    base = (current_app.config.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/") + "/"
    root = _root()
    here = request.script_root + request.path
    here_dir = here if here.endswith("/") else posixpath.dirname(here) + "/"
    frozen = getattr(current_app.jinja_env.globals.get("url_for"), "__name__", "") == "relative_url_for"

    def relative(match):
        href = match.group(1)
        if href.startswith(base):
            href = "/" + href[len(base):]
        if not href.startswith("/") or href.startswith("//"):
            return match.group(0)
        path, hash_sign, fragment = href.partition("#")
        target = root + path.lstrip("/")
        if frozen and target.endswith("/"):
            target += "index.html"
        rel = posixpath.relpath(target, here_dir)
        if target.endswith("/") and not rel.endswith("/"):
            rel += "/"
        return 'href="%s%s%s"' % (rel, hash_sign, fragment)

    html = _HREF.sub(relative, html)
    levels = [int(level) for _, level in _HEADING.findall(html)]
    shift = 2 - min(levels) if levels else 0  # the text's top headings become h2
    if shift:
        html = _HEADING.sub(lambda m: "<%sh%d>" % (m.group(1), max(1, min(6, int(m.group(2)) + shift))), html)
    return Markup(html)


def _template_globals():
    return {"public_url": public_url, "any_depth_url": any_depth_url, "site_html": site_html,
            "is_preview": request.blueprint == "preview", "page_name": (request.endpoint or "").rpartition(".")[2]}


bp.context_processor(_template_globals)


# ---------------------------------------------------------------- paged lists


class Listing:
    """A list paged from its oldest item, so that a numbered page keeps its items as new ones come.

    `page=None` is the list's landing page: the newest PER_PAGE items. Page k holds items
    (k-1)*PER_PAGE+1 … k*PER_PAGE counted from the oldest; both show the newest first.
    """

    def __init__(self, items, page=None):
        self.total = len(items)
        self.per_page = PER_PAGE
        self.pages = math.ceil(self.total / PER_PAGE) if self.total > PER_PAGE else 0
        if page is None:
            chosen = items[-PER_PAGE:]
        elif 1 <= page <= self.pages:
            chosen = items[(page - 1) * PER_PAGE:page * PER_PAGE]
        else:
            abort(404)
        self.page = page
        self.items = list(reversed(chosen))

    def __repr__(self):  # what a page shows of it, for url_generators()' signatures
        return "Listing(total=%d, pages=%d, page=%r, items=%r)" % (self.total, self.pages, self.page, self.items)

    @property
    def first_number(self):
        return (self.page - 1) * PER_PAGE + 1 if self.page else max(1, self.total - PER_PAGE + 1)

    @property
    def last_number(self):
        return self.first_number + len(self.items) - 1

    def window(self):
        """Page numbers to link: the first, and those near this page (near the last on the landing)."""
        if not self.pages:
            return []
        centre = self.page or self.pages
        shown = {1} | {n for n in range(centre - 2, centre + 3) if 1 <= n <= self.pages}
        return sorted(shown)

    @property
    def newer(self):
        return self.page + 1 if self.page and self.page < self.pages else None

    @property
    def older(self):
        return self.page - 1 if self.page and self.page > 1 else None


def _listing_pages(total):
    return range(1, math.ceil(total / PER_PAGE) + 1) if total > PER_PAGE else range(0)


# ---------------------------------------------------------------- pages


@bp.get("/")
def home():
    """Home: upcoming dialogues, the latest resolved conclusions, key figures."""
    return render_template("public/home.html", **_home())


def _home():
    return dict(upcoming=publication.upcoming_dialogues()[:HOME_ITEMS],
                resolved=publication.latest_resolved(HOME_ITEMS), figures=publication.statistics().figures[:4])


@bp.get("/ke-hoach/")
def plans():
    """The yearly dialogue plans."""
    return render_template("public/plans.html", plans=publication.plans())


@bp.get("/ke-hoach/<int:year>/")
def plan_page(year):
    """One yearly plan, rendered from its Markdown."""
    return _render(_plan_page(year))


@bp.get("/lich-doi-thoai/")
def schedule():
    """The schedule: upcoming dialogues, then past ones grouped by year."""
    return render_template("public/schedule.html", **_schedule())


def _schedule():
    past = publication.past_dialogues()
    years = []
    for year in publication.dialogue_years():
        of_year = [d for d in past if d.year == year]
        if of_year:
            years.append((year, of_year[:YEAR_PREVIEW], len(of_year)))
    return dict(upcoming=publication.upcoming_dialogues(), years=years)


@bp.get("/lich-doi-thoai/nam/<int:year>/", defaults={"page": None})
@bp.get("/lich-doi-thoai/nam/<int:year>/trang/<int:page>/")
def schedule_year(year, page):
    """Every public dialogue of a year (numbered pages once there are many)."""
    return _render(_schedule_year(year, page))


@bp.get("/lich-doi-thoai/<slug>/")
def dialogue_page(slug):
    """A dialogue: its public facts and, once held, its published conclusions."""
    return _render(_dialogue_page(slug))


@bp.get("/ket-luan/", defaults={"page": None})
@bp.get("/ket-luan/trang/<int:page>/")
def conclusions(page):
    """Published conclusions, newest first (numbered pages count from the oldest)."""
    return _render(_conclusions(page))


@bp.get("/ket-luan/<int:conclusion_id>/")
def conclusion_page(conclusion_id):
    """A published conclusion: summary, responsible unit, deadline and dated status history."""
    return _render(_conclusion_page(conclusion_id))


@bp.get("/ket-luan/linh-vuc/<field_code>/", defaults={"page": None})
@bp.get("/ket-luan/linh-vuc/<field_code>/trang/<int:page>/")
def field_conclusions(field_code, page):
    """Published conclusions of one field."""
    return _render(_field_conclusions(field_code, page))


@bp.get("/ket-luan/nam/<int:year>/", defaults={"page": None})
@bp.get("/ket-luan/nam/<int:year>/trang/<int:page>/")
def year_conclusions(year, page):
    """Published conclusions of the notices signed in one year."""
    return _render(_year_conclusions(year, page))


# What the pages with arguments are rendered from: (template, context), or None when there is no
# such page. The views render it; url_generators() digests it, so that what decides a page's
# content is also what decides whether the build may keep its file.


def _render(found):
    if found is None:
        abort(404)
    template, context = found
    return render_template(template, **context)


def _plan_page(year):
    plan = publication.plan(year)
    return None if plan is None else ("public/plan.html", {"plan": plan})


def _schedule_year(year, page=None):
    items = list(reversed(publication.dialogues_in_year(year)))  # oldest first, for paging
    if not items:
        return None
    return "public/schedule_year.html", {"year": year, "listing": Listing(items, page)}


def _dialogue_page(slug):
    dialogue = publication.dialogue(slug)
    if dialogue is None:
        return None
    return "public/dialogue.html", {"dialogue": dialogue,
                                    "conclusions": publication.conclusions_of_dialogue(dialogue.id)}


def _conclusion_page(conclusion_id):
    conclusion = publication.conclusion(conclusion_id)
    return None if conclusion is None else ("public/conclusion.html", {"conclusion": conclusion})


def _conclusions(page=None):
    return _conclusion_list(publication.conclusions(), page, ".conclusions", {}, "Kết luận đã công bố")


def _field_conclusions(field_code, page=None):
    field = publication.field(field_code)
    if field is None:
        return None
    return _conclusion_list(publication.conclusions_in_field(field_code), page, ".field_conclusions",
                            {"field_code": field_code}, "Kết luận lĩnh vực %s" % field.name.lower(), field=field)


def _year_conclusions(year, page=None):
    items = publication.conclusions_in_year(year)
    if not items:
        return None
    return _conclusion_list(items, page, ".year_conclusions", {"year": year}, "Kết luận năm %d" % year, year=year)


def _conclusion_list(items, page, endpoint, values, heading, **context):
    return "public/conclusions.html", dict(
        listing=Listing(items, page), endpoint=endpoint, values=values, heading=heading, fields=publication.fields(),
        years=publication.conclusion_years(), **context)


PAGE_CONTEXTS = {"plan_page": _plan_page, "schedule_year": _schedule_year, "dialogue_page": _dialogue_page,
                 "conclusions": _conclusions, "conclusion_page": _conclusion_page,
                 "field_conclusions": _field_conclusions, "year_conclusions": _year_conclusions}


@bp.get("/thong-ke/")
def statistics():
    """Figures and charts (SVG drawn here, the same numbers in tables)."""
    stats = publication.statistics()
    return render_template("public/statistics.html", figures=stats.figures,
                           charts=[(series, bar_chart(series)) for series in stats.series])


@bp.get("/yeu-cau-doi-thoai/")
def request_dialogue():
    """How a citizen asks for a direct dialogue, and how to reach the office."""
    page = publication.content_page("yeu-cau-doi-thoai")
    if page is None:
        abort(404)
    return render_template("public/page.html", page=page)


@bp.get("/tim-kiem/")
def search():
    """The search page (the index is built with the static site)."""
    return render_template("public/search.html")


@bp.get("/du-lieu/")
def open_data():
    """Open data: the files and their columns."""
    return render_template("public/open_data.html", conclusion_columns=CONCLUSION_COLUMNS,
                           conclusion_json_only=CONCLUSION_JSON_ONLY, dialogue_columns=DIALOGUE_COLUMNS,
                           **_open_data())


def _open_data():
    return dict(conclusion_count=len(publication.conclusions()), dialogue_count=len(publication.dialogues()))


@bp.get("/404.html")
def not_found_page():
    """The not-found page, as a file the web host serves for any missing address."""
    return render_template("public/not_found.html")


# ---------------------------------------------------------------- charts


CHART_WIDTH = 300
CHART_ROW = 38
CHART_LABEL_CHARS = 48


def bar_chart(series):
    """Geometry of a horizontal bar chart: a label line above each bar, the value after it."""
    largest = max((value for _, value in series.rows), default=0) or 1
    room = CHART_WIDTH - 36
    bars = []
    for index, (label, value) in enumerate(series.rows):
        top = index * CHART_ROW
        width = round(room * value / largest) if value else 0
        short = label if len(label) <= CHART_LABEL_CHARS else label[:CHART_LABEL_CHARS - 1] + "…"
        bars.append({"label": short, "value": value, "label_y": top + 13, "bar_y": top + 18, "width": max(width, 1),
                     "value_x": max(width, 1) + 5, "value_y": top + 30})
    return {"width": CHART_WIDTH, "height": max(CHART_ROW, len(bars) * CHART_ROW), "bars": bars}


# ---------------------------------------------------------------- open data


def _iso(value):
    return value.isoformat() if value else ""


def _local_iso(value):
    """A stored local time in Vietnam as ISO 8601 with its offset."""
    return value.replace(microsecond=0).isoformat() + "+07:00" if value else ""


class PageUrl:
    """An open-data column: the public address of the page a record names by one attribute.

    Empty when the attribute path meets None (e.g. a conclusion whose dialogue is not public).
    public_url builds the address from a template made once per endpoint (quick_builder).
    """

    def __init__(self, endpoint, argument, path):
        self.endpoint, self.argument, self.path = endpoint, argument, path
        self.names = path.split(".")

    def __call__(self, record):
        key = record
        for name in self.names:
            key = getattr(key, name)
            if key is None:
                return ""
        return public_url(self.endpoint, **{self.argument: key})


CONCLUSION_COLUMNS = [  # (name, meaning, value of a record: attrgetter where it is one attribute, quicker)
    ("id", "Số hiệu của kết luận trên trang Dân biết (không đổi).", attrgetter("id")),
    ("duong_dan", "Địa chỉ trang của kết luận.", PageUrl(".conclusion_page", "conclusion_id", "id")),
    ("tom_tat", "Tóm tắt nội dung kết luận, bản công khai.", attrgetter("summary")),
    ("don_vi_thuc_hien", "Phòng, đơn vị chịu trách nhiệm thực hiện.", attrgetter("unit")),
    ("han_thuc_hien", "Hạn thực hiện, dạng YYYY-MM-DD (trống nếu không có).", lambda c: _iso(c.deadline)),
    ("ma_linh_vuc", "Mã lĩnh vực.", lambda c: c.field.code if c.field else ""),
    ("linh_vuc", "Tên lĩnh vực.", lambda c: c.field.name if c.field else ""),
    ("ma_tinh_trang", "Mã tình trạng: resolved (đã giải quyết), referred (đã chuyển cơ quan có thẩm quyền), "
                      "explained (đã giải thích), in_progress (đang thực hiện).", attrgetter("status")),
    ("tinh_trang", "Tình trạng thực hiện, bằng tiếng Việt.", attrgetter("status_label")),
    ("so_thong_bao", "Số Thông báo ý kiến kết luận.", attrgetter("notice_number")),
    ("ngay_thong_bao", "Ngày ký Thông báo, dạng YYYY-MM-DD.", lambda c: _iso(c.notice_date)),
    ("nam", "Năm ký Thông báo.", attrgetter("year")),
    ("doi_thoai", "Địa chỉ trang buổi đối thoại (trống nếu buổi đối thoại không công bố lịch).",
     PageUrl(".dialogue_page", "slug", "dialogue.slug")),
    ("cap_nhat", "Ngày thay đổi tình trạng gần nhất, dạng YYYY-MM-DD.", lambda c: _iso(c.updated_at.date())),
]
CONCLUSION_JSON_ONLY = [
    ("dien_bien", "Chỉ có trong JSON: diễn biến tình trạng, mỗi mục gồm ngay (YYYY-MM-DD), ma_tinh_trang và "
                  "tinh_trang.",
     lambda c: [{"ngay": _iso(e.on), "ma_tinh_trang": e.status, "tinh_trang": e.label} for e in c.timeline]),
]
DIALOGUE_COLUMNS = [
    ("id", "Số hiệu của buổi đối thoại trên trang Dân biết (không đổi).", attrgetter("id")),
    ("duong_dan", "Địa chỉ trang của buổi đối thoại.", PageUrl(".dialogue_page", "slug", "slug")),
    ("tieu_de", "Tên buổi đối thoại.", attrgetter("title")),
    ("ma_hinh_thuc", "Mã hình thức: on_request (trực tiếp theo yêu cầu), ad_hoc (đột xuất), periodic (định kỳ).",
     attrgetter("kind")),
    ("hinh_thuc", "Hình thức đối thoại, bằng tiếng Việt.", attrgetter("kind_label")),
    ("ma_doi_tuong", "Mã đối tượng: citizens (nhân dân, công dân), staff (công chức, viên chức, người lao động).",
     attrgetter("audience")),
    ("doi_tuong", "Đối tượng đối thoại, bằng tiếng Việt.", attrgetter("audience_label")),
    ("ma_linh_vuc", "Mã các lĩnh vực, cách nhau bằng dấu chấm phẩy.", lambda d: ";".join(f.code for f in d.fields)),
    ("linh_vuc", "Tên các lĩnh vực, cách nhau bằng dấu chấm phẩy.", lambda d: "; ".join(f.name for f in d.fields)),
    ("bat_dau", "Thời gian bắt đầu, giờ Việt Nam, dạng ISO 8601 (YYYY-MM-DDTHH:MM:SS+07:00).",
     lambda d: _local_iso(d.starts_at)),
    ("ket_thuc", "Thời gian kết thúc dự kiến, cùng dạng (trống nếu chưa xác định).", lambda d: _local_iso(d.ends_at)),
    ("dia_diem", "Địa điểm.", attrgetter("place")),
    ("chu_tri", "Người chủ trì (chức vụ).", attrgetter("chair")),
    ("ma_tinh_trang", "Mã tình trạng: scheduled (đã lên lịch), postponed (hoãn), held (đã tổ chức), "
                      "concluded (đã có kết luận), completed (hoàn thành).", attrgetter("status")),
    ("tinh_trang", "Tình trạng, bằng tiếng Việt.", attrgetter("status_label")),
]


class _Lines(list):
    """A file for csv.writer that keeps each row's line apart (the writer writes a row in one call)."""

    write = list.append


def _lines(name, rows, columns, json_only=()):
    """[(CSV line, JSON line) of each row, UTF-8]: made once a build for both files, and carried to the
    next build for the rows whose signature did not change (see publication.carried_values)."""
    names = [column for column, _, _ in (*columns, *json_only)]

    def make(records):
        getters = [value for _, _, value in columns]  # attrgetters, lambdas and PageUrls
        table = [[get(record) for get in getters] for record in records]
        csv_lines = _Lines()
        csv.writer(csv_lines, lineterminator="\r\n").writerows(table)
        dump = _JSON.encode
        return [(line.encode("utf-8"),
                 ("  " + dump(dict(zip(names, values + [value(record) for _, _, value in json_only], strict=True))))
                 .encode("utf-8"))
                for line, values, record in zip(csv_lines, table, records, strict=True)]

    key = "open data|%s|%s|%s" % (name, request.script_root, request.blueprint)
    return publication.cached(key, lambda: publication.carried_values(key, rows, make))


def _csv_response(name, rows, columns, json_only=()):
    header = _Lines()
    csv.writer(header, lineterminator="\r\n").writerow([column for column, _, _ in columns])
    body = b"".join(["\ufeff".encode("utf-8"),  # the byte order mark lets Excel read UTF-8
                     header[0].encode("utf-8"), *(line for line, _ in _lines(name, rows, columns, json_only))])
    return current_app.response_class(body, mimetype="text/csv")


_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder for every record (json.dumps makes one a call)


def _json_response(title, name, rows, columns, json_only=()):
    """{"tieu_de", "nguon", "so_ban_ghi", "du_lieu": [records]}, one record a line (json's fast encoder)."""
    dump = _JSON.encode
    head = ["{", ' "tieu_de": %s,' % dump(title), ' "nguon": %s,' % dump(public_url(".open_data")),
            ' "so_ban_ghi": %d,' % len(rows), ' "du_lieu": [']
    body = ["\n".join(head).encode("utf-8"), b"\n"]
    if rows:
        body += [b",\n".join(line for _, line in _lines(name, rows, columns, json_only)), b"\n"]
    body.append(b" ]\n}\n")
    return current_app.response_class(b"".join(body), mimetype="application/json")


@bp.get("/du-lieu/ket-luan.csv")
def conclusions_csv():
    """Published conclusions as CSV (UTF-8 with BOM)."""
    return _csv_response("conclusions", publication.conclusions(), CONCLUSION_COLUMNS, CONCLUSION_JSON_ONLY)


@bp.get("/du-lieu/ket-luan.json")
def conclusions_json():
    """Published conclusions as JSON."""
    return _json_response("Kết luận đã công bố", "conclusions", publication.conclusions(), CONCLUSION_COLUMNS,
                          CONCLUSION_JSON_ONLY)


@bp.get("/du-lieu/lich-doi-thoai.csv")
def schedule_csv():
    """The public dialogue schedule as CSV (UTF-8 with BOM)."""
    return _csv_response("schedule", publication.dialogues(), DIALOGUE_COLUMNS)


@bp.get("/du-lieu/lich-doi-thoai.json")
def schedule_json():
    """The public dialogue schedule as JSON."""
    return _json_response("Lịch đối thoại", "schedule", publication.dialogues(), DIALOGUE_COLUMNS)


# ---------------------------------------------------------------- feed, calendar, sitemap


def _typed(body, filename):
    """A response typed as a web host types the file (Frozen-Flask checks that they agree)."""
    return current_app.response_class(body, mimetype=mimetypes.guess_type(filename)[0])


def atom_date(value):
    """A stored local time (Vietnam) as an Atom/RFC 3339 date."""
    return value.replace(microsecond=0).isoformat() + "+07:00"


@bp.get("/feed.xml")
def feed():
    """Atom feed of new and changed conclusions and dialogues."""
    entries = _feed_entries()
    updated = entries[0][1] if entries else None
    body = render_template("public/feed.xml", entries=entries, updated=updated, atom_date=atom_date)
    return _typed(body, "feed.xml")


def _feed_entries():
    entries = [("conclusion", c.updated_at, c.id, c) for c in publication.conclusions()]
    entries += [("dialogue", d.updated_at, d.id, d) for d in publication.dialogues()]
    entries.sort(key=lambda e: (e[1], e[0], e[2]), reverse=True)
    return entries[:FEED_ITEMS]


@bp.get("/lich-doi-thoai.ics")
def calendar():
    """The public schedule as iCalendar (RFC 5545), one event per dialogue."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Van phong UBND tinh//Dan biet//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Lịch đối thoại · Văn phòng UBND tỉnh")
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    for dialogue in publication.dialogues():
        url = public_url(".dialogue_page", slug=dialogue.slug)
        event = icalendar.Event()
        event.add("uid", "doi-thoai-%d@dan-biet" % dialogue.id)
        event.add("dtstamp", dialogue.updated_at.replace(tzinfo=models.TZ))
        event.add("dtstart", dialogue.starts_at.replace(tzinfo=models.TZ))
        if dialogue.ends_at:
            event.add("dtend", dialogue.ends_at.replace(tzinfo=models.TZ))
        postponed = dialogue.status == "postponed"
        event.add("summary", ("[Hoãn] " if postponed else "") + dialogue.title)
        if dialogue.place:
            event.add("location", dialogue.place)
        event.add("description", "%s. %s. Chủ trì: %s. Lĩnh vực: %s. Tình trạng: %s.\n%s" % (
            dialogue.kind_label, dialogue.audience_label, dialogue.chair,
            "; ".join(f.name for f in dialogue.fields), dialogue.status_label, url))
        event.add("url", url)
        event.add("status", "TENTATIVE" if postponed else "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return _typed(cal.to_ical(), "lich-doi-thoai.ics")


def _pages():
    """(relative endpoint, values) of every HTML page of the site, in a stable order."""
    pages = [(".home", {}), (".plans", {})]
    pages += [(".plan_page", {"year": p.year}) for p in publication.plans()]
    pages.append((".schedule", {}))
    for year in publication.dialogue_years():
        pages.append((".schedule_year", {"year": year}))
        pages += [(".schedule_year", {"year": year, "page": n})
                  for n in _listing_pages(len(publication.dialogues_in_year(year)))]
    pages += [(".dialogue_page", {"slug": d.slug}) for d in publication.dialogues()]
    pages.append((".conclusions", {}))
    pages += [(".conclusions", {"page": n}) for n in _listing_pages(len(publication.conclusions()))]
    pages += [(".conclusion_page", {"conclusion_id": c.id}) for c in publication.conclusions()]
    for field in publication.fields():
        pages.append((".field_conclusions", {"field_code": field.code}))
        pages += [(".field_conclusions", {"field_code": field.code, "page": n})
                  for n in _listing_pages(len(publication.conclusions_in_field(field.code)))]
    for year in publication.conclusion_years():
        pages.append((".year_conclusions", {"year": year}))
        pages += [(".year_conclusions", {"year": year, "page": n})
                  for n in _listing_pages(len(publication.conclusions_in_year(year)))]
    pages += [(".statistics", {}), (".request_dialogue", {}), (".search", {}), (".open_data", {})]
    return pages


@bp.get("/sitemap.xml")
def sitemap():
    """Every page of the site, with absolute URLs."""
    urls = [public_url(endpoint, **values) for endpoint, values in _pages()]
    return _typed(render_template("public/sitemap.xml", urls=urls), "sitemap.xml")


UNCHANGED = dt.datetime(2000, 1, 1)  # a last_modified older than any file a build writes


def page_key(endpoint, values):
    """A page's name in the signatures a build keeps (stable across builds)."""
    return "%s %r" % (endpoint, sorted(values.items()))


def page_signature(endpoint, values):
    """A digest of everything a page with arguments is rendered from (None when there is no such page).

    The records of publication.py are frozen dataclasses of plain values, so their repr is the
    page's data: summaries, unit and field names, statuses, dates, linked dialogue, paging.
    """
    found = PAGE_CONTEXTS[endpoint.rpartition(".")[2]](**values)
    if found is None:
        return None
    template, context = found
    parts = [template]
    for key, value in context.items():  # _describe(found), less its calls for the usual values
        parts.append(key)
        if type(value) in _SIGNED and value.signature:
            parts.append(value.signature)
        else:
            _describe(value, parts)
    return _page_digest(parts)


_PLAIN = frozenset((str, int, bool, type(None), dt.date, dt.datetime))


_SIGNED = frozenset((publication.PublicConclusion, publication.PublicDialogue))  # records with a signature


def _describe(value, parts):
    """The text of a page's template and context: its records' reprs (each worked out once a build)."""
    kind = type(value)
    if kind in _SIGNED and value.signature:
        parts.append(value.signature)
    elif kind in _PLAIN:
        parts.append(repr(value))
    elif kind is list or kind is tuple:
        parts.append("[%d" % len(value))
        first = type(value[0]) if value else None
        if dataclasses.is_dataclass(first) and all(type(item) is first for item in value):
            parts.extend(map(publication.record_repr, value))  # a list of records, as below but at once
            return
        for item in value:
            _describe(item, parts)
    elif isinstance(value, dict):
        parts.append("{%d" % len(value))
        for key, item in value.items():
            parts.append(repr(key))
            _describe(item, parts)
    elif isinstance(value, Listing):
        parts.append("Listing(total=%d, pages=%d, page=%r)" % (value.total, value.pages, value.page))
        _describe(value.items, parts)
    elif dataclasses.is_dataclass(value):
        parts.append(publication.record_repr(value))
    else:
        parts.append(repr(value))


# What each page without arguments is made from, besides the code and the content (the build's
# fingerprint): the same functions its view reads.
FIXED_PAGE_INPUTS = {
    "home": _home, "plans": publication.plans, "schedule": _schedule, "statistics": publication.statistics,
    "request_dialogue": lambda: publication.content_page("yeu-cau-doi-thoai"), "search": tuple,
    "open_data": _open_data, "not_found_page": tuple, "conclusions_csv": publication.conclusions,
    "conclusions_json": publication.conclusions, "schedule_csv": publication.dialogues,
    "schedule_json": publication.dialogues, "feed": _feed_entries, "calendar": publication.dialogues,
    "sitemap": lambda: repr(_pages()),  # plain values: their repr is all of it
}


def _signature(value):
    parts = []
    _describe(value, parts)
    return _page_digest(parts)


def _page_digest(parts):
    """A page's signature: a digest of its template's name and its context's description."""
    return hashlib.blake2b("\n".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def _each(function, pages):
    return [function(endpoint, values) for endpoint, values in pages]


def _dated(pages, signature, previous, signatures, mapper=None):
    """(endpoint, values[, last_modified]) of `pages`, as url_generators() says.

    `mapper(signature, pages)` gives the pages' signatures in order (build.py may share them
    out over processes); by default one after the other.
    """
    if previous is None and signatures is None:
        return pages
    dated = []
    for (endpoint, values), current in zip(pages, (mapper or _each)(signature, pages), strict=True):
        key = page_key(endpoint, values)
        if signatures is not None:
            signatures[key] = current
        if previous is None:
            dated.append((endpoint, values))
        else:
            dated.append((endpoint, values, UNCHANGED if previous.get(key) == current else None))
    return dated


def url_generators(previous=None, signatures=None, mapper=None):
    """(endpoint, values) of every public page that takes arguments, for Frozen-Flask.

    With `previous`, the signatures ({page_key: page_signature}) of the build carried forward,
    each page comes as (endpoint, values, last_modified): UNCHANGED when its signature is the
    same, so that Frozen-Flask keeps the file it finds; None when the page changed or is new.
    A dict `signatures` receives this build's signatures. Records read here are those the
    pages are rendered from (inside publication.build_cache(), one snapshot for both).

    The rows are read inside one connection and materialised before the first yield (a lazy
    cursor would outlive the connection while the freezer serves pages).
    """
    with models.db.connection_context():
        pages = [("public" + endpoint, values) for endpoint, values in _pages() if values]
        pages = _dated(pages, page_signature, previous, signatures, mapper)
    yield from pages


def fixed_page_generators(previous=None, signatures=None):
    """(endpoint, {}[, last_modified]) of every page and file without arguments, as url_generators().

    Their signature is that of what FIXED_PAGE_INPUTS gives for them (build.py registers this
    generator in place of Frozen-Flask's own for rules without arguments).
    """
    by_input = {}  # the open data and the calendar share their inputs: each digested once

    def signature(endpoint, values):
        source = FIXED_PAGE_INPUTS[endpoint.rpartition(".")[2]]
        if source not in by_input:
            by_input[source] = _signature(source())
        return by_input[source]

    with models.db.connection_context():
        pages = _dated([("public." + name, {}) for name in FIXED_PAGE_INPUTS], signature, previous, signatures)
    yield from pages


# ---------------------------------------------------------------- the two registrations


def _require_staff():
    """Preview pages are for signed-in staff only."""
    if g.get("user") is None:
        return redirect(flask.url_for("auth.login_get", next=request.path))
    return None


def register_preview(app):
    """Serve the public blueprint live under /xem-truoc/ in the internal app, behind login."""
    app.register_blueprint(bp, url_prefix="/xem-truoc", name="preview")
    app.before_request_funcs.setdefault("preview", []).append(_require_staff)


def create_public_app(config=None):
    """A Flask app with only the public blueprint, on the configured database (what build.py freezes)."""
    from views import filters

    app = flask.Flask(__name__, root_path=str(BASE_DIR), static_folder=None, template_folder=None)
    # Each build runs in a process of its own and compiled the templates it renders again (0.3 s
    # for all of them, as much as rendering a one-change rebuild's pages). Jinja's own cache keeps
    # the compiled code in a private folder of the system's temporary one, by template and source
    # checksum (and Jinja and Python version), so a changed template is compiled afresh.
    app.jinja_options = {**app.jinja_options, "bytecode_cache": jinja2.FileSystemBytecodeCache()}
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///" + str(BASE_DIR / "instance" / "doithoai.db")),
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", DEFAULT_BASE_URL),
    )
    if config:
        app.config.update(config)
    models.db.initialize(models.open_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _connect():
        models.db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not models.db.is_closed():
            models.db.close()

    @app.errorhandler(404)
    def _not_found(error):
        return render_template("public/not_found.html"), 404

    filters.register(app)
    app.context_processor(_template_globals)  # for the 404 handler, outside the blueprint
    app.register_blueprint(bp)
    return app
