"""Units and user accounts (managed by the admin) and the audit log (read by the coordinator and chief)."""
import datetime as dt
import re

import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, EqualTo, Length, Optional, Regexp, ValidationError

import models
from forms import REQUIRED, BaseForm, IdSelectField, choices, parse_day, strip
from models import AuditLog, ConflictError, Unit, User, audit, db, save_versioned
from services.text import person_sort_key, sort_key
from views.auth import hash_password, roles_required
from views.common import Page, form_version, int_arg, invalid_status, page_arg, wants_fragment

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")

UNIT_READERS = ("admin", "coordinator", "chief", "leader")
AUDIT_READERS = ("coordinator", "chief")
AUDIT_PER_PAGE = 50
UNIT_NEEDED = ("specialist", "unit_head")



class Rows(list):
    """Rows already sorted in Python (Vietnamese order), paginated by views.common.Page."""

    def count(self):
        return len(self)

    def paginate(self, page, per_page):
        start = (page - 1) * per_page
        return self[start:start + per_page]


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
        taken = Unit.select().where(pw.fn.LOWER(Unit.code) == field.data.lower())
        if self.unit is not None:
            taken = taken.where(Unit.id != self.unit.id)
        if taken.exists():
            raise ValidationError(CODE_TAKEN)

    def values(self):
        return {"code": self.code.data, "name": self.name.data, "kind": self.kind.data,
                "active": bool(self.active.data)}


CODE_TAKEN = "Mã đơn vị này đã được dùng cho đơn vị khác."


def _unit_conflict_fields(unit):
    return [("Mã đơn vị", unit.code), ("Tên đơn vị", unit.name),
            ("Loại đơn vị", models.UNIT_KINDS.get(unit.kind, unit.kind)),
            ("Đang hoạt động", "Có" if unit.active else "Không")]


def _unit_form_page(form, unit=None, errors=None, conflict=None):
    return render_template("staff/admin/unit_form.html", form=form, unit=unit, errors=errors or {},
                           conflict=conflict,
                           conflict_fields=_unit_conflict_fields(conflict) if conflict else [])


@bp.get("/don-vi/")
@roles_required(*UNIT_READERS)
def units_get():
    """Units in Vietnamese alphabetical order, with the number of accounts in each (one query)."""
    query = (Unit.select(Unit, pw.fn.COUNT(User.id).alias("user_count"))
             .join(User, pw.JOIN.LEFT_OUTER, on=(User.unit == Unit.id)).group_by(Unit))
    page = Page(Rows(sorted(query, key=lambda u: sort_key(u.name))), page_arg(),
                current_app.config["PER_PAGE"])
    return render_template("staff/admin/units.html", page=page)


@bp.get("/don-vi/moi")
@roles_required("admin")
def unit_new_get():
    """An empty unit form."""
    return _unit_form_page(UnitForm())


@bp.post("/don-vi/moi")
@roles_required("admin")
def unit_new_post():
    """Create a unit; errors are shown beside their fields and nothing is stored."""
    form = UnitForm()
    if form.validate():
        values = form.values()
        try:
            with db.atomic():
                unit = Unit.create(**values)
                audit(g.user, "create", unit, {k: (None, v) for k, v in values.items()},
                      summary="Tạo đơn vị %s" % unit.name)
        except pw.IntegrityError:
            return _unit_form_page(form, errors={"code": CODE_TAKEN}), invalid_status()
        flash("Đã tạo đơn vị “%s”." % unit.name, "success")
        return redirect(url_for("admin.units_get"), code=303)
    return _unit_form_page(form, errors=form.first_errors()), invalid_status()


@bp.get("/don-vi/<int:unit_id>/sua")
@roles_required("admin")
def unit_edit_get(unit_id):
    """The unit's form, filled in, carrying the version it was opened at."""
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    return _unit_form_page(UnitForm(obj=unit, unit=unit), unit)


