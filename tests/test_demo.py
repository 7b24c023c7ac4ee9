"""The demo data: complete (every kind, status and role), consistent, private where it goes public, repeatable."""
import datetime as dt
import re
from collections import defaultdict
from itertools import groupby

import pytest
from argon2 import PasswordHasher
from playhouse.db_url import connect

import models
from demo import loader as demo
from migrations import run_migrations
from services.text import parse_front_matter

TODAY = dt.date(2026, 11, 28)
FAST_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
PHONE_OR_ID = re.compile(r"\d(?:[ .-]?\d){8,}")  # 9+ digits, also when written in groups


def _loaded(today=TODAY):
    database = connect("sqlite:///:memory:", pragmas={"foreign_keys": 1})
    models.db.initialize(database)
    run_migrations(database)
    demo.load(today=today, password_params=FAST_HASH)
    return database


@pytest.fixture(scope="module")
def loaded_db():
    database = _loaded()
    yield database
    database.close()


@pytest.fixture
def demo_db(loaded_db):
    """The demo database (loaded once for the module), bound to models.db for this test."""
    models.db.initialize(loaded_db)
    return loaded_db


def _history(obj):
    return list(models.StatusChange.select()
                .where(models.StatusChange.object_type == obj._meta.table_name,
                       models.StatusChange.object_id == obj.id)
                .order_by(models.StatusChange.id))


# ---------------------------------------------------------------- dialogues


def test_2022_dialogues_cover_every_kind_and_audience(demo_db):
    dialogues = list(models.Dialogue.select().where(models.Dialogue.starts_at.year == 2022))
    assert len(dialogues) >= 12
    assert {d.kind for d in dialogues} == set(models.DIALOGUE_KINDS)
    assert {d.audience for d in dialogues} == set(models.AUDIENCES)
    assert all(d.occasion in models.OCCASIONS for d in dialogues)
    assert {d.occasion for d in dialogues if d.kind == "periodic"} >= {
        "annual_review", "staff_conference", "weekly_briefing", "monthly_briefing"}
    assert {d.status for d in dialogues} & {"postponed", "cancelled"}
    assert all(d.plan.year == 2022 for d in dialogues)
    citizens = [d for d in dialogues if d.audience == "citizens"]
    staff = [d for d in dialogues if d.audience == "staff"]
    assert sum(d.is_public for d in citizens) > len(citizens) / 2
    assert 1 <= sum(d.is_public for d in staff) <= 2


def test_dialogues_are_well_formed(demo_db):
    slugs = [d.slug for d in models.Dialogue.select()]
    assert len(set(slugs)) == len(slugs)
    for dialogue in models.Dialogue.select():
        assert re.fullmatch(r"[a-z0-9-]+-\d{4}-\d{2}-\d{2}", dialogue.slug), dialogue.slug
        assert dialogue.slug.endswith(dialogue.starts_at.date().isoformat())
        assert dialogue.starts_at.weekday() < 5 and dialogue.ends_at > dialogue.starts_at
        assert dialogue.field_links.count() >= 1 and dialogue.attendee_links.count() >= 2
        assert dialogue.chair and dialogue.place
        if dialogue.status in ("held", "concluded", "completed"):
            assert dialogue.attendance and dialogue.discussion and dialogue.directions
        history = _history(dialogue)
        assert history[-1].to_status == dialogue.status
        for change in history[1:]:
            assert change.to_status in models.DIALOGUE_TRANSITIONS[change.from_status]


def test_the_chairmans_dialogue_was_appraised(demo_db):
    chairman = list(models.Dialogue.select().where(models.Dialogue.is_chairman == True))  # noqa: E712
    assert chairman and all(d.audience == "citizens" for d in chairman)
    path = [c.to_status for c in _history(chairman[0])]
    assert path[:3] == ["proposed", "appraised", "scheduled"]
    proposal = models.Proposal.get(models.Proposal.dialogue == chairman[0])
    assert proposal.status == "accepted"
    bodies = {a.body.name for a in proposal.appraisals}
    assert bodies == {a.name for a in models.Agency.select().where(models.Agency.is_appraiser == True)}  # noqa: E712
    assert len(bodies) == 2
    statuses = {p.status for p in models.Proposal.select()}
    assert statuses >= {"accepted", "returned", "received"}
    assert models.Proposal.get(models.Proposal.status == "returned").decision_note


