"""The public site "Dân biết": its routes and its two registrations; data come only from publication.py.

The blueprint is registered at "/" in the public-only app that build.py freezes
(`create_public_app`) and a second time under /xem-truoc/ in the internal app, behind login
(`register_preview`). Templates link with relative endpoints (`url_for('.x')`), so the same
templates serve both registrations, and Frozen-Flask makes those links relative. What each page
is rendered from is in views.public_pages; URLs in views.public_urls; open data, feed, calendar
and sitemap in views.public_data and views.public_feeds.
"""
import os
from pathlib import Path

import flask
import jinja2
from flask import Blueprint, abort, current_app, g, redirect, render_template, request

import filters
import models
import publication
from services.text import xml_text
from views import public_pages as pages
from views.public_charts import bar_chart
from views.public_data import (
    CONCLUSION_COLUMNS,
    CONCLUSION_JSON_ONLY,
    DIALOGUE_COLUMNS,
    csv_body,
    json_body,
    local_iso,
)
from views.public_feeds import calendar as calendar_file
from views.public_feeds import feed_entries, site_pages, typed
from views.public_urls import BLUEPRINT, DEFAULT_BASE_URL, public_url, template_globals

BASE_DIR = Path(__file__).resolve().parent.parent

bp = Blueprint(BLUEPRINT, __name__, template_folder=str(BASE_DIR / "templates"),
               static_folder=str(BASE_DIR / "static" / "public"), static_url_path="/static/public")
bp.context_processor(template_globals)


def _render(found):
    """A page with arguments from its (template, context), or 404 when there is no such page."""
    if found is None:
        abort(404)
    template, context = found
    return render_template(template, **context)


# ---------------------------------------------------------------- pages


@bp.get("/")
def home():
    """Home: upcoming dialogues, the latest resolved conclusions, key figures."""
    return render_template("public/home.html", **pages.home())


@bp.get("/ke-hoach/")
def plans():
    """The yearly dialogue plans."""
    return render_template("public/plans.html", plans=publication.plans())


@bp.get("/ke-hoach/<int:year>/")
def plan_page(year):
    """One yearly plan, rendered from its Markdown."""
    return _render(pages.plan_page(year))


@bp.get("/lich-doi-thoai/")
def schedule():
    """The schedule: upcoming dialogues, then past ones grouped by year."""
    return render_template("public/schedule.html", **pages.schedule())


@bp.get("/lich-doi-thoai/nam/<int:year>/", defaults={"page": None})
@bp.get("/lich-doi-thoai/nam/<int:year>/trang/<int:page>/")
def schedule_year(year, page):
    """Every public dialogue of a year (numbered pages once there are many)."""
    return _render(pages.schedule_year(year, page))


@bp.get("/lich-doi-thoai/<slug>/")
def dialogue_page(slug):
    """A dialogue: its public facts and, once held, its published conclusions."""
    return _render(pages.dialogue_page(slug))


@bp.get("/ket-luan/", defaults={"page": None})
@bp.get("/ket-luan/trang/<int:page>/")
def conclusions(page):
    """Published conclusions, newest first (numbered pages count from the oldest)."""
    return _render(pages.conclusions(page))


@bp.get("/ket-luan/<int:conclusion_id>/")
def conclusion_page(conclusion_id):
    """A published conclusion: summary, responsible unit, deadline and dated status history."""
    return _render(pages.conclusion_page(conclusion_id))


@bp.get("/ket-luan/linh-vuc/<field_code>/", defaults={"page": None})
@bp.get("/ket-luan/linh-vuc/<field_code>/trang/<int:page>/")
def field_conclusions(field_code, page):
    """Published conclusions of one field."""
    return _render(pages.field_conclusions(field_code, page))


@bp.get("/ket-luan/nam/<int:year>/", defaults={"page": None})
@bp.get("/ket-luan/nam/<int:year>/trang/<int:page>/")
def year_conclusions(year, page):
    """Published conclusions of the notices signed in one year."""
    return _render(pages.year_conclusions(year, page))


@bp.get("/thong-ke/")
def statistics():
    """Figures and charts (SVG drawn from bar_chart's geometry, the same numbers in tables)."""
    stats = publication.statistics()
    return render_template("public/statistics.html", figures=stats.figures,
                           charts=[(series, bar_chart(series)) for series in stats.series])


@bp.get("/yeu-cau-doi-thoai/")
def request_dialogue():
    """How a citizen asks for a direct dialogue, and how to reach the office."""
    page = pages.request_dialogue()
    if page is None:
        abort(404)
    # The citizens' intake service, when there is one: its form and its lookup (absolute, on another host).
    return render_template("public/page.html", page=page, intake_url=current_app.config.get("INTAKE_PUBLIC_URL"))


