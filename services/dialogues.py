"""Dialogue operations: create with fields and attendees, edit, move along the lifecycle.

The minutes are saved by services/minutes.py."""
from models import DIALOGUE_STATUSES, Dialogue, TransitionError, audit, db, now, record_transition, save_versioned

MINUTES_STATUSES = ("held", "concluded", "completed")  # minutes are written once the dialogue is held


def create(user, values, field_ids, user_ids, status, summary, changes=None):
    """A new dialogue with its links and its one slug, audited with every value set; `changes` adds to the audit.

    Runs in the caller's transaction if there is one; the caller records its first status steps.
    """
    with db.atomic():
        dialogue = Dialogue.create(slug=Dialogue.unique_slug(values["title"], values["starts_at"]), status=status,
                                   created_by=user.id, **values)
        links = dialogue.replace_links(field_ids, user_ids)
        audited = {k: (None, v) for k, v in values.items()}
        audited.update({k: (None, new) for k, (old, new) in links.items()})
        audited.update(slug=(None, dialogue.slug), status=(None, status))
        audited.update(changes or {})
        audit(user, "create", dialogue, audited, summary=summary)
    return dialogue


def create_planned(user, values, field_ids, user_ids):
    """A dialogue typed in by staff: a Chairman's dialogue starts as proposed, any other as scheduled."""
    status = "proposed" if values["is_chairman"] else "scheduled"
    with db.atomic():
        dialogue = create(user, values, field_ids, user_ids, status, "Tạo buổi đối thoại: %s" % values["title"])
        record_transition(dialogue, user, "", status, "Tạo mới")
    return dialogue


def update(dialogue, version, user, values, field_ids, user_ids):
    """Save an edit of the facts and links; ConflictError when someone saved it since `version`."""
    changes = dict(values)
    with db.atomic():
        if dialogue.links_differ(field_ids, user_ids):
            changes["updated_at"] = now()  # the links changed: the version must grow too
        saved = save_versioned(dialogue, version, user, changes, summary="Sửa buổi đối thoại: %s" % changes["title"])
        links = saved.replace_links(field_ids, user_ids)
        if links:
            audit(user, "update", saved, links, summary="Sửa lĩnh vực, người dự: %s" % saved.title)
    return saved


def move(dialogue, version, user, target, note):
    """One lifecycle step with its history entry; TransitionError says why a step is not allowed."""
    reason = dialogue.refusal(target)
    if reason:
        raise TransitionError(reason)
    with db.atomic():
        saved = save_versioned(dialogue, version, user, {"status": target}, action="status",
                               summary="Chuyển trạng thái: %s → %s" % (dialogue.status_label,
                                                                       DIALOGUE_STATUSES[target]))
        record_transition(saved, user, dialogue.status, target, note)
    return saved


def minutes_refusal(dialogue):
    """Why no minutes can be written yet, or None."""
    if dialogue.status not in MINUTES_STATUSES:
        return "Chỉ ghi biên bản khi buổi đối thoại đã tổ chức (trạng thái hiện tại: %s)." % dialogue.status_label
    return None

