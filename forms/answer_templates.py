"""Validation of the answer templates: title, the unit it belongs to (who may choose which), field, and a body
whose placeholders are all known."""
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms import REQUIRED, BaseForm, IdSelectField, strip, valid_version
from models import Field, Unit
from services.answer_templates import PLACEHOLDERS, unknown_placeholders

BODY_MAX = 10_000  # what the draft answer holds
OFFICE = "office"  # the unit select's value for an office-wide template


class UnitChoiceField(IdSelectField):
    """The template's unit: a unit id, or "office" (OFFICE) for the whole office."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] == OFFICE:
            self.data = OFFICE
            return
        super().process_formdata(valuelist)


class AnswerTemplateForm(BaseForm):
    """A template's title, unit, field and Markdown text; an edit carries the version it was opened at."""

    title = StringField("Tên mẫu", filters=[strip], validators=[DataRequired(REQUIRED % "tên mẫu"),
                                               Length(max=200, message="Tên mẫu tối đa 200 ký tự.")])
    unit_id = UnitChoiceField("Phạm vi sử dụng")
    field_id = IdSelectField("Lĩnh vực")
    body_md = TextAreaField("Nội dung mẫu (Markdown)", validators=[
        DataRequired(REQUIRED % "nội dung mẫu"),
        Length(max=BODY_MAX, message="Nội dung mẫu tối đa 10.000 ký tự.")])
    version = HiddenField()

    def __init__(self, *args, user=None, template=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.template = user, template
        if template is not None:
            self.version.validators = [valid_version]
            if self.unit_id.data is None and not self.is_submitted():
                self.unit_id.data = OFFICE

    def unit_choices(self):
        """(value, name) the user may choose: office-wide and every active unit for the coordinator and the chief,
        his own unit for a unit head."""
        if self.user.role == "unit_head":
            return [(u.id, u.name) for u in Unit.select().where(Unit.id == self.user.unit_id)]
        units = Unit.in_name_order(Unit.select().where(Unit.active == True))  # noqa: E712
        return [(OFFICE, "Toàn Văn phòng (dùng chung)")] + [(u.id, u.name) for u in units]

    def validate_unit_id(self, field):
        if field.data is None:
            raise ValidationError("Vui lòng chọn phạm vi sử dụng: toàn Văn phòng hoặc một đơn vị.")
        if field.data not in {value for value, _ in self.unit_choices()}:
            if self.user.role == "unit_head":
                raise ValidationError("Lãnh đạo phòng chỉ soạn mẫu của đơn vị mình; "
                                      "mẫu dùng chung do Phòng TCHCQT quản lý.")
            raise ValidationError("Đơn vị không tồn tại hoặc đã ngừng hoạt động.")

    def validate_field_id(self, field):
        if field.data is not None and not Field.select().where(Field.id == field.data).exists():
            raise ValidationError("Lĩnh vực không tồn tại.")

    def validate_body_md(self, field):
        unknown = unknown_placeholders(field.data)
        if unknown:
            raise ValidationError("Không có trường thay thế %s. Chỉ dùng được: %s. Muốn viết dấu ngoặc nhọn, gõ "
                                  "{{ và }}." % (", ".join(unknown[:10]), ", ".join("{%s}" % p for p in PLACEHOLDERS)))

    def values(self):
        """The model fields this form sets."""
        return {"title": self.title.data, "unit": None if self.unit_id.data == OFFICE else self.unit_id.data,
                "field": self.field_id.data, "body_md": self.body_md.data.strip()}


def conflict_fields(template):
    """A template's stored values as (label, value), for the conflict box."""
    return [("Tên mẫu", template.title), ("Phạm vi sử dụng", template.scope_label),
            ("Lĩnh vực", template.field.name if template.field_id else "—"),
            ("Trạng thái", "Ngừng sử dụng" if template.is_retired else "Đang dùng"), ("Nội dung", template.body_md)]
