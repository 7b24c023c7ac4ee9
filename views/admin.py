"""Units and user accounts (managed by the admin) and the audit log (read by the coordinator and chief)."""
import functools

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from forms.admin import (
    CODE_TAKEN,
    USERNAME_TAKEN,
    AuditFilterForm,
    PasswordForm,
    UnitForm,
    UserCreateForm,
    UserForm,
    unit_conflict_fields,
    user_conflict_fields,
)
from models import AuditLog, ConflictError, Unit, User, audit, db, save_versioned
from services import accounts, audit_log
from views.auth import roles_required
from views.common import (
    Page,
    edit_with_conflict,
    form_version,
    get_or_404,
    int_arg,
    invalid_status,
    page_arg,
    wants_fragment,
)

bp = Blueprint("admin", __name__, url_prefix="/quan-tri")

UNIT_READERS = ("admin", "coordinator", "chief", "leader")
AUDIT_READERS = ("coordinator", "chief")
AUDIT_PER_PAGE = 50
DETAIL_LINKS = {"opinion": ("opinions.detail_get", "opinion_id"), "dialogue": ("dialogues.detail_get", "dialogue_id")}


def saved(message, endpoint, name="name"):
    """After a save: `message` with the record's `name` attribute, and the list at `endpoint`."""
    def done(record):
        return message % getattr(record, name), url_for(endpoint)
    return done


UNIT_CREATED = saved("Đã tạo đơn vị “%s”.", "admin.units_get")
UNIT_SAVED = saved("Đã lưu đơn vị “%s”.", "admin.units_get")
ACCOUNT_CREATED = saved("Đã tạo tài khoản “%s”.", "admin.users_get", "username")
ACCOUNT_SAVED = saved("Đã lưu tài khoản “%s”.", "admin.users_get", "username")


def field_check(form):
    """The inline check of one field (htmx), by the same form code as a save."""
    form.validate()
    return render_template("staff/admin/_field_error.html", errors=form.first_errors(),
                           name=request.args.get("field", ""))


# ---------------------------------------------------------------- units

def _unit_form_page(form, unit=None, errors=None, current=None):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/admin/unit_form.html", form=form, unit=unit, errors=errors or {},
                           conflict=current, conflict_fields=unit_conflict_fields(current) if current else [])


def _unit_or_404(unit_id):
    return get_or_404(Unit.select().where(Unit.id == unit_id))


@bp.get("/don-vi/")
@roles_required(*UNIT_READERS)
def units_get():
    """Units in Vietnamese alphabetical order, with the number of accounts in each (one query)."""
    page = Page(Unit.with_user_count(), page_arg(), current_app.config["PER_PAGE"])
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
    def save(form):
        values = form.values()
        with db.atomic():
            unit = Unit.create(**values)
            audit(g.user, "create", unit, {k: (None, v) for k, v in values.items()},
                  summary="Tạo đơn vị %s" % unit.name)
        return unit

    return edit_with_conflict(UnitForm(), _unit_form_page, save, UNIT_CREATED, refused={"code": CODE_TAKEN})


@bp.get("/don-vi/<int:unit_id>/sua")
@roles_required("admin")
def unit_edit_get(unit_id):
    """The unit's form, filled in, carrying the version it was opened at."""
    unit = _unit_or_404(unit_id)
    return _unit_form_page(UnitForm(obj=unit, unit=unit), unit)


@bp.post("/don-vi/<int:unit_id>/sua")
@roles_required("admin")
def unit_edit_post(unit_id):
    """Save a unit unless someone saved it since it was opened (409 shows their version)."""
    unit = _unit_or_404(unit_id)

    def save(form):
        return save_versioned(unit, form_version(form), g.user, form.values(), summary="Sửa đơn vị %s" % unit.name)

    return edit_with_conflict(UnitForm(unit=unit), functools.partial(_unit_form_page, unit=unit), save,
                              UNIT_SAVED, refused={"code": CODE_TAKEN})


@bp.get("/don-vi/kiem-tra")
@roles_required("admin")
def unit_check_get():
    """Inline check of one field of the unit form, by the same form code as a save."""
    unit = Unit.get_or_none(Unit.id == int_arg("unit_id")) if int_arg("unit_id") else None
    return field_check(UnitForm(formdata=request.args, unit=unit))


