"""Báo cáo 6 tháng, báo cáo năm: list, create, figures with the lists they count, narrative,
submit and approval (numbered, frozen), exports (DOCX, XLSX, CSV); the register as XLSX and CSV."""
import json

import peewee as pw
from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from wtforms import DateField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from forms import BaseForm, IdSelectField, parse_id
from models import (
    CONCLUSION_STATUSES,
    MASK,
    REPORT_KINDS,
    AuditLog,
    Conclusion,
    ConclusionNotice,
    ConflictError,
    Dialogue,
    Opinion,
    Plan,
    Report,
    StatusChange,
    TransitionError,
    Unit,
    User,
    audit,
    db,
    now,
    record_transition,
    save_versioned,
    today,
)
from services import reports
from views.auth import roles_required
from views.common import Page, page_arg

bp = Blueprint("reports", __name__, url_prefix="/bao-cao")

READERS = ("coordinator", "leader", "chief")  # reports count every unit's records
EDITORS = ("coordinator", "chief")  # TCHCQT compiles; the chief may correct before approving
APPROVERS = ("chief",)
REPORT_STATUSES = {"draft": "Dự thảo", "submitted": "Đã trình duyệt", "approved": "Đã phê duyệt"}
DEFAULT_RECIPIENTS = ["UBND tỉnh;", "Ban Dân vận Tỉnh ủy;", "Sở Nội vụ;", "LĐVP;"]
NARRATIVE_TEMPLATE = """## I. KẾT QUẢ THỰC HIỆN

### 1. Công tác triển khai, tổ chức đối thoại

### 2. Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị

## II. ĐÁNH GIÁ CHUNG

### 1. Ưu điểm

### 2. Tồn tại, hạn chế và nguyên nhân

## III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI

## IV. KIẾN NGHỊ, ĐỀ XUẤT
"""


# ---------------------------------------------------------------- forms

def _in_plan_year(plan_of):
    def check(form, field):
        plan = plan_of(form)
        if field.data and plan is not None:
            if field.data.year != plan.year:
                raise ValidationError("Ngày chốt số liệu phải thuộc năm %d của kế hoạch." % plan.year)
    return check


class NewReportForm(BaseForm):
    plan_id = IdSelectField("Kế hoạch")
    kind = SelectField("Loại báo cáo", choices=[SelectChoice(k, v) for k, v in REPORT_KINDS.items()],
                       default="midyear", invalid_choice_message="Loại báo cáo không hợp lệ.")
    cutoff = DateField("Ngày chốt số liệu", validators=[Optional(), _in_plan_year(lambda f: f.plan)],
                       invalid_value_message="Ngày không hợp lệ (nhập theo dạng dd/mm/yyyy).")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plans = list(Plan.select().order_by(Plan.year.desc()))
        self.plan_id.choices = [SelectChoice(p.id, "Năm %d — %s" % (p.year, p.title)) for p in self.plans]

    @property
    def plan(self):
        return next((p for p in self.plans if p.id == self.plan_id.data), None)

    def validate_plan_id(self, field):
        if field.data is None:
            raise ValidationError("Vui lòng chọn kế hoạch.")
        if self.plan is None:
            raise ValidationError("Kế hoạch không tồn tại.")

    def validate_kind(self, field):
        if self.plan is not None and Report.select().where(Report.plan == self.plan.id,
                                                           Report.kind == field.data).exists():
            raise ValidationError("Kế hoạch năm %d đã có %s." % (self.plan.year, REPORT_KINDS[field.data].lower()))


class EditReportForm(BaseForm):
    cutoff = DateField("Ngày chốt số liệu", validators=[_in_plan_year(lambda f: f.report.plan)],
                       invalid_value_message="Ngày không hợp lệ (nhập theo dạng dd/mm/yyyy).")
    narrative_md = TextAreaField("Nội dung báo cáo (Markdown)", validators=[
        Length(max=100000, message="Tối đa 100.000 ký tự.")])
    recipients = TextAreaField("Nơi nhận (mỗi dòng một nơi)", validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    version = HiddenField()

    def __init__(self, *args, report=None, **kwargs):
        self.report = report
        super().__init__(*args, **kwargs)

    def validate_cutoff(self, field):
        if field.data is None:
            raise ValidationError("Vui lòng nhập ngày chốt số liệu.")

    def validate_recipients(self, field):
        if not _lines(field.data):
            raise ValidationError("Vui lòng nhập ít nhất một nơi nhận.")

    def validate_version(self, field):
        if parse_id(field.data) is None:
            raise ValidationError("Thiếu số phiên bản của báo cáo; vui lòng tải lại trang.")

    def values(self):
        return {"cutoff": self.cutoff.data, "narrative_md": (self.narrative_md.data or "").strip() + "\n",
                "recipients": "\n".join(_lines(self.recipients.data))}


class StatusForm(BaseForm):
    to = SelectField("Chuyển sang", choices=[SelectChoice(k, v) for k, v in REPORT_STATUSES.items()],
                     invalid_choice_message="Trạng thái không hợp lệ.")
    note = TextAreaField("Ghi chú, lý do", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])
    version = HiddenField()

    def validate_version(self, field):
        if parse_id(field.data) is None:
            raise ValidationError("Thiếu số phiên bản của báo cáo; vui lòng tải lại trang.")

    def validate_note(self, field):
        if self.to.data == "draft" and not (field.data or "").strip():
            raise ValidationError("Vui lòng ghi lý do trả lại, rút lại báo cáo.")


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# ---------------------------------------------------------------- helpers

