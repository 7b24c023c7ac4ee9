"""Import of an existing register (sổ theo dõi cũ): the preview of what a file creates, updates or refuses, and the
import itself in one transaction, each record and the whole run audited.

Which row is which: a Số in the app's own format (YK-2026-0012) is the register number; any other Số is the
item's legacy number (`legacy_code`) and the item gets a new number from the usual sequence; a row without a Số
is found by its received date, sender and content (`import_key`, register_columns.row_key). So a file imported
again changes nothing. An update writes only the cells present and not empty; "[bảo mật]" never overwrites.
A status is reached through the lifecycle's transitions from where the item stands (a new one: from received),
each step in its history with a note naming the file and line; concluded and in progress need a conclusion,
which a file cannot hold: they are imported as an answer drafted, the note saying what the file had.
The preview (`preview`) and the import (`run`) share `plan`: the import plans again inside its transaction and
applies exactly that.
"""
from collections import deque
from dataclasses import dataclass, field

from models import (
    CLOSED_STATUSES,
    OPINION_SERIES,
    OPINION_STATUSES,
    OPINION_TRANSITIONS,
    Field,
    Opinion,
    StatusChange,
    Unit,
    User,
    audit,
    db,
    next_opinion_code,
    now,
    save_versioned,
    today,
)
from services.numbering import lock_series
from services.register_columns import (
    COLUMNS,
    Lists,
    auto_mapping,
    import_status,
    is_header_row,
    read_row,
)
from services.spreadsheet_readers import read_table
from services.text import fold

CHUNK = 500  # values per IN (…) when finding the stored rows
INSERT_BATCH = 100  # rows per INSERT (an opinion has some 35 columns; SQLite allows 32,766 values)
DEFAULTS = {"kind": "opinion", "channel": "unit", "audience": "staff"}
NEEDS_UNIT = ("assigned", "answer_drafted")  # a status reached only once a unit handles it
MODEL_FIELDS = ("kind", "channel", "audience", "submitter_name", "submitter_contact", "content", "field",
                "assigned_unit", "assigned_to", "deadline", "received_on", "draft_answer", "resolution_path")


@dataclass
class Action:
    """What one row does: create, update, unchanged or refused (with its reasons)."""

    line: int
    kind: str
    reasons: list = field(default_factory=list)
    opinion: object = None  # the stored item (update, unchanged)
    values: dict = field(default_factory=dict)  # create: the new item's values; update: the changes
    path: list = field(default_factory=list)  # the statuses passed through, in order
    status_note: str = ""
    shown: dict = field(default_factory=dict)  # what the preview shows of the row

    @property
    def reason(self):
        return " ".join(self.reasons)


@dataclass
class Preview:
    filename: str
    headers: list
    mapping: object
    actions: list
    encoding: str = ""
    converted: list = field(default_factory=list)

    def count(self, kind):
        return sum(1 for action in self.actions if action.kind == kind)

    @property
    def created(self):
        return self.count("create")

    @property
    def updated(self):
        return self.count("update")

    @property
    def unchanged(self):
        return self.count("unchanged")

    @property
    def refused(self):
        return [(action.line, action.reason) for action in self.actions if action.kind == "refused"]

    @property
    def mapped(self):
        """[(index, header, target or None)] of every column."""
        return [(index, header, self.mapping.targets[index]) for index, header in enumerate(self.headers)]

    def summary(self):
        return "Tạo mới: %d, cập nhật: %d, bị từ chối: %d" % (self.created, self.updated, len(self.refused))


def load_lists():
    """Fields, units and the people who handle items, by folded name (and code)."""
    fields, units, people = {}, {}, {}
    for row in Field.select(Field.id, Field.code, Field.name):
        fields.setdefault(fold(row.name), row.id)
        fields.setdefault(row.code.lower(), row.id)
    for row in Unit.select(Unit.id, Unit.code, Unit.name):
        units.setdefault(fold(row.name), row.id)
        units.setdefault(fold(row.code), row.id)
    # Active handlers first; anyone else by name too (an export names whoever an item was given to).
    handler = (User.active == True) & User.role.in_(("specialist", "unit_head"))  # noqa: E712
    for row in User.select(User.id, User.full_name, User.unit).order_by(handler.desc(), User.id):
        people.setdefault(fold(row.full_name), []).append((row.id, row.unit_id))
    return Lists(fields=fields, units=units, people=people)


def read(filename, data, chosen=None):
    """(table, mapping) of an uploaded file; ReadError when it is not a table."""
    table = read_table(filename, data, is_header=is_header_row)
    return table, auto_mapping(table.headers, chosen)


def preview(filename, data, chosen=None):
    """What importing the file would do; nothing is stored. ReadError when the file cannot be read."""
    table, mapping = read(filename, data, chosen)
    return Preview(filename, table.headers, mapping, plan(table, mapping, load_lists()), table.encoding,
                   table.converted)


