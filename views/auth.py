"""Login, logout, the signed-in user on every request, and the role checks views use (accounts: services/accounts)."""
import datetime as dt
import functools

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for

from models import User, now
from services import accounts

bp = Blueprint("auth", __name__)

def _end_session():
    session.clear()
    g.user = None


def load_user():
    """Before each request: the signed-in user, ending idle, disabled or revoked sessions."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = User.get_or_none(User.id == user_id)
    idle = dt.timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    last_seen = session.get("last_seen")
    if (user is None or not user.active or session.get("epoch") != user.session_epoch
            or last_seen is None or now() - dt.datetime.fromisoformat(last_seen) > idle):
        expired = user is not None and user.active
        _end_session()
        if expired:
            session["expired"] = True
        return
    g.user = user
    session["last_seen"] = now().isoformat()
    session.permanent = True


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


def _safe_next(target):
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("dashboard.index")


@bp.get("/dang-nhap")
def login_get():
    """The login form."""
    if g.get("user") is not None:
        return redirect(url_for("dashboard.index"))
    expired = session.pop("expired", False)
    return render_template("auth/login.html", username="", error=None, expired=expired,
                           next=request.args.get("next", ""))


@bp.post("/dang-nhap")
def login_post():
    """Check the password; repeated failures lock the account for a while."""
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    next_url = request.form.get("next", "")
    config = current_app.config
    user, error = accounts.log_in(username, password, config["PASSWORD_HASH"], config["LOGIN_MAX_FAILURES"],
                                  config["LOGIN_LOCK_MINUTES"])
    if error:
        return render_template("auth/login.html", username=username, error=error, expired=False,
                               next=next_url), 401
    session.clear()
    session["user_id"] = user.id
    session["epoch"] = user.session_epoch
    session["last_seen"] = now().isoformat()
    session.permanent = True
    return redirect(_safe_next(next_url), code=303)


@bp.post("/dang-xuat")
def logout():
    """End the session."""
    if g.get("user") is not None:
        accounts.log_out(g.user)
    _end_session()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("auth.login_get"), code=303)


@bp.get("/dang-xuat")
def logout_get():
    """A GET cannot log out (CSRF): show a button that posts."""
    return render_template("auth/logout.html")
