"""Staff at the same moment on an SQLite file: every save goes through once, and a full pool makes requests wait."""
import datetime as dt
import re
import threading
import time

import pytest

import models
from models import AuditLog, Opinion, StatusChange
from tests.conftest import user

SESSIONS = 12
SAVES = 8


def run_together(count, work):
    """work(i) on `count` threads started at once; [(i, exception)] of those that raised."""
    barrier, errors = threading.Barrier(count), []

    def body(i):
        try:
            barrier.wait(timeout=30)
            work(i)
        except Exception as error:  # a 500 of the app surfaces here (the test app propagates it)
            errors.append((i, repr(error)))

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request never finished"
    return errors


def answer_audits(opinion):
    return AuditLog.select().where(AuditLog.object_type == "opinion", AuditLog.object_id == opinion.id,
                                   AuditLog.action == "answer").count()


def moves_of(opinion):
    return StatusChange.for_object(opinion).count()


def new_opinion_data(marker):
    return {"kind": "petition", "channel": "letter", "audience": "citizens", "submitter_name": "Nguyễn Văn Thử",
            "submitter_contact": "0905 000 111", "content": "Đề nghị sửa đường liên thôn %s." % marker,
            "field_id": str(models.Field.get(models.Field.code == "dat-dai").id), "dialogue_id": "",
            "received_on": models.today().isoformat()}


def test_coordinators_saving_at_once_all_succeed_and_each_write_is_stored_once(login, db):
    """12 coordinator sessions × 8 opinions recorded, assigned, answered, moved on, and the draft and
    status of the same three opinions changed by all of them at once: no request fails, every opinion has its own
    code and is stored once with its history, and each edit or status change of a shared record
    is either stored (its version counted once) or refused as a conflict."""
    clients = [login("coordinator") for _ in range(SESSIONS)]
    unit, specialist = models.Unit.get(models.Unit.code == "KTN"), user("specialist")
    shared = list(Opinion.select().where(Opinion.status.in_(("assigned", "answer_drafted")))
                  .order_by(Opinion.id).limit(3))
    assert len(shared) == 3
    Opinion.update(draft_answer="Dự thảo ban đầu", assigned_unit=unit.id).where(
        Opinion.id.in_([o.id for o in shared])).execute()  # so that either move is allowed
    before = {o.id: (o.version, answer_audits(o), moves_of(o)) for o in shared}
    field_data = new_opinion_data("")  # read once here: the threads only post
    last_before = Opinion.select(models.pw.fn.MAX(Opinion.id)).scalar()
    answers, moves = {o.id: [] for o in shared}, {o.id: [] for o in shared}
    deadline = (models.today() + dt.timedelta(days=20)).isoformat()
    statuses = []

    def work(s):
        c = clients[s]
        for j in range(SAVES):
            marker = "[phiên %d lần %d]" % (s, j)
            created = c.post_form("/y-kien/moi", dict(field_data, content="Đề nghị sửa đường %s." % marker))
            statuses.append(("create", created.status_code))
            opinion_id = int(re.search(r"/y-kien/(\d+)$", created.headers["Location"]).group(1))
            assigned = c.post_form("/y-kien/%d/giao" % opinion_id, {
                "unit_id": str(unit.id), "assigned_to_id": str(specialist.id), "deadline": deadline, "version": "1"})
            statuses.append(("assign", assigned.status_code))
            drafted = c.post_form("/y-kien/%d/tra-loi" % opinion_id, {"draft_answer": "Trả lời %s" % marker,
                                                                     "resolution_path": "", "version": "2"})
            statuses.append(("draft", drafted.status_code))
            moved = c.post_form("/y-kien/%d/trang-thai" % opinion_id, {"to": "answer_drafted", "note": marker,
                                                                       "version": "3"})
            statuses.append(("move", moved.status_code))
            target = shared[(s + j) % 3]
            version = Opinion.get_by_id(target.id).version
            edited = c.post_form("/y-kien/%d/tra-loi" % target.id, {
                "draft_answer": "Dự thảo %s" % marker, "resolution_path": "", "version": str(version)})
            answers[target.id].append(edited.status_code)
            target = shared[(s + j + 1) % 3]  # and moves it on, or back, from what they read
            current = Opinion.get_by_id(target.id)
            to = "assigned" if current.status == "answer_drafted" else "answer_drafted"
            moved = c.post_form("/y-kien/%d/trang-thai" % target.id, {"to": to, "note": "",
                                                                      "version": str(current.version)})
            moves[target.id].append(moved.status_code)

    started = time.monotonic()
    errors = run_together(SESSIONS, work)
    assert not errors, errors[:3]
    assert time.monotonic() - started < 60
    assert {code for kind, code in statuses} == {303}, [s for s in statuses if s[1] != 303][:5]
    assert len(statuses) == SESSIONS * SAVES * 4
    # every opinion recorded once, with a code of its own, and its two moves
    new = list(Opinion.select().where(Opinion.id > last_before))
    assert len(new) == SESSIONS * SAVES
    assert len({o.code for o in new}) == SESSIONS * SAVES
    markers = sorted(re.search(r"\[.*\]", o.content).group(0) for o in new)
    assert markers == sorted("[phiên %d lần %d]" % (s, j) for s in range(SESSIONS) for j in range(SAVES))
    year = models.today().year
    numbers = sorted(int(o.code.rsplit("-", 1)[1]) for o in new)
    assert all(o.code.startswith("YK-%d-" % year) for o in new)
    assert numbers == list(range(numbers[0], numbers[0] + len(new)))  # no number skipped or used twice
    for o in new:
        assert (o.status, o.version, o.assigned_unit_id) == ("answer_drafted", 4, unit.id), o.code
        assert o.draft_answer == "Trả lời " + re.search(r"\[.*\]", o.content).group(0)
        steps = [(h.from_status, h.to_status) for h in StatusChange.for_object(o).order_by(StatusChange.id)]
        assert steps == [("", "received"), ("received", "assigned"), ("assigned", "answer_drafted")], o.code
        actions = sorted(a.action for a in AuditLog.select().where(AuditLog.object_type == "opinion",
                                                                   AuditLog.object_id == o.id))
        assert actions == ["answer", "assign", "create", "transition"], o.code
    # the shared records: each edit and move stored once or refused as a conflict, none lost or doubled
    for o in shared:
        assert set(answers[o.id]) <= {303, 409} and set(moves[o.id]) <= {303, 409}, (answers[o.id], moves[o.id])
        edits, moved = answers[o.id].count(303), moves[o.id].count(303)
        assert edits >= 1 and moved >= 1
        version, audits, steps = before[o.id]
        assert (Opinion.get_by_id(o.id).version, answer_audits(o), moves_of(o)) == (
            version + edits + moved, audits + edits, steps + moved)


