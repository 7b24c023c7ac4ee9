"""The internal app's factory: configuration, database, CSRF, htmx, blueprints, and the CLI (commands.py) registered."""
import datetime as dt
import os
import secrets
from pathlib import Path

from flask import Flask, g, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from htmx_flask import Htmx
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import filters
from commands import register_commands
from models import db, open_database
from views import (
    admin,
    answer_templates,
    attachments,
    auth,
    conclusions,
    dashboard,
    dialogues,
    holidays,
    intake_staff,
    notices,
    opinions,
    plans,
    proposals,
    publishing,
    register_import,
    reports,
)
from views.public import register_preview

BASE_DIR = Path(__file__).resolve().parent
csrf = CSRFProtect()

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class DatabaseId(IntegerConverter):
    """<int:…> in routes: a number too large for the database is no page (404), not a crash."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2 ** 63 - 1)
        super().__init__(map, *args, **kwargs)


class SessionCookie(SecureCookieSessionInterface):
    """The signed session cookie, marked Secure whenever the request came over HTTPS (or the app prefers it)."""

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"] or (has_request_context() and request.is_secure))


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _trusted_proxies():
    """TRUSTED_PROXIES from the environment: how many proxies in front may say who the client is (default 0)."""
    value = os.environ.get("TRUSTED_PROXIES", "").strip() or "0"
    if not value.isdigit():
        raise ValueError("TRUSTED_PROXIES must be a whole number of proxy hops (0, 1, …), not %r" % value)
    return int(value)


def _secret_key(instance_path):
    """SECRET_KEY from the environment, else generated once into instance/secret_key."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Several server workers may start at once: the key is written aside and linked into place,
        # so the first one wins whole and every worker reads that same key.
        draft = path.with_name("secret_key.%d" % os.getpid())
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def create_app(config=None):
    """Build the internal app. `config` overrides settings (tests pass their own database)."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseId  # before any route is added
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(
        DATABASE_URL=os.environ.get(
            "DATABASE_URL", "sqlite:///" + str(Path(app.instance_path) / "doithoai.db")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="doithoai_session",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=30),
        SESSION_IDLE_MINUTES=30,
        # HTTPS: the session cookie is Secure and HSTS is sent when the request came over HTTPS, or always
        # with PREFER_HTTPS=1 (or SESSION_COOKIE_SECURE=1) behind a proxy; plain http on 127.0.0.1 still works.
        PREFER_HTTPS=_env_flag("PREFER_HTTPS") or _env_flag("SESSION_COOKIE_SECURE"),
        HSTS_SECONDS=365 * 24 * 3600,
        # Login limits (services/accounts.LoginLimits): a user name that failed 5 times waits 5 s, then
        # twice as long after each further failure (up to 5 min); 20 failures from one address in 15 min
        # and it gets 429 until they age out.
        LOGIN_MAX_FAILURES=5,
        LOGIN_DELAY_SECONDS=5,
        LOGIN_DELAY_MAX_SECONDS=300,
        LOGIN_FAILURE_WINDOW_MINUTES=60,
        LOGIN_ADDRESS_MAX_FAILURES=20,
        LOGIN_ADDRESS_WINDOW_MINUTES=15,
        PASSWORD_HASH={},  # argon2 parameters; empty = the library's current recommendation
        PER_PAGE=25,
        REGISTER_COUNT_LIMIT=1000,  # the register counts matches up to this, then says "hơn 1.000"
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        DEMO_TODAY=os.environ.get("DEMO_TODAY"),
        PUBLIC_BASE_URL=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000/"),
        # Documents (Decree 30): "UBND TỈNH <PROVINCE_NAME>" and "<DOCUMENT_PLACE>, ngày … tháng … năm …"
        PROVINCE_NAME=os.environ.get("PROVINCE_NAME", "…"),
        DOCUMENT_PLACE=os.environ.get("DOCUMENT_PLACE", "…"),
        # Attachments: stored outside the web root, PDF and images only, size-limited
        ATTACHMENTS_DIR=os.environ.get("ATTACHMENTS_DIR", str(Path(app.instance_path) / "attachments")),
        ATTACHMENT_MAX_BYTES=10 * 1024 * 1024,
        MAX_CONTENT_LENGTH=12 * 1024 * 1024,
        # Reminder digests (`flask remind`)
        MAIL_SERVER=os.environ.get("MAIL_SERVER", "127.0.0.1"),
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_USE_STARTTLS=os.environ.get("MAIL_USE_STARTTLS", "") == "1",
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME", ""),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD", ""),
        MAIL_SENDER=os.environ.get("MAIL_SENDER", "doithoai@localhost"),
        STAFF_BASE_URL=os.environ.get("STAFF_BASE_URL", "http://127.0.0.1:5000/"),  # links in reminder mails
        # The public site built and published from the internal app (views/publishing.py)
        SITE_DIR=os.environ.get("SITE_DIR", str(Path(__file__).resolve().parent / "site")),
        PUBLISH_TARGET=os.environ.get("PUBLISH_TARGET", ""),  # a folder or ftp(s)://user@host/path
        # The citizens' intake service pulled by `intake-sync` (services/intake_sync.py); empty = none
        INTAKE_URL=os.environ.get("INTAKE_URL", ""),
        INTAKE_API_TOKEN=os.environ.get("INTAKE_API_TOKEN", ""),  # else instance/intake_token (make intake)
        INTAKE_PUBLIC_URL=os.environ.get("INTAKE_PUBLIC_URL", ""),  # the form's address citizens use
        INTAKE_ANSWER_WORKING_DAYS=int(os.environ.get("INTAKE_ANSWER_WORKING_DAYS", "15")),
        # Reasons a dialogue request may be refused with (what the citizen reads), "|"-separated
        INTAKE_REFUSAL_REASONS=[r.strip() for r in os.environ.get("INTAKE_REFUSAL_REASONS", "").split("|")
                                if r.strip()] or [
            "Nội dung không thuộc thẩm quyền giải quyết của Văn phòng UBND tỉnh",
            "Nội dung đã được giải quyết, trả lời trước đây; không có tình tiết mới",
            "Nội dung đang được cơ quan có thẩm quyền giải quyết theo thủ tục tố tụng",
            "Thông tin không đủ để xem xét; ông/bà có thể gửi lại yêu cầu với đầy đủ nội dung",
        ],
        # Proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed; 0 = the headers are ignored
        TRUSTED_PROXIES=_trusted_proxies(),
    )
    if config:
        app.config.update(config)
    if app.config["PREFER_HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    app.session_interface = SessionCookie()
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # The client's address (login limits, audit) and https come from the last `hops` proxies' headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    db.initialize(open_database(app.config["DATABASE_URL"]))
    csrf.init_app(app)
    Htmx(app)

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure or app.config["PREFER_HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=%d" % app.config["HSTS_SECONDS"])
        if g.get("user") is not None and request.endpoint != "static":
            # Staff pages hold personal data: never keep them in a shared browser's cache.
            response.headers["Cache-Control"] = "no-store"
        response.vary.add("HX-Request")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_template("errors/error.html", code=400, title="Yêu cầu không hợp lệ",
                               message="Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                                       "Vui lòng tải lại trang và thử lại."), 400

    for code, title, message in (
        (400, "Yêu cầu không hợp lệ", "Yêu cầu gửi lên không đọc được. Vui lòng tải lại trang và thử lại."),
        (403, "Không có quyền truy cập", "Bạn không có quyền xem hoặc thực hiện thao tác này."),
        (404, "Không tìm thấy trang", "Trang hoặc hồ sơ bạn tìm không tồn tại."),
        (405, "Phương thức không được hỗ trợ", "Thao tác này không được hỗ trợ tại địa chỉ này."),
        (413, "Nội dung gửi lên quá lớn", "Nội dung hoặc tệp gửi lên vượt quá giới hạn cho phép. Vui lòng rút gọn "
                                          "nội dung (hoặc chọn tệp nhỏ hơn) rồi thử lại."),
        (500, "Lỗi hệ thống", "Đã có lỗi xảy ra. Vui lòng thử lại sau hoặc báo quản trị hệ thống."),
    ):
        app.register_error_handler(code, _error_page(code, title, message))

    filters.register(app)
    app.before_request(auth.load_user)
    for module in (auth, dashboard, opinions, dialogues, admin, holidays, notices, conclusions, attachments,
                   proposals, reports, publishing, plans, intake_staff, register_import, answer_templates):
        app.register_blueprint(module.bp)
    register_preview(app)  # the public pages, live under /xem-truoc/ behind login

    register_commands(app)
    return app


def compile_templates(app):
    """Compile every page template of `app` now (into Jinja's cache), not in the request that first shows it.

    Returns how many were compiled.
    """
    names = [name for name in app.jinja_env.list_templates() if name.endswith((".html", ".xml", ".txt"))]
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)


def _error_page(code, title, message):
    def handler(error):
        if request.headers.get("HX-Request") == "true":
            return message, code
        return render_template("errors/error.html", code=code, title=title, message=message), code
    return handler
