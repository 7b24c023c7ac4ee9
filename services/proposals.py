"""Proposals (Art. 8): record, assign, appraise, decide, and the Chairman's dialogue made from one."""
import datetime as dt
import re

import peewee as pw

from models import (
    PROPOSAL_STATUSES,
    Agency,
    Appraisal,
    AuditLog,
    ConflictError,
    Plan,
    Proposal,
    StatusChange,
    TransitionError,
    User,
    audit,
    db,
    record_transition,
    save_versioned,
    today,
)
from services import dialogues as dialogue_service

CHAIR = "Chủ tịch UBND tỉnh"


def day_text(day):
    """dd/mm/yyyy, as the messages and the program print a day."""
    return day.strftime("%d/%m/%Y") if day else ""


# ---------------------------------------------------------------- the appraisal

def missing_appraisals(proposal):
    """The appraising bodies that have not yet given their opinion on the proposal."""
    given = {a.body_id for a in Appraisal.select(Appraisal.body).where(Appraisal.proposal == proposal.id)}
    return [body for body in Agency.appraisers() if body.id not in given]


def decision_refusal(proposal):
    """Why the chief may not decide now, or None."""
    if proposal.status in ("accepted", "returned"):
        return "Đề xuất đã có quyết định (%s)." % PROPOSAL_STATUSES[proposal.status].lower()
    if proposal.status != "appraising":
        return "Chưa thể quyết định: đề xuất chưa được đưa ra thẩm định."
    if not Agency.appraisers():
        return "Chưa khai báo cơ quan thẩm định (Ban Dân vận Tỉnh ủy, Ủy ban MTTQ Việt Nam tỉnh)."
    missing = missing_appraisals(proposal)
    if missing:
        return "Chưa thể quyết định: còn chờ ý kiến thẩm định của %s." % ", ".join(b.name for b in missing)
    return None


def timeline(proposal):
    """Dated events: status changes, content department assignments, appraisals, the dialogue made."""
    events = []
    for change in StatusChange.for_object(proposal):
        label = PROPOSAL_STATUSES.get(change.to_status, change.to_status)
        events.append({"at": change.at, "timed": True, "label": label, "note": change.note,
                       "who": change.user.full_name if change.user_id else ""})
    for row in (AuditLog.select(AuditLog, User).join(User, pw.JOIN.LEFT_OUTER)
                .where(AuditLog.object_type == Proposal._meta.table_name, AuditLog.object_id == proposal.id,
                       AuditLog.action.in_(("assign", "dialogue")))):
        events.append({"at": row.at, "timed": True, "label": row.summary, "note": "",
                       "who": row.user.full_name if row.user_id else ""})
    for appraisal in proposal.appraisal_rows():
        events.append({"at": dt.datetime.combine(appraisal.at, dt.time()), "timed": False,
                       "label": "Ý kiến thẩm định của %s: %s" % (
                           appraisal.body.name, "thống nhất" if appraisal.agrees else "không thống nhất"),
                       "note": "", "who": ""})
    return sorted(events, key=lambda e: e["at"])


# ---------------------------------------------------------------- steps

def record(user, values):
    """A proposal as received; its history starts at "Đã tiếp nhận"."""
    with db.atomic():
        proposal = Proposal.create(status="received", **values)
        record_transition(proposal, user, "", "received", values["document_ref"])
        audit(user, "create", proposal, {k: (None, v) for k, v in values.items()},
              summary="Tiếp nhận đề xuất: %s" % proposal.title)
    return proposal


def edit(proposal, version, user, values):
    return save_versioned(proposal, version, user, values, summary="Sửa đề xuất: %s" % values["title"])


def assign(proposal, version, user, unit):
    """Give the proposal to a content department, which advises and prepares the appraisal."""
    return save_versioned(proposal, version, user, {"content_unit": unit.id}, action="assign",
                          summary="Giao %s chủ trì tham mưu" % unit.name)


def start_appraisal(proposal, version, user):
    """received → appraising, with the appraising bodies named in the history."""
    if proposal.status != "received":
        raise TransitionError("Đề xuất không ở trạng thái “Đã tiếp nhận”.")
    if not proposal.content_unit_id:
        raise TransitionError("Cần giao phòng, ban khối nội dung chủ trì trước khi thẩm định.")
    with db.atomic():
        saved = save_versioned(proposal, version, user, {"status": "appraising"},
                               action="transition", summary="Đưa ra thẩm định: %s" % proposal.title)
        record_transition(saved, user, "received", "appraising",
                          "Thẩm định với " + ", ".join(b.name for b in Agency.appraisers()))
    return saved


def record_appraisal(proposal, user, body, agrees, opinion, at):
    """One body's opinion; ConflictError (carrying the stored one) when the body gave one at the same time."""
    try:
        with db.atomic():
            appraisal = Appraisal.create(proposal=proposal.id, body=body.id, opinion=opinion, agrees=agrees, at=at)
            audit(user, "create", appraisal,
                  {"proposal": (None, proposal.id), "body": (None, body.id), "agrees": (None, agrees),
                   "opinion": (None, appraisal.opinion), "at": (None, appraisal.at)},
                  summary="Ý kiến thẩm định của %s: %s" % (body.name, proposal.title))
    except pw.IntegrityError:  # the same body recorded twice at once: the unique index keeps one
        raise ConflictError(Appraisal.get(Appraisal.proposal == proposal.id, Appraisal.body == body.id)) from None
    return appraisal


