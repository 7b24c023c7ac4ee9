"""Conclusion notices' workflow: submit and return, number and sign, correct and carry over.

Signing freezes the notice. A correction (đính chính) is a new revision, a draft copied from the
signed one (title, body, recipients and the conclusions with their links, status and progress);
the old revision stays readable. When the correction is signed, it replaces the old one: the old
revision's conclusions are then out of force everywhere (ConclusionNotice.in_force), each of them
still open gets a note saying where it continues, and the correction's own conclusions carry the
follow-up work, as their predecessors stand when it is signed.

Drafting a notice from a dialogue, its conclusions and its document are in services/notice_drafts.py.
"""
import peewee as pw

from models import (
    CONCLUSION_CLOSED,
    OPINION_TRANSITIONS,
    Conclusion,
    ConclusionNotice,
    ConclusionOpinion,
    ConflictError,
    Dialogue,
    FollowUp,
    Opinion,
    TransitionError,
    audit,
    db,
    now,
    record_transition,
    save_versioned,
)
from services import numbering
from services.text import document_number

DOC_TYPE = "TB"
MAX_NUMBER = 9999
CARRIED_OVER = ("status", "percent_done", "closed_at", "is_public", "publish_in_progress")
STEPS = {  # action: (from, to, the refusal elsewhere)
    "submit": ("draft", "submitted", "Chỉ trình ký được thông báo đang là dự thảo."),
    "return": ("submitted", "draft", "Chỉ trả lại được thông báo đang trình ký."),
}


class Refusal(Exception):
    """An action refused: `message`, and `field`, the part of the form it concerns."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


class NotAllowed(Exception):
    """The notice's state does not allow the action; `notice` is the notice as it stands now."""

    def __init__(self, message, notice):
        super().__init__(message)
        self.message, self.notice = message, notice


class SigningRefused(Refusal):
    """The signing could not be done; `field` is where the message goes on the form ("status": a conflict)."""

    def __init__(self, message, field="number"):
        super().__init__(message, field)


def edit_refusal(notice):
    """Why the notice may not be edited now (only a draft may: signed notices are frozen), or None."""
    if notice.status == "draft":
        return None
    if notice.status == "signed":
        return "Thông báo đã ký số %s nên không sửa được. Muốn sửa, hãy tạo bản đính chính." % notice.number_text
    return "Thông báo đang trình ký nên không sửa được; Chánh Văn phòng có thể trả lại để sửa."


def require_draft(notice):
    """Raise NotAllowed unless the notice may be edited."""
    message = edit_refusal(notice)
    if message:
        raise NotAllowed(message, notice)


# ---------------------------------------------------------------- submit and return

def check_step(notice, action):
    """Raise NotAllowed unless the notice stands where `action` ("submit", "return") starts."""
    source, _target, refusal = STEPS[action]
    if notice.status != source:
        raise NotAllowed(refusal, notice)


def _step(notice, user, version, action, note, summary):
    _source, target, _refusal = STEPS[action]
    with db.atomic():
        saved = save_versioned(notice, version or 0, user, {"status": target}, action=action, summary=summary)
        record_transition(saved, user, notice.status, target, note)
    return saved


def submit(notice, user, version, note=""):
    """Draft → submitted, to the chief for signing; a notice needs a conclusion first.
    Raises NotAllowed, Refusal (field "submit") or ConflictError."""
    check_step(notice, "submit")
    if not Conclusion.select().where(Conclusion.notice == notice.id).exists():
        raise Refusal("Cần ít nhất một kết luận trước khi trình ký.", "submit")
    return _step(notice, user, version, "submit", (note or "").strip(), "Trình ký thông báo: %s" % notice.title)


def return_to_draft(notice, user, version, note):
    """Submitted → draft, with the chief's reason. Raises NotAllowed, Refusal (field "return_note") or ConflictError."""
    check_step(notice, "return")
    note = (note or "").strip()
    if not note:
        raise Refusal("Vui lòng ghi lý do trả lại để phòng TCHCQT sửa.", "return_note")
    return _step(notice, user, version, "return", note, "Trả lại dự thảo: %s" % notice.title)


# ---------------------------------------------------------------- numbering and signing