@bp.post("/don-vi/<int:unit_id>/sua")
@roles_required("admin")
def unit_edit_post(unit_id):
    """Save a unit unless someone saved it since it was opened (409 shows their version)."""
    unit = Unit.get_or_none(Unit.id == unit_id) or abort(404)
    form = UnitForm(unit=unit)
    if not form.validate():
        return _unit_form_page(form, unit, errors=form.first_errors()), invalid_status()
    try:
        unit = save_versioned(unit, form_version(form), g.user, form.values(), summary="Sửa đơn vị %s" % unit.name)
    except ConflictError as error:
        current = error.current
        current.updated_by_name = AuditLog.last_editor_name(current)
        form.version.data = current.version  # saving again now is a deliberate overwrite
        return _unit_form_page(form, unit, conflict=current), 409
    except pw.IntegrityError:
        return _unit_form_page(form, unit, errors={"code": CODE_TAKEN}), invalid_status()
    flash("Đã lưu đơn vị “%s”." % unit.name, "success")
    return redirect(url_for("admin.units_get"), code=303)


@bp.get("/don-vi/kiem-tra")
@roles_required("admin")
def unit_check_get():
    """Inline check of one field of the unit form, by the same form code as a save."""
    unit = Unit.get_or_none(Unit.id == int_arg("unit_id")) if int_arg("unit_id") else None
    form = UnitForm(formdata=request.args, unit=unit)
    form.validate()
    return render_template("staff/admin/_field_error.html", errors=form.first_errors(),
                           name=request.args.get("field", ""))


# ---------------------------------------------------------------- users

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

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def validate_username(self, field):
        taken = User.select().where(User.username == field.data)
        if self.account is not None:
            taken = taken.where(User.id != self.account.id)
        if taken.exists():
            raise ValidationError(USERNAME_TAKEN)

    def validate_role(self, field):
        if self.account is not None and self.account.id == g.user.id and field.data != "admin":
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


USERNAME_TAKEN = "Tên đăng nhập này đã có người dùng."


def _units_sorted():
    return sorted(Unit.select(), key=lambda u: sort_key(u.name))


def _user_conflict_fields(account):
    return [("Tên đăng nhập", account.username), ("Họ và tên", account.full_name),
            ("Vai trò", account.role_label), ("Đơn vị", account.unit.name if account.unit_id else ""),
            ("Thư điện tử", account.email), ("Chức vụ", account.title)]


def _user_form_page(form, account=None, errors=None, conflict=None, password_errors=None):
    if conflict is not None:
        conflict.updated_by_name = AuditLog.last_editor_name(conflict)
    return render_template("staff/admin/user_form.html", form=form, account=account, errors=errors or {},
                           units=_units_sorted(), conflict=conflict,
                           conflict_fields=_user_conflict_fields(conflict) if conflict else [],
                           password_errors=password_errors or {})


def _account_or_404(user_id):
    return (User.select(User, Unit).join(Unit, pw.JOIN.LEFT_OUTER, on=(User.unit == Unit.id))
            .where(User.id == user_id).first()) or abort(404)


@bp.get("/tai-khoan/")
@roles_required("admin")
def users_get():
    """Accounts in Vietnamese order of given names, filtered by role and unit."""
    role, unit_id = request.args.get("role", ""), int_arg("unit")
    query = User.select(User, Unit).join(Unit, pw.JOIN.LEFT_OUTER, on=(User.unit == Unit.id))
    if role in models.ROLES:
        query = query.where(User.role == role)
    if unit_id:
        query = query.where(User.unit == unit_id)
    page = Page(Rows(sorted(query, key=lambda u: person_sort_key(u.full_name))), page_arg(),
                current_app.config["PER_PAGE"])
    template = "staff/admin/_users_table.html" if wants_fragment() else "staff/admin/users.html"
    return render_template(template, page=page, units=_units_sorted(), role=role, unit_id=unit_id)


@bp.get("/tai-khoan/moi")
@roles_required("admin")
def user_new_get():
    """An empty account form."""
    return _user_form_page(UserCreateForm())


@bp.post("/tai-khoan/moi")
@roles_required("admin")
def user_new_post():
    """Create an account with a hashed initial password."""
    form = UserCreateForm()
    if form.validate():
        values = form.values()
        values["password_hash"] = hash_password(form.password.data, current_app.config["PASSWORD_HASH"])
        try:
            with db.atomic():
                account = User.create(**values)
                audit(g.user, "create", account, {k: (None, v) for k, v in values.items()},
                      summary="Tạo tài khoản %s" % account.username)
        except pw.IntegrityError:
            return _user_form_page(form, errors={"username": USERNAME_TAKEN}), invalid_status()
        flash("Đã tạo tài khoản “%s”." % account.username, "success")
        return redirect(url_for("admin.users_get"), code=303)
    return _user_form_page(form, errors=form.first_errors()), invalid_status()


