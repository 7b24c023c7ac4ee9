"""The audit log as people read it: Vietnamese names of actions, records and fields, stored values shown."""
import datetime as dt
import re

import peewee as pw

import models
from models import Unit, User

ACTION_LABELS = {
    "create": "Tạo mới",
    "update": "Cập nhật",
    "delete": "Xóa",
    "transition": "Chuyển trạng thái",
    "status": "Đổi trạng thái",
    "assign": "Giao xử lý",
    "answer": "Dự thảo trả lời",
    "minutes": "Ghi biên bản",
    "followup": "Cập nhật tiến độ",
    "sign": "Ký ban hành",
    "publish": "Công bố",
    "approve": "Phê duyệt",
    "view_identity": "Xem thông tin người tố cáo",
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập sai",
    "logout": "Đăng xuất",
    "password_reset": "Đặt lại mật khẩu",
    "password_change": "Đổi mật khẩu",
    "disable": "Khóa tài khoản",
    "enable": "Mở khóa tài khoản",
}
OBJECT_LABELS = {
    "opinion": "Ý kiến",
    "dialogue": "Buổi đối thoại",
    "conclusion_notice": "Thông báo kết luận",
    "conclusion": "Kết luận",
    "follow_up": "Đôn đốc, tiến độ",
    "proposal": "Đề xuất nội dung đối thoại",
    "appraisal": "Thẩm định",
    "report": "Báo cáo",
    "plan": "Kế hoạch",
    "unit": "Đơn vị",
    "user": "Tài khoản",
    "agency": "Cơ quan",
    "field": "Lĩnh vực",
    "holiday": "Ngày nghỉ, ngày làm bù",
    "setting": "Thiết lập",
    "attachment": "Tệp đính kèm",
}
FIELD_LABELS = {
    "code": "Mã", "name": "Tên", "kind": "Loại", "active": "Đang hoạt động", "title": "Tiêu đề",
    "username": "Tên đăng nhập", "full_name": "Họ và tên", "password_hash": "Mật khẩu", "role": "Vai trò",
    "unit": "Đơn vị", "email": "Thư điện tử", "session_epoch": "Phiên đăng nhập",
    "failed_logins": "Số lần đăng nhập sai", "locked_until": "Tạm khóa đến", "last_login_at": "Đăng nhập gần nhất",
    "status": "Trạng thái", "channel": "Nguồn tiếp nhận", "audience": "Đối tượng",
    "submitter_name": "Người nêu ý kiến", "submitter_contact": "Liên hệ của người nêu ý kiến",
    "content": "Nội dung", "field": "Lĩnh vực", "dialogue": "Buổi đối thoại", "received_on": "Ngày tiếp nhận",
    "assigned_unit": "Đơn vị xử lý", "assigned_to": "Người xử lý", "directed_by": "Người chỉ đạo",
    "deadline": "Hạn xử lý", "draft_answer": "Dự thảo trả lời", "resolution_path": "Hướng giải quyết",
    "closed_at": "Thời điểm kết thúc", "occasion": "Gắn với hội nghị",
    "is_chairman": "Đối thoại của Chủ tịch UBND tỉnh",
    "starts_at": "Bắt đầu", "ends_at": "Kết thúc", "place": "Địa điểm", "chair": "Chủ trì",
    "description": "Mô tả", "is_public": "Công khai", "attendance": "Số người dự", "discussion": "Nội dung trao đổi",
    "directions": "Ý kiến chỉ đạo", "slug": "Địa chỉ công khai", "plan": "Kế hoạch", "note": "Ghi chú",
    "percent_done": "Tỷ lệ hoàn thành (%)", "decision": "Nội dung kết luận", "public_summary": "Tóm tắt công khai",
    "responsible_unit": "Đơn vị thực hiện", "responsible_user": "Người thực hiện",
    "publish_in_progress": "Công bố khi đang thực hiện", "body_md": "Nội dung", "number": "Số", "year": "Năm",
    "signed_by": "Người ký", "signed_at": "Ngày ký", "revision": "Lần ban hành", "agency": "Cơ quan",
    "document_ref": "Văn bản", "content_unit": "Đơn vị tham mưu", "decision_note": "Ghi chú quyết định",
    "issued_on": "Ngày ban hành", "midyear_report_due": "Hạn báo cáo 6 tháng",
    "annual_report_due": "Hạn báo cáo năm", "narrative_md": "Nội dung báo cáo", "cutoff": "Ngày chốt số liệu",
    "approved_by": "Người phê duyệt", "approved_at": "Ngày phê duyệt", "day": "Ngày", "value": "Giá trị",
    "created_by": "Người tạo", "fields": "Lĩnh vực", "attendees": "Người dự",
}
FIELD_LABELS_BY_TYPE = {"user": {"title": "Chức vụ"}, "conclusion_notice": {"title": "Trích yếu"}}
VALUE_LABELS = {  # (object type or None for any, field) → labels of stored codes
    ("opinion", "status"): models.OPINION_STATUSES, ("opinion", "kind"): models.OPINION_KINDS,
    ("dialogue", "status"): models.DIALOGUE_STATUSES, ("dialogue", "kind"): models.DIALOGUE_KINDS,
    ("conclusion_notice", "status"): models.NOTICE_STATUSES, ("conclusion", "status"): models.CONCLUSION_STATUSES,
    ("proposal", "status"): models.PROPOSAL_STATUSES, ("unit", "kind"): models.UNIT_KINDS,
    ("agency", "kind"): models.AGENCY_KINDS, ("follow_up", "kind"): models.FOLLOWUP_KINDS,
    ("report", "kind"): models.REPORT_KINDS, ("holiday", "kind"): models.HOLIDAY_KINDS,
    (None, "role"): models.ROLES, (None, "channel"): models.CHANNELS, (None, "audience"): models.AUDIENCES,
    (None, "occasion"): models.OCCASIONS,
}
REFERENCES = {  # fields holding the id of another record → (model, the column shown)
    "unit": (Unit, Unit.name), "assigned_unit": (Unit, Unit.name), "responsible_unit": (Unit, Unit.name),
    "content_unit": (Unit, Unit.name),
    "assigned_to": (User, User.full_name), "directed_by": (User, User.full_name),
    "responsible_user": (User, User.full_name), "signed_by": (User, User.full_name),
    "approved_by": (User, User.full_name), "created_by": (User, User.full_name),
    "field": (models.Field, models.Field.name), "dialogue": (models.Dialogue, models.Dialogue.title),
    "fields": (models.Field, models.Field.name), "attendees": (User, User.full_name),  # lists of ids
}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIMED = (pw.DateField, pw.DateTimeField, pw.TimeField)
_MODELS = {model._meta.table_name: model for model in models.MODELS}
# Names of the date and time columns of every table: for a record type that is not one table.
_TIMED_ANYWHERE = {name for model in models.MODELS for name, column in model._meta.fields.items()
                   if isinstance(column, _TIMED)}