def test_upcoming_dialogues_in_the_coming_weeks(demo_db):
    upcoming = list(models.Dialogue.upcoming(on=TODAY))
    assert 3 <= len(upcoming) <= 5
    for dialogue in upcoming:
        assert dialogue.status == "scheduled"
        assert TODAY < dialogue.starts_at.date() <= TODAY + dt.timedelta(days=42)
        assert dialogue.created_at.date() < TODAY
    assert any(d.is_public for d in upcoming)
    this_year = models.Dialogue.select().where(models.Dialogue.starts_at.year == TODAY.year,
                                                models.Dialogue.status.in_(("held", "concluded")))
    assert this_year.count() >= 2


# ---------------------------------------------------------------- opinions


def test_opinions_cover_every_status_kind_and_channel(demo_db):
    opinions = list(models.Opinion.select())
    assert len(opinions) >= 60
    assert {o.status for o in opinions} == set(models.OPINION_STATUSES)
    assert {o.kind for o in opinions} == set(models.OPINION_KINDS)
    assert {o.channel for o in opinions} == set(models.CHANNELS)
    assert {o.audience for o in opinions} == set(models.AUDIENCES)
    denunciations = [o for o in opinions if o.kind == "denunciation"]
    assert len(denunciations) == 1
    assert denunciations[0].audience == "citizens" and denunciations[0].submitter_name
    assert re.search(r"\b\d{12}\b", denunciations[0].submitter_contact)  # a (fictitious) CCCD number


def test_opinions_are_registered_and_assigned(demo_db):
    by_year = defaultdict(list)
    for opinion in models.Opinion.select():
        match = re.fullmatch(r"YK-(\d{4})-(\d{4})", opinion.code)
        assert match and int(match.group(1)) == opinion.received_on.year
        by_year[opinion.received_on.year].append((opinion.received_on, int(match.group(2))))
        assert opinion.search_text and opinion.search_identity
        if opinion.channel == "dialogue":
            assert opinion.dialogue_id is not None
        if opinion.status not in ("received", "refused"):  # a refused request is never assigned
            assert opinion.assigned_unit and opinion.assigned_to and opinion.deadline
            assert opinion.directed_by.role in ("chief", "coordinator")
            assert opinion.assigned_to.unit_id == opinion.assigned_unit_id or \
                opinion.assigned_to.role == "coordinator"
        drafted = any(c.to_status == "answer_drafted" for c in _history(opinion))
        assert bool(opinion.draft_answer) == drafted, opinion.code
        assert opinion.is_closed == (opinion.closed_at is not None)
    for rows in by_year.values():
        assert sorted(n for _, n in rows) == list(range(1, len(rows) + 1))
        assert [n for _, n in sorted(rows)] == sorted(n for _, n in rows)  # numbered in order received


def test_opinion_history_follows_the_lifecycle(demo_db):
    end_of_today = dt.datetime.combine(TODAY, dt.time())
    for opinion in models.Opinion.select():
        history = _history(opinion)
        assert history[0].from_status == "" and history[0].to_status == "received"
        assert history[-1].to_status == opinion.status
        for before, after in zip(history, history[1:], strict=False):
            assert after.from_status == before.to_status
            assert after.to_status in models.OPINION_TRANSITIONS[after.from_status], opinion.code
            assert before.at <= after.at, opinion.code
            if after.to_status in models.NOTE_REQUIRED:
                assert after.note
        assert history[-1].at <= end_of_today
    rows = models.StatusChange.select().order_by(models.StatusChange.object_type, models.StatusChange.object_id,
                                                 models.StatusChange.id)
    for _, changes in groupby(rows, key=lambda c: (c.object_type, c.object_id)):
        times = [c.at for c in changes]
        assert times == sorted(times) and times[-1] <= end_of_today


def test_some_opinions_of_this_year_are_overdue(demo_db):
    overdue = models.Opinion.overdue(on=TODAY).where(models.Opinion.received_on.year == TODAY.year)
    assert overdue.count() >= 3
    assert len({o.status for o in overdue}) >= 2
    assert models.FollowUp.select().where(models.FollowUp.kind == "reminder").count() >= 2
    assert models.FollowUp.select().where(models.FollowUp.kind == "progress").count() >= 2


# ---------------------------------------------------------------- accounts


