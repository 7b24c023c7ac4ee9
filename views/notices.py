"""Thông báo ý kiến kết luận: the routes to draft, submit, return, sign, correct, print and download a notice.

A notice is drafted from a held dialogue with its conclusions and signed with the number of the series
(Số: NN/TB-VP): the workflow is services/notices.py; the draft, its conclusions and the document are
services/notice_drafts.py.

Who does what:
- coordinator (TCHCQT): drafts the notice and its conclusions, submits it, drafts a correction;
- chief: signs a submitted notice, or returns it to draft with a reason (nobody else signs);
- coordinator, leader, chief: read every notice; unit staff (specialist, unit head) read the signed
  notices that hold a conclusion for their unit; admin reads none.
"""
import functools

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms import parse_id
from forms.notices import DEADLINE_MODES, ConclusionForm, NoteForm, NoticeForm, SignForm
from models import NOTICE_STATUSES, AuditLog, Conclusion, ConclusionNotice, ConflictError, Dialogue, StatusChange, today
from services import documents, notice_drafts, notices
from views.auth import roles_required
from views.common import (
    Page,
    document_issuer,
    edit_with_conflict,
    get_or_404,
    invalid_status,
    page_arg,
    wants_fragment,
    year_arg,
)

bp = Blueprint("notices", __name__, url_prefix="/thong-bao")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")
DRAFTERS = ("coordinator",)
SIGNERS = ("chief",)


# ---------------------------------------------------------------- access

@bp.app_template_global()
def openable_notice_ids(rows):
    """The ids of these notices the signed-in user may open (links elsewhere are shown only then): one query."""
    return ConclusionNotice.openable_ids(g.get("user"), [n.id for n in rows])


def get_notice(notice_id):
    """The notice if the signed-in user may see it; 404 otherwise (never reveal that it exists)."""
    return get_or_404(ConclusionNotice.visible_to(g.user).where(ConclusionNotice.id == notice_id))


def get_draft(notice_id):
    """A notice to edit: as get_notice, and NotAllowed (409, the notice shown) unless it is a draft."""
    notice = get_notice(notice_id)
    notices.require_draft(notice)
    return notice


def get_conclusion(notice, conclusion_id):
    return get_or_404(Conclusion.select().where(Conclusion.id == conclusion_id, Conclusion.notice == notice.id))


def _conclusion_of_draft(notice_id, conclusion_id=None):
    """(the draft notice, its conclusion or None for a new one, the opinions the conclusion may answer)."""
    notice = get_draft(notice_id)
    conclusion = get_conclusion(notice, conclusion_id) if conclusion_id is not None else None
    return notice, conclusion, notice_drafts.linkable_opinions(notice, g.user, conclusion)


@bp.errorhandler(notices.NotAllowed)
def _not_allowed(refusal):
    """What the notice's state does not allow: the notice as it stands, with the reason (409)."""
    return render_detail(refusal.notice, 409, message=refusal.message)


# ---------------------------------------------------------------- list