def decide(proposal, version, user, target, note):
    """The chief accepts or returns the proposal; TransitionError while the appraisal is not complete."""
    reason = decision_refusal(proposal)
    if reason:
        raise TransitionError(reason)
    with db.atomic():
        saved = save_versioned(proposal, version, user, {"status": target, "decision_note": note},
                               action="transition",
                               summary="%s đề xuất: %s" % ("Chấp thuận" if target == "accepted" else "Trả lại",
                                                           proposal.title))
        record_transition(saved, user, "appraising", target, note)
    return saved


# ---------------------------------------------------------------- the dialogue and its program

def dialogue_refusal(proposal):
    """Why no dialogue can be made from the proposal, or None."""
    if proposal.dialogue_id:
        return "Đề xuất này đã có buổi đối thoại."
    if proposal.status != "accepted":
        return "Chỉ đề xuất được chấp thuận mới tạo được buổi đối thoại."
    return None


def dialogue_title(proposal):
    """"Đề xuất đối thoại về X" → "Đối thoại của Chủ tịch UBND tỉnh với Nhân dân về X"."""
    match = re.search(r"\bvề\s+(.+)$", proposal.title)
    if match:
        return ("Đối thoại của Chủ tịch UBND tỉnh với Nhân dân về " + match.group(1))[:300]
    return proposal.title


def default_program(proposal, appraisals):
    """The agenda, briefing and description a dialogue form starts with."""
    bodies = ", ".join(a.body.name for a in appraisals) or "các cơ quan thẩm định"
    agenda = "\n".join([
        "1. Tuyên bố lý do, giới thiệu đại biểu.",
        "2. Đại diện %s báo cáo nội dung đề xuất đối thoại." % proposal.agency.name,
        "3. Đại diện %s phát biểu." % bodies,
        "4. Nhân dân nêu ý kiến, kiến nghị; đại diện các sở, ngành, địa phương trả lời theo thẩm quyền.",
        "5. Chủ tịch UBND tỉnh phát biểu, kết luận.",
    ])
    lines = ["**Đề xuất:** %s (%s, tiếp nhận ngày %s)." % (proposal.title, proposal.document_ref,
                                                         day_text(proposal.received_on)),
             "", proposal.content, "", "**Ý kiến thẩm định:**", ""]
    for a in appraisals:
        lines.append("- %s (%s, ngày %s): %s" % (a.body.name, "thống nhất" if a.agrees else "không thống nhất",
                                                 day_text(a.at), a.opinion))
    if proposal.decision_note:
        lines += ["", "**Ý kiến của Chánh Văn phòng:** %s" % proposal.decision_note]
    description = ("Chủ tịch UBND tỉnh đối thoại với Nhân dân theo Điều 8 Quy định số 12-QĐi/TU, trên cơ sở đề "
                   "xuất của %s (%s) đã được thẩm định với %s." % (proposal.agency.name, proposal.document_ref,
                                                                    bodies))
    return agenda, "\n".join(lines), description


def dialogue_defaults(proposal, user):
    """What the dialogue form starts with: the facts of a Chairman's dialogue, the program drafted from the
    proposal and its appraisal, this year's plan, and as attendees the content department's staff (and the
    coordinator who makes it)."""
    agenda, briefing, description = default_program(proposal, proposal.appraisal_rows())
    plan = Plan.get_or_none(Plan.year == today().year)
    staff = [u.id for u in User.select(User.id).where(User.active, User.unit == proposal.content_unit_id,
                                                      User.role.in_(("unit_head", "specialist")))]
    if user.role == "coordinator":
        staff.append(user.id)
    return {"title": dialogue_title(proposal), "kind": "ad_hoc", "audience": "citizens", "occasion": "",
            "is_chairman": True, "plan_id": plan.id if plan else None, "chair": CHAIR, "description": description,
            "agenda": agenda, "briefing": briefing, "attendee_ids": staff, "proposal_version": proposal.version}


def make_dialogue(proposal, proposal_version, user, values, field_ids, user_ids):
    """The dialogue with its program; it enters the lifecycle at "Đã thẩm định" with the proposal's history.

    ConflictError (carrying the proposal) when someone changed the proposal since `proposal_version`.
    """
    received, accepted = proposal.first_change("received"), proposal.first_change("accepted")
    with db.atomic():
        dialogue = dialogue_service.create(user, values, field_ids, user_ids, "appraised",
                                           "Tạo buổi đối thoại từ đề xuất: %s" % values["title"],
                                           changes={"proposal": (None, proposal.id)})
        # Its lifecycle so far is the proposal's: proposed when received, appraised when accepted.
        record_transition(dialogue, received.user if received else user, "", "proposed",
                          "Đề xuất của %s (%s)" % (proposal.agency.name, proposal.document_ref),
                          at=received.at if received else None)
        record_transition(dialogue, accepted.user if accepted else user, "proposed", "appraised",
                          "Đề xuất được chấp thuận sau thẩm định với %s."
                          % ", ".join(a.body.name for a in proposal.appraisal_rows()),
                          at=accepted.at if accepted else None)
        save_versioned(proposal, proposal_version, user, {"dialogue": dialogue.id},
                       action="dialogue", summary="Tạo buổi đối thoại: %s" % dialogue.title)
    return dialogue


def save_program(dialogue, version, user, agenda, briefing):
    return save_versioned(dialogue, version, user, {"agenda": agenda, "briefing": briefing},
                          action="program", summary="Sửa chương trình đối thoại: %s" % dialogue.title)
