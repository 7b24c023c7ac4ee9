"""The plans' writes: create and edit a yearly plan, audited; a plan that is or was public queues a publish."""
from models import Plan, audit, db, save_versioned
from services import publish_runs


def label(plan):
    return "kế hoạch năm %d" % plan.year


def create(app, user, values):
    """A new plan, audited, and published when public: (plan, the publish note or None)."""
    with db.atomic():
        plan = Plan.create(**values)
        audit(user, "create", plan, {k: (None, v) for k, v in values.items()}, summary="Thêm %s" % label(plan))
    return plan, _publish(app, user, plan, False)


def edit(app, plan, version, user, values):
    """The plan saved with `values` (ConflictError when someone saved it since `version`), and published
    when it is or was public and something changed: (plan, the publish note or None)."""
    was_public = Plan.get_by_id(plan.id).is_public
    saved = save_versioned(plan, version, user, values, summary="Sửa %s" % label(plan))
    if saved.version == int(version):  # nothing changed: nothing to publish
        return saved, None
    return saved, _publish(app, user, saved, was_public)


def _publish(app, user, plan, was_public):
    """A publish run (now, or queued behind the one going) when the public site shows or showed the plan."""
    if not (plan.is_public or was_public):
        return None
    why = "Cập nhật %s%s" % (label(plan), "" if plan.is_public else " (thôi công khai)")
    return publish_runs.republish(app, user, why)[1]
