"""Following up a conclusion: who may record progress, close or reopen it, and doing so.

- progress entries: staff of the responsible unit (specialist, unit head) and the coordinator;
- closing as resolved / referred / explained (a note is required): the head of the responsible
  unit, the coordinator and the chief (the plan has units mark their items resolved and TCHCQT
  follow up on the chief's behalf);
- reopening a closed conclusion (a reason is required): the coordinator and the chief; it goes back
  to "đang thực hiện".
"""
import datetime as dt

from models import FollowUp, audit, db, now, record_transition, save_versioned, today

CLOSE_TARGETS = {"resolved": "Đã giải quyết", "referred": "Đã chuyển cơ quan có thẩm quyền",
                 "explained": "Đã giải thích"}
TARGET_LABELS = dict(CLOSE_TARGETS, reopen="Mở lại")


def is_unit_staff(user, conclusion):
    return bool(user.is_content_staff and user.unit_id and user.unit_id == conclusion.responsible_unit_id)


def may_add_progress(user, conclusion):
    return user.role == "coordinator" or is_unit_staff(user, conclusion)


def may_close(user, conclusion):
    return user.role in ("coordinator", "chief") or (user.role == "unit_head" and is_unit_staff(user, conclusion))


def may_reopen(user):
    return user.role in ("coordinator", "chief")


def targets_for(user, conclusion):
    """The status changes this user may make now."""
    if conclusion.is_closed:
        return ("reopen",) if may_reopen(user) else ()
    return tuple(CLOSE_TARGETS) if may_close(user, conclusion) else ()


def add_progress(conclusion, user, version, note, percent_done, day):
    """One progress entry dated `day` and the conclusion's new percent (and open → in progress), atomically.
    Returns (the conclusion saved, the new timeline items as (kind, at, row)); raises ConflictError."""
    at = now() if day == today() else dt.datetime.combine(day, dt.time(8, 0))
    changes = {"percent_done": percent_done}
    starts = conclusion.status == "open"
    if starts:
        changes["status"] = "in_progress"
    with db.atomic():
        current = save_versioned(conclusion, version, user, changes, action="progress",
                                 summary="Tiến độ kết luận #%d: %d%%" % (conclusion.id, percent_done))
        new_items = []
        if starts:
            change = record_transition(current, user, "open", "in_progress", "Bắt đầu thực hiện", at=at)
            new_items.append(("status", change.at, change))
        entry = FollowUp.create(conclusion=conclusion.id, kind="progress", note=note.strip(),
                                percent_done=percent_done, user=user.id, at=at)
        audit(user, "create", entry, {"note": (None, entry.note), "percent_done": (None, entry.percent_done),
                                      "at": (None, at)},
              summary="Tiến độ kết luận #%d (%s)" % (conclusion.id, day.strftime("%d/%m/%Y")))
        new_items.append(("followup", entry.at, entry))
    return current, new_items


def change_status(conclusion, user, version, target, note):
    """Close as `target` (resolved: 100% done) or "reopen" (back in progress), with the note in the history.
    Returns the conclusion saved; raises ConflictError."""
    note = note.strip()
    if target == "reopen":
        new, changes = "in_progress", {"status": "in_progress", "closed_at": None}
        history_note = "Mở lại: " + note
    else:
        new = target
        changes = {"status": new, "closed_at": now()}
        if new == "resolved":
            changes["percent_done"] = 100
        history_note = note
    with db.atomic():
        current = save_versioned(conclusion, version, user, changes, action="transition",
                                 summary="Kết luận #%d: %s → %s" % (conclusion.id, conclusion.status, new))
        record_transition(current, user, conclusion.status, new, history_note)
    return current
