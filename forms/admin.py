"""Validation of units, accounts, passwords and the audit log's filters (the admin screens)."""
import re

import peewee as pw
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

import models
from forms import REQUIRED, BaseForm, IdSelectField, choices, parse_day, strip
from models import AuditLog, Unit, User

UNIT_NEEDED = ("specialist", "unit_head")
CODE_TAKEN = "Mã đơn vị này đã được dùng cho đơn vị khác."
USERNAME_TAKEN = "Tên đăng nhập này đã có người dùng."


def unique(query, record, message):
    """Refuse a value that another row than `record` (None for a new one) already holds: `query` finds them."""
    if record is not None:
        query = query.where(query.model.id != record.id)
    if query.exists():
        raise ValidationError(message)


# ---------------------------------------------------------------- units

class UnitForm(BaseForm):
    code = StringField("Mã đơn vị", filters=[strip], validators=[
        DataRequired(REQUIRED % "mã đơn vị"), Length(max=20, message="Mã tối đa 20 ký tự."),
        Regexp(r"^[A-Za-z0-9]+$", message="Mã chỉ gồm chữ cái không dấu và chữ số, không có dấu cách.")])
    name = StringField("Tên đơn vị", filters=[strip], validators=[
        DataRequired(REQUIRED % "tên đơn vị"), Length(max=200, message="Tên tối đa 200 ký tự.")])
    kind = SelectField("Loại đơn vị", choices=choices(models.UNIT_KINDS), default="content",
                       validate_choice=False, validators=[
                           AnyOf(list(models.UNIT_KINDS), message="Vui lòng chọn loại đơn vị trong danh sách.")])
    active = BooleanField("Đang hoạt động", default=True)
    version = HiddenField()

    def __init__(self, *args, unit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit

    def validate_code(self, field):
        unique(Unit.select().where(pw.fn.LOWER(Unit.code) == field.data.lower()), self.unit, CODE_TAKEN)

    def values(self):
        return {"code": self.code.data, "name": self.name.data, "kind": self.kind.data,
                "active": bool(self.active.data)}


def unit_conflict_fields(unit):
    """A unit's stored values as (label, value), for the conflict box."""
    return [("Mã đơn vị", unit.code), ("Tên đơn vị", unit.name),
            ("Loại đơn vị", models.UNIT_KINDS.get(unit.kind, unit.kind)),
            ("Đang hoạt động", "Có" if unit.active else "Không")]


# ---------------------------------------------------------------- accounts

EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")
PASSWORD_RULES = [DataRequired(REQUIRED % "mật khẩu"),
                  Length(min=10, message="Mật khẩu cần ít nhất 10 ký tự."),
                  Length(max=200, message="Mật khẩu tối đa 200 ký tự.")]
CONFIRM_RULES = [EqualTo("password", message="Hai lần nhập mật khẩu không khớp.")]


def _email(form, field):
    if field.data and not EMAIL.match(field.data):
        raise ValidationError("Địa chỉ thư điện tử không hợp lệ (ví dụ: ten@vpubnd.gov.vn).")


class UserForm(BaseForm):
    username = StringField("Tên đăng nhập", filters=[strip], validators=[
        DataRequired(REQUIRED % "tên đăng nhập"), Length(max=50, message="Tối đa 50 ký tự."),
        Regexp(r"^[a-z0-9._-]+$", message="Chỉ dùng chữ thường không dấu, chữ số và các dấu . _ -")])
    full_name = StringField("Họ và tên", filters=[strip], validators=[
        DataRequired(REQUIRED % "họ và tên"), Length(max=120, message="Tối đa 120 ký tự.")])
    role = SelectField("Vai trò", choices=choices(models.ROLES), default="specialist", validate_choice=False,
                       validators=[AnyOf(list(models.ROLES), message="Vui lòng chọn vai trò trong danh sách.")])
    unit_id = IdSelectField("Đơn vị")
    email = StringField("Thư điện tử", filters=[strip], validators=[
        Optional(), Length(max=200, message="Tối đa 200 ký tự."), _email])
    title = StringField("Chức vụ", filters=[strip], validators=[Length(max=120, message="Tối đa 120 ký tự.")])
    version = HiddenField()

    def __init__(self, *args, account=None, editor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.editor = editor  # the admin at work: they may not take away their own role

    def validate_username(self, field):
        unique(User.select().where(User.username == field.data), self.account, USERNAME_TAKEN)

    def validate_role(self, field):
        editing_self = self.account is not None and self.editor is not None and self.account.id == self.editor.id
        if editing_self and field.data != "admin":
            raise ValidationError("Không thể tự bỏ vai trò quản trị của chính mình.")

    def validate_unit_id(self, field):
        if field.data is None:
            if self.role.data in UNIT_NEEDED:
                raise ValidationError("Chuyên viên và lãnh đạo phòng, đơn vị cần thuộc một đơn vị.")
            return
        unit = Unit.get_or_none(Unit.id == field.data)
        if unit is None:
            raise ValidationError("Đơn vị không tồn tại.")
        if not unit.active and (self.account is None or self.account.unit_id != unit.id):
            raise ValidationError("Đơn vị này đã ngừng hoạt động; chọn đơn vị khác.")

    def values(self):
        return {"username": self.username.data, "full_name": self.full_name.data, "role": self.role.data,
                "unit": self.unit_id.data, "email": self.email.data or "", "title": self.title.data or ""}


class UserCreateForm(UserForm):
    password = PasswordField("Mật khẩu ban đầu", validators=PASSWORD_RULES)
    confirm = PasswordField("Nhập lại mật khẩu", validators=CONFIRM_RULES)


class PasswordForm(BaseForm):
    password = PasswordField("Mật khẩu mới", validators=PASSWORD_RULES)
    confirm = PasswordField("Nhập lại mật khẩu mới", validators=CONFIRM_RULES)


def user_conflict_fields(account):
    """An account's stored values as (label, value), for the conflict box."""
    return [("Tên đăng nhập", account.username), ("Họ và tên", account.full_name),
            ("Vai trò", account.role_label), ("Đơn vị", account.unit.name if account.unit_id else ""),
            ("Thư điện tử", account.email), ("Chức vụ", account.title)]


# ---------------------------------------------------------------- the audit log

def read_day(field, example="15/06/2022"):
    """The field's day (dd/mm/yyyy or yyyy-mm-dd) into `field.day`; None and a message when unreadable."""
    try:
        field.day = parse_day(field.data)
    except ValueError:
        field.day = None
        raise ValidationError("Ngày không hợp lệ: nhập dd/mm/yyyy, ví dụ %s." % example) from None


def _day(form, field):
    read_day(field)


class AuditFilterForm(BaseForm):
    user = IdSelectField("Người thực hiện")
    object_type = StringField("Loại hồ sơ", filters=[strip])
    action = StringField("Thao tác", filters=[strip])
    date_from = StringField("Từ ngày", filters=[strip], validators=[_day])
    date_to = StringField("Đến ngày", filters=[strip], validators=[_day])

    def validate_date_to(self, field):
        start = getattr(self.date_from, "day", None)
        if field.day and start and field.day < start:
            raise ValidationError("“Đến ngày” phải sau hoặc bằng “Từ ngày”.")

    def apply(self, query):
        """The query narrowed by every filter that is valid."""
        return AuditLog.filtered(self.user.data, self.object_type.data, self.action.data,
                                 getattr(self.date_from, "day", None), getattr(self.date_to, "day", None), query)