def _report_or_404(report_id):
    report = Report.select(Report, Plan).join(Plan).where(Report.id == report_id).first()
    if report is None:
        abort(404)
    return report


def status_label(report):
    return REPORT_STATUSES.get(report.status, report.status)


def figures_of(report):
    """The frozen figures of an approved report; the live ones otherwise."""
    if report.status == "approved" and report.figures_json:
        return json.loads(report.figures_json)
    return reports.compute_figures(report.plan, report.kind, report.cutoff)


def recipients_of(report):
    return _lines(report.recipients) or list(DEFAULT_RECIPIENTS)


def _history(report):
    return list(StatusChange.for_object(report))


@bp.app_template_global("report_title")
def report_title(report):
    """"Báo cáo 6 tháng năm 2022", "Báo cáo năm 2022"."""
    if report.kind == "annual":
        return "Báo cáo năm %d" % report.plan.year
    return "%s năm %d" % (REPORT_KINDS.get(report.kind, report.kind), report.plan.year)


@bp.context_processor
def _globals():
    return {"REPORT_KINDS": REPORT_KINDS, "CONCLUSION_STATUSES": CONCLUSION_STATUSES,
            "REPORT_STATUSES": REPORT_STATUSES, "status_label": status_label,
            "number_text": reports.number_text, "figure_key": reports.figure_key}


def _conflict_fields(current):
    current.updated_by_name = AuditLog.last_editor_name(current)
    return [("Trạng thái", status_label(current)),
            ("Ngày chốt số liệu", current.cutoff.strftime("%d/%m/%Y") if current.cutoff else ""),
            ("Nơi nhận", ", ".join(_lines(current.recipients))), ("Nội dung", current.narrative_md)]


# ---------------------------------------------------------------- list and create

@bp.get("/")
@roles_required(*READERS)
def list_get():
    """The plans, newest first, each with its 6-month and annual report (or the button to start it)."""
    plans = list(Plan.select().order_by(Plan.year.desc()))
    by_plan = {}
    for report in Report.select().where(Report.plan.in_([p.id for p in plans] or [0])):
        by_plan[(report.plan_id, report.kind)] = report
    on = today()
    rows = []
    for plan in plans:
        for kind in REPORT_KINDS:
            due = reports.due_date(plan, kind)
            rows.append({"plan": plan, "kind": kind, "due": due, "days_left": (due - on).days,
                         "report": by_plan.get((plan.id, kind))})
    return render_template("staff/reports/list.html", rows=rows, can_create=g.user.role in EDITORS)


def _new_page(form, code=200):
    defaults = [(p, kind, reports.default_cutoff(p, kind)) for p in form.plans for kind in REPORT_KINDS]
    return render_template("staff/reports/new.html", form=form, errors=form.first_errors() if code != 200 else {},
                           defaults=defaults), code


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
    if form.plan is not None:
        form.cutoff.data = reports.default_cutoff(form.plan, form.kind.data)
    return _new_page(form)


@bp.post("/moi")
@roles_required(*EDITORS)
def new_post():
    """Create the draft with the narrative outline and the default recipients."""
    form = NewReportForm()
    if not form.validate():
        return _new_page(form, 422)
    plan, kind = form.plan, form.kind.data
    cutoff = form.cutoff.data or reports.default_cutoff(plan, kind)
    try:
        with db.atomic():
            report = Report.create(plan=plan.id, kind=kind, cutoff=cutoff, narrative_md=NARRATIVE_TEMPLATE,
                                   recipients="\n".join(DEFAULT_RECIPIENTS), status="draft")
            record_transition(report, g.user, "", "draft", "Lập báo cáo")
            audit(g.user, "create", report, {"plan": (None, plan.id), "kind": (None, kind),
                                             "cutoff": (None, cutoff)},
                  summary="Lập %s" % report_title(report).lower())
    except pw.IntegrityError:  # created by someone else a moment ago
        form.kind.errors.append("Kế hoạch năm %d đã có %s." % (plan.year, REPORT_KINDS[kind].lower()))
        return _new_page(form, 422)
    flash("Đã lập %s (dự thảo)." % report_title(report).lower(), "success")
    return redirect(url_for("reports.detail_get", report_id=report.id), code=303)


