"""The citizens' intake service (a second WSGI app for the public host): `create_intake_app()`.

Its own database (INTAKE_DATABASE_URL, default sqlite:///instance/intake.db), its own secret key
(INTAKE_SECRET_KEY, else generated once into instance/intake_secret_key) and its own tables
(intake/models.py). It never imports the internal app's models.py or a staff view
(tests/test_intake.py checks it in a fresh interpreter); it shares services.text, services.privacy
services.mail and services.tracking only.
"""
import os
import secrets
from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from intake import api, commands, views
from intake import models as intake_models

csrf = CSRFProtect()
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _whole_number(name, default):
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit():
        raise ValueError("%s must be a whole number, not %r" % (name, value))
    return int(value)


def instance_secret(instance_path, name, nbytes=32):
    """A secret generated once into instance/<name> (mode 0600); workers starting together agree on the first."""
    path = Path(instance_path) / name
    if not path.exists():
        draft = path.with_name("%s.%d" % (name, os.getpid()))
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(nbytes))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def settings(instance_path):
    """The intake service's settings from the environment."""
    return dict(
        INTAKE_DATABASE_URL=os.environ.get("INTAKE_DATABASE_URL",
                                           "sqlite:///" + str(Path(instance_path) / "intake.db")),
        SECRET_KEY=os.environ.get("INTAKE_SECRET_KEY", ""),
        INTAKE_API_TOKEN=os.environ.get("INTAKE_API_TOKEN", ""),
        INTAKE_MIN_FILL_SECONDS=_whole_number("INTAKE_MIN_FILL_SECONDS", 3),
        INTAKE_PURGE_DAYS=_whole_number("INTAKE_PURGE_DAYS", 30),
        INTAKE_SUBMIT_LIMIT=_whole_number("INTAKE_SUBMIT_LIMIT", 5),
        INTAKE_LOOKUP_LIMIT=_whole_number("INTAKE_LOOKUP_LIMIT", 10),
        TRUSTED_PROXIES=_whole_number("TRUSTED_PROXIES", 0),
        # The address printed on receipts and in mails (the lookup page); else the request's own host.
        INTAKE_PUBLIC_URL=os.environ.get("INTAKE_PUBLIC_URL", ""),
        MAIL_SERVER=os.environ.get("MAIL_SERVER", ""),  # empty: no confirmation mails
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_USE_STARTTLS=os.environ.get("MAIL_USE_STARTTLS", "") == "1",
        MAIL_USERNAME=os.environ.get("MAIL_USERNAME", ""),
        MAIL_PASSWORD=os.environ.get("MAIL_PASSWORD", ""),
        MAIL_SENDER=os.environ.get("MAIL_SENDER", "doithoai@localhost"),
        PREFER_HTTPS=os.environ.get("PREFER_HTTPS", "").strip().lower() in ("1", "true", "yes", "on"),
        # 3 files of 5 MB and the text: anything larger is refused before it is read.
        MAX_CONTENT_LENGTH=16 * 1024 * 1024 + 256 * 1024,
        SESSION_COOKIE_NAME="yeucau_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )


def create_intake_app(config=None):
    """Build the intake app. `config` overrides settings (tests pass their own database and token)."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings(app.instance_path))
    if config:
        app.config.update(config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret(app.instance_path, "intake_secret_key")
    if app.config["PREFER_HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    hops = app.config["TRUSTED_PROXIES"]
    if hops:
        # The rate limits count the client's address as the last `hops` proxies saw it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    database = intake_models.open_database(app.config["INTAKE_DATABASE_URL"])
    intake_models.db.initialize(database)
    with database.connection_context():
        intake_models.create_tables()
    csrf.init_app(app)
    csrf.exempt(api.bp)  # the API is for the internal app, behind its bearer token, not a browser

    @app.before_request
    def _connect():
        intake_models.db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not intake_models.db.is_closed():
            intake_models.db.close()

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.endpoint != "static":
            # A receipt or a lookup answer must not stay in a shared computer's cache.
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure or app.config["PREFER_HTTPS"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error):
        return render_template("intake/error.html", title="Yêu cầu không hợp lệ",
                               message="Biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và thử "
                                       "lại."), 400

    for code, title, message in (
        (404, "Không tìm thấy trang", "Trang ông/bà tìm không tồn tại."),
        (405, "Phương thức không được hỗ trợ", "Thao tác này không được hỗ trợ tại địa chỉ này."),
        (413, "Tệp quá lớn", "Tổng dung lượng gửi lên quá lớn: tối đa 3 tệp, mỗi tệp 5 MB."),
        (500, "Lỗi hệ thống", "Đã có lỗi xảy ra. Vui lòng thử lại sau."),
    ):
        app.register_error_handler(code, _error_page(code, title, message))

    app.register_blueprint(views.bp)
    app.register_blueprint(api.bp)
    commands.register(app)
    return app


def _error_page(code, title, message):
    def handler(error):
        if request.path.startswith("/api/"):
            return {"error": title}, code
        return render_template("intake/error.html", title=title, message=message), code
    return handler