def run(filename, data, user, chosen=None, force=True, by_command=False):
    """Import the file in one transaction: planned again there, applied, audited per record and as one entry.

    Without `force`, a file with any refused row imports nothing (the preview is returned unapplied).
    Returns (preview, applied).
    """
    table, mapping = read(filename, data, chosen)
    with db.atomic():
        result = Preview(filename, table.headers, mapping, plan(table, mapping, load_lists()), table.encoding,
                         table.converted)
        if result.refused and not force:
            return result, False
        _apply(result, user, by_command)
    return result, True


# ---------------------------------------------------------------- planning

def status_path(start, goal):
    """The statuses passed through from `start` to `goal` along the lifecycle (shortest), [] when equal, None
    when `goal` cannot be reached (a closed item, or going back)."""
    if start == goal:
        return []
    queue, seen = deque([[start]]), {start}
    while queue:
        path = queue.popleft()
        for step in OPINION_TRANSITIONS.get(path[-1], ()):
            if step == goal:
                return path[1:] + [goal]
            if step not in seen:
                seen.add(step)
                queue.append(path + [step])
    return None


def _stored(rows):
    """The stored items the rows name: {"code": {…}, "legacy": {…}, "key": {…}} (first by id)."""
    wanted = {"code": {r.own_code for r in rows if r.own_code},
              "legacy": {r.legacy_code for r in rows if r.legacy_code}, "key": {r.key for r in rows if r.key}}
    columns = {"code": Opinion.code, "legacy": Opinion.legacy_code, "key": Opinion.import_key}
    found = {name: {} for name in wanted}
    for name, values in wanted.items():
        values = sorted(values)
        for start in range(0, len(values), CHUNK):
            query = Opinion.select().where(columns[name].in_(values[start:start + CHUNK])).order_by(Opinion.id)
            for opinion in query:
                found[name].setdefault(getattr(opinion, columns[name].name), opinion)
    return found


def plan(table, mapping, lists):
    """An Action per row of the table, in file order; reads, never writes."""
    rows = [read_row(line, cells, mapping, lists) for line, cells in table.rows]
    cells_of = {line: cells for line, cells in table.rows}
    stored = _stored(rows)
    unit_of = {person: unit for people in lists.people.values() for person, unit in people}
    seen, actions = {}, []
    for row in rows:
        identity = (("code", row.own_code) if row.own_code else ("legacy", row.legacy_code) if row.legacy_code
                    else ("key", row.key))
        cells = cells_of[row.line]
        shown = {target: _display(cells[index]) for index, target in enumerate(mapping.targets)
                 if target and index < len(cells)}
        if row.errors:
            actions.append(Action(row.line, "refused", list(row.errors), shown=shown))
            continue
        if identity in seen:
            same = "cùng Số" if identity[0] != "key" else "cùng ngày nhận, người gửi và nội dung"
            actions.append(Action(row.line, "refused", ["Trùng với dòng %d (%s)." % (seen[identity], same)],
                                  shown=shown))
            continue
        seen[identity] = row.line
        if row.values.get("assigned_to") and not row.values.get("assigned_unit"):
            row.values["assigned_unit"] = unit_of.get(row.values["assigned_to"])
        opinion = stored[identity[0]].get(identity[1])
        action = _update(row, opinion) if opinion is not None else _create(row)
        action.shown = shown
        actions.append(action)
    return actions


def _display(value):
    """A cell as the preview shows it (dates dd/mm/yyyy)."""
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _create(row):
    values = {name: row.values.get(name) for name in MODEL_FIELDS if row.values.get(name) is not None}
    if not values.get("content"):
        return Action(row.line, "refused", ["Thiếu nội dung."])
    for name, default in DEFAULTS.items():
        values.setdefault(name, default)
    values.setdefault("received_on", today())
    wanted = row.values.get("status") or "received"
    status, note = import_status(wanted)
    if status in NEEDS_UNIT and not values.get("assigned_unit"):
        return Action(row.line, "refused", ["Trạng thái “%s” cần có Đơn vị xử lý." % OPINION_STATUSES[wanted]])
    values.update(status=status, legacy_code=row.legacy_code, import_key=row.key or None)
    if row.own_code:
        values["code"] = row.own_code
    return Action(row.line, "create", values=values, path=["received"] + status_path("received", status),
                  status_note=note)