# ---------------------------------------------------------------- one report

def _detail(report, code=200, status_form=None, status_errors=None, conflict=None):
    figures = figures_of(report)
    return render_template(
        "staff/reports/detail.html", report=report, figures=figures, history=_history(report),
        recipients=recipients_of(report), due=reports.due_date(report.plan, report.kind),
        start=reports.period_start(report.plan), on=today(), can_edit=g.user.role in EDITORS,
        can_approve=g.user.role in APPROVERS, status_form=status_form, status_errors=status_errors or {},
        conflict=conflict, conflict_fields=_conflict_fields(conflict) if conflict else []), code


@bp.get("/<int:report_id>")
@roles_required(*READERS)
def detail_get(report_id):
    """The figures as tables (each number links to what it counts), the narrative, the steps."""
    return _detail(_report_or_404(report_id))


def _edit_page(report, form, code=200, current=None):
    blocked = None
    if report.status != "draft":
        blocked = ("Báo cáo đã được phê duyệt: nội dung và số liệu đã chốt, không sửa được nữa."
                   if report.status == "approved" else
                   "Báo cáo đang trình duyệt: cần rút lại (chuyển về dự thảo) trước khi sửa.")
    return render_template("staff/reports/edit.html", report=report, form=form, blocked=blocked,
                           errors=form.first_errors() if code == 422 else {}, current=current,
                           current_fields=_conflict_fields(current) if current else []), code


@bp.get("/<int:report_id>/sua")
@roles_required(*EDITORS)
def edit_get(report_id):
    """Edit the narrative, the recipients and the cut-off of a draft."""
    report = _report_or_404(report_id)
    form = EditReportForm(formdata=None, report=report, data={
        "cutoff": report.cutoff, "narrative_md": report.narrative_md,
        "recipients": "\n".join(recipients_of(report)), "version": report.version})
    return _edit_page(report, form, 200 if report.status == "draft" else 409)


@bp.post("/<int:report_id>/sua")
@roles_required(*EDITORS)
def edit_post(report_id):
    """Save unless someone saved since it was opened (409 with their text); refused once not a draft."""
    report = _report_or_404(report_id)
    form = EditReportForm(report=report)
    if report.status != "draft":
        return _edit_page(report, form, 409)
    if not form.validate():
        return _edit_page(report, form, 422)
    try:
        with db.atomic():
            current = Report.get_by_id(report.id)
            if current.status != "draft":  # approved or submitted since the page was opened
                raise ConflictError(current)
            save_versioned(report, form.version.data, g.user, form.values(),
                           summary="Sửa %s" % report_title(report).lower())
    except ConflictError as error:
        current = error.current
        current.plan = report.plan
        form.version.data = current.version
        if current.status != "draft":
            return _edit_page(current, form, 409)
        return _edit_page(report, form, 409, current=current)
    flash("Đã lưu báo cáo.", "success")
    return redirect(url_for("reports.detail_get", report_id=report.id), code=303)


@bp.post("/<int:report_id>/trang-thai")
@roles_required(*EDITORS)
def status_post(report_id):
    """Submit a draft to the chief, or take a submitted one back to draft (with a reason)."""
    report = _report_or_404(report_id)
    form = StatusForm()
    if not form.validate():
        return _detail(report, 422, form, form.first_errors())
    target, note = form.to.data, (form.note.data or "").strip()
    allowed = {"draft": ("submitted",), "submitted": ("draft",)}.get(report.status, ())
    if target not in allowed:
        return _detail(report, 409 if report.status == "approved" else 422, form, {"to": (
            "Không thể chuyển báo cáo từ “%s” sang “%s”." % (status_label(report), REPORT_STATUSES[target]))})
    try:
        with db.atomic():
            saved = save_versioned(report, form.version.data, g.user, {"status": target}, action="status",
                                   summary="%s: %s → %s" % (report_title(report), status_label(report),
                                                            REPORT_STATUSES[target]))
            record_transition(saved, g.user, report.status, target, note)
    except ConflictError as error:
        current = error.current
        current.plan = report.plan
        return _detail(current, 409, form, conflict=current)
    flash("Báo cáo: %s." % REPORT_STATUSES[target].lower(), "success")
    return redirect(url_for("reports.detail_get", report_id=report.id), code=303)


