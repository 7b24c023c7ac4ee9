"""Tệp đính kèm of dialogues, proposals, conclusion notices and reports: the panel, upload, download, delete.

The rules (accepted types, who may see, add and delete, storage) are services/attachments.py. Files
are served only to people who may see the record, always as a download with the stored type and
`nosniff`.

Templates include the panel with `{% from "staff/_attachments.html" import attachments_panel %}`
and `{{ attachments_panel("dialogue", dialogue, can_upload) }}`.
"""
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

from models import Attachment
from services import attachments
from views.auth import load_user, roles_required
from views.common import get_or_404, invalid_status, wants_fragment

bp = Blueprint("attachments", __name__, url_prefix="/tep")

PANEL = ('{% from "staff/_attachments.html" import attachments_panel %}'
         '{{ attachments_panel(object_type, obj, True, errors) }}')


def _root():
    return current_app.config["ATTACHMENTS_DIR"]


def _limit():
    return current_app.config["ATTACHMENT_MAX_BYTES"]


def _record_or_404(object_type, object_id):
    if object_type not in attachments.MODELS:
        abort(404)
    obj = attachments.record(object_type, object_id)
    if not attachments.may_see(g.get("user"), object_type, obj):
        abort(404)
    return obj


def _attachment_or_404(attachment_id):
    attachment = get_or_404(Attachment.select().where(Attachment.id == attachment_id))
    return attachment, _record_or_404(attachment.object_type, attachment.object_id)


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@bp.app_template_global("attachments_for")
def attachments_for(object_type, obj, can_upload=True):
    """What the panel macro shows: the files, whether to offer the upload form, delete rights."""
    user = g.get("user")
    rows = Attachment.of_record(object_type, obj.id)
    frozen = attachments.is_frozen(object_type, obj)
    for row in rows:
        row.can_delete = bool(user) and not frozen and attachments.may_remove(user, row)
        row.size_text = attachments.human_size(row.size)
    if request.method == "GET":
        here = request.full_path.rstrip("?")
    else:
        try:
            here = request.form.get("next", "")
        except RequestEntityTooLarge:  # the body was refused; there is no form to read
            here = ""
    return {"items": rows, "may_upload": bool(can_upload) and attachments.may_upload(user, object_type, obj),
            "frozen": frozen, "next": _safe_next(here) or "", "max_text": attachments.human_size(_limit()),
            "dom_id": "attachments-%s-%d" % (object_type.replace("_", "-"), obj.id)}


def _page(object_type, obj, code=200, errors=None):
    """The record's files on a page of their own (also what a plain form post shows on error)."""
    if wants_fragment():
        return render_template_string(PANEL, object_type=object_type, obj=obj, errors=errors or {}), \
            (200 if code < 400 else invalid_status())
    return render_template("staff/conclusions/attachments.html", object_type=object_type, obj=obj,
                           type_label=attachments.TYPE_LABELS[object_type], errors=errors or {}), code


def _done(object_type, obj, message):
    """After an upload or a delete: htmx gets the panel again, a plain form the page it came from."""
    if wants_fragment():
        return _page(object_type, obj)
    flash(message, "success")
    back = _safe_next(request.form.get("next")) or url_for("attachments.list_get", object_type=object_type,
                                                           object_id=obj.id)
    return redirect(back, code=303)


@bp.get("/<object_type>/<int:object_id>")
@roles_required(*attachments.READERS)
def list_get(object_type, object_id):
    """The files of one record, with the upload form for those who may add."""
    return _page(object_type, _record_or_404(object_type, object_id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error):
    """A body over MAX_CONTENT_LENGTH: the same message as any other file over the limit."""
    match = request.view_args or {}
    obj = None
    if g.get("user") is None:  # CSRF protection read the body before the user was loaded
        load_user()
    if g.get("user") is not None and match.get("object_type") in attachments.MODELS:
        obj = attachments.record(match["object_type"], match.get("object_id"))
        if not attachments.may_see(g.user, match["object_type"], obj):
            obj = None
    message = attachments.too_big_message(_limit())
    if obj is None:
        return message, 413
    response, _code = _page(match["object_type"], obj, 413, {"file": message})
    return response, 200 if wants_fragment() else 413


@bp.post("/<object_type>/<int:object_id>")
@roles_required(*attachments.READERS)
def upload_post(object_type, object_id):
    """Store one file for the record; the type is read from its first bytes, the size is capped."""
    obj = _record_or_404(object_type, object_id)
    if not attachments.may_upload(g.user, object_type, obj):
        abort(403)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _page(object_type, obj, 422, {"file": "Vui lòng chọn tệp cần tải lên."})
    try:
        attachment = attachments.store(g.user, object_type, obj, upload.filename, upload.stream, _root(), _limit())
    except attachments.UploadRefused as refusal:
        return _page(object_type, obj, 422, {"file": refusal.message})
    return _done(object_type, obj, "Đã tải lên tệp “%s”." % attachment.filename)


@bp.get("/<int:attachment_id>")
@roles_required(*attachments.READERS)
def download_get(attachment_id):
    """The file, as a download, to those who may see its record."""
    attachment, _obj = _attachment_or_404(attachment_id)
    path = attachments.stored_path(_root(), attachment)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.filename, max_age=0, etag=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.post("/<int:attachment_id>/xoa")
@roles_required(*attachments.READERS)
def delete_post(attachment_id):
    """Remove a file (uploader or coordinator), never from a signed notice or an approved report."""
    attachment, obj = _attachment_or_404(attachment_id)
    object_type = attachment.object_type
    if attachments.is_frozen(object_type, obj):
        return _page(object_type, obj, 409, {"delete": attachments.frozen_message(object_type)})
    if not attachments.may_delete(g.user, attachment, obj):
        abort(403)
    attachments.delete(g.user, attachment, obj, _root())
    return _done(object_type, obj, "Đã xóa tệp “%s”." % attachment.filename)
