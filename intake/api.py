"""The JSON API the internal app pulls from, behind `Authorization: Bearer <INTAKE_API_TOKEN>` (constant-time check).

GET  /api/v1/submissions                         pending submissions (oldest first, `limit` at most 100)
GET  /api/v1/submissions/<code>/attachments/<n>  one file's bytes
POST /api/v1/submissions/<code>/ack              stored inside: the person's data is erased here
POST /api/v1/statuses                            statuses to show at the lookup (unknown codes are created)
PUT  /api/v1/fields                              the list of fields the form offers
"""
import hashlib
import hmac

from flask import Blueprint, abort, current_app, jsonify, request

from intake.models import KINDS, FieldChoice, Submission, SubmissionFile, db, now
from services import tracking

bp = Blueprint("intake_api", __name__, url_prefix="/api/v1")


@bp.before_request
def _bearer():
    expected = current_app.config.get("INTAKE_API_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    ok = bool(expected) and scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode("utf-8"), expected.encode("utf-8"))
    if not ok:
        response = jsonify(error="unauthorized")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="intake"'
        return response
    return None


def _iso(value):
    return value.isoformat() if value else None


def _parse_time(value):
    parsed = tracking.parse_time(value)
    if value and parsed is None:
        abort(400)
    return parsed


def _submission_json(submission):
    files = SubmissionFile.select(SubmissionFile.position, SubmissionFile.filename, SubmissionFile.content_type,
                                  SubmissionFile.size, SubmissionFile.data).where(
        SubmissionFile.submission == submission.id).order_by(SubmissionFile.position)
    return {
        "code": submission.code, "kind": submission.kind, "received_at": _iso(submission.received_at),
        "full_name": submission.full_name, "phone": submission.phone, "email": submission.email,
        "address": submission.address, "field": submission.field_code, "title": submission.title,
        "content": submission.content, "consent_version": submission.consent_version,
        "consent_at": _iso(submission.consent_at),
        "attachments": [{"n": f.position, "filename": f.filename, "content_type": f.content_type, "size": f.size,
                         "sha256": hashlib.sha256(bytes(f.data)).hexdigest()} for f in files],
    }


@bp.get("/submissions")
def submissions_get():
    """Pending (unacknowledged) submissions, oldest first."""
    limit = max(1, min(request.args.get("limit", 50, type=int) or 50, 100))
    rows = list(Submission.pending().limit(limit))
    return jsonify(submissions=[_submission_json(s) for s in rows])


def _pending_or_404(code):
    submission = Submission.by_code(tracking.normalize(code) or "")
    if submission is None:
        abort(404)
    return submission


@bp.get("/submissions/<code>/attachments/<int:n>")
def attachment_get(code, n):
    """One attachment's bytes (404 once erased)."""
    submission = _pending_or_404(code)
    upload = SubmissionFile.get_or_none(SubmissionFile.submission == submission.id, SubmissionFile.position == n)
    if upload is None:
        abort(404)
    response = current_app.response_class(bytes(upload.data), mimetype=upload.content_type)
    response.headers["X-Content-SHA256"] = hashlib.sha256(bytes(upload.data)).hexdigest()
    return response


@bp.post("/submissions/<code>/ack")
def ack_post(code):
    """The internal app has stored the submission: erase the person's data here (again is harmless)."""
    submission = _pending_or_404(code)
    already = submission.acked_at is not None
    if not already:
        submission.erase()
    return jsonify(code=submission.code, erased=True, already=already)


@bp.post("/statuses")
def statuses_post():
    """Store each status the lookup shows; a code not known here (issued at the counter) is created."""
    payload = request.get_json(silent=True) or {}
    items = payload.get("statuses")
    if not isinstance(items, list):
        abort(400)
    created = updated = 0
    with db.atomic():
        for item in items:
            code = tracking.normalize(item.get("code")) if isinstance(item, dict) else None
            status = item.get("status") if code else None
            if status not in tracking.PUBLIC_STATUSES:
                abort(400)
            values = {
                "status": status,
                "status_at": _parse_time(item.get("status_at")) or now(),
                "public_note": str(item.get("public_note") or "")[:2000],
                "dialogue_at": _parse_time(item.get("dialogue_at")),
                "dialogue_place": str(item.get("dialogue_place") or "")[:300],
            }
            submission = Submission.by_code(code)
            if submission is None:
                kind = item.get("kind") if item.get("kind") in KINDS else "petition"
                Submission.create(code=code, kind=kind, origin="office", acked_at=now(),
                                  received_at=_parse_time(item.get("received_at")) or now(), **values)
                created += 1
            else:
                Submission.update(values).where(Submission.id == submission.id).execute()
                updated += 1
    return jsonify(created=created, updated=updated)


@bp.put("/fields")
def fields_put():
    """Replace the list of fields (lĩnh vực) the form offers."""
    payload = request.get_json(silent=True) or {}
    fields = payload.get("fields")
    if not isinstance(fields, list) or not all(
            isinstance(f, dict) and str(f.get("code") or "").strip() and str(f.get("name") or "").strip()
            for f in fields):
        abort(400)
    FieldChoice.replace_all([{"code": str(f["code"])[:40], "name": str(f["name"])[:200]} for f in fields])
    return jsonify(fields=len(fields))
