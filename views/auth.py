"""Login, logout, the user's own password change, the signed-in user on every request, and the role checks
views use (accounts, sessions and login limits: services/accounts)."""
import datetime as dt
import functools
import re
import unicodedata
from urllib.parse import quote, unquote, urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from forms.auth import PasswordChangeForm
from models import now
from services import accounts
from services.text import clean_typed

bp = Blueprint("auth", __name__)

NEXT_MAX = 2000  # a longer `next` is no page of ours
_STRIPPED = re.compile(r"[\t\r\n]")  # what browsers drop from a URL before reading it
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PATH_CHARS = "/?&=%#+:;,@!$'()*~._-"  # kept as they are; anything else (non-ASCII, spaces) is %-escaped


def _end_session():
    session.clear()
    g.user = None


def load_user():
    """Before each request: the signed-in user, ending idle, disabled, logged-out or revoked sessions."""
    g.user = None
    if "user_id" not in session:
        return
    idle = dt.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    user, is_open = accounts.session_user(session.get("sid"), idle)
    last_seen = session.get("last_seen")
    if (is_open and user.active and user.id == session.get("user_id") and session.get("epoch") == user.session_epoch
            and last_seen is not None and now() - dt.datetime.fromisoformat(last_seen) <= idle):
        g.user = user
        session["last_seen"] = now().isoformat()
        session.permanent = True
        return
    expired = user is not None and user.active
    if is_open:
        accounts.end_session(session.get("sid"))  # a copy of this cookie must not sign in either
    _end_session()
    if expired:
        session["expired"] = True


def login_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            if request.headers.get("HX-Request") == "true":
                # htmx: send the whole browser to the login page.
                response = current_app.response_class(status=401)
                response.headers["HX-Redirect"] = url_for("auth.login_get")
                return response
            return redirect(url_for("auth.login_get", next=request.full_path if request.args else request.path))
        return view(*args, **kwargs)
    return wrapped


def roles_required(*roles):
    """Allow only the named roles (checked after login)."""
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def safe_next(target):
    """`next` as a path on this site, or None: never another host, a scheme, or a broken header.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, and some read
    look-alike characters (NFKC) or a %-escaped slash as the real one: each of those spellings must
    still be a plain path. What is kept is returned in ASCII, %-escaped where needed.
    """
    if not isinstance(target, str):
        return None
    target = _STRIPPED.sub("", target)
    if not target.startswith("/") or len(target) > NEXT_MAX:
        return None
    spelling = target
    for _ in range(3):
        for form in (spelling, unicodedata.normalize("NFKC", spelling)):
            path = re.split(r"[?#]", form, maxsplit=1)[0]
            if path.startswith("//") or "\\" in path or _CONTROL.search(form):
                return None
        spelling = unquote(spelling)
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return quote(target, safe=_PATH_CHARS)


def _too_many_failures(refused):
    """The 429 page for an address that failed too often, with Retry-After."""
    response = current_app.make_response((render_template(
        "errors/error.html", code=429, title="Tạm ngừng đăng nhập",
        message="Có quá nhiều lần đăng nhập sai từ địa chỉ của bạn. Vui lòng thử lại sau %s."
                % accounts.wait_text(refused.seconds)), 429))
    response.headers["Retry-After"] = str(refused.seconds)
    return response


def _login_page(username="", error=None, next_url="", status=200, expired=False):
    return render_template("auth/login.html", username=username, error=error, expired=expired,
                           next=safe_next(next_url) or ""), status


@bp.get("/dang-nhap")
def login_get():
    """The login form."""
    if g.get("user") is not None:
        return redirect(url_for("dashboard.index"))
    return _login_page(next_url=request.args.get("next"), expired=session.pop("expired", False))


@bp.post("/dang-nhap")
def login_post():
    """Check the password; failures slow the user name down and, from one address, stop it a while (429)."""
    username = clean_typed(request.form.get("username", "")).strip()  # stored with each failed attempt
    next_url = request.form.get("next", "")
    config = current_app.config
    try:
        user, error = accounts.log_in(username, request.form.get("password", ""), request.remote_addr,
                                      config["PASSWORD_HASH"], accounts.LoginLimits.from_config(config))
    except accounts.TooManyFailures as refused:
        return _too_many_failures(refused)
    if error:
        return _login_page(username, error, next_url, 401)
    session.clear()
    session["user_id"] = user.id
    session["sid"] = accounts.start_session(user)
    session["epoch"] = user.session_epoch
    session["last_seen"] = now().isoformat()
    session.permanent = True
    return redirect(safe_next(next_url) or url_for("dashboard.index"), code=303)


@bp.post("/dang-xuat")
def logout():
    """End this session, on the server too (the account's other sessions go on)."""
    if g.get("user") is not None:
        accounts.log_out(g.user, session.get("sid"))
    _end_session()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login_get"), code=303)


@bp.post("/dang-xuat/moi-noi")
@login_required
def logout_everywhere():
    """End every session of the account, on every device."""
    accounts.log_out(g.user, session.get("sid"), everywhere=True)
    _end_session()
    flash("Bạn đã đăng xuất khỏi mọi nơi: mọi phiên đăng nhập của tài khoản đã kết thúc.", "info")
    return redirect(url_for("auth.login_get"), code=303)


@bp.get("/dang-xuat")
def logout_get():
    """A GET cannot log out (CSRF): show a button that posts."""
    return render_template("auth/logout.html")


@bp.get("/doi-mat-khau")
@login_required
def password_get():
    """The user's own password change."""
    return render_template("auth/password.html", errors={})


@bp.post("/doi-mat-khau")
@login_required
def password_post():
    """Check the current password, store the new one, end the account's other sessions (this one stays)."""
    form = PasswordChangeForm()
    errors = form.first_errors() if not form.validate() else {}
    if not errors:
        config = current_app.config
        try:
            refused = accounts.change_password(g.user, session.get("sid"), form.current.data, form.password.data,
                                               request.remote_addr, config["PASSWORD_HASH"],
                                               accounts.LoginLimits.from_config(config))
        except accounts.TooManyFailures as stopped:
            return _too_many_failures(stopped)
        errors = {"current": refused} if refused else {}
    if errors:
        return render_template("auth/password.html", errors=errors), 422
    flash("Đã đổi mật khẩu; các phiên đăng nhập khác của tài khoản đã kết thúc.", "success")
    return redirect(url_for("dashboard.index"), code=303)