def approve(report, user, expected_version, note=""):
    """Approve a submitted report: the next number of the year, figures frozen, in one transaction.

    documents.numbering_transaction holds the series' write lock from the first statement
    (BEGIN IMMEDIATE on SQLite), so two approvals at the same moment cannot read the same last
    number; the number is also checked unused before it is written.
    """
    from services.documents import numbering_transaction
    at = now()
    with numbering_transaction(db, at.year, "BC"):
        current = Report.select(Report, Plan).join(Plan).where(Report.id == report.id).get()
        if current.version != int(expected_version):
            raise ConflictError(current)
        if current.status != "submitted":
            raise TransitionError("Chỉ phê duyệt báo cáo đã trình duyệt (hiện: %s)." % status_label(current))
        last = Report.select(pw.fn.MAX(Report.number)).where(Report.year == at.year,
                                                             Report.number.is_null(False)).scalar()
        number = (last or 0) + 1
        if Report.select().where(Report.year == at.year, Report.number == number).exists():
            raise TransitionError("Số %s năm %d đã được dùng; vui lòng thử lại." % (reports.number_text(number),
                                                                                  at.year))
        figures = json.dumps(reports.compute_figures(current.plan, current.kind, current.cutoff),
                             ensure_ascii=False)
        saved = save_versioned(current, expected_version, user, {
            "status": "approved", "year": at.year, "number": number, "approved_by": user.id, "approved_at": at},
            action="approve", summary="Phê duyệt %s, số %s (chốt số liệu)" % (report_title(current).lower(),
                                                                           reports.number_text(number)))
        # The frozen figures are written beside the audited change (not copied into the audit log).
        Report.update(figures_json=figures).where(Report.id == saved.id).execute()
        record_transition(saved, user, "submitted", "approved", note, at=at)
    saved.figures_json = figures
    saved.plan = current.plan
    return saved


@bp.post("/<int:report_id>/phe-duyet")
@roles_required(*APPROVERS)
def approve_post(report_id):
    """Only the chief approves; the report is then numbered and frozen."""
    report = _report_or_404(report_id)
    form = StatusForm()
    form.to.data = "approved"
    if parse_id(form.version.data) is None:
        abort(400)
    try:
        saved = approve(report, g.user, int(form.version.data), (form.note.data or "").strip())
    except TransitionError as error:
        return _detail(report, 409, form, {"approve": str(error)})
    except ConflictError as error:
        current = error.current
        current.plan = report.plan
        return _detail(current, 409, form, conflict=current)
    flash("Đã phê duyệt báo cáo, số %s." % reports.number_text(saved.number), "success")
    return redirect(url_for("reports.detail_get", report_id=report.id), code=303)


# ---------------------------------------------------------------- the lists behind the figures

class _Ids(list):
    """Ids in the report's order, paginated by views.common.Page."""

    def count(self):
        return len(self)

    def paginate(self, page, per_page):
        return self[(page - 1) * per_page:page * per_page]


def _load(domain, ids):
    """The records of one page, in the order of `ids`, with what the list shows (no N+1)."""
    if not ids:
        return []
    if domain == "dialogue":
        rows = Dialogue.select().where(Dialogue.id.in_(ids))
    elif domain == "opinion":
        rows = Opinion.with_names(Opinion.visible_to(g.user).where(Opinion.id.in_(ids)))
    else:
        unit = Unit.alias()
        rows = (Conclusion.select(Conclusion, ConclusionNotice, Dialogue, unit)
                .join(ConclusionNotice).join(Dialogue)
                .switch(Conclusion).join(unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == unit.id))
                .where(Conclusion.id.in_(ids)))
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


@bp.get("/<int:report_id>/danh-sach/<key>")
@roles_required(*READERS)
def figure_list_get(report_id, key):
    """Exactly the records one figure counts (frozen with the figures once approved), paginated."""
    report = _report_or_404(report_id)
    figures = figures_of(report)
    found = reports.figure_members(figures, key)
    if found is None:
        abort(404)
    table, row_label, column_label, domain, ids = found
    states = {r["id"]: r.get("status") for r in figures["records"][domain]}
    page = Page(_Ids(ids), page_arg(), current_app.config["PER_PAGE"])
    page.items = _load(domain, page.items)
    return render_template("staff/reports/figure_list.html", report=report, table=table, row_label=row_label,
                           column_label=column_label, domain=domain, page=page, states=states, figures=figures)


