"""Import of an existing register (nhập sổ theo dõi cũ): upload, preview with the columns' mapping, confirm."""

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.register_import import UploadForm, chosen_mapping, mapping_error
from services import import_files, register_import
from services.register_columns import COLUMNS
from services.spreadsheet_readers import ReadError
from views.auth import roles_required

bp = Blueprint("register_import", __name__, url_prefix="/y-kien/nhap")

IMPORTERS = ("coordinator",)  # TCHCQT aggregates the opinions: only it brings a register in
SAMPLE_ROWS = 50  # rows shown in the preview


def _folder():
    return import_files.folder_of(current_app.config, current_app.instance_path)


def _page(form, errors=None, preview=None, token=None, mapping_message=None):
    actions = [a for a in preview.actions if a.kind in ("create", "update")][:SAMPLE_ROWS] if preview else []
    return render_template("staff/opinions/import.html", form=form, errors=errors or {}, preview=preview,
                           token=token, sample=actions, columns=COLUMNS, mapping_message=mapping_message)


def _preview(token, filename, data, chosen=None):
    """The preview page of a kept upload; a file that cannot be read is an error beside the file field."""
    message = mapping_error(chosen, [])
    try:
        preview = register_import.preview(filename, data, chosen)
    except ReadError as error:
        import_files.remove(_folder(), token)
        return _page(UploadForm(formdata=None), {"file": str(error)}), 422
    if message is None:
        message = mapping_error(chosen, preview.headers)
    return _page(UploadForm(formdata=None), preview=preview, token=token, mapping_message=message), \
        (422 if message else 200)


class UploadGone(Exception):
    """The kept upload expired, was imported already, or was sent by someone else."""


@bp.errorhandler(UploadGone)
def _upload_gone(_error):
    flash("Tệp tải lên đã hết hạn hoặc không tồn tại; vui lòng tải lên lại.", "error")
    return redirect(url_for("register_import.upload_get"), code=303)


def _kept(token):
    """(file name, bytes) of the upload `token`; UploadGone (back to the upload form) when it is not there."""
    kept = import_files.load(_folder(), token, g.user.id)
    if kept is None:
        raise UploadGone()
    return kept


@bp.get("/")
@roles_required(*IMPORTERS)
def upload_get():
    """The form to upload an existing register (XLSX, XLS, CSV)."""
    return _page(UploadForm(formdata=None))


@bp.post("/")
@roles_required(*IMPORTERS)
def upload_post():
    """Keep the file (server side, by a random token) and show the preview; nothing is stored in the register."""
    form = UploadForm()
    if not form.validate():
        return _page(form, form.first_errors()), 422
    upload = form.file.data
    data = upload.read()
    if not data:
        return _page(form, {"file": "Tệp rỗng."}), 422
    token = import_files.save(_folder(), upload.filename, data, g.user.id)
    return _preview(token, upload.filename, data)


@bp.post("/<token>/xem-truoc")
@roles_required(*IMPORTERS)
def remap_post(token):
    """The preview again, with the columns mapped by hand."""
    return _preview(token, *_kept(token), chosen=chosen_mapping(request.form))


@bp.post("/<token>/xac-nhan")
@roles_required(*IMPORTERS)
def confirm_post(token):
    """Import the kept file as previewed, in one transaction; the upload is then removed."""
    filename, data = _kept(token)
    chosen = chosen_mapping(request.form)
    if mapping_error(chosen, []):
        abort(400)
    try:
        result, _ = register_import.run(filename, data, g.user, chosen=chosen, force=True)
    except ReadError:
        abort(400)
    import_files.remove(_folder(), token)
    flash("Đã nhập sổ theo dõi từ tệp %s. %s." % (filename, result.summary()), "success")
    return redirect(url_for("register_import.upload_get"), code=303)
