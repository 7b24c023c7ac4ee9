"""The review of what goes public: each conclusion's state (published, ready, blocked …) and the filters.

A conclusion's state comes from its public summary, its flag and the gate (Conclusion.publishable());
a summary with personal data (publication.personal_data_problems) is blocked whatever its flag.
"""
import peewee as pw

import publication
from models import Conclusion, ConclusionNotice, Dialogue, Unit

STATES = {
    "published": "Đang công khai",
    "ready": "Sẵn sàng công khai",
    "blocked": "Có dữ liệu cá nhân",
    "not_public": "Không công khai",
}


def publish_refusal(summary):
    """Why a summary may not go public (Vietnamese), or None."""
    if not (summary or "").strip():
        return "Cần nhập tóm tắt công khai trước khi công khai."
    if publication.personal_data_problems(summary):
        return "Không thể công khai: tóm tắt công khai có dữ liệu cá nhân (xem bên dưới)."
    return None


def problems_of(text):
    """The personal-data problems of a text; a text without digits or "@" has none (no check run)."""
    text = text or ""
    if "@" not in text and not any(ch.isdigit() for ch in text):
        return []
    return publication.personal_data_problems(text)


def state_of(summary, is_public, passes_gate):
    """One of STATES, or "waiting" (public, but not yet through the gate) or "empty" (public, no summary)."""
    problems = problems_of(summary)
    if problems:
        return "blocked"
    if not is_public:
        return "not_public" if (summary or "").strip() == "" else "ready"
    if not (summary or "").strip():
        return "empty"
    return "published" if passes_gate else "waiting"


def _matches(state, wanted, is_public):
    if wanted == "published":
        return state == "published"
    if wanted == "ready":
        return state in ("ready", "waiting")
    if wanted == "blocked":
        return state == "blocked"
    if wanted == "not_public":
        return not is_public
    return True


def review_rows(wanted):
    """Ids (newest notice first) of the conclusions in force matching the filter `wanted` (one of
    STATES, or "" for all), and the count of each filter ("" too)."""
    scan = (Conclusion.select(Conclusion.id, Conclusion.public_summary, Conclusion.is_public)
            .join(ConclusionNotice).where(ConclusionNotice.is_in_force())
            .order_by(ConclusionNotice.signed_at.desc(nulls="LAST"), Conclusion.id).tuples())
    gate = {row[0] for row in Conclusion.publishable().select(Conclusion.id).tuples()}
    counts = dict.fromkeys(STATES, 0)
    ids = []
    total = 0
    for conclusion_id, summary, is_public in scan:
        state = state_of(summary, is_public, conclusion_id in gate)
        total += 1
        for name in STATES:
            if _matches(state, name, is_public):
                counts[name] += 1
        if _matches(state, wanted, is_public):
            ids.append(conclusion_id)
    counts[""] = total
    return ids, counts


def with_context():
    """Conclusions with their notice, dialogue and unit (one query)."""
    return (Conclusion.select(Conclusion, ConclusionNotice, Dialogue, Unit)
            .join(ConclusionNotice).join(Dialogue)
            .join_from(Conclusion, Unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == Unit.id)))


def reviewed(conclusion_id):
    """The query for one conclusion of a signed notice in force, with its context (what the review handles)."""
    return with_context().where(Conclusion.id == conclusion_id, ConclusionNotice.is_in_force())


def load_items(ids):
    """Conclusions with their notice, dialogue and unit (one query), decorated for the templates, in `ids` order."""
    if not ids:
        return []
    gate = {row[0] for row in Conclusion.publishable()
            .where(Conclusion.id.in_(ids)).select(Conclusion.id).tuples()}
    found = {c.id: c for c in with_context().where(Conclusion.id.in_(ids))}
    items = []
    for conclusion_id in ids:
        c = found.get(conclusion_id)
        if c is None:
            continue
        decorate(c, conclusion_id in gate)
        items.append(c)
    return items


def decorate(conclusion, passes_gate=None):
    """The conclusion with its personal-data `problems` and its `state`."""
    if passes_gate is None:
        passes_gate = Conclusion.publishable().where(Conclusion.id == conclusion.id).exists()
    conclusion.problems = problems_of(conclusion.public_summary)
    conclusion.state = state_of(conclusion.public_summary, conclusion.is_public, passes_gate)
    return conclusion
