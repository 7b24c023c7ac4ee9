"""Form validation shared by every area: form classes whose errors are shown beside each field, in Vietnamese.

CSRF is checked for every POST by CSRFProtect in app.py, so these forms do not repeat it.
"""
import datetime as dt
import re

from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

import models
from services.text import clean_typed, is_blank, visible_length

REQUIRED = "Vui lòng nhập %s."


def strip(value):
    """A field filter: surrounding spaces are not part of what was typed."""
    return value.strip() if isinstance(value, str) else value


def typed_text(value):
    """Every text area's first filter: control characters out, composed form (NFC); text that shows nothing
    (spaces, zero-width characters) is empty, so a required field refuses it with its own message."""
    if not isinstance(value, str):
        return value
    value = clean_typed(value)
    return "" if is_blank(value) else value


def typed_line(value):
    """typed_text for a one-line field: a line break or a tab posted into it is a space."""
    value = typed_text(value)
    return value.replace("\n", " ").replace("\t", " ") if isinstance(value, str) else value


_ID = re.compile(r"[0-9]{1,18}")
# What the database holds in an integer column (SQLite: 64 bits); a number beyond it is refused, not sent.
SMALLEST_INTEGER, LARGEST_INTEGER = -2 ** 63, 2 ** 63 - 1
NOT_A_CHOICE = "Lựa chọn không hợp lệ."
OUT_OF_RANGE = "Số vượt quá giới hạn cho phép."


def parse_id(text):
    """A positive whole number from text (ASCII digits, within SQLite's integer), or None."""
    text = str(text if text is not None else "").strip()
    if not _ID.fullmatch(text):
        return None
    value = int(text)
    return value if value > 0 else None


class VisibleLength(Length):
    """Length whose minimum counts the characters that show: "ok" and eight zero-width spaces is 2, not 10.
    The maximum counts every character stored."""

    def __call__(self, form, field):
        data = field.data or ""
        if visible_length(data) < self.min or (self.max != -1 and len(data) > self.max):
            raise ValidationError(self.message)


def valid_version(form, field):
    """The record version a form was shown with (conflict detection) must be there."""
    if parse_id(field.data) is None:
        raise ValidationError("Thiếu số phiên bản của hồ sơ; vui lòng tải lại trang.")


def parse_day(text):
    """A day typed as dd/mm/yyyy or yyyy-mm-dd; None when empty; ValueError when unreadable."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise ValueError(text)


class VietnameseMessages:
    """WTForms' own messages (parse errors) in Vietnamese; it ships no Vietnamese catalogue."""

    MESSAGES = {
        "Not a valid date value.": "Ngày không hợp lệ (nhập theo dạng dd/mm/yyyy).",
        "Not a valid datetime value.": "Ngày giờ không hợp lệ.",
        "Not a valid time value.": "Giờ không hợp lệ (giờ:phút).",
        "Not a valid integer value.": "Vui lòng nhập một số nguyên.",
        "Not a valid decimal value.": "Vui lòng nhập một số.",
        "Not a valid choice.": "Lựa chọn không hợp lệ.",
        "Invalid Choice: could not coerce.": "Lựa chọn không hợp lệ.",
        "Invalid email address.": "Địa chỉ thư điện tử không hợp lệ.",
        "This field is required.": "Vui lòng nhập mục này.",
    }

    def gettext(self, string):
        return self.MESSAGES.get(string, string)

    def ngettext(self, singular, plural, n):
        return self.gettext(singular if n == 1 else plural)


def _out_of_range(value):
    return isinstance(value, int) and not isinstance(value, bool) and not (
        SMALLEST_INTEGER <= value <= LARGEST_INTEGER)


class BaseForm(FlaskForm):
    """Every form: Vietnamese messages; typed text cleaned (typed_text); numbers the database cannot hold refused."""

    class Meta:
        csrf = False  # CSRFProtect guards every POST already

        def get_translations(self, form):
            return VietnameseMessages()

        def bind_field(self, form, unbound_field, options):
            """Text areas get typed_text first, other text fields typed_line (not passwords: what is typed
            there must stay as typed)."""
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
                first = typed_text if issubclass(kind, TextAreaField) else typed_line
                options["filters"] = [first, *unbound_field.kwargs.get("filters", ())]
            return unbound_field.bind(form=form, **options)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        """After the fields read what was posted: a whole number beyond the database's integers is no value
        and an error beside its field (it would otherwise reach a query and fail there)."""
        super().process(formdata, obj, data=data, extra_filters=extra_filters, **kwargs)
        for field in self:
            if _out_of_range(field.data):
                field.data = None
                field.process_errors.append(OUT_OF_RANGE)
            elif isinstance(field.data, list) and any(_out_of_range(value) for value in field.data):
                field.data = [value for value in field.data if not _out_of_range(value)]
                field.process_errors.append(NOT_A_CHOICE)

    def first_errors(self):
        """{field name: first message}, what templates print beside each field."""
        return {name: errors[0] for name, errors in self.errors.items() if errors}