@bp.get("/tim-kiem/")
def search():
    """The search page (the index is built with the static site)."""
    return render_template("public/search.html")


@bp.get("/404.html")
def not_found_page():
    """The not-found page, as a file the web host serves for any missing address."""
    return render_template("public/not_found.html")


# ---------------------------------------------------------------- open data


@bp.get("/du-lieu/")
def open_data():
    """Open data: the files and their columns."""
    return render_template("public/open_data.html", conclusion_columns=CONCLUSION_COLUMNS,
                           conclusion_json_only=CONCLUSION_JSON_ONLY, dialogue_columns=DIALOGUE_COLUMNS,
                           **pages.open_data())


@bp.get("/du-lieu/ket-luan.csv")
def conclusions_csv():
    """Published conclusions as CSV (UTF-8 with BOM)."""
    body = csv_body("conclusions", publication.conclusions(), CONCLUSION_COLUMNS, CONCLUSION_JSON_ONLY)
    return current_app.response_class(body, mimetype="text/csv")


@bp.get("/du-lieu/ket-luan.json")
def conclusions_json():
    """Published conclusions as JSON."""
    body = json_body("Kết luận đã công bố", "conclusions", publication.conclusions(), CONCLUSION_COLUMNS,
                     CONCLUSION_JSON_ONLY)
    return current_app.response_class(body, mimetype="application/json")


@bp.get("/du-lieu/lich-doi-thoai.csv")
def schedule_csv():
    """The public dialogue schedule as CSV (UTF-8 with BOM)."""
    return current_app.response_class(csv_body("schedule", publication.dialogues(), DIALOGUE_COLUMNS),
                                      mimetype="text/csv")


@bp.get("/du-lieu/lich-doi-thoai.json")
def schedule_json():
    """The public dialogue schedule as JSON."""
    body = json_body("Lịch đối thoại", "schedule", publication.dialogues(), DIALOGUE_COLUMNS)
    return current_app.response_class(body, mimetype="application/json")


# ---------------------------------------------------------------- feed, calendar, sitemap


@bp.get("/feed.xml")
def feed():
    """Atom feed of new and changed conclusions and dialogues."""
    entries = feed_entries()
    updated = entries[0][1] if entries else None
    body = xml_text(render_template("public/feed.xml", entries=entries, updated=updated, atom_date=local_iso))
    return typed(body, "feed.xml")


@bp.get("/lich-doi-thoai.ics")
def calendar():
    """The public schedule as iCalendar (RFC 5545), one event per dialogue."""
    return typed(calendar_file(), "lich-doi-thoai.ics")


@bp.get("/sitemap.xml")
def sitemap():
    """Every page of the site, with absolute URLs."""
    urls = [public_url(endpoint, **values) for endpoint, values in site_pages()]
    return typed(render_template("public/sitemap.xml", urls=urls), "sitemap.xml")


# ---------------------------------------------------------------- the two registrations


PREVIEW_ROLES = ("coordinator", "leader", "chief")  # who reviews what goes public (README)


def _require_staff():
    """Preview pages are for the coordinator, the leaders and the chief, signed in."""
    if g.get("user") is None:
        return redirect(flask.url_for("auth.login_get", next=request.path))
    if g.user.role not in PREVIEW_ROLES:
        abort(403)
    return None


def register_preview(app):
    """Serve the public blueprint live under /xem-truoc/ in the internal app, behind login."""
    app.register_blueprint(bp, url_prefix="/xem-truoc", name="preview")
    app.before_request_funcs.setdefault("preview", []).append(_require_staff)


def create_public_app(config=None):
    """A Flask app with only the public blueprint, on the configured database (what build.py freezes)."""
    app = flask.Flask(__name__, root_path=str(BASE_DIR), static_folder=None, template_folder=None)
    # Each build runs in a process of its own and compiled the templates it renders again (0.3 s
    # for all of them, as much as rendering a one-change rebuild's pages). Jinja's own cache keeps
    # the compiled code in a private folder of the system's temporary one, by template and source
    # checksum (and Jinja and Python version), so a changed template is compiled afresh.
    app.jinja_options = {**app.jinja_options, "bytecode_cache": jinja2.FileSystemBytecodeCache()}
    app.config.update(
        DATABASE_URL=os.environ.get("DATABASE_URL", "sqlite:///" + str(BASE_DIR / "instance" / "doithoai.db")),
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", DEFAULT_BASE_URL),
        INTAKE_PUBLIC_URL=os.environ.get("INTAKE_PUBLIC_URL", ""),
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
    app.context_processor(template_globals)  # for the 404 handler, outside the blueprint
    app.register_blueprint(bp)
    return app