def test_more_requests_at_once_than_pooled_connections_wait_for_one(app, login, db, monkeypatch):
    """20 requests at once, each holding its connection a moment, on a pool of 16: all answer 200."""
    count = models.POOL_SIZE + 4
    clients = [login("coordinator") for _ in range(count)]
    original = app.view_functions["dashboard.index"]

    def slow(*args, **kwargs):
        time.sleep(0.3)  # the connection is taken before the view and given back after the answer
        return original(*args, **kwargs)

    monkeypatch.setitem(app.view_functions, "dashboard.index", slow)
    codes = []
    errors = run_together(count, lambda i: codes.append(clients[i].get("/").status_code))
    assert not errors, errors[:3]
    assert codes == [200] * count


@pytest.mark.sqlite_only  # SQLite's lock types; PostgreSQL has row locks and the version check
def test_write_transactions_take_the_write_lock_when_they_begin(app, db, tmp_path):
    """Any transaction of the app (db.atomic(), whichever service opens it) begins IMMEDIATE on
    SQLite: a second connection cannot write once it has begun, before it wrote anything."""
    other = models.open_database(app.config["DATABASE_URL"])
    other.connect()
    try:
        other.execute_sql("PRAGMA busy_timeout = 0")
        with models.db.atomic():
            models.Opinion.select().count()  # a read only
            try:
                other.execute_sql("INSERT INTO setting (key, value) VALUES ('x-lock-probe', '1')")
                locked = False
            except models.pw.OperationalError as error:
                locked = "locked" in str(error)
        assert locked
    finally:
        other.close()
        other.close_all()
