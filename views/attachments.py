"""Tệp đính kèm of dialogues, proposals, conclusion notices and reports.

- PDF and images only (PNG, JPEG, WebP), recognised by the file's first bytes, never by its name
  or the type the browser claims; at most app.config["ATTACHMENT_MAX_BYTES"].
- Stored under app.config["ATTACHMENTS_DIR"] (outside the web root) under a random name; the
  original name is kept, cleaned, for display and as the download name.
- Served only to people who may see the record (one access function per object type), always as
  a download with the stored type and `nosniff`.
- Upload: see `may_upload`; the signed scan of a notice and annexes of an approved report may be
  added after freezing (adding never changes what was signed). Delete: the uploader or the
  coordinator, and never while the record is frozen (signed notice, approved report).
- Every upload and delete is in the audit log.

Templates include the panel with `{% from "staff/_attachments.html" import attachments_panel %}`
and `{{ attachments_panel("dialogue", dialogue, can_upload) }}`.
"""
import os
import re
import secrets
import unicodedata
from pathlib import Path

import peewee as pw
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    render_template_string,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from models import Attachment, ConclusionNotice, Dialogue, Proposal, Report, User, audit, db
from views.auth import load_user, roles_required
from views.common import invalid_status, wants_fragment

bp = Blueprint("attachments", __name__, url_prefix="/tep")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
MODELS = {"dialogue": Dialogue, "proposal": Proposal, "conclusion_notice": ConclusionNotice, "report": Report}
TYPE_LABELS = {"dialogue": "buổi đối thoại", "proposal": "đề xuất nội dung đối thoại",
               "conclusion_notice": "thông báo kết luận", "report": "báo cáo"}
KINDS = {  # content type → (extension, label)
    "application/pdf": (".pdf", "PDF"),
    "image/png": (".png", "PNG"),
    "image/jpeg": (".jpg", "JPEG"),
    "image/webp": (".webp", "WebP"),
}
CHUNK = 64 * 1024


# ---------------------------------------------------------------- file checks

def sniff(head):
    """The content type a file's first bytes prove, or None (PDF, PNG, JPEG, WebP only)."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_filename(name, content_type):
    """The uploaded name for display: no path, no control or markup characters, at most 255 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '<>:"|?*')
    name = re.sub(r"\s+", " ", name).strip(" .")
    extension = KINDS[content_type][0]
    if not name:
        name = "tep-dinh-kem" + extension
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if len(name) > 255:
        keep = 255 - (len(ext) + 1 if ext else 0)
        name = stem[:keep] + ("." + ext if ext else "")
    return name


def human_size(size):
    if size < 1024:
        return "%d B" % size
    if size < 1024 * 1024:
        return "%s KB" % _vn_number(size / 1024)
    return "%s MB" % _vn_number(size / (1024 * 1024))


def _vn_number(value):
    return ("%.1f" % value).replace(".", ",").replace(",0", "")


def too_big_message():
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    return "Tệp quá lớn: dung lượng tối đa %s." % human_size(limit)


