"""Answer templates (mẫu trả lời): their placeholders checked and filled from an opinion; create, edit, retire,
restore and delete, audited.

A placeholder is a name in braces, `{so}`; `{{` and `}}` write a brace itself. Any other `{…}` on one line is an
unknown placeholder, refused when the template is saved. A denouncer's name is never filled in.
"""
import re

from models import AnswerTemplate, audit, db, save_versioned

PLACEHOLDERS = {
    "so": "số ý kiến trong sổ theo dõi",
    "ngay_nhan": "ngày tiếp nhận (dd/mm/yyyy)",
    "linh_vuc": "lĩnh vực",
    "don_vi": "đơn vị xử lý",
    "han": "hạn xử lý (dd/mm/yyyy)",
    "nguoi_gui": "người gửi (khi được phép xem; người tố cáo: “ông/bà”)",
}
# `{{`, `}}`, or a brace pair with no brace or line break inside (what could be meant as a placeholder)
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}\n]{0,60})\}")
UNKNOWN_VALUE = "chưa xác định"
NEUTRAL_NAME = "ông/bà"  # where the sender's name may not be written
IN_USE = ("Mẫu “%s” đã được dùng cho %d ý kiến nên không xóa được (để giữ lịch sử trả lời); "
          "có thể ngừng sử dụng mẫu thay vì xóa.")


def unknown_placeholders(text):
    """The `{…}` in `text` that are not placeholders, each once, in order of appearance."""
    found = []
    for match in _TOKEN.finditer(text or ""):
        name = match.group(1)
        if name is not None and name not in PLACEHOLDERS and match.group(0) not in found:
            found.append(match.group(0))
    return found


def values_for(opinion, user):
    """Each placeholder's text for `opinion` as `user` may see it."""
    name = (opinion.submitter_name or "").strip()
    may_name = name and opinion.kind != "denunciation" and opinion.can_see_identity(user)
    return {
        "so": opinion.code,
        "ngay_nhan": opinion.received_on.strftime("%d/%m/%Y") if opinion.received_on else UNKNOWN_VALUE,
        "linh_vuc": opinion.field.name if opinion.field_id else UNKNOWN_VALUE,
        "don_vi": opinion.assigned_unit.name if opinion.assigned_unit_id else UNKNOWN_VALUE,
        "han": opinion.deadline.strftime("%d/%m/%Y") if opinion.deadline else UNKNOWN_VALUE,
        "nguoi_gui": name if may_name else NEUTRAL_NAME,
    }


def fill(template, opinion, user):
    """The template's text with its placeholders filled from `opinion` (as `user` may see it); `{{` → `{`."""
    values = values_for(opinion, user)

    def one(match):
        token, name = match.group(0), match.group(1)
        if name is None:
            return token[0]
        return values.get(name, token)

    return _TOKEN.sub(one, template.body_md or "")


def label(template):
    return "mẫu trả lời “%s”" % template.title


def create(user, values):
    """A new template, audited."""
    with db.atomic():
        template = AnswerTemplate.create(created_by=user.id, updated_by=user.id, **values)
        audit(user, "create", template, {k: (None, v) for k, v in values.items()}, summary="Thêm %s" % label(template))
    return template


def edit(template, version, user, values):
    """The template saved with `values` unless someone saved it since `version` (ConflictError)."""
    return save_versioned(template, version, user, dict(values, updated_by=user.id), summary="Sửa %s" % label(template))


def set_retired(template, version, user, retired):
    """Retire the template (no longer offered for new answers, kept for the ones that used it) or restore it."""
    return save_versioned(template, version, user, {"is_retired": bool(retired), "updated_by": user.id},
                          action="retire" if retired else "restore",
                          summary="%s %s" % ("Ngừng sử dụng" if retired else "Dùng lại", label(template)))


class InUse(Exception):
    """The template was used by an opinion's answer; str() says so in Vietnamese."""


def delete(template, user):
    """Delete a template no opinion used (InUse otherwise), audited."""
    with db.atomic():
        used = template.opinions.count()
        if used:
            raise InUse(IN_USE % (template.title, used))
        audit(user, "delete", template, {"title": (template.title, None), "body_md": (template.body_md, None),
                                         "unit": (template.unit_id, None), "field": (template.field_id, None)},
              summary="Xóa %s" % label(template))
        AnswerTemplate.delete().where(AnswerTemplate.id == template.id).execute()
