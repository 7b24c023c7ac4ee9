"""`intake-sync`: pull citizens' requests from the intake service into the register, push statuses and fields back.

The internal network reaches out to the public host (INTAKE_URL, INTAKE_API_TOKEN or the token file
`make intake` wrote); the public host never reaches in. One run:
1. PUT the field list (lĩnh vực), so the form offers the internal list;
2. GET the pending submissions, and for each: unless an opinion already has its tracking code, fetch its
   files and enter it (channel `online`, contact stored apart, consent, files, a deadline in working
   days) in one transaction; then acknowledge it (the intake service erases the person's data). A run
   killed between the two steps is resumed by the next: the code is found and only the ack is sent,
   so each submission is entered exactly once;
3. POST the public status of every tracked opinion whose status changed since the last push, and mail
   the citizen (status and lookup address only) when an e-mail is known.
Every run, with its counts or its error, is an IntakeSync row and an audit entry.
"""
import hashlib
import json
import logging
import secrets
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from models import (
    Attachment,
    Dialogue,
    Field,
    IntakeStatusPush,
    IntakeSync,
    Opinion,
    audit,
    create_opinion,
    db,
    now,
)
from services import attachments, deadlines, mail, tracking

log = logging.getLogger(__name__)
BATCH = 50
MAX_BATCHES = 200  # 10,000 submissions a run at most; the next run takes the rest
TIMEOUT = 30
STALE_AFTER_HOURS = 1


class IntakeError(Exception):
    """The intake service could not be reached, refused the token, or answered something unreadable."""


def api_token(config, instance_path):
    """INTAKE_API_TOKEN, else the token `make intake` generated into instance/intake_token."""
    token = config.get("INTAKE_API_TOKEN") or ""
    if not token:
        path = Path(instance_path) / "intake_token"
        token = path.read_text().strip() if path.exists() else ""
    return token


class Client:
    """The intake service's JSON API over HTTP(S), with the bearer token."""

    def __init__(self, base_url, token, timeout=TIMEOUT):
        if not base_url:
            raise IntakeError("Chưa cấu hình INTAKE_URL (địa chỉ dịch vụ tiếp nhận).")
        if not token:
            raise IntakeError("Chưa có INTAKE_API_TOKEN (hoặc tệp instance/intake_token).")
        self.base, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def call(self, method, path, payload=None, raw=False):
        data = json.dumps(payload).encode("utf-8") if payload is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Accept": "application/json",
            **({"Content-Type": "application/json"} if data is not None else {})})
        try:
            # The URL is INTAKE_URL from the settings, never from a request.
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # nosec B310
                body = response.read()
        except urllib.error.HTTPError as error:
            if error.code == 401:
                raise IntakeError("Dịch vụ tiếp nhận từ chối mã truy cập (401): kiểm tra INTAKE_API_TOKEN.") from error
            raise IntakeError("Dịch vụ tiếp nhận trả lỗi %d cho %s %s." % (error.code, method, path)) from error
        except (urllib.error.URLError, OSError) as error:
            raise IntakeError("Không kết nối được dịch vụ tiếp nhận %s: %s" % (self.base, error)) from error
        if raw:
            return body
        try:
            return json.loads(body)
        except ValueError as error:
            raise IntakeError("Dịch vụ tiếp nhận trả lời không phải JSON cho %s %s." % (method, path)) from error


# ---------------------------------------------------------------- what the citizen reads

def public_status(opinion, dialogue=None):
    """The lookup's view of an opinion: {status, public_note, dialogue_at, dialogue_place} (services/tracking keys)."""
    status, note, at, place = opinion.status, "", None, ""
    if status == "withdrawn":
        key = "withdrawn"
    elif status == "refused":
        key, note = "refused", opinion.refusal_reason or opinion.public_note
    elif status == "referred":
        key, note = "referred", opinion.referred_to or opinion.public_note
    elif status in ("resolved", "explained"):
        key, note = "answered", opinion.public_note
    elif status in ("concluded", "in_progress"):
        key, note = "implementing", opinion.public_note
    elif dialogue is not None and dialogue.kind == "on_request" and dialogue.status == "scheduled":
        key, at, place = "scheduled", dialogue.starts_at, dialogue.place
    elif status in ("assigned", "answer_drafted") or (dialogue is not None and dialogue.kind == "on_request"):
        key = "reviewing"  # being handled, or its dialogue held (or postponed) and its conclusions to come
    else:
        key = "received"
    return {"status": key, "public_note": note, "dialogue_at": at.isoformat() if at else None,
            "dialogue_place": place}