# ---------------------------------------------------------------- users

def _user_form_page(form, account=None, errors=None, current=None, password_errors=None):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/admin/user_form.html", form=form, account=account, errors=errors or {},
                           units=Unit.in_name_order(), conflict=current,
                           conflict_fields=user_conflict_fields(current) if current else [],
                           password_errors=password_errors or {})


def _account_or_404(user_id):
    return get_or_404(User.with_unit().where(User.id == user_id))


@bp.get("/tai-khoan/")
@roles_required("admin")
def users_get():
    """Accounts in Vietnamese order of given names, filtered by role and unit."""
    role, unit_id = request.args.get("role", ""), int_arg("unit")
    page = Page(User.in_name_order(User.filtered(role, unit_id)), page_arg(), current_app.config["PER_PAGE"])
    template = "staff/admin/_users_table.html" if wants_fragment() else "staff/admin/users.html"
    return render_template(template, page=page, units=Unit.in_name_order(), role=role, unit_id=unit_id)


@bp.get("/tai-khoan/moi")
@roles_required("admin")
def user_new_get():
    """An empty account form."""
    return _user_form_page(UserCreateForm())


@bp.post("/tai-khoan/moi")
@roles_required("admin")
def user_new_post():
    """Create an account with a hashed initial password."""
    def save(form):
        return accounts.create(g.user, form.values(), form.password.data, current_app.config["PASSWORD_HASH"])

    return edit_with_conflict(UserCreateForm(), _user_form_page, save, ACCOUNT_CREATED,
                              refused={"username": USERNAME_TAKEN})


@bp.get("/tai-khoan/<int:user_id>/sua")
@roles_required("admin")
def user_edit_get(user_id):
    """The account's form, with password reset and disable/enable."""
    account = _account_or_404(user_id)
    form = UserForm(obj=account, account=account, editor=g.user)
    form.unit_id.data = account.unit_id
    return _user_form_page(form, account)


@bp.post("/tai-khoan/<int:user_id>/sua")
@roles_required("admin")
def user_edit_post(user_id):
    """Save an account unless someone saved it since it was opened (409 shows their version)."""
    account = _account_or_404(user_id)

    def save(form):
        return save_versioned(account, form_version(form), g.user, form.values(),
                              summary="Sửa tài khoản %s" % account.username)

    return edit_with_conflict(UserForm(account=account, editor=g.user),
                              functools.partial(_user_form_page, account=account), save, ACCOUNT_SAVED,
                              refused={"username": USERNAME_TAKEN})


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
        return _user_form_page(UserForm(obj=account, account=account, editor=g.user), account,
                               password_errors=form.first_errors()), 422
    epoch = accounts.reset_password(g.user, account, form.password.data, current_app.config["PASSWORD_HASH"])
    if account.id == g.user.id:
        session["epoch"] = epoch  # keep this session; the others end
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
    try:
        accounts.toggle_active(g.user, account)
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
    return field_check(UserForm(formdata=request.args, account=account, editor=g.user))


# ---------------------------------------------------------------- the audit log

def _record_link(row):
    """The page of the record a row is about, where there is one."""
    if row.object_type in DETAIL_LINKS and row.object_id:
        endpoint, arg = DETAIL_LINKS[row.object_type]
        return url_for(endpoint, **{arg: row.object_id})
    return None


@bp.get("/nhat-ky/")
@roles_required(*AUDIT_READERS)
def audit_get():
    """The audit log, newest first, with filters; confidential values are stored masked."""
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    page = Page(form.apply(AuditLog.newest_first()), page_arg(), AUDIT_PER_PAGE)
    template = "staff/admin/_audit_panel.html" if wants_fragment() else "staff/admin/audit.html"
    html = render_template(template, page=page, entries=audit_log.entries(page.items, _record_link), form=form,
                           errors=form.first_errors(), people=User.in_name_order(User.select(
                               User.id, User.full_name, User.username)),
                           actions=audit_log.ACTION_LABELS, object_types=audit_log.OBJECT_LABELS)
    return html, 200 if valid else invalid_status()