@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Notices, newest first, filtered by status and year."""
    status = request.args.get("status")
    filters = {"status": status if status in NOTICE_STATUSES else "", "year": year_arg()}
    page = Page(ConclusionNotice.register(g.user, **filters), page_arg(), current_app.config["PER_PAGE"])
    replaced = {row[0] for row in ConclusionNotice.replaced_ids().tuples()}
    template = "staff/notices/_results.html" if wants_fragment() else "staff/notices/list.html"
    return render_template(template, page=page, filters=filters, years=ConclusionNotice.years(), replaced=replaced)


# ---------------------------------------------------------------- drafting

def _new_page(dialogue, form, opinions, errors=None, current=None):
    existing = list(ConclusionNotice.select().where(ConclusionNotice.dialogue == dialogue.id)
                    .order_by(ConclusionNotice.id))
    return render_template("staff/notices/new.html", dialogue=dialogue, form=form, opinions=opinions,
                           existing=existing, errors=errors or {})


def _dialogue_arg():
    """The ?dialogue= of the new-notice form: 404 when unknown; None (the chooser) when not given."""
    raw = request.args.get("dialogue", "")
    return get_or_404(Dialogue.select().where(Dialogue.id == (parse_id(raw) or 0))) if raw else None


def _not_held(dialogue):
    return render_template("staff/notices/not_held.html", dialogue=dialogue), 409


@bp.get("/moi")
@roles_required(*DRAFTERS)
def new_get():
    """Draft a notice from a held dialogue, pre-filled with the opinions discussed there."""
    dialogue = _dialogue_arg()
    if dialogue is None:
        held = list(Dialogue.select().where(Dialogue.status == "held").order_by(Dialogue.starts_at.desc()))
        return render_template("staff/notices/choose_dialogue.html", dialogues=held)
    if dialogue.status != "held":
        return _not_held(dialogue)
    opinions = notice_drafts.dialogue_opinions(dialogue.id, g.user)
    form = NoticeForm(formdata=None, opinions=opinions, data=notice_drafts.first_draft(dialogue, opinions))
    return _new_page(dialogue, form, opinions)


@bp.post("/moi")
@roles_required(*DRAFTERS)
def new_post():
    """Create the draft notice, and a draft conclusion for each opinion ticked."""
    dialogue = _dialogue_arg() or abort(404)
    if dialogue.status != "held":
        return _not_held(dialogue)
    opinions = notice_drafts.dialogue_opinions(dialogue.id, g.user)

    def save(form):
        chosen = [o for o in opinions if o.id in set(form.opinion_ids.data or [])]
        return notice_drafts.create_draft(dialogue, g.user, form.values(), chosen), len(chosen)

    def done(made):
        notice, count = made
        return ("Đã tạo dự thảo thông báo%s." % (" với %d kết luận" % count if count else ""),
                url_for("notices.detail_get", notice_id=notice.id))

    return edit_with_conflict(NoticeForm(opinions=opinions), functools.partial(_new_page, dialogue, opinions=opinions),
                              save, done)


# ---------------------------------------------------------------- detail

def detail_context(notice, **extra):
    user = g.user
    corrections = [c for c in ConclusionNotice.corrections_of(notice) if user.reads_everything or c.status == "signed"]
    drafting = user.role in DRAFTERS and notice.status == "draft"
    context = {
        "notice": notice, "dialogue": Dialogue.get_by_id(notice.dialogue_id),
        "conclusions": Conclusion.of_notice(notice, user), "history": list(StatusChange.for_object(notice)),
        "supersedes": ConclusionNotice.get_or_none(ConclusionNotice.id == notice.supersedes_id)
        if notice.supersedes_id else None,
        "corrections": corrections, "replaced_by": ConclusionNotice.replacement_of(notice),
        "may_edit": drafting, "may_submit": drafting,
        "may_sign": user.role in SIGNERS and notice.status == "submitted",
        "may_correct": user.role in DRAFTERS and notice.status == "signed" and not corrections,
        "proposed_number": notices.proposed_number(notice, today().year),
        "sign_form": SignForm(formdata=None, data={"version": notice.version}),
        "note_form": NoteForm(formdata=None, data={"version": notice.version}),
        "errors": {}, "message": None,
    }
    context.update(extra)
    return context


def render_detail(notice, code=200, **extra):
    return render_template("staff/notices/detail.html", **detail_context(notice, **extra)), code


def _detail_url(notice, anchor=None):
    return url_for("notices.detail_get", notice_id=notice.id, _anchor=anchor)


@bp.get("/<int:notice_id>")
@roles_required(*READERS)
def detail_get(notice_id):
    """One notice: its number and status, body, conclusions, history, revisions and the actions allowed."""
    return render_detail(get_notice(notice_id))


# ---------------------------------------------------------------- edit the notice

def _edit_page(notice, form, errors=None, current=None):
    fields = []
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
        fields = [("Tiêu đề", current.title), ("Nội dung", current.body_md), ("Nơi nhận", current.recipients)]
    return render_template("staff/notices/edit.html", notice=notice, form=form, current=current,
                           current_fields=fields, errors=errors or {})


@bp.get("/<int:notice_id>/sua")
@roles_required(*DRAFTERS)
def edit_get(notice_id):
    """The draft's title, body and recipients, at the version it was opened at."""
    notice = get_draft(notice_id)
    return _edit_page(notice, NoticeForm.of(notice))


@bp.post("/<int:notice_id>/sua")
@roles_required(*DRAFTERS)
def edit_post(notice_id):
    """Save title, body and recipients unless someone saved the notice since it was opened."""
    notice = get_draft(notice_id)

    def save(form):
        return notice_drafts.save_notice(notice, g.user, form.version.data, form.values())

    return edit_with_conflict(NoticeForm(notice=notice), functools.partial(_edit_page, notice), save,
                              lambda _saved: ("Đã lưu thay đổi.", _detail_url(notice)))