def _fingerprint(view):
    return hashlib.sha256(json.dumps(view, sort_keys=True).encode("utf-8")).hexdigest()


def tracked():
    """Tracked opinions with their linked dialogue, in one query."""
    return (Opinion.select(Opinion, Dialogue).left_outer_join(Dialogue, on=(Opinion.dialogue == Dialogue.id))
            .where(Opinion.tracking_code.is_null(False)).order_by(Opinion.id))


# ---------------------------------------------------------------- storing one submission

def _field_id(code):
    field = Field.get_or_none(Field.code == code) if code else None
    return field.id if field else None


def _deadline(config, day):
    return deadlines.add_deadline(day, int(config.get("INTAKE_ANSWER_WORKING_DAYS", 15)), "working")


def _store_files(client, code, listed, root):
    """Fetch and write the files to the attachments folder; (stored names, Attachment values)."""
    kept = []
    for item in listed:
        data = client.call("GET", "/api/v1/submissions/%s/attachments/%d" % (code, int(item["n"])), raw=True)
        content_type = attachments.sniff(data[:16])
        if content_type not in ("application/pdf", "image/png", "image/jpeg"):
            raise IntakeError("Tệp đính kèm %d của %s không phải PDF, JPEG hoặc PNG." % (item["n"], code))
        if item.get("sha256") and hashlib.sha256(data).hexdigest() != item["sha256"]:
            raise IntakeError("Tệp đính kèm %d của %s bị thay đổi trên đường truyền." % (item["n"], code))
        stored_name = secrets.token_hex(16) + attachments.KINDS[content_type][0]
        (attachments.storage_dir(root) / stored_name).write_bytes(data)
        kept.append({"filename": attachments.clean_filename(item.get("filename"), content_type),
                     "stored_name": stored_name, "content_type": content_type, "size": len(data)})
    return kept


def _enter(config, client, item, root):
    """The opinion of one submission, with its files, in one transaction; the files are removed if it fails."""
    files = _store_files(client, item["code"], item.get("attachments") or [], root)
    received = tracking.parse_time(item.get("received_at")) or now()
    title, content = (item.get("title") or "").strip(), (item.get("content") or "").strip()
    try:
        with db.atomic():
            opinion = create_opinion(
                None, kind=item["kind"] if item["kind"] in ("dialogue_request", "petition", "feedback") else "petition",
                channel="online", audience="citizens", tracking_code=item["code"],
                submitter_name=(item.get("full_name") or "")[:200], submitter_phone=(item.get("phone") or "")[:30],
                submitter_email=(item.get("email") or "")[:254],
                submitter_address=(item.get("address") or "")[:300],
                consent_version=(item.get("consent_version") or "")[:20],
                consent_at=tracking.parse_time(item.get("consent_at")),
                content=("%s\n\n%s" % (title, content)).strip() if title else content,
                field=_field_id(item.get("field")), received_on=received.date(),
                deadline=_deadline(config, received.date()))
            for values in files:
                Attachment.create(object_type="opinion", object_id=opinion.id, uploaded_by=None, **values)
    except Exception:
        for values in files:
            (attachments.storage_dir(root) / values["stored_name"]).unlink(missing_ok=True)
        raise
    return opinion


# ---------------------------------------------------------------- status mails

def status_mail(config, opinion, key):
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = formataddr(("", opinion.submitter_email))
    message["Subject"] = "Yêu cầu %s: %s" % (opinion.tracking_code, tracking.status_label(key))
    message["Message-ID"] = make_msgid(domain="doithoai.local")
    message.set_content("\n".join([
        "Tình trạng yêu cầu %s của ông/bà: %s." % (opinion.tracking_code, tracking.status_label(key)),
        "",
        "Xem chi tiết tại: %s (nhập mã tra cứu)." % lookup_url(config),
        "",
        "Thư này được gửi tự động; xin không trả lời thư.",
    ]) + "\n")
    return message


def lookup_url(config):
    base = config.get("INTAKE_PUBLIC_URL") or config.get("INTAKE_URL") or ""
    return base.rstrip("/") + "/tra-cuu/"


# ---------------------------------------------------------------- one run