# ---------------------------------------------------------------- exports of a report

def _download(data, filename, mimetype):
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = "attachment; filename=\"%s\"" % filename
    return response


def _filename(report, ext):
    kind = "6-thang" if report.kind == "midyear" else "nam"
    return "bao-cao-%s-%d.%s" % (kind, report.plan.year, ext)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.get("/<int:report_id>.xlsx")
@roles_required(*READERS)
def report_xlsx(report_id):
    """The report's tables as a workbook (one sheet per table)."""
    report = _report_or_404(report_id)
    data = reports.report_xlsx(figures_of(report))
    with db.atomic():
        audit(g.user, "export", report, summary="Xuất bảng số liệu %s (XLSX)" % report_title(report).lower())
    return _download(data, _filename(report, "xlsx"), XLSX)


@bp.get("/<int:report_id>.csv")
@roles_required(*READERS)
def report_csv(report_id):
    """The report's tables as CSV (UTF-8 with BOM)."""
    report = _report_or_404(report_id)
    data = reports.report_csv(figures_of(report))
    with db.atomic():
        audit(g.user, "export", report, summary="Xuất bảng số liệu %s (CSV)" % report_title(report).lower())
    return _download(data, _filename(report, "csv"), "text/csv; charset=utf-8")


@bp.get("/<int:report_id>.docx")
@roles_required(*READERS)
def report_docx(report_id):
    """The report as an administrative document (Decree 30/2020/NĐ-CP) for printing and signing."""
    from services.documents import AdministrativeDocument, render_docx
    report = _report_or_404(report_id)
    figures = figures_of(report)
    signer = report.approved_by if report.approved_by_id else User.get_or_none(User.role == "chief",
                                                                               User.active == True)  # noqa: E712
    doc = AdministrativeDocument(
        doc_type="BC", type_name="BÁO CÁO", summary=reports.report_title(report.kind, report.plan.year),
        body_md=report.narrative_md, number=report.number, year=report.year or today().year,
        signed_on=report.approved_at.date() if report.approved_at else None, signer_title="CHÁNH VĂN PHÒNG",
        signer_name=signer.full_name if signer else "", recipients=recipients_of(report),
        tables=[(caption, headers, [[str(v) for v in row] for row in rows])
                for caption, headers, rows in reports.table_rows(figures)],
        province=current_app.config["PROVINCE_NAME"], place=current_app.config["DOCUMENT_PLACE"],
        draft=report.status != "approved")
    data = render_docx(doc)
    with db.atomic():
        audit(g.user, "export", report, summary="Xuất %s (DOCX)" % report_title(report).lower())
    return _download(data, _filename(report, "docx"), DOCX)


# ---------------------------------------------------------------- the register as XLSX and CSV

def _register_rows():
    """The register's rows for the signed-in user, with the same filters and visibility as /y-kien/."""
    from views.opinions import _list_filters, _register_query
    filters = _list_filters()
    query = _register_query(g.user, filters)
    on = today()
    return filters, (reports.register_row(o, g.user, on) for o in query.iterator())


def _register_export(kind):
    filters, rows = _register_rows()
    rows = list(rows)
    used = {k: v for k, v in filters.items() if v not in ("", None, False)}
    if "q" in used:  # the words searched may be a person's name or number: logged masked
        used["q"] = MASK
    stamp = today().strftime("%Y%m%d")
    if kind == "xlsx":
        data = reports.xlsx_bytes([("Sổ theo dõi ý kiến", None, reports.REGISTER_HEADERS, rows,
                                    reports.REGISTER_WIDTHS)])
    else:
        data = reports.csv_bytes([(None, reports.REGISTER_HEADERS, rows)])
    with db.atomic():
        audit(g.user, "export", None, object_type="opinion",
              summary="Xuất sổ theo dõi ý kiến (%s, %d dòng)%s" % (
                  kind.upper(), len(rows), "; lọc: " + json.dumps(used, ensure_ascii=False) if used else ""))
    filename = "so-theo-doi-y-kien-%s.%s" % (stamp, kind)
    return _download(data, filename, XLSX if kind == "xlsx" else "text/csv; charset=utf-8")


@bp.get("/so-theo-doi.xlsx")
@roles_required("specialist", "unit_head", "coordinator", "leader", "chief")
def register_xlsx():
    """The opinion register as XLSX: same filters and visibility as the register page."""
    return _register_export("xlsx")


@bp.get("/so-theo-doi.csv")
@roles_required("specialist", "unit_head", "coordinator", "leader", "chief")
def register_csv():
    """The opinion register as CSV (UTF-8 with BOM)."""
    return _register_export("csv")