def test_one_demo_account_per_role(demo_db):
    for role in models.ROLES:
        account = models.User.get(models.User.username == role)
        assert account.role == role and account.active
    chief = models.User.get(models.User.username == "chief")
    assert (chief.full_name, chief.title) == ("Nguyễn Huy Anh", "Chánh Văn phòng")
    specialist, head = (models.User.get(models.User.username == n) for n in ("specialist", "unit_head"))
    assert specialist.unit_id == head.unit_id and specialist.unit.kind == "content"
    assert models.User.get(models.User.username == "coordinator").unit.code == "TCHCQT"
    staff = models.User.select().where(models.User.username.not_in(list(models.ROLES)))
    assert staff.count() >= 10
    assert {n.split()[0] for n in (u.full_name for u in models.User.select())} >= {"Đặng", "Dương", "Đỗ", "Bùi"}
    hashes = {u.password_hash for u in models.User.select()}
    assert len(hashes) == 1
    assert PasswordHasher().verify(hashes.pop(), "doithoai-demo")


def test_units_agencies_fields(demo_db):
    units = {u.code: u.kind for u in models.Unit.select()}
    assert units["TCHCQT"] == "admin" and units["DTN"] == "union" and units["TTPVHCC"] == "unit"
    assert all(code.isascii() for code in units)
    assert {"content", "unit", "union", "admin"} == set(units.values())
    kinds = {a.kind for a in models.Agency.select()}
    assert kinds == set(models.AGENCY_KINDS)
    fields = list(models.Field.select().order_by(models.Field.position))
    assert len(fields) == 10 and all(re.fullmatch(r"[a-z-]+", f.code) for f in fields)


# ---------------------------------------------------------------- conclusions


def test_signed_notices_and_their_conclusions(demo_db):
    signed = list(models.ConclusionNotice.select().where(models.ConclusionNotice.status == "signed"))
    assert signed
    numbers = defaultdict(list)
    statuses = set()
    for notice in sorted(signed, key=lambda n: n.signed_at):
        numbers[notice.year].append(notice.number)
        assert notice.year == notice.signed_at.year and notice.doc_type == "TB"
        assert notice.signed_by.role == "chief" and notice.signed_at > notice.dialogue.ends_at
        assert notice.title.startswith("Thông báo ý kiến kết luận của") and notice.body_md
        assert notice.dialogue.status in ("concluded", "completed")
        conclusions = list(notice.conclusions)
        assert 2 <= len(conclusions) <= 4
        if notice.dialogue.status == "completed":
            assert all(c.is_closed for c in conclusions)
        for conclusion in conclusions:
            statuses.add(conclusion.status)
            summary = conclusion.public_summary
            assert summary.strip() and "@" not in summary and not PHONE_OR_ID.search(summary)
            assert conclusion.is_closed == (conclusion.closed_at is not None)
            links = list(conclusion.opinion_links)
            assert 1 <= len(links) <= 2
            for link in links:
                opinion = link.opinion
                assert opinion.dialogue_id == notice.dialogue_id
                assert opinion.submitter_name not in summary
                expected = {"open": "concluded"}.get(conclusion.status, conclusion.status)
                assert opinion.status == expected, opinion.code
    for got in numbers.values():
        assert got == list(range(1, len(got) + 1))
    assert {"resolved", "in_progress", "open", "referred", "explained"} <= statuses
    published_in_progress = models.Conclusion.select().where(models.Conclusion.publish_in_progress == True)  # noqa: E712
    assert published_in_progress.count() == 1 and published_in_progress.get().status == "in_progress"
    drafts = models.ConclusionNotice.select().where(models.ConclusionNotice.status == "draft")
    assert drafts.count() == 1
    draft = drafts.get()
    assert draft.number is None and draft.signed_at is None and draft.dialogue.status == "held"


# ---------------------------------------------------------------- plans and content


def test_plans(demo_db):
    plan = models.Plan.get(models.Plan.year == 2022)
    assert plan.midyear_report_due.strftime("%d/%m/%Y") == "14/06/2022"
    assert plan.annual_report_due.strftime("%d/%m/%Y") == "24/11/2022"
    assert plan.title == "Kế hoạch thực hiện công tác đối thoại năm 2022"
    assert plan.number == "" and plan.issued_on is None
    assert plan.body_md.startswith("# KẾ HOẠCH") and "Nguyễn Huy Anh" in plan.body_md
    assert "midyear_report_due" not in plan.body_md
    current = models.Plan.get(models.Plan.year == TODAY.year)
    assert current.title == "Kế hoạch thực hiện công tác đối thoại năm %d" % TODAY.year
    assert (current.midyear_report_due, current.annual_report_due) == (
        dt.date(TODAY.year, 6, 14), dt.date(TODAY.year, 11, 24))
    assert models.Plan.select().count() == 2