def is_timed(object_type, name):
    """True for a date or time column of the record's table: only those values are shown as dates."""
    model = _MODELS.get(object_type)
    if model is not None and name in model._meta.fields:
        return isinstance(model._meta.fields[name], _TIMED)
    return name in _TIMED_ANYWHERE


def show_time(value):
    """A stored ISO date ("2026-02-28") or time as dd/mm/yyyy (hh:mm); anything else, or a date that does not
    exist ("2026-02-30"), as it was stored."""
    try:
        if _ISO_DATETIME.match(value):
            return dt.datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")
        if _ISO_DATE.match(value):
            return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        pass
    return value


def show_value(value, object_type, name, names):
    """A stored audit value as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(show_value(item, object_type, name, names) for item in value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    labels = VALUE_LABELS.get((object_type, name)) or VALUE_LABELS.get((None, name))
    if labels and isinstance(value, str) and value in labels:
        return labels[value]
    if name in REFERENCES and isinstance(value, int):
        return names.get((REFERENCES[name][0], value), "#%d" % value)
    if isinstance(value, str) and is_timed(object_type, name):
        return show_time(value)
    return str(value)


def reference_names(rows):
    """The names behind every id the page's changes refer to: one query per referenced table."""
    wanted = {}
    for row in rows:
        for name, values in row.change_list:
            if name in REFERENCES:
                ids = wanted.setdefault(REFERENCES[name], set())
                for value in values:
                    ids.update(v for v in (value if isinstance(value, list) else [value]) if isinstance(v, int))
    names = {}
    for (model, column), ids in wanted.items():
        if ids:
            for ref_id, label in model.select(model.id, column).where(model.id.in_(sorted(ids))).tuples():
                names[(model, ref_id)] = label
    return names


def entries(rows, link_for):
    """Each row with its Vietnamese action, object label and link (`link_for(row)`, or None), and readable
    changes."""
    names = reference_names(rows)
    out = []
    for row in rows:
        labels = FIELD_LABELS_BY_TYPE.get(row.object_type, {})
        out.append({
            "row": row, "who": row.user.full_name if row.user_id else "Hệ thống",
            "action": ACTION_LABELS.get(row.action, row.action),
            "object": OBJECT_LABELS.get(row.object_type, row.object_type), "link": link_for(row),
            "changes": [(labels.get(name) or FIELD_LABELS.get(name, name),
                         show_value(old, row.object_type, name, names),
                         show_value(new, row.object_type, name, names))
                        for name, (old, new) in row.change_list],
        })
    return out

