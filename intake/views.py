"""The citizen's pages: the form at `/`, the receipt, the lookup `/tra-cuu/` (code in a POST body), the 429 page."""
import datetime as dt

import peewee as pw
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

import intake.forms as forms
import intake.limits as limits
import intake.mail as mail
from intake.models import KINDS, FieldChoice, Submission, SubmissionFile, db, now
from services import tracking

bp = Blueprint("intake", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/intake")


def lookup_url():
    """The lookup page's address as a citizen types it (INTAKE_PUBLIC_URL when set)."""
    base = current_app.config["INTAKE_PUBLIC_URL"]
    return base.rstrip("/") + "/tra-cuu/" if base else url_for("intake.lookup_get", _external=True)


def _form_page(values=None, errors=None, problem=None, status=200):
    return render_template("intake/form.html", values=values or {}, errors=errors or {}, problem=problem,
                           kinds=KINDS, fields=FieldChoice.ordered(), consent_version=forms.CONSENT_VERSION,
                           purge_days=current_app.config["INTAKE_PURGE_DAYS"],
                           started=forms.started_token(current_app.config["SECRET_KEY"])), status


@bp.get("/")
def form_get():
    """The request form."""
    return _form_page(values={"kind": request.args.get("kind", "")})


@bp.post("/")
def form_post():
    """Check and store a request; 303 to its receipt."""
    config = current_app.config
    address = limits.client_address()
    if limits.over("submit", [address], config["INTAKE_SUBMIT_LIMIT"], limits.HOUR):
        return limits.too_many()
    problem = forms.refusal(request.form, config["SECRET_KEY"], config["INTAKE_MIN_FILL_SECONDS"])
    field_codes = {f.code for f in FieldChoice.ordered()}
    values, files, errors = forms.validate(request.form, request.files.getlist("attachments"), field_codes)
    if problem or errors:
        return _form_page(values, errors, problem, status=422 if errors else 400)
    contacts = limits.contact_keys(config["SECRET_KEY"], values["phone_e164"], values["email"])
    if limits.over("submit", contacts, config["INTAKE_SUBMIT_LIMIT"], limits.HOUR):
        return limits.too_many()
    submission = _store(values, files)
    limits.count("submit", [address, *contacts], limits.HOUR)
    session["receipt"] = submission.code
    if values["email"]:
        mail.send(config, mail.receipt_message(config, values["email"], submission.code, submission.kind_label,
                                               lookup_url()))
    return redirect(url_for("intake.receipt_get"), code=303)


def _store(values, files):
    """Insert the submission and its files with a fresh code (drawn again on the rare collision)."""
    for _ in range(5):
        try:
            with db.atomic():
                submission = Submission.create(
                    code=tracking.new_code(), kind=values["kind"], full_name=values["full_name"],
                    phone=values["phone_e164"], email=values["email"], address=values["address"],
                    field_code=values["field"], title=values["title"], content=values["content"],
                    consent_version=forms.CONSENT_VERSION, consent_at=now())
                for position, upload in enumerate(files, 1):
                    SubmissionFile.create(submission=submission, position=position, **upload)
            return submission
        except pw.IntegrityError:
            continue
    raise RuntimeError("no free tracking code after 5 draws")


@bp.get("/bien-nhan/")
def receipt_get():
    """The printable receipt of this browser's last request (the code is in the page, never in the URL)."""
    submission = Submission.by_code(session.get("receipt", ""))
    if submission is None:
        return redirect(url_for("intake.form_get"))
    return render_template("intake/receipt.html", submission=submission, lookup_url=lookup_url())


@bp.get("/tra-cuu/")
def lookup_get():
    """The lookup form."""
    return render_template("intake/lookup.html", code="", error=None, found=None)


@bp.post("/tra-cuu/")
def lookup_post():
    """The status of a code, without any personal data."""
    if limits.over("lookup", [limits.client_address()], current_app.config["INTAKE_LOOKUP_LIMIT"], limits.MINUTE):
        return limits.too_many()
    limits.count("lookup", [limits.client_address()], limits.MINUTE)
    typed = forms.one_line(request.form.get("code"))[:60]
    code = tracking.normalize(typed)
    found, error = None, None
    if not typed:
        error = "Vui lòng nhập mã tra cứu."
    elif code is None:
        error = "Mã tra cứu gồm “YC-” và 12 ký tự, ví dụ YC-7K3M-9QXD-4F2A."
    else:
        found = Submission.by_code(code)
        if found is None:
            error = "Không tìm thấy yêu cầu có mã %s. Vui lòng kiểm tra lại mã trên giấy biên nhận." % code
    if found is None:
        return render_template("intake/lookup.html", code=typed, error=error, found=None), 404 if code else 422
    return render_template("intake/lookup.html", code=code, error=None, found=_public(found))


def _public(submission):
    """What the lookup shows: kind, date received, status in plain words and its date, next step, dialogue, note."""
    return {
        "code": submission.code,
        "kind": submission.kind_label,
        "received_at": submission.received_at,
        "status": tracking.status_label(submission.status),
        "status_at": submission.status_at,
        "next_step": tracking.status_next_step(submission.status),
        "dialogue_at": submission.dialogue_at if submission.status == "scheduled" else None,
        "dialogue_place": submission.dialogue_place if submission.status == "scheduled" else "",
        "public_note": submission.public_note,
    }


@bp.app_template_filter("date_vn")
def date_vn(value):
    return value.strftime("%d/%m/%Y") if isinstance(value, (dt.date, dt.datetime)) else ""


@bp.app_template_filter("time_vn")
def time_vn(value):
    return value.strftime("%H:%M") if isinstance(value, dt.datetime) else ""