def _update(row, opinion):
    changes = {}
    for name in MODEL_FIELDS:
        new = row.values.get(name)
        if new is not None and opinion.__data__.get(name) != new:
            changes[name] = new
    wanted, path, note = row.values.get("status"), [], ""
    if wanted and wanted != opinion.status:
        status, note = import_status(wanted)
        path = status_path(opinion.status, status)
        if path is None:
            return Action(row.line, "refused", ["Không thể chuyển ý kiến %s từ “%s” sang “%s”." % (
                opinion.code, opinion.status_label, OPINION_STATUSES[wanted])])
        if status in NEEDS_UNIT and not (changes.get("assigned_unit") or opinion.assigned_unit_id):
            return Action(row.line, "refused", ["Trạng thái “%s” cần có Đơn vị xử lý." % OPINION_STATUSES[wanted]])
        if path:
            changes.update(status=status, closed_at=now() if status in CLOSED_STATUSES else None)
    if not changes:
        return Action(row.line, "unchanged", opinion=opinion)
    return Action(row.line, "update", opinion=opinion, values=changes, path=path, status_note=note)


# ---------------------------------------------------------------- applying

def _numbers(creates):
    """The next register number of each year the new items fall in, after any number the file itself gives."""
    years = {}
    for action in creates:
        year = action.values["received_on"].year
        lock_series(db, year, OPINION_SERIES)
        if year not in years:
            years[year] = int(next_opinion_code(year).rsplit("-", 1)[1])
        code = action.values.get("code")
        if code and code.startswith("%s-%d-" % (OPINION_SERIES, year)):
            years[year] = max(years[year], int(code.rsplit("-", 1)[1]) + 1)
    return years


def _note(preview, action):
    note = "Nhập từ sổ cũ: tệp %s, dòng %d." % (preview.filename[:80], action.line)
    return "%s %s" % (note, action.status_note) if action.status_note else note


def _insert(opinions):
    """Insert new items in batches (a statement per row costs more than the rest of the import); sets their ids."""
    fields = Opinion._meta.fields
    for start in range(0, len(opinions), INSERT_BATCH):
        batch = opinions[start:start + INSERT_BATCH]
        rows = []
        for opinion in batch:
            opinion.refresh_search()
            rows.append({fields[name]: value for name, value in opinion.__data__.items() if name != "id"})
        Opinion.insert_many(rows).execute()
        ids = dict(Opinion.select(Opinion.code, Opinion.id).where(Opinion.code.in_([o.code for o in batch])).tuples())
        for opinion in batch:
            opinion.id = ids[opinion.code]


def _apply(preview, user, by_command):
    """Write the planned actions (inside the caller's transaction)."""
    creates = [a for a in preview.actions if a.kind == "create"]
    numbers = _numbers(creates)
    user_id, at = (user.id if user is not None else None), now()
    for action in creates:
        values = dict(action.values)
        if not values.get("code"):
            year = values["received_on"].year
            values["code"] = "%s-%d-%04d" % (OPINION_SERIES, year, numbers[year])
            numbers[year] += 1
        if values["status"] in CLOSED_STATUSES:
            values["closed_at"] = at
        action.opinion = Opinion(created_by=user_id, created_at=at, updated_at=at, **values)
        action.values = values
    _insert([action.opinion for action in creates])
    history = []
    for action in creates:
        opinion = action.opinion
        history += _steps(opinion, "", action.path, _note(preview, action), user_id, at)
        audit(user, "import", opinion, {k: (None, v) for k, v in action.values.items() if v not in (None, "")},
              summary="Nhập ý kiến %s từ sổ cũ (dòng %d)" % (opinion.code, action.line))
    for action in (a for a in preview.actions if a.kind == "update"):
        stored = action.opinion
        current = save_versioned(stored, stored.version, user, action.values, action="import",
                                 summary="Cập nhật ý kiến %s từ sổ cũ (dòng %d)" % (stored.code, action.line))
        history += _steps(current, stored.status, action.path, _note(preview, action), user_id, at)
        action.opinion = current
    for start in range(0, len(history), INSERT_BATCH):
        StatusChange.insert_many(history[start:start + INSERT_BATCH]).execute()
    who = " (dòng lệnh)" if by_command else ""
    audit(user, "import", None, object_type="opinion",
          summary="Nhập sổ theo dõi ý kiến từ tệp %s%s: tạo mới %d, cập nhật %d, không đổi %d, bị từ chối %d" % (
              preview.filename[:80], who, preview.created, preview.updated, preview.unchanged,
              len(preview.refused)))


def _steps(opinion, previous, path, note, user_id, at):
    """The history entries (rows of StatusChange) of passing through `path` from `previous`."""
    out = []
    for status in path:
        out.append({"object_type": Opinion._meta.table_name, "object_id": opinion.id, "from_status": previous,
                    "to_status": status, "user": user_id, "note": note, "at": at})
        previous = status
    return out


def column_label(target):
    """The label of a target column, for the screens."""
    return COLUMNS[target][0] if target in COLUMNS else ""
