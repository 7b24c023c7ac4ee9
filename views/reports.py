"""The routes of the reports (báo cáo 6 tháng, năm, and for any period) and of the register's exports.

List, create, figures with the lists they count, narrative, submit and approval (numbered,
frozen), exports (DOCX, XLSX, CSV); the opinion register as XLSX and CSV.
"""
import functools

import peewee as pw
from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for

from forms import parse_id
from forms.opinions import register_filters
from forms.reports import ApproveForm, EditReportForm, NewReportForm, StatusForm
from models import (
    CONCLUSION_STATUSES,
    REPORT_KINDS,
    STATUTORY_REPORT_KINDS,
    AuditLog,
    Plan,
    Report,
    StatusChange,
    TransitionError,
    today,
)
from services import report_exports, reports
from services.reports import REPORT_STATUSES, status_label
from views.auth import roles_required
from views.common import Page, Refused, edit_with_conflict, get_or_404, page_arg

bp = Blueprint("reports", __name__, url_prefix="/bao-cao")

READERS = ("coordinator", "leader", "chief")  # reports count every unit's records
EDITORS = ("coordinator", "chief")  # TCHCQT compiles; the chief may correct before approving
APPROVERS = ("chief",)

bp.add_app_template_global(reports.title_of, "report_title")


@bp.context_processor
def _globals():
    return {"REPORT_KINDS": REPORT_KINDS, "CONCLUSION_STATUSES": CONCLUSION_STATUSES,
            "REPORT_STATUSES": REPORT_STATUSES, "status_label": status_label,
            "number_text": reports.number_text, "figure_key": reports.figure_key}


def _report_or_404(report_id):
    return get_or_404(Report.with_plan().where(Report.id == report_id))


def _conflict_fields(current):
    current.updated_by_name = AuditLog.last_editor_name(current)
    return [("Trạng thái", status_label(current)),
            ("Ngày chốt số liệu", current.cutoff.strftime("%d/%m/%Y") if current.cutoff else ""),
            ("Nơi nhận", ", ".join(reports.lines(current.recipients))), ("Nội dung", current.narrative_md)]


def _to_detail(message):
    """After a step: its message, and the report's page (303)."""
    return lambda report: (message(report), url_for("reports.detail_get", report_id=report.id))


# ---------------------------------------------------------------- list and create

@bp.get("/")
@roles_required(*READERS)
def list_get():
    """The plans, newest first, each with its 6-month and annual report (or the button to start it); then the
    reports for other periods, newest period first."""
    plans = list(Plan.select().order_by(Plan.year.desc()))
    by_plan = {}
    for report in Report.select().where(Report.plan.in_([p.id for p in plans] or [0]),
                                        Report.kind.in_(STATUTORY_REPORT_KINDS)):
        by_plan[(report.plan_id, report.kind)] = report
    periodic = list(Report.with_plan().where(Report.kind.not_in(STATUTORY_REPORT_KINDS))
                    .order_by(Report.period_end.desc(), Report.period_start.desc(), Report.id.desc()))
    on = today()
    rows = []
    for plan in plans:
        for kind in STATUTORY_REPORT_KINDS:
            due = reports.due_date(plan, kind)
            rows.append({"plan": plan, "kind": kind, "due": due, "days_left": (due - on).days,
                         "report": by_plan.get((plan.id, kind))})
    return render_template("staff/reports/list.html", rows=rows, periodic=periodic, can_create=g.user.role in EDITORS)


def _new_page(form, errors=None, current=None):
    defaults = [(p, kind, reports.default_cutoff(p, kind)) for p in form.plans for kind in STATUTORY_REPORT_KINDS]
    return render_template("staff/reports/new.html", form=form, errors=errors or {}, defaults=defaults)