def storage_dir():
    path = Path(current_app.config["ATTACHMENTS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------- who may see, add, delete

def _may_see_dialogue(user, dialogue):
    return user.role in READERS  # every staff member may read the dialogues (views/dialogues.py)


def _may_see_proposal(user, proposal):
    if user.reads_everything:
        return True
    return bool(user.is_content_staff and user.unit_id and user.unit_id == proposal.content_unit_id)


def _may_see_notice(user, notice):
    return ConclusionNotice.visible_to(user).where(ConclusionNotice.id == notice.id).exists()


def _may_see_report(user, report):
    return user.reads_everything


MAY_SEE = {"dialogue": _may_see_dialogue, "proposal": _may_see_proposal,
           "conclusion_notice": _may_see_notice, "report": _may_see_report}


def may_see(user, object_type, obj):
    return user is not None and obj is not None and MAY_SEE[object_type](user, obj)


def may_upload(user, object_type, obj):
    """Who adds files: coordinator and chief everywhere; a proposal's content unit to its proposal."""
    if not may_see(user, object_type, obj):
        return False
    if user.role in ("coordinator", "chief"):
        return True
    return object_type == "proposal" and user.is_content_staff


def is_frozen(object_type, obj):
    """Signed notices and approved reports: their files can no longer be removed."""
    if object_type == "conclusion_notice":
        return obj.status == "signed"
    if object_type == "report":
        return obj.status == "approved"
    return False


def may_delete(user, attachment, obj):
    if is_frozen(attachment.object_type, obj) or not may_see(user, attachment.object_type, obj):
        return False
    return user.role == "coordinator" or (attachment.uploaded_by_id is not None
                                          and attachment.uploaded_by_id == user.id)


def _record(object_type, object_id):
    model = MODELS.get(object_type)
    if model is None:
        abort(404)
    return model.get_or_none(model.id == object_id)


def _record_or_404(object_type, object_id):
    obj = _record(object_type, object_id)
    if not may_see(g.get("user"), object_type, obj):
        abort(404)
    return obj


def _attachment_or_404(attachment_id):
    attachment = Attachment.get_or_none(Attachment.id == attachment_id)
    if attachment is None or attachment.object_type not in MODELS:
        abort(404)
    obj = _record_or_404(attachment.object_type, attachment.object_id)
    return attachment, obj


# ---------------------------------------------------------------- the panel

def attachment_rows(object_type, object_id):
    """The record's files, oldest first, with the uploader's name in the same query."""
    return list(Attachment.select(Attachment, User.full_name.alias("uploader_name"))
                .join(User, pw.JOIN.LEFT_OUTER, on=(Attachment.uploaded_by == User.id))
                .where(Attachment.object_type == object_type, Attachment.object_id == object_id)
                .order_by(Attachment.at, Attachment.id).objects())


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.app_template_global("attachments_for")
def attachments_for(object_type, obj, can_upload=True):
    """What the panel macro shows: the files, whether to offer the upload form, delete rights."""
    user = g.get("user")
    rows = attachment_rows(object_type, obj.id)
    frozen = is_frozen(object_type, obj)
    for row in rows:
        row.can_delete = bool(user) and not frozen and (
            user.role == "coordinator" or (row.uploaded_by_id is not None and row.uploaded_by_id == user.id))
        row.size_text = human_size(row.size)
    if request.method == "GET":
        here = request.full_path.rstrip("?")
    else:
        try:
            here = request.form.get("next", "")
        except RequestEntityTooLarge:  # the body was refused; there is no form to read
            here = ""
    return {"items": rows, "may_upload": bool(can_upload) and may_upload(user, object_type, obj),
            "frozen": frozen, "next": _safe_next(here) or "",
            "max_text": human_size(current_app.config["ATTACHMENT_MAX_BYTES"]),
            "dom_id": "attachments-%s-%d" % (object_type.replace("_", "-"), obj.id)}


PANEL = ('{% from "staff/_attachments.html" import attachments_panel %}'
         '{{ attachments_panel(object_type, obj, True, errors) }}')


def _page(object_type, obj, code=200, errors=None):
    """The record's files on a page of their own (also what a plain form post shows on error)."""
    if wants_fragment():
        return render_template_string(PANEL, object_type=object_type, obj=obj, errors=errors or {}), \
            (200 if code < 400 else invalid_status())
    return render_template("staff/conclusions/attachments.html", object_type=object_type, obj=obj,
                           type_label=TYPE_LABELS[object_type], errors=errors or {}), code


def _back(object_type, obj):
    return _safe_next(request.form.get("next")) or url_for("attachments.list_get", object_type=object_type,
                                                           object_id=obj.id)


@bp.get("/<object_type>/<int:object_id>")
@roles_required(*READERS)
def list_get(object_type, object_id):
    """The files of one record, with the upload form for those who may add."""
    obj = _record_or_404(object_type, object_id)
    return _page(object_type, obj)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A body over MAX_CONTENT_LENGTH: the same message as any other file over the limit."""
    match = request.view_args or {}
    obj = None
    if g.get("user") is None:  # CSRF protection read the body before the user was loaded
        load_user()
    if g.get("user") is not None and match.get("object_type") in MODELS:
        obj = _record(match["object_type"], match.get("object_id"))
        if not may_see(g.user, match["object_type"], obj):
            obj = None
    if obj is None:
        return too_big_message(), 413
    response, _code = _page(match["object_type"], obj, 413, {"file": too_big_message()})
    return response, 200 if wants_fragment() else 413


@bp.post("/<object_type>/<int:object_id>")
@roles_required(*READERS)
def upload_post(object_type, object_id):
    """Store one file for the record; the type is read from its first bytes, the size is capped."""
    obj = _record_or_404(object_type, object_id)
    if not may_upload(g.user, object_type, obj):
        abort(403)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(object_type, obj, 422, {"file": "Vui lòng chọn tệp cần tải lên."})
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    head = upload.stream.read(16)
    content_type = sniff(head)
    if content_type is None:
        return _page(object_type, obj, 422, {
            "file": "Chỉ nhận tệp PDF hoặc ảnh (PNG, JPEG, WebP); nội dung tệp “%s” không phải loại này."
                    % clean_filename(upload.filename, "application/pdf")})
    stored_name = secrets.token_hex(16) + KINDS[content_type][0]
    directory = storage_dir()
    partial = directory / (stored_name + ".part")
    size = len(head)
    try:
        with open(partial, "wb") as out:
            out.write(head)
            while size <= limit:
                chunk = upload.stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                out.write(chunk)
        if size > limit:
            partial.unlink(missing_ok=True)
            return _page(object_type, obj, 422, {"file": too_big_message()})
        os.replace(partial, directory / stored_name)
    finally:
        partial.unlink(missing_ok=True)
    try:
        with db.atomic():
            attachment = Attachment.create(
                object_type=object_type, object_id=obj.id, filename=clean_filename(upload.filename, content_type),
                stored_name=stored_name, content_type=content_type, size=size, uploaded_by=g.user.id)
            audit(g.user, "upload", attachment, {
                "object_type": (None, object_type), "object_id": (None, obj.id),
                "filename": (None, attachment.filename), "content_type": (None, content_type), "size": (None, size)},
                summary="Tải lên tệp “%s” cho %s #%d" % (attachment.filename, TYPE_LABELS[object_type], obj.id))
    except Exception:
        (directory / stored_name).unlink(missing_ok=True)
        raise
    if wants_fragment():
        return _page(object_type, obj)
    flash("Đã tải lên tệp “%s”." % attachment.filename, "success")
    return redirect(_back(object_type, obj), code=303)


@bp.get("/<int:attachment_id>")
@roles_required(*READERS)
def download_get(attachment_id):
    """The file, as a download, to those who may see its record."""
    attachment, _obj = _attachment_or_404(attachment_id)
    path = storage_dir() / attachment.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/<int:attachment_id>/xoa")
@roles_required(*READERS)
def delete_post(attachment_id):
    """Remove a file (uploader or coordinator), never from a signed notice or an approved report."""
    attachment, obj = _attachment_or_404(attachment_id)
    object_type = attachment.object_type
    if is_frozen(object_type, obj):
        message = ("Thông báo đã ký: không xóa được tệp đính kèm." if object_type == "conclusion_notice"
                   else "Báo cáo đã được phê duyệt: không xóa được tệp đính kèm.")
        return _page(object_type, obj, 409, {"delete": message})
    if not may_delete(g.user, attachment, obj):
        abort(403)
    with db.atomic():
        audit(g.user, "delete", attachment, {
            "object_type": (object_type, None), "object_id": (obj.id, None),
            "filename": (attachment.filename, None), "size": (attachment.size, None)},
            summary="Xóa tệp “%s” của %s #%d" % (attachment.filename, TYPE_LABELS[object_type], obj.id))
        attachment.delete_instance()
    (storage_dir() / attachment.stored_name).unlink(missing_ok=True)
    if wants_fragment():
        return _page(object_type, obj)
    flash("Đã xóa tệp “%s”." % attachment.filename, "success")
    return redirect(_back(object_type, obj), code=303)