def test_the_2022_plan_keeps_the_text_of_the_source():
    meta, body = parse_front_matter(demo.PLAN_2022.read_text(encoding="utf-8"))
    assert meta == {"year": 2022, "title": "Kế hoạch thực hiện công tác đối thoại năm 2022", "number": None,
                    "issued_on": None, "midyear_report_due": dt.date(2022, 6, 14),
                    "annual_report_due": dt.date(2022, 11, 24)}
    for heading in ("## I. MỤC ĐÍCH, YÊU CẦU", "#### 1.1. Đối thoại với công chức", "## III. TỔ CHỨC THỰC HIỆN",
                    "### 3. Phòng Tổ chức-Hành chính-Quản trị"):
        assert heading in body
    assert "**15/6/2022**" in body and "*Dân biết, dân bàn, dân làm, dân kiểm tra*" in body
    assert "- Lưu: VT, TCHCQT." in body and body.rstrip().endswith("**Nguyễn Huy Anh**")


def test_parse_front_matter():
    meta, body = parse_front_matter('---\nyear: 2023\ntitle: "A: b"\nempty:\nday: 2023-06-14\n---\n\n# T\n')
    assert meta == {"year": 2023, "title": "A: b", "empty": None, "day": dt.date(2023, 6, 14)}
    assert body == "# T\n"
    assert parse_front_matter("# No front matter\n") == ({}, "# No front matter\n")
    assert parse_front_matter("---\nnot closed: x\n") == ({}, "---\nnot closed: x\n")


# ---------------------------------------------------------------- repeatability


def _rows(model, exclude=()):
    columns = [f for name, f in model._meta.fields.items() if name not in exclude]
    return list(model.select(*columns).order_by(model.id).tuples())


def test_the_same_today_gives_the_same_data():
    snapshots = []
    for _ in range(2):
        database = _loaded()
        snapshots.append({
            "dialogues": _rows(models.Dialogue), "opinions": _rows(models.Opinion),
            "users": _rows(models.User, exclude=("password_hash",)), "history": _rows(models.StatusChange),
            "conclusions": _rows(models.Conclusion), "notices": _rows(models.ConclusionNotice),
            "followups": _rows(models.FollowUp),
        })
        database.close()
    assert snapshots[0] == snapshots[1]


def test_another_today_moves_only_this_years_records():
    database = _loaded(dt.date(2025, 3, 10))
    try:
        assert models.Dialogue.select().where(models.Dialogue.starts_at.year == 2022).count() >= 12
        assert models.Plan.get(models.Plan.year == 2025).annual_report_due == dt.date(2025, 11, 24)
        assert models.Dialogue.upcoming(on=dt.date(2025, 3, 10)).count() >= 3
    finally:
        database.close()


def test_load_returns_the_counts_of_what_it_made():
    """The counts `load()` returns (pinned: moving the records out of the loader changed no row)."""
    database = connect("sqlite:///:memory:", pragmas={"foreign_keys": 1})
    models.db.initialize(database)
    run_migrations(database)
    try:
        counts = demo.load(today=TODAY, password_params=FAST_HASH)
        assert counts == {
            "đơn vị": 10, "cơ quan": 11, "lĩnh vực": 10, "ngày nghỉ": 41, "tài khoản": 18, "kế hoạch": 2,
            "đối thoại": 23, "ý kiến": 70, "thông báo kết luận": 16, "kết luận": 45, "đề xuất": 3, "thẩm định": 3,
            "đôn đốc, tiến độ": 12, "lịch sử trạng thái": 552, "báo cáo": 2, "mẫu trả lời": 6,
        }
        assert counts["ý kiến"] == models.Opinion.select().count()
    finally:
        database.close()


def test_refuses_a_today_before_the_2022_history_is_over():
    with pytest.raises(ValueError):
        demo.load(today=dt.date(2022, 9, 1))
