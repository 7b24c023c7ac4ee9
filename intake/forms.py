"""The citizen's form: every field checked, with a Vietnamese message beside it; attachments checked by their content.

`validate(form, files, fields, config)` returns the cleaned values and a dict of errors by field
name (empty when the form may be stored). The honeypot (`website`) and the minimum fill time are
checked by `refusal()`: a robot's post gets one message and nothing is stored.
"""
import datetime as dt
import re

from itsdangerous import BadSignature, TimestampSigner

from intake.models import KINDS
from services.file_types import sniff
from services.privacy import vietnamese_phone
from services.text import clean_typed, is_blank

CONSENT_VERSION = "2025-01"
MAX_CONTENT = 5000
MAX_FILES = 3
MAX_FILE_BYTES = 5 * 1024 * 1024
FILE_TYPES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                   r"[A-Za-z0-9])?)+")
LIMITS = {"full_name": 200, "address": 300, "title": 300, "email": 254}
TOO_FAST = ("Biểu mẫu được gửi quá nhanh sau khi mở. Vui lòng kiểm tra lại nội dung rồi bấm “Gửi yêu cầu” "
            "một lần nữa.")
ROBOT = "Không gửi được yêu cầu. Vui lòng tải lại trang và thử lại."


def one_line(value):
    """Typed text for a one-line field: no control characters, NFC, surrounding spaces out; blank is empty."""
    value = clean_typed(value or "").replace("\n", " ").replace("\t", " ").strip()
    return "" if is_blank(value) else value


def paragraphs(value):
    value = clean_typed(value or "").strip()
    return "" if is_blank(value) else value


def started_token(secret):
    """The hidden `started` value: the time the form was shown, signed."""
    return TimestampSigner(secret, salt="intake-form-started").sign("form").decode("ascii")


def refusal(form, secret, min_seconds):
    """The message for a post no person made (honeypot filled, sent too fast, token missing), or None."""
    if form.get("website", ""):
        return ROBOT
    try:
        _, shown = TimestampSigner(secret, salt="intake-form-started").unsign(
            form.get("started", ""), return_timestamp=True)
    except BadSignature:
        return ROBOT
    if shown.tzinfo is None:
        shown = shown.replace(tzinfo=dt.UTC)
    age = (dt.datetime.now(dt.UTC) - shown).total_seconds()
    if age < min_seconds:
        return TOO_FAST
    return None


def _files(uploads, errors):
    """The uploaded files that pass (content, size, count), as dicts; errors under "attachments"."""
    chosen = [f for f in uploads if f and f.filename]
    if len(chosen) > MAX_FILES:
        errors["attachments"] = "Chỉ gửi được tối đa %d tệp đính kèm." % MAX_FILES
        return []
    kept = []
    for upload in chosen:
        data = upload.stream.read(MAX_FILE_BYTES + 1)
        name = one_line(re.split(r"[\\/]", upload.filename)[-1])[:200] or "tep-dinh-kem"
        content_type = sniff(data[:16])
        if content_type not in FILE_TYPES:  # PDF, JPEG, PNG (the internal app takes WebP too, the form does not)
            errors["attachments"] = ("Tệp “%s” không phải PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp, "
                                     "không theo tên)." % name)
            return []
        if len(data) > MAX_FILE_BYTES:
            errors["attachments"] = "Tệp “%s” lớn hơn 5 MB." % name
            return []
        kept.append({"filename": name, "content_type": content_type, "size": len(data), "data": data})
    return kept


def validate(form, uploads, field_codes):
    """(values, files, errors) for a posted form; `field_codes` are the fields one may choose."""
    errors = {}
    values = {name: one_line(form.get(name)) for name in ("kind", "full_name", "phone", "email", "address",
                                                          "field", "title")}
    values["content"] = paragraphs(form.get("content"))
    values["consent"] = form.get("consent") == "yes"
    if values["kind"] not in KINDS:
        errors["kind"] = "Vui lòng chọn loại yêu cầu."
    if not values["full_name"]:
        errors["full_name"] = "Vui lòng nhập họ và tên."
    for name, limit in LIMITS.items():
        if len(values[name]) > limit and name not in errors:
            errors[name] = "Tối đa %d ký tự (đã nhập %d)." % (limit, len(values[name]))
    if values["phone"]:
        e164 = vietnamese_phone(values["phone"])
        if e164 is None:
            errors["phone"] = "Số điện thoại không đúng dạng số Việt Nam (ví dụ 0912 345 678)."
        values["phone_e164"] = e164 or ""
    else:
        values["phone_e164"] = ""
    if values["email"] and "email" not in errors and not EMAIL.fullmatch(values["email"]):
        errors["email"] = "Địa chỉ thư điện tử không hợp lệ (ví dụ ten@example.vn)."
    if not values["phone"] and not values["email"]:
        errors["phone"] = errors["email"] = "Vui lòng nhập số điện thoại hoặc thư điện tử (ít nhất một)."
    if field_codes and values["field"] not in field_codes:
        errors["field"] = "Vui lòng chọn lĩnh vực."
    if not values["title"]:
        errors["title"] = "Vui lòng nhập tiêu đề."
    if not values["content"]:
        errors["content"] = "Vui lòng nhập nội dung."
    elif len(values["content"]) > MAX_CONTENT:
        errors["content"] = "Nội dung tối đa %s ký tự (đã nhập %s)." % (
            f"{MAX_CONTENT:,}".replace(",", "."), f"{len(values['content']):,}".replace(",", "."))
    if not values["consent"]:
        errors["consent"] = "Cần đồng ý để Văn phòng xử lý dữ liệu cá nhân của ông/bà thì mới gửi được yêu cầu."
    files = _files(uploads, errors)
    return values, files, errors
