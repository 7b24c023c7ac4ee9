"""An imported register's columns and cells: headers matched to opinion fields, each cell read and checked.

Headers match case and diacritics blind (services.text.fold), by the issue's names (Số, Ngày nhận, Loại, Kênh …)
and by the headers of the app's own export (services.report_exports.REGISTER_HEADERS), so an export comes back
as it went out. `read_row` turns one row into the values it gives (None: the cell is empty or "[bảo mật]", which
never overwrites a stored value) and the reasons, in Vietnamese, it cannot be taken.
"""
import hashlib
import re
from dataclasses import dataclass, field

from models import AUDIENCES, CHANNELS, MASK, OPINION_KINDS, OPINION_STATUSES
from services.spreadsheet_readers import as_date
from services.text import clean_typed, fold, is_blank

# target: (the label shown, the headers it is known by)
COLUMNS = {
    "number": ("Số", ("Số", "Số hiệu", "Số ý kiến", "Mã ý kiến", "Mã số")),
    "received_on": ("Ngày nhận", ("Ngày nhận", "Ngày tiếp nhận", "Ngày nhận đơn")),
    "kind": ("Loại", ("Loại", "Loại ý kiến", "Phân loại")),
    "channel": ("Kênh", ("Kênh", "Nguồn tiếp nhận", "Kênh tiếp nhận", "Nguồn")),
    "audience": ("Đối tượng", ("Đối tượng",)),
    "submitter_name": ("Người gửi", ("Người gửi", "Người nêu ý kiến", "Họ tên", "Họ và tên", "Người kiến nghị")),
    "submitter_contact": ("Liên hệ", ("Liên hệ", "Địa chỉ liên hệ", "Thông tin liên hệ")),
    "content": ("Nội dung", ("Nội dung", "Nội dung ý kiến", "Nội dung kiến nghị", "Tóm tắt nội dung")),
    "field": ("Lĩnh vực", ("Lĩnh vực",)),
    "assigned_unit": ("Đơn vị xử lý", ("Đơn vị xử lý", "Đơn vị chủ trì", "Đơn vị được giao")),
    "assigned_to": ("Chuyên viên xử lý", ("Chuyên viên xử lý", "Người xử lý")),
    "deadline": ("Hạn xử lý", ("Hạn xử lý", "Thời hạn", "Hạn giải quyết")),
    "status": ("Trạng thái", ("Trạng thái", "Tình trạng", "Kết quả xử lý")),
    "draft_answer": ("Dự thảo trả lời", ("Dự thảo trả lời", "Nội dung trả lời")),
    "resolution_path": ("Hướng giải quyết", ("Hướng giải quyết",)),
}
# Known and left aside: a row counter, and what the export derives (overdue, day closed).
IGNORED_HEADERS = ("STT", "TT", "Số thứ tự", "Quá hạn", "Ngày kết thúc")
TEXT_LIMITS = {"submitter_name": 200, "submitter_contact": 300, "content": 5000, "draft_answer": 10000,
               "resolution_path": 5000}
OWN_NUMBER = re.compile(r"YK-(\d{4})-(\d{4,})", re.IGNORECASE)  # the app's register number
STATUS_WORDS = {  # other words old registers use for a status
    "moi": "received", "chua xu ly": "received", "da tiep nhan": "received", "dang xu ly": "assigned",
    "da giao": "assigned", "da tra loi": "explained", "hoan thanh": "resolved", "da xong": "resolved",
    "da chuyen": "referred", "rut": "withdrawn", "da rut": "withdrawn",
}
# Statuses that need records a file cannot hold (a conclusion): imported as an answer drafted, with a note.
NEEDS_RECORDS = {"concluded", "in_progress"}
FALLBACK_STATUS = "answer_drafted"


def _key(text):
    return fold(str(text or "")).strip(" .:*")


_BY_HEADER = {_key(header): target for target, (_, headers) in COLUMNS.items() for header in headers}
_IGNORED = {_key(header) for header in IGNORED_HEADERS}


def _choices(mapping, extra=None):
    out = {_key(label): key for key, label in mapping.items()}
    out.update({key.lower(): key for key in mapping})
    out.update(extra or {})
    return out


KINDS, CHANNEL_CHOICES, AUDIENCE_CHOICES = _choices(OPINION_KINDS), _choices(CHANNELS), _choices(AUDIENCES)
STATUSES = _choices(OPINION_STATUSES, STATUS_WORDS)


def is_header_row(cells):
    """How many known columns a row names (the header row names at least one, best two)."""
    return sum(1 for cell in cells if isinstance(cell, str) and _key(cell) in _BY_HEADER)


@dataclass
class Mapping:
    targets: list  # per column of the file: a COLUMNS key or None
    unknown: list  # [(index, header)] of the columns not recognised (ignored unless mapped by hand)


