"""Attachments: who may see, add and delete a record's files; their storage and content sniffing.

An upload's type is read from its first bytes; its name is cleaned for display; the files live
under the attachments folder given by the caller.

- PDF and images only (PNG, JPEG, WebP), recognised by the file's first bytes, never by its name
  or the type the browser claims; at most the limit given (app.config["ATTACHMENT_MAX_BYTES"]).
- Stored in the folder given (app.config["ATTACHMENTS_DIR"], outside the web root) under a random
  name; the original name is kept, cleaned, for display and as the download name.
- Upload: see `may_upload`; the signed scan of a notice and annexes of an approved report may be
  added after freezing (adding never changes what was signed). Delete: the uploader or the
  coordinator, and never while the record is frozen (signed notice, approved report).
- Every upload and delete is in the audit log.
"""
import os
import re
import secrets
import unicodedata
from pathlib import Path

from models import Attachment, ConclusionNotice, Dialogue, Opinion, Proposal, Report, audit, db
from services.file_types import KINDS, sniff

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
MODELS = {"dialogue": Dialogue, "proposal": Proposal, "conclusion_notice": ConclusionNotice, "report": Report,
          "opinion": Opinion}
TYPE_LABELS = {"dialogue": "buổi đối thoại", "proposal": "đề xuất nội dung đối thoại",
               "conclusion_notice": "thông báo kết luận", "report": "báo cáo", "opinion": "ý kiến"}
CHUNK = 64 * 1024


class UploadRefused(Exception):
    """A file not stored, with the message to show beside the file field."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# ---------------------------------------------------------------- file checks

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


def too_big_message(limit):
    return "Tệp quá lớn: dung lượng tối đa %s." % human_size(limit)


def storage_dir(root):
    """The attachments folder `root`, made if missing."""
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(root, attachment):
    return storage_dir(root) / attachment.stored_name


# ---------------------------------------------------------------- who may see, add, delete

def _may_see_dialogue(user, dialogue):
    return user.role in READERS  # every staff member may read the dialogues (views/dialogues.py)


def _may_see_proposal(user, proposal):
    return Proposal.visible_to(user).where(Proposal.id == proposal.id).exists()


def _may_see_notice(user, notice):
    return ConclusionNotice.visible_to(user).where(ConclusionNotice.id == notice.id).exists()


def _may_see_report(user, report):
    return user.reads_everything


def _may_see_opinion(user, opinion):
    """An opinion's files (a citizen's online request) follow the rule of its contact details."""
    return Opinion.visible_to(user).where(Opinion.id == opinion.id).exists() and opinion.can_see_identity(user)


MAY_SEE = {"dialogue": _may_see_dialogue, "proposal": _may_see_proposal,
           "conclusion_notice": _may_see_notice, "report": _may_see_report, "opinion": _may_see_opinion}


def record(object_type, object_id):
    """The record files are attached to (None when missing); KeyError for a type that takes no files."""
    model = MODELS[object_type]
    return model.get_or_none(model.id == object_id)


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


def frozen_message(object_type):
    return ("Thông báo đã ký: không xóa được tệp đính kèm." if object_type == "conclusion_notice"
            else "Báo cáo đã được phê duyệt: không xóa được tệp đính kèm.")


def may_remove(user, attachment):
    """The uploader or the coordinator (on a record the user may see that is not frozen)."""
    return user.role == "coordinator" or (attachment.uploaded_by_id is not None
                                          and attachment.uploaded_by_id == user.id)


def may_delete(user, attachment, obj):
    if is_frozen(attachment.object_type, obj) or not may_see(user, attachment.object_type, obj):
        return False
    return may_remove(user, attachment)


# ---------------------------------------------------------------- store and delete

def store(user, object_type, obj, filename, stream, root, limit):
    """Store the file read from `stream` for the record, in the folder `root`, if its first bytes show
    an accepted type and it is at most `limit` bytes; returns the Attachment. Raises UploadRefused."""
    head = stream.read(16)
    content_type = sniff(head)
    if content_type is None:
        raise UploadRefused("Chỉ nhận tệp PDF hoặc ảnh (PNG, JPEG, WebP); nội dung tệp “%s” không phải loại này."
                            % clean_filename(filename, "application/pdf"))
    stored_name = secrets.token_hex(16) + KINDS[content_type][0]
    directory = storage_dir(root)
    partial = directory / (stored_name + ".part")
    size = len(head)
    try:
        with open(partial, "wb") as out:
            out.write(head)
            while size <= limit:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                out.write(chunk)
        if size > limit:
            raise UploadRefused(too_big_message(limit))
        os.replace(partial, directory / stored_name)
    finally:
        partial.unlink(missing_ok=True)
    try:
        with db.atomic():
            attachment = Attachment.create(
                object_type=object_type, object_id=obj.id, filename=clean_filename(filename, content_type),
                stored_name=stored_name, content_type=content_type, size=size, uploaded_by=user.id)
            audit(user, "upload", attachment, {
                "object_type": (None, object_type), "object_id": (None, obj.id),
                "filename": (None, attachment.filename), "content_type": (None, content_type), "size": (None, size)},
                summary="Tải lên tệp “%s” cho %s #%d" % (attachment.filename, TYPE_LABELS[object_type], obj.id))
    except Exception:
        (directory / stored_name).unlink(missing_ok=True)
        raise
    return attachment


def delete(user, attachment, obj, root):
    """Remove the file and its row, in the audit log."""
    object_type = attachment.object_type
    with db.atomic():
        audit(user, "delete", attachment, {
            "object_type": (object_type, None), "object_id": (obj.id, None),
            "filename": (attachment.filename, None), "size": (attachment.size, None)},
            summary="Xóa tệp “%s” của %s #%d" % (attachment.filename, TYPE_LABELS[object_type], obj.id))
        attachment.delete_instance()
    stored_path(root, attachment).unlink(missing_ok=True)