def check_signable(notice):
    """Raise NotAllowed for a notice signed already."""
    if notice.status == "signed":
        raise NotAllowed("Thông báo đã ký số %s." % notice.number_text, notice)


def next_number(year, doc_type=DOC_TYPE):
    """The next number of the series: one more than the highest ever given that year (never reused)."""
    highest = (ConclusionNotice.select(pw.fn.MAX(ConclusionNotice.number))
               .where(ConclusionNotice.year == year, ConclusionNotice.doc_type == doc_type,
                      ConclusionNotice.number.is_null(False)).scalar())
    return (highest or 0) + 1


def proposed_number(notice, year):
    """The number signing would give now, for a submitted notice (else None)."""
    return next_number(year, notice.doc_type) if notice.status == "submitted" else None


def sign(notice_id, user, expected_version, manual_number=None):
    """Sign a submitted notice with the next number of its series, or `manual_number` (the number the
    office's register gave, unique for that year and type). Race-safe: the highest number is read and
    the new one written in one transaction that holds the series' write lock from its start; the
    unique index (year, doc_type, number) is the last guard (an automatic number is tried once more).
    Returns the signed notice; raises ConflictError or SigningRefused.
    """
    for attempt in (1, 2):
        signed_at = now()
        year = signed_at.year
        try:
            with numbering.numbering_transaction(db, year, DOC_TYPE):
                notice = ConclusionNotice.get_by_id(notice_id)
                if notice.version != int(expected_version):
                    raise ConflictError(notice)
                if notice.status != "submitted":
                    raise SigningRefused("Chỉ ký được thông báo đang trình ký (trạng thái hiện tại: %s)."
                                         % notice.status_label, "status")
                number = _manual(notice, year, manual_number) if manual_number is not None \
                    else next_number(year, notice.doc_type)
                saved = save_versioned(notice, expected_version, user, {
                    "status": "signed", "year": year, "number": number, "signed_by": user.id,
                    "signed_at": signed_at}, action="sign",
                    summary="Ký thông báo số %s: %s" % (document_number(number, notice.doc_type), notice.title))
                _after_signing(saved, user)
                return saved
        except pw.IntegrityError:
            if manual_number is not None or attempt == 2:
                raise SigningRefused("Số vừa được cấp cho một thông báo khác. Vui lòng ký lại.") from None
    raise AssertionError("unreachable")


def _manual(notice, year, number):
    """The register's number, unless that year's series has given it already."""
    taken = ConclusionNotice.get_or_none(ConclusionNotice.year == year, ConclusionNotice.doc_type == notice.doc_type,
                                         ConclusionNotice.number == number)
    if taken is not None:
        raise SigningRefused("Số %s năm %d đã cấp cho thông báo “%s”. Vui lòng nhập số khác theo sổ văn thư."
                             % (document_number(number, notice.doc_type), year, taken.title))
    return number


def _carry_over(conclusions, user):
    """A signed correction continues its predecessor's conclusions as they stand now: progress, closing
    and publication changed after the correction was drafted are not undone by signing it."""
    sources = {c.id: c for c in Conclusion.select().where(
        Conclusion.id.in_([c.copied_from_id for c in conclusions if c.copied_from_id]))}
    for conclusion in conclusions:
        old = sources.get(conclusion.copied_from_id)
        if old is None:
            continue
        changes = {name: (getattr(conclusion, name), getattr(old, name)) for name in CARRIED_OVER
                   if getattr(conclusion, name) != getattr(old, name)}
        if not changes:
            continue
        values = {name: new for name, (_, new) in changes.items()}
        Conclusion.update(version=Conclusion.version + 1, updated_at=now(), **values).where(
            Conclusion.id == conclusion.id).execute()
        for name, value in values.items():
            setattr(conclusion, name, value)
        audit(user, "update", conclusion, changes,
              summary="Kết luận #%d tiếp nối kết luận #%d như hiện trạng khi ký bản đính chính"
              % (conclusion.id, old.id))