def run(config, instance_path, user=None, client=None, after_store=None):
    """One sync; returns the IntakeSync row (status succeeded or failed, never raises IntakeError).

    `after_store(code)` is called between storing and acknowledging (tests stop a run there)."""
    sync = IntakeSync.create(started_by=user.id if user else None)
    try:
        client = client or Client(config.get("INTAKE_URL", ""), api_token(config, instance_path))
        client.call("PUT", "/api/v1/fields", {"fields": [
            {"code": f.code, "name": f.name} for f in Field.select().order_by(Field.position, Field.name)]})
        _pull(config, client, sync, after_store)
        _push(config, client, sync)
        sync.status = "succeeded"
    except IntakeError as error:
        sync.status, sync.error = "failed", str(error)
    sync.finished_at = now()
    with db.atomic():
        sync.save()
        audit(user, "intake_sync", sync, {name: (None, getattr(sync, name)) for name in (
            "status", "fetched", "created", "acked", "statuses", "mails")},
            summary="Đồng bộ tiếp nhận trực tuyến: %s; nhận %d, vào sổ %d, xác nhận %d, cập nhật %d trạng thái%s" % (
                sync.status_label, sync.fetched, sync.created, sync.acked, sync.statuses,
                ("; lỗi: " + sync.error) if sync.error else ""))
    return sync


def _pull(config, client, sync, after_store):
    root = config["ATTACHMENTS_DIR"]
    for _ in range(MAX_BATCHES):
        batch = client.call("GET", "/api/v1/submissions?limit=%d" % BATCH).get("submissions") or []
        if not batch:
            return
        for item in batch:
            code = tracking.normalize(item.get("code"))
            if code is None:
                raise IntakeError("Mã tra cứu không hợp lệ từ dịch vụ tiếp nhận: %r" % item.get("code"))
            item["code"] = code
            sync.fetched += 1
            if not Opinion.select().where(Opinion.tracking_code == code).exists():
                _enter(config, client, item, root)
                sync.created += 1
                sync.save()
            if after_store:
                after_store(code)
            client.call("POST", "/api/v1/submissions/%s/ack" % code, {})
            sync.acked += 1
        sync.save()


def _push(config, client, sync):
    pushed = {p.opinion_id: p for p in IntakeStatusPush.select()}
    changes = []
    for opinion in tracked():
        dialogue = opinion.dialogue if opinion.dialogue_id else None
        view = public_status(opinion, dialogue)
        last = pushed.get(opinion.id)
        fingerprint = _fingerprint(view)
        if last is None or last.fingerprint != fingerprint:
            changes.append((opinion, view, fingerprint, last))
    for start in range(0, len(changes), 100):
        chunk = changes[start:start + 100]
        client.call("POST", "/api/v1/statuses", {"statuses": [dict(
            view, code=opinion.tracking_code, kind=opinion.kind, status_at=now().isoformat(),
            received_at=opinion.created_at.isoformat() if opinion.created_at else None)
            for opinion, view, _, _ in chunk]})
        for opinion, view, fingerprint, last in chunk:
            mailed = last.mailed_status if last else "received"
            if view["status"] != mailed and opinion.submitter_email and _mail(config, opinion, view["status"]):
                sync.mails += 1
                mailed = view["status"]
            with db.atomic():
                IntakeStatusPush.delete().where(IntakeStatusPush.opinion == opinion.id).execute()
                IntakeStatusPush.create(opinion=opinion.id, fingerprint=fingerprint, status=view["status"],
                                        mailed_status=mailed)
            sync.statuses += 1


def _mail(config, opinion, key):
    if not config.get("MAIL_SERVER"):
        return False
    mailer = mail.Mailer(config)
    try:
        mailer.send(status_mail(config, opinion, key))
        return True
    except Exception as error:  # noqa: BLE001  (a mail refused or the server away: the lookup still shows it)
        log.warning("status mail for %s not sent: %s", opinion.tracking_code, mail.describe_error(error))
        return False
    finally:
        mailer.close()


def stale_warning(config):
    """A warning for the dashboard when the intake service is configured and the last good sync is over an hour
    old (or there was none), else None."""
    if not config.get("INTAKE_URL"):
        return None
    last = IntakeSync.last_good()
    if last is None:
        return "Chưa có lần đồng bộ tiếp nhận trực tuyến nào thành công."
    age = now() - last.finished_at
    if age.total_seconds() > STALE_AFTER_HOURS * 3600:
        return "Lần đồng bộ tiếp nhận trực tuyến thành công gần nhất lúc %s, đã quá %d giờ." % (
            last.finished_at.strftime("%H:%M %d/%m/%Y"), int(age.total_seconds() // 3600))
    return None