@bp.get("/tai-khoan/<int:user_id>/sua")
@roles_required("admin")
def user_edit_get(user_id):
    """The account's form, with password reset and disable/enable."""
    account = _account_or_404(user_id)
    form = UserForm(obj=account, account=account)
    form.unit_id.data = account.unit_id
    return _user_form_page(form, account)


@bp.post("/tai-khoan/<int:user_id>/sua")
@roles_required("admin")
def user_edit_post(user_id):
    """Save an account unless someone saved it since it was opened (409 shows their version)."""
    account = _account_or_404(user_id)
    form = UserForm(account=account)
    if not form.validate():
        return _user_form_page(form, account, errors=form.first_errors()), invalid_status()
    try:
        account = save_versioned(account, form_version(form), g.user, form.values(),
                                 summary="Sửa tài khoản %s" % account.username)
    except ConflictError as error:
        form.version.data = error.current.version  # saving again now is a deliberate overwrite
        return _user_form_page(form, account, conflict=error.current), 409
    except pw.IntegrityError:
        return _user_form_page(form, account, errors={"username": USERNAME_TAKEN}), invalid_status()
    flash("Đã lưu tài khoản “%s”." % account.username, "success")
    return redirect(url_for("admin.users_get"), code=303)


@bp.post("/tai-khoan/<int:user_id>/dat-lai-mat-khau")
@roles_required("admin")
def user_password_post(user_id):
    """Set a new password, end the account's sessions and lift a login lockout."""
    account = _account_or_404(user_id)
    form = PasswordForm()
    if not form.validate():
        if wants_fragment():
            return render_template("staff/admin/_password_form.html", account=account,
                                   password_errors=form.first_errors())
        return _user_form_page(UserForm(obj=account, account=account), account,
                               password_errors=form.first_errors()), 422
    new_hash = hash_password(form.password.data, current_app.config["PASSWORD_HASH"])
    changes = {"password_hash": (account.password_hash, new_hash),
               "session_epoch": (account.session_epoch, account.session_epoch + 1)}
    if account.locked_until or account.failed_logins:
        changes.update(locked_until=(account.locked_until, None), failed_logins=(account.failed_logins, 0))
    with db.atomic():
        User.update(password_hash=new_hash, session_epoch=User.session_epoch + 1, failed_logins=0,
                    locked_until=None).where(User.id == account.id).execute()
        audit(g.user, "password_reset", account, changes, summary="Đặt lại mật khẩu cho %s" % account.username)
    if account.id == g.user.id:
        session["epoch"] = account.session_epoch + 1  # keep this session; the others end
    message = "Đã đặt lại mật khẩu cho “%s”; các phiên đăng nhập của tài khoản đã kết thúc." % account.username
    if wants_fragment():
        return render_template("staff/admin/_password_form.html", account=account, done=message,
                               password_errors={})
    flash(message, "success")
    return redirect(url_for("admin.user_edit_get", user_id=account.id), code=303)


@bp.post("/tai-khoan/<int:user_id>/khoa")
@roles_required("admin")
def user_toggle_post(user_id):
    """Disable an account (its sessions end at once) or enable it again."""
    account = _account_or_404(user_id)
    if account.id == g.user.id:
        message = "Không thể tự khóa tài khoản đang đăng nhập."
        if wants_fragment():
            return message, 403
        return render_template("errors/error.html", code=403, title="Không thể khóa tài khoản",
                               message=message), 403
    disabling = account.active
    changes = {"active": not disabling}
    if disabling:
        changes["session_epoch"] = account.session_epoch + 1
    try:
        save_versioned(account, account.version, g.user, changes, action="disable" if disabling else "enable",
                       summary="%s tài khoản %s" % ("Khóa" if disabling else "Mở khóa", account.username))
    except ConflictError:  # saved by someone else a moment ago: show the list as it is now
        flash("Tài khoản vừa được người khác cập nhật; vui lòng kiểm tra và thử lại.", "warning")
        return redirect(url_for("admin.users_get"), code=303)
    account = _account_or_404(user_id)
    if wants_fragment():
        return render_template("staff/admin/_user_row.html", account=account)
    flash("Đã %s tài khoản “%s”." % ("khóa" if disabling else "mở khóa", account.username), "success")
    return redirect(url_for("admin.users_get"), code=303)