def choices(mapping):
    return [SelectChoice(key, label) for key, label in mapping.items()]


class IdSelectField(SelectField):
    """A select of database ids: empty means none; anything but a positive id the database can hold (parse_id)
    is refused in Vietnamese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, coerce=lambda v: v, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0] not in ("", "None"):
            self.data = parse_id(valuelist[0])
            if self.data is None:
                raise ValueError(NOT_A_CHOICE)

    def process_data(self, value):
        self.data = value if isinstance(value, int) or value is None else getattr(value, "id", None)


class OpinionForm(BaseForm):
    """A new opinion, petition, complaint or denunciation (the register and fast entry share it)."""

    kind = SelectField("Loại", choices=choices(models.OPINION_KINDS), default="opinion",
                       validators=[DataRequired("Vui lòng chọn loại ý kiến.")])
    # "online" is the intake sync's alone: staff enter what came at the counter, by phone, letter or the portal.
    channel = SelectField("Nguồn tiếp nhận", choices=choices(
        {k: v for k, v in models.CHANNELS.items() if k != "online"}), default="dialogue")
    audience = SelectField("Đối tượng", choices=choices(models.AUDIENCES), default="staff")
    submitter_name = StringField("Người nêu ý kiến", validators=[Length(max=200, message="Tối đa 200 ký tự.")])
    submitter_contact = StringField("Liên hệ (điện thoại, địa chỉ, số định danh)",
                                    validators=[Optional(), Length(max=300, message="Tối đa 300 ký tự.")])
    content = TextAreaField("Nội dung", validators=[
        DataRequired(REQUIRED % "nội dung ý kiến"),
        VisibleLength(min=10, max=5000, message="Nội dung cần từ 10 đến 5.000 ký tự.")])
    field_id = IdSelectField("Lĩnh vực", validators=[Optional()])
    dialogue_id = IdSelectField("Buổi đối thoại")
    received_on = DateField("Ngày tiếp nhận", validators=[Optional()],
                            render_kw={"placeholder": "yyyy-mm-dd"})
    national_code = StringField("Mã PAKN (Cổng Dịch vụ công quốc gia)",
                                validators=[Length(max=40, message="Tối đa 40 ký tự.")])

    def validate_field_id(self, field):
        if field.data is not None and not models.Field.select().where(models.Field.id == field.data).exists():
            raise ValidationError("Lĩnh vực không tồn tại.")

    def validate_dialogue_id(self, field):
        if field.data is not None and not models.Dialogue.select().where(models.Dialogue.id == field.data).exists():
            raise ValidationError("Buổi đối thoại không tồn tại.")
        if field.data is None and self.channel.data == "dialogue":
            raise ValidationError("Ý kiến nêu tại buổi đối thoại cần chọn buổi đối thoại.")

    def validate_national_code(self, field):
        if self.channel.data == "portal" and not (field.data or "").strip():
            raise ValidationError("Yêu cầu từ Cổng Dịch vụ công quốc gia cần ghi mã PAKN.")

    def validate_submitter_name(self, field):
        if self.kind.data in ("complaint", "denunciation") and not (field.data or "").strip():
            raise ValidationError("Khiếu nại, tố cáo cần ghi họ tên người gửi (được bảo mật).")

    def values(self):
        """The model fields this form sets."""
        return {
            "kind": self.kind.data, "channel": self.channel.data, "audience": self.audience.data,
            "submitter_name": (self.submitter_name.data or "").strip(),
            "submitter_contact": (self.submitter_contact.data or "").strip(),
            "content": self.content.data.strip(), "field": self.field_id.data,
            "dialogue": self.dialogue_id.data, "received_on": self.received_on.data or models.today(),
            "national_code": (self.national_code.data or "").strip(),
        }
