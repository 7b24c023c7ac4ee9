"""A citizen's request in the register: find it by code or phone, issue a code, triage a dialogue request.

Triage (coordinator, chief): schedule a direct dialogue (an `on_request` dialogue linked to the opinion,
whose date and place the citizen then reads), answer in writing, refer to a named competent body,
refuse with a reason from the configured list. Each is one transaction, audited, and the next
`intake-sync` pushes the new status (services/intake_sync.py).
"""
import functools
import operator

from models import Opinion, TransitionError, db, record_transition, save_versioned
from services import dialogues, tracking
from services.privacy import vietnamese_phone
from services.text import clean_typed


def find(user, text):
    """Opinions the user may see whose tracking code, national code (mã PAKN) or phone matches `text`."""
    text = clean_typed(text or "").strip()[:60]
    if not text:
        return []
    conditions = [Opinion.national_code == text]
    code = tracking.normalize(text)
    if code:
        conditions.append(Opinion.tracking_code == code)
    phone = vietnamese_phone(text)
    if phone:
        conditions.append(Opinion.submitter_phone == phone)
        conditions.append(Opinion.submitter_contact.contains(text))
    query = Opinion.visible_to(user).where(Opinion.tracking_code.is_null(False) | (Opinion.national_code != ""))
    query = query.where(functools.reduce(operator.or_, conditions))
    if phone:  # a phone only finds what the user may see of who raised it
        query = query.where(Opinion.identity_searchable_by(user) | (Opinion.tracking_code == (code or "")))
    return list(query.order_by(Opinion.received_on.desc(), Opinion.id.desc()).limit(50))


def issue_code(opinion, user, version):
    """Give an opinion entered at the counter, by phone or from the portal its tracking code (once)."""
    if opinion.tracking_code:
        raise TransitionError("Ý kiến đã có mã tra cứu %s." % opinion.tracking_code)
    return save_versioned(opinion, version, user, {"tracking_code": tracking.new_code()}, action="tracking_code",
                          summary="Cấp mã tra cứu cho ý kiến %s" % opinion.code)


def _dialogue_request(opinion):
    if opinion.kind != "dialogue_request":
        raise TransitionError("Chỉ đề nghị đối thoại trực tiếp mới được xử lý tại đây.")
    if opinion.is_closed:
        raise TransitionError("Yêu cầu đã kết thúc (%s)." % opinion.status_label)


def schedule(opinion, user, version, starts_at, place, title=""):
    """Create the on_request dialogue with the citizen and link the request to it."""
    _dialogue_request(opinion)
    title = title or "Đối thoại trực tiếp theo đề nghị %s" % (opinion.tracking_code or opinion.code)
    values = {"title": title, "kind": "on_request", "audience": "citizens", "starts_at": starts_at, "place": place}
    with db.atomic():
        dialogue = dialogues.create(user, values, [opinion.field_id] if opinion.field_id else [], [], "scheduled",
                                    "Lên lịch đối thoại trực tiếp theo đề nghị %s" % opinion.code)
        record_transition(dialogue, user, "", "scheduled", "Theo đề nghị %s" % opinion.code)
        saved = save_versioned(opinion, version, user, {"dialogue": dialogue.id}, action="schedule",
                               summary="Lên lịch đối thoại cho đề nghị %s" % opinion.code)
    return saved, dialogue


def _close(opinion, user, version, target, changes, note):
    _dialogue_request(opinion)
    with db.atomic():
        saved = save_versioned(opinion, version, user, changes, action="triage",
                               summary="Xử lý đề nghị %s" % opinion.code)
        return saved.change_status(user, target, saved.version, note)


def answer(opinion, user, version, text):
    """Answered in writing: explained, with the answer as the note the citizen reads."""
    return _close(opinion, user, version, "explained", {"public_note": text}, text)


def refer(opinion, user, version, body):
    return _close(opinion, user, version, "referred", {"referred_to": body}, "Chuyển %s" % body)


def refuse(opinion, user, version, reason):
    return _close(opinion, user, version, "refused", {"refusal_reason": reason}, reason)