@bp.get("/tai-khoan/kiem-tra")
@roles_required("admin")
def user_check_get():
    """Inline check of one field of the account form, by the same form code as a save."""
    account = User.get_or_none(User.id == int_arg("user_id")) if int_arg("user_id") else None
    form = UserForm(formdata=request.args, account=account)
    form.validate()
    return render_template("staff/admin/_field_error.html", errors=form.first_errors(),
                           name=request.args.get("field", ""))


# ---------------------------------------------------------------- the audit log

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
DETAIL_LINKS = {"opinion": ("opinions.detail_get", "opinion_id"), "dialogue": ("dialogues.detail_get", "dialogue_id")}
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _day(form, field):
    try:
        field.day = parse_day(field.data)
    except ValueError:
        field.day = None
        raise ValidationError("Ngày không hợp lệ: nhập dd/mm/yyyy, ví dụ 15/06/2022.") from None


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
        if self.user.data:
            query = query.where(AuditLog.user == self.user.data)
        if self.object_type.data:
            query = query.where(AuditLog.object_type == self.object_type.data)
        if self.action.data:
            query = query.where(AuditLog.action == self.action.data)
        if getattr(self.date_from, "day", None):
            query = query.where(AuditLog.at >= dt.datetime.combine(self.date_from.day, dt.time()))
        if getattr(self.date_to, "day", None):
            query = query.where(AuditLog.at < dt.datetime.combine(self.date_to.day + dt.timedelta(days=1), dt.time()))
        return query


def _show_value(value, object_type, name, names):
    """A stored audit value as a person reads it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(_show_value(item, object_type, name, names) for item in value)
    if isinstance(value, bool):
        return "Có" if value else "Không"
    labels = VALUE_LABELS.get((object_type, name)) or VALUE_LABELS.get((None, name))
    if labels and isinstance(value, str) and value in labels:
        return labels[value]
    if name in REFERENCES and isinstance(value, int):
        return names.get((REFERENCES[name][0], value), "#%d" % value)
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        return dt.datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, str) and _ISO_DATE.match(value):
        return dt.date.fromisoformat(value).strftime("%d/%m/%Y")
    return str(value)


def _reference_names(rows):
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


def _audit_entries(rows):
    """Each row with its Vietnamese action, object label and link, and readable changes."""
    names = _reference_names(rows)
    entries = []
    for row in rows:
        labels = FIELD_LABELS_BY_TYPE.get(row.object_type, {})
        link = None
        if row.object_type in DETAIL_LINKS and row.object_id:
            endpoint, arg = DETAIL_LINKS[row.object_type]
            link = url_for(endpoint, **{arg: row.object_id})
        entries.append({
            "row": row, "who": row.user.full_name if row.user_id else "Hệ thống",
            "action": ACTION_LABELS.get(row.action, row.action),
            "object": OBJECT_LABELS.get(row.object_type, row.object_type), "link": link,
            "changes": [(labels.get(name) or FIELD_LABELS.get(name, name),
                         _show_value(old, row.object_type, name, names),
                         _show_value(new, row.object_type, name, names))
                        for name, (old, new) in row.change_list],
        })
    return entries


@bp.get("/nhat-ky/")
@roles_required(*AUDIT_READERS)
def audit_get():
    """The audit log, newest first, with filters; confidential values are stored masked."""
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    query = (AuditLog.select(AuditLog, User).join(User, pw.JOIN.LEFT_OUTER, on=(AuditLog.user == User.id))
             .order_by(AuditLog.at.desc(), AuditLog.id.desc()))
    page = Page(form.apply(query), page_arg(), AUDIT_PER_PAGE)
    people = sorted(User.select(User.id, User.full_name, User.username), key=lambda u: person_sort_key(u.full_name))
    template = "staff/admin/_audit_panel.html" if wants_fragment() else "staff/admin/audit.html"
    html = render_template(template, page=page, entries=_audit_entries(page.items), form=form,
                           errors=form.first_errors(), people=people, actions=ACTION_LABELS,
                           object_types=OBJECT_LABELS)
    return html, 200 if valid else invalid_status()
