"""Every DOCX type the app exports, printed by LibreOffice and read back as a reader sees it.

All documents of a test worker are made once from the demo data (by the same code the download
routes call) and converted in one soffice call (tests/rendering.py). Checked on each: every rendered
word is a word of the document (none broken by a narrow column), the governing and issuing bodies,
the national title, the motto and the date line each on one line, and every line of the summary
but its last at least 60 % of the text width.
"""
import datetime as dt
import io
import shutil

import peewee as pw
import pytest

import models
from services import minutes, notice_drafts, notices, report_exports, reports
from services.documents import render_docx
from tests import rendering
from tests.conftest import user

PROVINCE, PLACE = "Bình Định", "Quy Nhơn"
KINDS = ["notice", "notice_draft", "correction", "report_midyear", "report_annual", "report_monthly",
         "report_quarterly", "report_nine_month", "report_range", "minutes"]


def _documents():
    """{name: AdministrativeDocument} of every kind the app exports, made from the demo data."""
    signed = (models.ConclusionNotice.select().where(models.ConclusionNotice.status == "signed")
              .order_by(pw.fn.LENGTH(models.ConclusionNotice.title).desc(), models.ConclusionNotice.id))
    notice = signed.first()
    draft = models.ConclusionNotice.select().where(models.ConclusionNotice.status != "signed").first()
    existing = models.ConclusionNotice.get_or_none(models.ConclusionNotice.supersedes == notice.id)
    correction = existing or notices.correction_of(notice, user("coordinator"))
    plan = models.Plan.of_year(2022).get()
    midyear = models.Report.with_plan().where(models.Report.plan == plan.id, models.Report.kind == "midyear").get()
    annual = reports.create(plan, "annual", reports.default_cutoff(plan, "annual"), user("coordinator"))
    annual.narrative_md = midyear.narrative_md
    quarterly = reports.create(plan, "quarterly", None, user("coordinator"),
                               period=reports.period_of("quarterly", 2022, quarter=2))
    monthly = reports.create(plan, "monthly", None, user("coordinator"),
                             period=reports.period_of("monthly", 2022, month=3))
    nine_month = reports.create(plan, "nine_month", None, user("coordinator"),
                                period=reports.period_of("nine_month", 2022))
    span = reports.create(plan, "range", None, user("coordinator"),
                          period=reports.period_of("range", start=dt.date(2022, 2, 15), end=dt.date(2022, 11, 30)))
    out = {"notice": notice_drafts.administrative_document(notice, PROVINCE, PLACE),
           "notice_draft": notice_drafts.administrative_document(draft, PROVINCE, PLACE),
           "correction": notice_drafts.administrative_document(correction, PROVINCE, PLACE)}
    for name, report in (("report_midyear", midyear), ("report_annual", annual), ("report_monthly", monthly),
                         ("report_quarterly", quarterly), ("report_nine_month", nine_month), ("report_range", span)):
        out[name] = report_exports.report_document(report, reports.figures_of(report), PROVINCE, PLACE)
    held = (models.Dialogue.select(models.Dialogue, pw.fn.COUNT(models.Opinion.id).alias("raised"))
            .join(models.Opinion, on=(models.Opinion.dialogue == models.Dialogue.id))
            .where(models.Dialogue.status.in_(("held", "concluded", "completed")))
            .group_by(models.Dialogue.id).order_by(pw.fn.COUNT(models.Opinion.id).desc(), models.Dialogue.id).first())
    held.secretary = "Bà Trần Thị Mai, chuyên viên Phòng Tổ chức - Hành chính - Quản trị"
    held.attendance_leaders, held.attendance_staff = 5, held.attendance - 5
    held.save()
    for opinion in minutes.raised_opinions(held):
        models.MinutesAnswer.create(dialogue=held.id, opinion=opinion.id, answer=opinion.draft_answer or "Đã trả lời.",
                                    direction="Giao đơn vị được phân công giải quyết, báo cáo kết quả.")
    out["minutes"] = minutes.administrative_document(held, PROVINCE, PLACE)
    assert sorted(out) == sorted(KINDS)
    return out


@pytest.fixture(scope="module")
def rendered(demo_db_file, tmp_path_factory):
    """{name: (document, the DOCX's words, rendered lines, pages)}: one soffice call for all of them."""
    missing = rendering.tools_missing()
    if missing:
        pytest.fail("%s not installed: `make test` installs LibreOffice and poppler-utils with apt-get."
                    % ", ".join(missing))
    folder = tmp_path_factory.mktemp("rendering")
    database = folder / "demo.db"
    shutil.copy(demo_db_file, database)
    models.db.initialize(models.open_database("sqlite:///%s" % database))
    try:
        with models.db.connection_context():
            made = _documents()
    finally:
        models.db.close()
    paths = []
    for name, doc in made.items():
        path = folder / ("%s.docx" % name)
        path.write_bytes(render_docx(doc))
        paths.append(path)
    pdfs = rendering.convert(paths, folder)
    out = {}
    for path in paths:
        lines = rendering.read_lines(pdfs[path.stem])
        out[path.stem] = (made[path.stem], rendering.docx_tokens(io.BytesIO(path.read_bytes())), lines,
                          max(line.page for line in lines))
    return out


@pytest.mark.parametrize("name", KINDS)
def test_every_rendered_word_is_a_word_of_the_document(rendered, name):
    doc, written, lines, pages = rendered[name]
    assert len(lines) > 20
    assert rendering.foreign_words(lines, written, pages) == []


@pytest.mark.parametrize("name", KINDS)
def test_header_texts_each_on_one_line(rendered, name):
    doc, written, lines, pages = rendered[name]
    assert rendering.broken_header_lines(doc, lines) == []


@pytest.mark.parametrize("name", KINDS)
def test_summary_lines_span_the_text_width(rendered, name):
    doc, written, lines, pages = rendered[name]
    assert rendering.narrow_summary_lines(doc, lines) == []