@bp.get("/moi")
@roles_required(*EDITORS)
def new_get():
    """The form: plan, kind and cut-off date (empty = the day before the due date)."""
    form = NewReportForm(formdata=None)
    plan_arg, kind = request.args.get("plan", ""), request.args.get("kind", "")
    current = Plan.get_or_none(Plan.year == today().year)
    form.plan_id.data = parse_id(plan_arg) or (current.id if current else None)
    if kind in REPORT_KINDS:
        form.kind.data = kind
    elif current is not None and form.plan_id.data == current.id:
        form.kind.data = "midyear" if today() <= reports.due_date(current, "midyear") else "annual"
    if form.plan is not None and form.kind.data in STATUTORY_REPORT_KINDS:
        form.cutoff.data = reports.default_cutoff(form.plan, form.kind.data)
    form.month.data = str(today().month)
    form.quarter.data = str((today().month - 1) // 3 + 1)
    return _new_page(form)


@bp.post("/moi")
@roles_required(*EDITORS)
def new_post():
    """Create the draft with the narrative outline and the default recipients."""
    def save(form):
        plan, kind = form.plan, form.kind.data
        try:
            if kind not in STATUTORY_REPORT_KINDS:
                return reports.create(plan, kind, None, g.user, period=form.period)
            return reports.create(plan, kind, form.cutoff.data or reports.default_cutoff(plan, kind), g.user)
        except pw.IntegrityError:  # created by someone else a moment ago
            form.kind.errors.append(form.taken(kind))
            raise Refused(form.first_errors()) from None

    return edit_with_conflict(NewReportForm(), _new_page, save,
                              _to_detail(lambda report: "Đã lập %s (dự thảo)." % reports.title_of(report).lower()))


# ---------------------------------------------------------------- one report

def _detail(report, status_form=None, status_errors=None, conflict=None):
    return render_template(
        "staff/reports/detail.html", report=report, figures=reports.figures_of(report),
        history=list(StatusChange.for_object(report)), recipients=reports.recipients_of(report),
        due=reports.due_date(report.plan, report.kind) if report.kind in STATUTORY_REPORT_KINDS else None,
        start=report.period_start or reports.period_start(report.plan), on=today(),
        can_edit=g.user.role in EDITORS, can_approve=g.user.role in APPROVERS, status_form=status_form,
        status_errors=status_errors or {}, conflict=conflict,
        conflict_fields=_conflict_fields(conflict) if conflict else [])


def _detail_again(report, form, errors=None, current=None):
    """The page again after a step failed: with the errors, or with the version someone else saved."""
    if current is not None:
        current.plan = report.plan
    return _detail(current or report, form, errors, conflict=current)


@bp.get("/<int:report_id>")
@roles_required(*READERS)
def detail_get(report_id):
    """The figures as tables (each number links to what it counts), the narrative, the steps."""
    return _detail(_report_or_404(report_id))


def _edit_page(report, form, errors=None, current=None):
    """The draft's form; once submitted or approved, why it cannot be edited; with a conflict, their version."""
    if current is not None:
        current.plan = report.plan
        if current.status != "draft":
            report, current = current, None
    blocked = None
    if report.status != "draft":
        blocked = ("Báo cáo đã được phê duyệt: nội dung và số liệu đã chốt, không sửa được nữa."
                   if report.status == "approved" else
                   "Báo cáo đang trình duyệt: cần rút lại (chuyển về dự thảo) trước khi sửa.")
    return render_template("staff/reports/edit.html", report=report, form=form, blocked=blocked,
                           errors=errors or {}, current=current,
                           current_fields=_conflict_fields(current) if current else [])


@bp.get("/<int:report_id>/sua")
@roles_required(*EDITORS)
def edit_get(report_id):
    """Edit the narrative, the recipients and the cut-off of a draft."""
    report = _report_or_404(report_id)
    form = EditReportForm(formdata=None, report=report, data={
        "cutoff": report.cutoff, "narrative_md": report.narrative_md,
        "recipients": "\n".join(reports.recipients_of(report)), "version": report.version})
    return _edit_page(report, form), 200 if report.status == "draft" else 409


@bp.post("/<int:report_id>/sua")
@roles_required(*EDITORS)
def edit_post(report_id):
    """Save unless someone saved since it was opened (409 with their text); refused once not a draft."""
    report = _report_or_404(report_id)
    form = EditReportForm(report=report)
    if report.status != "draft":
        return _edit_page(report, form), 409
    return edit_with_conflict(form, functools.partial(_edit_page, report),
                              lambda form: reports.save_draft(report, form.version.data, g.user, form.values()),
                              _to_detail(lambda saved: "Đã lưu báo cáo."))


@bp.post("/<int:report_id>/trang-thai")
@roles_required(*EDITORS)
def status_post(report_id):
    """Submit a draft to the chief, or take a submitted one back to draft (with a reason)."""
    report = _report_or_404(report_id)
    form = StatusForm()
    try:
        return edit_with_conflict(
            form, functools.partial(_detail_again, report),
            lambda form: reports.change_status(report, form.to.data, (form.note.data or "").strip(), g.user,
                                               form.version.data),
            _to_detail(lambda saved: "Báo cáo: %s." % REPORT_STATUSES[saved.status].lower()))
    except TransitionError as error:  # not a step from here: an approved report is past every step
        return _detail(report, form, {"to": str(error)}), 409 if report.status == "approved" else 422


def _approval_again(report, form, errors=None, current=None):
    if form.version.errors:  # the approval form has nothing else to get wrong: a forged or broken post
        abort(400)
    return _detail_again(report, form, errors, current)


@bp.post("/<int:report_id>/phe-duyet")
@roles_required(*APPROVERS)
def approve_post(report_id):
    """Only the chief approves; the report is then numbered and frozen."""
    report = _report_or_404(report_id)
    form = ApproveForm()
    try:
        return edit_with_conflict(
            form, functools.partial(_approval_again, report),
            lambda form: reports.approve(report, g.user, int(form.version.data), (form.note.data or "").strip()),
            _to_detail(lambda saved: "Đã phê duyệt báo cáo, số %s." % reports.number_text(saved.number)))
    except TransitionError as error:
        return _detail(report, form, {"approve": str(error)}), 409


# ---------------------------------------------------------------- the lists behind the figures

class _Ids(list):
    """Ids in the report's order, paginated by views.common.Page."""

    def count(self):
        return len(self)

    def paginate(self, page, per_page):
        return self[(page - 1) * per_page:page * per_page]


@bp.get("/<int:report_id>/danh-sach/<key>")
@roles_required(*READERS)
def figure_list_get(report_id, key):
    """Exactly the records one figure counts (frozen with the figures once approved), paginated."""
    report = _report_or_404(report_id)
    figures = reports.figures_of(report)
    found = reports.figure_members(figures, key)
    if found is None:
        abort(404)
    table, row_label, column_label, domain, ids = found
    states = {r["id"]: r.get("status") for r in figures["records"][domain]}
    page = Page(_Ids(ids), page_arg(), current_app.config["PER_PAGE"])
    page.items = reports.figure_records(domain, page.items, g.user)
    return render_template("staff/reports/figure_list.html", report=report, table=table, row_label=row_label,
                           column_label=column_label, domain=domain, page=page, states=states, figures=figures)


# ---------------------------------------------------------------- exports

def _download(data, filename, ext):
    response = Response(data, mimetype=report_exports.CONTENT_TYPES[ext])
    response.headers["Content-Disposition"] = "attachment; filename=\"%s\"" % filename
    return response


def _report_download(report_id, ext):
    report = _report_or_404(report_id)
    data = report_exports.report_file(report, ext, g.user, province=current_app.config["PROVINCE_NAME"],
                                      place=current_app.config["DOCUMENT_PLACE"])
    kind = "6-thang" if report.kind == "midyear" else "nam"
    return _download(data, "bao-cao-%s-%d.%s" % (kind, report.plan.year, ext), ext)


@bp.get("/<int:report_id>.xlsx")
@roles_required(*READERS)
def report_xlsx(report_id):
    """The report's tables as a workbook (one sheet per table)."""
    return _report_download(report_id, "xlsx")


@bp.get("/<int:report_id>.csv")
@roles_required(*READERS)
def report_csv(report_id):
    """The report's tables as CSV (UTF-8 with BOM)."""
    return _report_download(report_id, "csv")


@bp.get("/<int:report_id>.docx")
@roles_required(*READERS)
def report_docx(report_id):
    """The report as an administrative document (Decree 30/2020/NĐ-CP) for printing and signing."""
    return _report_download(report_id, "docx")


def _register_download(ext):
    data = report_exports.register_file(g.user, register_filters(request.args), ext)
    return _download(data, "so-theo-doi-y-kien-%s.%s" % (today().strftime("%Y%m%d"), ext), ext)


@bp.get("/so-theo-doi.xlsx")
@roles_required("specialist", "unit_head", "coordinator", "leader", "chief")
def register_xlsx():
    """The opinion register as XLSX: same filters and visibility as the register page."""
    return _register_download("xlsx")


@bp.get("/so-theo-doi.csv")
@roles_required("specialist", "unit_head", "coordinator", "leader", "chief")
def register_csv():
    """The opinion register as CSV (UTF-8 with BOM)."""
    return _register_download("csv")