# ---------------------------------------------------------------- the draft's conclusions

def _conclusion_page(notice, form, opinions, conclusion=None, errors=None, current=None):
    fields = []
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
        fields = [("Nội dung kết luận", current.decision),
                  ("Đơn vị thực hiện", current.responsible_unit.name if current.responsible_unit_id else ""),
                  ("Người thực hiện", current.responsible_user.full_name if current.responsible_user_id else ""),
                  ("Thời hạn", current.deadline.strftime("%d/%m/%Y") if current.deadline else ""),
                  ("Tóm tắt công khai", current.public_summary)]
    return render_template("staff/notices/conclusion_form.html", notice=notice, form=form, opinions=opinions,
                           conclusion=conclusion, current=current, current_fields=fields, errors=errors or {},
                           DEADLINE_MODES=DEADLINE_MODES)


@bp.get("/<int:notice_id>/ket-luan/moi")
@roles_required(*DRAFTERS)
def conclusion_new_get(notice_id):
    """An empty conclusion form, its deadline ten working days away."""
    notice, _none, opinions = _conclusion_of_draft(notice_id)
    return _conclusion_page(notice, ConclusionForm.blank(opinions), opinions)


@bp.post("/<int:notice_id>/ket-luan/moi")
@roles_required(*DRAFTERS)
def conclusion_new_post(notice_id):
    """Add a conclusion to a draft notice."""
    notice, _none, opinions = _conclusion_of_draft(notice_id)

    def save(form):
        return notice_drafts.add_conclusion(notice, g.user, form.values(), form.opinion_ids.data or [])

    return edit_with_conflict(ConclusionForm(opinions=opinions),
                              functools.partial(_conclusion_page, notice, opinions=opinions), save,
                              lambda added: ("Đã thêm kết luận (thời hạn %s)." % added.deadline.strftime("%d/%m/%Y"),
                                             _detail_url(notice, "ket-luan")))


@bp.get("/<int:notice_id>/ket-luan/<int:conclusion_id>/sua")
@roles_required(*DRAFTERS)
def conclusion_edit_get(notice_id, conclusion_id):
    """A conclusion of a draft notice, filled in, at the version it was opened at."""
    notice, conclusion, opinions = _conclusion_of_draft(notice_id, conclusion_id)
    return _conclusion_page(notice, ConclusionForm.of(conclusion, opinions), opinions, conclusion)


@bp.post("/<int:notice_id>/ket-luan/<int:conclusion_id>/sua")
@roles_required(*DRAFTERS)
def conclusion_edit_post(notice_id, conclusion_id):
    """Save a conclusion of a draft notice, with conflict detection."""
    notice, conclusion, opinions = _conclusion_of_draft(notice_id, conclusion_id)

    def save(form):
        return notice_drafts.save_conclusion(conclusion, notice, g.user, form.version.data, form.values(),
                                             form.opinion_ids.data or [])

    return edit_with_conflict(ConclusionForm(conclusion=conclusion, opinions=opinions),
                              functools.partial(_conclusion_page, notice, opinions=opinions, conclusion=conclusion),
                              save, lambda _saved: ("Đã lưu kết luận.", _detail_url(notice, "ket-luan")))


@bp.post("/<int:notice_id>/ket-luan/<int:conclusion_id>/xoa")
@roles_required(*DRAFTERS)
def conclusion_delete_post(notice_id, conclusion_id):
    """Remove a conclusion from a draft notice (only the version that was shown)."""
    notice = get_draft(notice_id)
    conclusion = get_conclusion(notice, conclusion_id)
    form = NoteForm()
    try:
        if form.validate():
            notice_drafts.delete_conclusion(conclusion, notice, g.user, form.version.data)
            flash("Đã xóa kết luận.", "success")
            return redirect(_detail_url(notice, "ket-luan"), code=303)
    except ConflictError:
        pass
    return render_detail(notice, 409, message="Kết luận vừa được người khác sửa; kiểm tra lại trước khi xóa.")


# ---------------------------------------------------------------- lifecycle

def _stepped(notice, step, conflict, success, invalid_code=422, **shown):
    """Run `step()`: a Refusal is shown beside its field, a conflict with the notice as it is now (409);
    done, `success` is flashed and the notice follows."""
    try:
        step()
    except notices.Refusal as refusal:
        return render_detail(notice, invalid_code, errors={refusal.field: refusal.message}, **shown)
    except ConflictError as error:
        return render_detail(error.current, 409, message=conflict)
    flash(success, "success")
    return redirect(_detail_url(notice), code=303)