def _after_signing(notice, user):
    """What signing sets going: history, the conclusions' lifecycle, the opinions they answer, the dialogue,
    and, for a correction, a note on each still-open conclusion of the revision it replaces."""
    label = "Thông báo số %s" % notice.number_text
    record_transition(notice, user, "submitted", "signed", "Số " + notice.number_text)
    conclusions = list(Conclusion.select().where(Conclusion.notice == notice.id).order_by(Conclusion.id))
    if notice.supersedes_id:
        _carry_over(conclusions, user)
    for conclusion in conclusions:
        record_transition(conclusion, user, "", conclusion.status, "Theo %s" % label)
    opinions = (Opinion.select().join(ConclusionOpinion)
                .where(ConclusionOpinion.conclusion.in_([c.id for c in conclusions]))
                .distinct().order_by(Opinion.id))
    for opinion in opinions:
        if "concluded" not in OPINION_TRANSITIONS.get(opinion.status, ()):
            continue
        try:
            opinion.change_status(user, "concluded", opinion.version, note="Kết luận tại %s" % label)
        except (TransitionError, ConflictError):
            continue
    dialogue = Dialogue.get_by_id(notice.dialogue_id)
    if dialogue.refusal("concluded") is None:
        saved = save_versioned(dialogue, dialogue.version, user, {"status": "concluded"}, action="status",
                               summary="Chuyển trạng thái: %s → %s" % (dialogue.status_label, "Đã có kết luận"))
        record_transition(saved, user, dialogue.status, "concluded", "Ký %s" % label)
    if notice.supersedes_id:
        _note_replaced(ConclusionNotice.get_by_id(notice.supersedes_id), notice, label, user)


def _note_replaced(old, notice, label, user):
    audit(user, "superseded", old, summary="Thông báo số %s được thay thế bởi bản đính chính số %s"
          % (old.number_text, notice.number_text))
    for conclusion in Conclusion.select().where(Conclusion.notice == old.id,
                                                Conclusion.status.not_in(CONCLUSION_CLOSED)):
        note = FollowUp.create(conclusion=conclusion, kind="note", user=user.id, note=(
            "Kết luận được thay thế bởi %s (bản đính chính); theo dõi tiếp tại bản mới." % label))
        audit(user, "create", note, summary="Ghi chú thay thế kết luận #%d" % conclusion.id)


# ---------------------------------------------------------------- corrections

def correct(notice, user):
    """The correction of a signed notice: (its new draft revision, True), or (the correction it has already,
    False). Raises NotAllowed for a notice not signed."""
    if notice.status != "signed":
        raise NotAllowed("Chỉ đính chính được thông báo đã ký.", notice)
    existing = ConclusionNotice.get_or_none(ConclusionNotice.supersedes == notice.id)
    if existing is not None:
        return existing, False
    try:
        return correction_of(notice, user), True
    except pw.IntegrityError:  # the same request twice at once: the unique index keeps one
        return ConclusionNotice.get(ConclusionNotice.supersedes == notice.id), False


def correction_of(notice, user):
    """The new draft revision with copies of the conclusions, each pointing to the one it continues.
    Raises IntegrityError when the notice has a correction already (one per notice)."""
    with db.atomic():
        copy = ConclusionNotice.create(
            dialogue=notice.dialogue_id, title=notice.title, body_md=notice.body_md, recipients=notice.recipients,
            status="draft", doc_type=notice.doc_type, revision=notice.revision + 1, supersedes=notice.id,
            created_by=user.id)
        record_transition(copy, user, "", "draft", "Đính chính Thông báo số %s" % notice.number_text)
        audit(user, "create", copy, {"supersedes": (None, notice.id), "revision": (None, copy.revision)},
              summary="Tạo bản đính chính của Thông báo số %s" % notice.number_text)
        for old in Conclusion.select().where(Conclusion.notice == notice.id).order_by(Conclusion.id):
            values = {name: getattr(old, name) for name in (
                "decision", "deadline", "public_summary", "is_public", "publish_in_progress", "status",
                "percent_done", "closed_at")}
            values.update(responsible_unit=old.responsible_unit_id, responsible_user=old.responsible_user_id,
                          field=old.field_id)
            new = Conclusion.create(notice=copy.id, copied_from=old.id, **values)
            opinion_ids = [link.opinion_id for link in old.opinion_links]
            for opinion_id in opinion_ids:
                ConclusionOpinion.create(conclusion=new.id, opinion=opinion_id)
            audit(user, "create", new, {"copied_from": (None, old.id), "opinions": ([], opinion_ids)},
                  summary="Chép kết luận #%d sang bản đính chính" % old.id)
    return copy