def auto_mapping(headers, chosen=None):
    """Each column's target by its header; `chosen` {index: target or ""} maps columns by hand. A target taken by
    an earlier column leaves a later one unmapped."""
    targets, unknown, taken = [], [], set()
    for index, header in enumerate(headers):
        if chosen is not None and index in chosen:
            target = chosen[index] if chosen[index] in COLUMNS else None
        else:
            target = _BY_HEADER.get(_key(header))
            if target is None and _key(header) not in _IGNORED and header:
                unknown.append((index, header))
        if target in taken:
            target = None
        if target:
            taken.add(target)
        targets.append(target)
    return Mapping(targets, unknown)


@dataclass
class Lists:
    """The lists a row's names must be in: fields, units and handlers by folded name or code."""

    fields: dict
    units: dict
    people: dict  # folded full name: [(user id, unit id)]


@dataclass
class RowValues:
    line: int
    values: dict = field(default_factory=dict)  # target: value (None: the cell gives nothing)
    errors: list = field(default_factory=list)
    own_code: str = ""  # an app register number given in Số
    legacy_code: str = ""  # any other Số
    key: str = ""  # received date, sender and content, folded and hashed: for rows without a Số
    status_note: str = ""  # the file's status when it could not be taken as it is


def row_key(received, name, content):
    """The key of a row without a usable Số: its received date, sender and content (folded)."""
    text = "%s|%s|%s" % (received.isoformat() if received else "", fold(name or ""), fold(content or ""))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _shown(value):
    text = value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value).strip()
    return text if len(text) <= 60 else text[:57] + "…"


def _text(value):
    """A cell as typed text (cleaned as any form input); None when it shows nothing or is masked."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = clean_typed(str(value)).strip()
    if is_blank(text) or text == MASK:
        return None
    return text


def read_row(line, cells, mapping, lists):
    """The values and the refusals of one row (RowValues)."""
    row = RowValues(line)
    raw = {target: cells[index] if index < len(cells) else None
           for index, target in enumerate(mapping.targets) if target}
    for target in (t for t in COLUMNS if t in raw):  # the unit before its handler
        value, label = raw[target], COLUMNS[target][0]
        if target in ("received_on", "deadline"):
            try:
                row.values[target] = as_date(value)
            except ValueError:
                row.errors.append("%s “%s” không phải là ngày (dd/mm/yyyy)." % (label, _shown(value)))
            continue
        text = _text(value)
        if target == "number":
            _read_number(row, text)
        elif text is None:
            row.values[target] = None
        elif target in TEXT_LIMITS:
            if len(text) > TEXT_LIMITS[target]:
                row.errors.append("%s dài quá %s ký tự." % (label, format(TEXT_LIMITS[target], ",").replace(",", ".")))
            row.values[target] = text
        else:
            _read_choice(row, target, text, lists)
    received, deadline = row.values.get("received_on"), row.values.get("deadline")
    if received and deadline and deadline < received:
        row.errors.append("Hạn xử lý (%s) trước ngày nhận (%s)." % (_shown(deadline), _shown(received)))
    if not row.own_code and not row.legacy_code:
        row.key = row_key(received, row.values.get("submitter_name"), row.values.get("content"))
    return row


def _read_number(row, text):
    if text is None:
        return
    match = OWN_NUMBER.fullmatch(text)
    if match:
        row.own_code = "YK-%s-%s" % (match.group(1), match.group(2))
    elif len(text) > 40:
        row.errors.append("Số “%s” dài quá 40 ký tự." % _shown(text))
    else:
        row.legacy_code = text


def _read_choice(row, target, text, lists):
    label, wanted = COLUMNS[target][0], _key(text)
    if target == "status":
        status = STATUSES.get(wanted)
        if status is None:
            row.errors.append("Trạng thái “%s” không có trong quy trình xử lý ý kiến." % _shown(text))
        row.values["status"] = status
        return
    found = {"kind": KINDS, "channel": CHANNEL_CHOICES, "audience": AUDIENCE_CHOICES, "field": lists.fields,
             "assigned_unit": lists.units}.get(target)
    if target == "assigned_to":
        people = lists.people.get(wanted, [])
        unit = row.values.get("assigned_unit")
        mine = [person for person, unit_id in people if unit is None or unit_id == unit]
        value = (mine or [None])[0]
    else:
        value = found.get(wanted)
    if value is None:
        where = "danh sách" if target in ("assigned_unit", "assigned_to") else "danh mục"
        row.errors.append("%s “%s” không có trong %s." % (label, _shown(text), where))
    row.values[target] = value


def import_status(wanted):
    """(status stored, note) for a status the file gives: one that needs a conclusion becomes an answer drafted,
    and the note says what the file had."""
    if wanted in NEEDS_RECORDS:
        return FALLBACK_STATUS, "Trạng thái trong tệp: “%s”; nhập là “%s” (chưa có kết luận trong hệ thống)." % (
            OPINION_STATUSES[wanted], OPINION_STATUSES[FALLBACK_STATUS])
    return wanted, ""