def _step_form(notice_id, action):
    """The notice, if `action` starts where it stands (NotAllowed otherwise), its form, and whether that is valid."""
    notice = get_notice(notice_id)
    notices.check_step(notice, action)
    form = NoteForm()
    return notice, form, form.validate()


@bp.post("/<int:notice_id>/trinh-ky")
@roles_required(*DRAFTERS)
def submit_post(notice_id):
    """Draft → submitted (to the chief for signing)."""
    notice, form, valid = _step_form(notice_id, "submit")
    if not valid:
        return render_detail(notice, 422, errors={"submit": form.first_errors().get("version", "")})
    return _stepped(notice, lambda: notices.submit(notice, g.user, form.version.data, form.note.data),
                    "Thông báo vừa được người khác cập nhật; kiểm tra lại rồi trình ký lần nữa.",
                    "Đã trình Chánh Văn phòng ký.")


@bp.post("/<int:notice_id>/tra-lai")
@roles_required(*SIGNERS)
def return_post(notice_id):
    """Submitted → draft, with the chief's reason."""
    notice, form, valid = _step_form(notice_id, "return")
    note = form.note.data if valid else ""
    return _stepped(notice, lambda: notices.return_to_draft(notice, g.user, form.version.data, note),
                    "Thông báo vừa được người khác cập nhật; kiểm tra lại.", "Đã trả lại dự thảo cho phòng TCHCQT.",
                    invalid_status(), note_form=form)


@bp.post("/<int:notice_id>/ky")
@roles_required(*SIGNERS)
def sign_post(notice_id):
    """Sign: the next number of the series, or the number of the office's register (unique that year)."""
    notice = get_notice(notice_id)
    notices.check_signable(notice)
    form = SignForm()
    if not form.validate():
        return render_detail(notice, 422, errors=form.first_errors(), sign_form=form)
    try:
        saved = notices.sign(notice.id, g.user, form.version.data, form.manual_number)
    except ConflictError as error:
        return render_detail(error.current, 409, message="Thông báo vừa được người khác cập nhật (phiên bản %d); "
                                                         "kiểm tra lại rồi ký." % error.current.version)
    except notices.SigningRefused as refusal:
        conflict = refusal.field == "status"
        return render_detail(ConclusionNotice.get_by_id(notice.id), 409 if conflict else 422,
                             errors={refusal.field: refusal.message}, sign_form=form,
                             message=refusal.message if conflict else None)
    flash("Đã ký thông báo số %s." % saved.number_text, "success")
    return redirect(_detail_url(notice), code=303)


@bp.post("/<int:notice_id>/dinh-chinh")
@roles_required(*DRAFTERS)
def correct_post(notice_id):
    """A correction of a signed notice: a new draft revision copied from it; the signed one stays as it is."""
    correction, made = notices.correct(get_notice(notice_id), g.user)
    if made:
        flash("Đã tạo bản đính chính (lần %d) dưới dạng dự thảo." % (correction.revision - 1), "success")
    else:
        flash("Thông báo này đã có bản đính chính.", "info")
    return redirect(_detail_url(correction), code=303)


# ---------------------------------------------------------------- printable page and DOCX

@bp.get("/<int:notice_id>/in")
@roles_required(*READERS)
def print_get(notice_id):
    """The notice laid out like the signed document, for the browser's print command."""
    notice = get_notice(notice_id)
    doc = notice_drafts.administrative_document(notice, *document_issuer())
    return render_template("staff/notices/print.html", notice=notice, doc=doc,
                           number_line=documents.number_line(doc.number, doc.doc_type),
                           date_line=documents.date_line(doc.place, doc.signed_on, doc.year),
                           recipients=documents.recipient_lines(doc.recipients),
                           replaced_by=ConclusionNotice.replacement_of(notice))


@bp.get("/<int:notice_id>.docx")
@roles_required(*READERS)
def docx_get(notice_id):
    """The notice as DOCX (Decree 30 layout)."""
    data, filename = notice_drafts.docx(get_notice(notice_id), *document_issuer())
    response = current_app.response_class(data, mimetype=documents.DOCX_CONTENT_TYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="%s"' % filename
    return response


@bp.context_processor
def _labels():
    return {"NOTICE_STATUSES": NOTICE_STATUSES}
