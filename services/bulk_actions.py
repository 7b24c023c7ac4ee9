"""Acting on many opinions of the register at once (assign, move status, export): each item alone, by its own rules.

An action runs item by item through the same model methods as the opinion's own page
(`Opinion.assign`, `Opinion.change_status`), each item in a transaction of its own (the outermost
`db.atomic()` begins IMMEDIATE on SQLite): a refused item changes nothing and undoes nobody else's
change, and a crash leaves every item either changed whole or not at all. Each changed item gets
its own audit entry (and history entry) from those methods.
"""
from dataclasses import dataclass, field

from models import ConflictError, Opinion, TransitionError, db
from services import report_exports

MAX_ITEMS = 500
NOT_FOUND = "Không tìm thấy ý kiến hoặc ý kiến không thuộc phạm vi của bạn."
NOT_YOURS = "Ý kiến không thuộc đơn vị của bạn."
CONFLICT = "Ý kiến vừa được người khác cập nhật (hiện: %s); chưa thay đổi gì."


class SelectionError(Exception):
    """A selection that cannot be acted on as a whole (empty, or more than MAX_ITEMS); str() says why."""


@dataclass
class Outcome:
    """What an action did: the codes changed, those already as asked, and (label, reason) for each refused."""

    changed: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    changed_ids: list = field(default_factory=list)

    def refusals_by_reason(self):
        """[(reason, [labels])], reasons in the order first met."""
        grouped = {}
        for label, reason in self.refused:
            grouped.setdefault(reason, []).append(label)
        return list(grouped.items())


def select(user, filters, picked, all_matching):
    """The items to act on: [(id, version the user saw or None)], at most MAX_ITEMS; SelectionError otherwise.

    `picked` is [(id, version or None)] ticked one by one; with `all_matching`, every opinion the
    register shows `user` with `filters` (each at its stored version).
    """
    if all_matching:
        query = Opinion.register(user, filters)
        ids = [row[0] for row in query.clone().select(Opinion.id).limit(MAX_ITEMS + 1).tuples()]
        if len(ids) > MAX_ITEMS:
            total = query.clone().order_by().select(Opinion.id).count()
            raise SelectionError(too_many(total))
        chosen = [(i, None) for i in ids]
    else:
        seen, chosen = set(), []
        for opinion_id, version in picked:
            if opinion_id not in seen:
                seen.add(opinion_id)
                chosen.append((opinion_id, version))
        if len(chosen) > MAX_ITEMS:
            raise SelectionError(too_many(len(chosen)))
    if not chosen:
        raise SelectionError("Chưa chọn ý kiến nào." if not all_matching else "Bộ lọc không khớp ý kiến nào.")
    return chosen


def too_many(count):
    return ("Đã chọn %s ý kiến: mỗi lần chỉ thao tác được tối đa %d ý kiến. Hãy lọc hẹp hơn hoặc chọn ít ý kiến hơn."
            % (f"{count:,}".replace(",", "."), MAX_ITEMS))


def _each(user, chosen, act):
    """Run `act(opinion, expected_version)` on every chosen item, each in its own transaction; the Outcome."""
    outcome = Outcome()
    ids = [opinion_id for opinion_id, _ in chosen]
    codes = dict(Opinion.visible_to(user, Opinion.select(Opinion.id, Opinion.code))
                 .where(Opinion.id.in_(ids)).tuples())
    for opinion_id, seen in chosen:
        label = codes.get(opinion_id, "#%d" % opinion_id)
        try:
            with db.atomic():  # this item alone: a refusal or a crash undoes only this item's change
                opinion = Opinion.visible_to(user).where(Opinion.id == opinion_id).first()
                if opinion is None:
                    raise TransitionError(NOT_FOUND)
                before = opinion.version
                saved = act(opinion, seen if seen is not None else opinion.version)
        except TransitionError as error:
            outcome.refused.append((label, str(error)))
        except ConflictError as error:
            outcome.refused.append((label, CONFLICT % error.current.status_label))
        else:
            if saved.version != before:
                outcome.changed.append(saved.code)
                outcome.changed_ids.append(saved.id)
            else:
                outcome.unchanged.append(saved.code)
    return outcome


def assign(user, chosen, unit_id, assignee_id, deadline, directed_by):
    """Assign every chosen item as its own page would (Opinion.assign), recording who directed it."""
    def act(opinion, version):
        if not opinion.can_edit(user):
            raise TransitionError(NOT_YOURS)
        reason = opinion.deadline_refusal(deadline)
        if reason:
            raise TransitionError(reason)
        return opinion.assign(user, unit_id, assignee_id, deadline, version, directed_by=directed_by)

    return _each(user, chosen, act)


def change_status(user, chosen, target, note):
    """Move every chosen item to `target` through its own lifecycle (Opinion.change_status); never forced."""
    return _each(user, chosen, lambda opinion, version: opinion.change_status(user, target, version, note))


def export(user, chosen, ext, sort=""):
    """The chosen items (as `user` may see them) as the register's XLSX or CSV, the export audited."""
    return report_exports.register_file(user, {"sort": sort}, ext, ids=[opinion_id for opinion_id, _ in chosen])
