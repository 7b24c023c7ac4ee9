"""The publication gate: what the public site may show, and the personal-data check on public summaries."""
import dataclasses
import datetime as dt
import itertools
import re

import peewee as pw
import pytest

import models
import publication
from services import memo, privacy

_numbers = itertools.count(1)

CANARY_DECISION = "CANARY-QUYET-DINH nội bộ: giao ông Canary xử lý"
CANARY_OPINION = "CANARY-Y-KIEN nội dung ý kiến của công dân"
CANARY_NAME = "Canary Nguyễn Thị Bí Mật"


def make_dialogue(status="held", is_public=True, audience="citizens", days=-30, **values):
    n = next(_numbers)
    starts = dt.datetime.combine(models.today() + dt.timedelta(days=days), dt.time(8, 30))
    values = {"title": "Đối thoại thử nghiệm số %d" % n, "slug": "doi-thoai-thu-nghiem-%d" % n, "kind": "ad_hoc",
              "audience": audience, "starts_at": starts, "ends_at": starts + dt.timedelta(hours=2),
              "place": "Hội trường thử nghiệm", "chair": "Chánh Văn phòng", "status": status,
              "is_public": is_public, "discussion": "CANARY-BIEN-BAN thảo luận nội bộ", **values}
    return models.Dialogue.create(**values)


def make_notice(dialogue, status="signed", supersedes=None):
    signed = status == "signed"
    return models.ConclusionNotice.create(
        dialogue=dialogue, title="Thông báo thử nghiệm", body_md="CANARY-THONG-BAO", status=status,
        year=2031 if signed else None, number=next(_numbers) if signed else None, supersedes=supersedes,
        revision=2 if supersedes else 1, signed_at=models.now() if signed else None)


def make_conclusion(notice, status="resolved", is_public=True, summary=None, history=None, **values):
    unit = models.Unit.get(models.Unit.code == "TCHCQT")
    field = models.Field.get(models.Field.code == "dat-dai")
    summary = summary if summary is not None else "Tóm tắt công khai thử nghiệm số %d." % next(_numbers)
    conclusion = models.Conclusion.create(
        notice=notice, decision=CANARY_DECISION, responsible_unit=unit, deadline=dt.date(2031, 3, 15),
        public_summary=summary, is_public=is_public, status=status, field=field,
        closed_at=models.now() if status in models.CONCLUSION_CLOSED else None, **values)
    opinion = models.Opinion.create(code="YK-TEST-%d" % next(_numbers), kind="complaint", audience="citizens",
                                    submitter_name=CANARY_NAME, submitter_contact="0912 345 678",
                                    content=CANARY_OPINION, field=field)
    models.ConclusionOpinion.create(conclusion=conclusion, opinion=opinion)
    chief = models.User.get(models.User.username == "chief")
    for when, (from_status, to_status) in enumerate(history or [("", "open"), ("open", status)]):
        models.record_transition(conclusion, chief, from_status, to_status, "CANARY-GHI-CHU",
                                 at=dt.datetime(2031, 1, 10 + when, 9, 0))
    return conclusion


def published_ids():
    return [c.id for c in publication.conclusions()]


def public_slugs():
    return [d.slug for d in publication.dialogues()]


# ---------------------------------------------------------------- dialogues


@pytest.mark.parametrize("status", ["scheduled", "held", "concluded", "completed", "postponed"])
def test_public_dialogue_from_scheduled_on_is_published(db, status):
    dialogue = make_dialogue(status=status)
    assert dialogue.slug in public_slugs()
    record = publication.dialogue(dialogue.slug)
    assert record.status == status
    assert record.status_label == models.DIALOGUE_STATUSES[status]


@pytest.mark.parametrize("status", ["proposed", "appraised", "cancelled"])
def test_dialogue_before_scheduling_or_cancelled_is_not_published(db, status):
    dialogue = make_dialogue(status=status)
    assert dialogue.slug not in public_slugs()
    assert publication.dialogue(dialogue.slug) is None


def test_staff_only_dialogue_is_not_published_unless_marked_public(db):
    hidden = make_dialogue(audience="staff", is_public=False)
    shown = make_dialogue(audience="staff", is_public=True)
    assert hidden.slug not in public_slugs()
    assert publication.dialogue(hidden.slug) is None
    assert shown.slug in public_slugs()


@pytest.mark.parametrize("values", [{"title": "Đối thoại với công dân, liên hệ 0905 123 456"},
                                    {"place": "Nhà riêng, email chu.ho@example.com"},
                                    {"chair": "Ông A, CCCD 079203001234"}])
def test_dialogue_whose_public_text_holds_personal_data_is_not_published(db, values):
    dialogue = make_dialogue(status="scheduled", days=3, **values)
    assert dialogue.slug not in public_slugs()
    assert not publication.dialogue_texts_are_publishable(values)


def test_dialogue_record_holds_public_facts_only(db):
    dialogue = make_dialogue(status="scheduled", days=3, occasion="", description="CANARY-MO-TA nội bộ")
    models.DialogueField.create(dialogue=dialogue, field=models.Field.get(models.Field.code == "dat-dai"))
    record = publication.dialogue(dialogue.slug)
    assert record.title == dialogue.title and record.place == "Hội trường thử nghiệm"
    assert [f.code for f in record.fields] == ["dat-dai"]
    assert record.is_upcoming()
    assert record in publication.upcoming_dialogues()
    assert "CANARY" not in repr(record)  # neither the minutes nor the internal description


def test_upcoming_dialogues_are_scheduled_and_soonest_first(db):
    later = make_dialogue(status="scheduled", days=20)
    sooner = make_dialogue(status="scheduled", days=2)
    make_dialogue(status="postponed", days=5)
    slugs = [d.slug for d in publication.upcoming_dialogues()]
    assert slugs.index(sooner.slug) < slugs.index(later.slug)
    assert all(d.status == "scheduled" for d in publication.upcoming_dialogues())


# ---------------------------------------------------------------- conclusions


@pytest.mark.parametrize("notice_status", ["draft", "submitted"])
def test_conclusion_of_an_unsigned_notice_is_not_published(db, notice_status):
    conclusion = make_conclusion(make_notice(make_dialogue(), status=notice_status))
    assert conclusion.id not in published_ids()
    assert publication.conclusion(conclusion.id) is None


def test_superseded_notice_gives_way_to_its_signed_correction(db):
    dialogue = make_dialogue()
    old = make_conclusion(make_notice(dialogue))
    new = make_conclusion(make_notice(dialogue, supersedes=models.ConclusionNotice.get(
        models.ConclusionNotice.id == old.notice_id)))
    ids = published_ids()
    assert old.id not in ids and new.id in ids


def test_an_unsigned_correction_leaves_the_signed_notice_in_force(db):
    dialogue = make_dialogue()
    signed = make_conclusion(make_notice(dialogue))
    draft = make_conclusion(make_notice(dialogue, status="draft",
                                        supersedes=models.ConclusionNotice.get_by_id(signed.notice_id)))
    ids = published_ids()
    assert signed.id in ids and draft.id not in ids


def test_conclusion_not_marked_public_is_not_published(db):
    conclusion = make_conclusion(make_notice(make_dialogue()), is_public=False)
    assert conclusion.id not in published_ids()


def test_open_conclusion_is_not_published(db):
    conclusion = make_conclusion(make_notice(make_dialogue()), status="open", history=[("", "open")])
    assert conclusion.id not in published_ids()


def test_in_progress_conclusion_needs_the_publish_flag(db):
    notice = make_notice(make_dialogue())
    without = make_conclusion(notice, status="in_progress")
    flagged = make_conclusion(notice, status="in_progress", publish_in_progress=True)
    ids = published_ids()
    assert without.id not in ids
    assert flagged.id in ids
    assert publication.conclusion(flagged.id).status_label == "Đang thực hiện"


@pytest.mark.parametrize("status", ["resolved", "explained", "referred"])
def test_closed_public_conclusion_of_a_signed_notice_is_published(db, status):
    conclusion = make_conclusion(make_notice(make_dialogue()), status=status)
    record = publication.conclusion(conclusion.id)
    assert record is not None
    assert record.status == status and record.is_closed
    assert record.unit == "Phòng Tổ chức-Hành chính-Quản trị"
    assert record.deadline == dt.date(2031, 3, 15)
    assert record.field.code == "dat-dai"
    assert [(e.on, e.label) for e in record.timeline] == [
        (dt.date(2031, 1, 10), "Chưa thực hiện"), (dt.date(2031, 1, 11), models.CONCLUSION_STATUSES[status])]


def test_reopened_conclusion_stays_published_with_status_in_progress(db):
    conclusion = make_conclusion(make_notice(make_dialogue()), status="in_progress", history=[
        ("", "open"), ("open", "resolved"), ("resolved", "in_progress")])
    record = publication.conclusion(conclusion.id)
    assert record is not None
    assert record.status == "in_progress"
    assert [e.status for e in record.timeline] == ["open", "resolved", "in_progress"]


@pytest.mark.parametrize("summary", [
    "Đã liên hệ ông A qua số 0912 345 678 để trả kết quả.",
    "Công dân gọi đến số +84 236 3822 123 phản ánh.",
    "Hồ sơ của công dân có CCCD 079203001234 đã được trả.",
    "Đã cấp lại giấy cho người có CMND 123456789.",
    "Kết quả gửi về địa chỉ nguyenvana@example.com.",
    "",
    "   ",
])
def test_summary_with_personal_data_or_empty_keeps_the_conclusion_off_the_site(db, summary):
    conclusion = make_conclusion(make_notice(make_dialogue()), summary=summary)
    assert conclusion.id not in published_ids()
    assert publication.conclusion(conclusion.id) is None


def test_conclusion_of_a_dialogue_that_is_not_public_shows_no_dialogue_facts(db):
    hidden = make_dialogue(audience="staff", is_public=False, kind="periodic")
    shown = make_dialogue()
    of_hidden = publication.conclusion(make_conclusion(make_notice(hidden)).id)
    of_shown = publication.conclusion(make_conclusion(make_notice(shown)).id)
    assert of_hidden.dialogue is None
    assert hidden.title not in repr(of_hidden)
    assert of_hidden.source_label == "Đối thoại định kỳ với công chức, viên chức, người lao động"
    assert of_shown.dialogue.slug == shown.slug
    assert [c.id for c in publication.conclusions_of_dialogue(shown.id)] == [of_shown.id]


def _walk(value):
    yield value
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            yield from _walk(getattr(value, f.name))
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item)


def test_records_are_plain_and_carry_no_opinion_submitter_decision_or_note(db):
    make_conclusion(make_notice(make_dialogue()))
    records = publication.conclusions() + publication.dialogues() + publication.plans()
    assert all(not isinstance(value, pw.Model) for value in _walk(records))
    text = repr(records)
    for canary in ("CANARY", CANARY_NAME, "0912 345 678"):
        assert canary not in text
    opinions = models.Opinion.select(models.Opinion.submitter_name, models.Opinion.submitter_contact,
                                     models.Opinion.content)
    for name, contact, content in opinions.tuples():
        if not name.startswith("Tập thể"):  # a unit speaking as a whole is not a person
            assert name not in text
        assert content[:60] not in text
        for number in re.findall(r"\d[\d ]{7,}\d", contact):
            assert number not in text
    for (decision,) in models.Conclusion.select(models.Conclusion.decision).tuples():
        assert decision not in text


def test_demo_data_publishes_only_signed_public_closed_or_flagged(db):
    records = publication.conclusions()
    assert records, "the demo data has published conclusions"
    assert [c.id for c in records] == sorted(c.id for c in records)
    for record in records:
        row = models.Conclusion.get_by_id(record.id)
        notice = models.ConclusionNotice.get_by_id(row.notice_id)
        assert notice.status == "signed" and row.is_public
        assert row.is_closed or row.publish_in_progress or row.closed_at
    draft_summaries = [c.public_summary for c in models.Conclusion.select().join(models.ConclusionNotice)
                       .where(models.ConclusionNotice.status != "signed")]
    assert draft_summaries and not {c.summary for c in records} & set(draft_summaries)


def test_build_cache_gives_the_same_records_as_fresh_reads(db):
    fresh = (publication.conclusions(), publication.dialogues(), publication.statistics())
    with memo.build_cache():
        cached = (publication.conclusions(), publication.dialogues(), publication.statistics())
        first = publication.conclusions()
        assert publication.conclusions() is first  # computed once inside the block
        some = fresh[0][0]
        assert publication.conclusion(some.id) == some
        assert publication.dialogue(fresh[1][0].slug) == fresh[1][0]
    assert cached == fresh
    assert publication.conclusions() is not first  # read afresh after the block


def test_record_signatures_follow_the_values_not_the_objects_holding_them(db):
    """A record read twice has one signature (pages are kept by it across builds); any changed
    value changes it, and values marshal does not know (another driver's dates) are digested too."""
    text = "Đã giải quyết xong kiến nghị về đất đai " * 3
    same = "".join(["Đã giải quyết xong kiến nghị về đất đai "] * 3)
    assert same is not text
    assert memo.digest((1, text, text, None)) == memo.digest((1, text, same, None))
    assert memo.digest((1, text, text, None)) != memo.digest((1, text, text + ".", None))
    assert memo.digest((1, "5")) != memo.digest((1, 5))
    moment = dt.datetime(2024, 3, 1, 8, 30)
    assert memo.digest((1, moment)) == memo.digest((1, dt.datetime(2024, 3, 1, 8, 30)))
    assert memo.digest((1, moment)) != memo.digest((1, moment.replace(minute=31)))
    first = {c.id: c.signature for c in publication.conclusions()}
    assert first == {c.id: c.signature for c in publication.conclusions()}
    assert len(set(first.values())) == len(first)


def test_statistics_count_every_record_not_only_public_ones(db):
    stats = publication.statistics()
    figures = dict(stats.figures)
    held = models.Dialogue.select().where(models.Dialogue.status.in_(("held", "concluded", "completed"))).count()
    assert figures["Buổi đối thoại đã tổ chức"] == held
    assert figures["Ý kiến, kiến nghị đã tiếp nhận"] == models.Opinion.select().count()
    by_audience = dict(next(s for s in stats.series if s.key == "doi-thoai-theo-doi-tuong").rows)
    assert by_audience["Công chức, viên chức, người lao động"] > 0  # staff-only dialogues are counted
    assert sum(by_audience.values()) == held
    before = figures["Kết luận đã ban hành"]
    make_conclusion(make_notice(make_dialogue()), is_public=False)
    assert dict(publication.statistics().figures)["Kết luận đã ban hành"] == before + 1


# ---------------------------------------------------------------- the personal-data check


@pytest.mark.parametrize("text, word", [
    ("Liên hệ 0912 345 678.", "số điện thoại"),
    ("Liên hệ 0912.345.678.", "số điện thoại"),
    ("Liên hệ 0912345678.", "số điện thoại"),
    ("Gọi +84 236 3822 123 trong giờ hành chính.", "số điện thoại"),
    ("Điện thoại bàn (0236) 3822 123.", "số điện thoại"),
    ("Số cũ 0123 456 789 không liên lạc được.", "số điện thoại"),
    ("CCCD 079203001234", "12 chữ số"),
    ("mã 079 203 001 234 của hồ sơ", "12 chữ số"),
    ("người có số 079203001234 đã nhận", "12 chữ số"),
    ("CMND 123456789", "chứng minh"),
    ("số chứng minh nhân dân: 123 456 789", "chứng minh"),
    ("căn cước cũ số 123456789", "chứng minh"),
    ("Gửi về nguyenvana@example.com.", "thư điện tử"),
    ("Gửi về tran.thi-b+hs@so-tn.gov.vn nhé", "thư điện tử"),
])
def test_personal_data_is_detected_with_a_vietnamese_reason(text, word):
    problems = privacy.personal_data_problems(text)
    assert problems and any(word in p for p in problems), problems
    assert not publication.summary_is_publishable(text)


@pytest.mark.parametrize("text", [
    "Thanh toán tiền làm thêm giờ quý IV/2021 trong tháng 02/2022.",
    "Thực hiện Công văn số 4639/UBND-NC ngày 30/12/2021 của UBND tỉnh.",
    "Quyết định số 1234/QĐ-UBND ngày 12/3/2022; kinh phí 1.234.567.890 đồng.",
    "Giai đoạn 2021-2022, 15 buổi đối thoại, 123456789 đồng.",
    "Họp lúc 08:30 ngày 15/6/2022 tại phòng 101.",
    "Mã hồ sơ 000.00.22.H49-220315-0001 đã trả kết quả.",
])
def test_ordinary_numbers_pass_the_check(text):
    assert privacy.personal_data_problems(text) == []
    assert publication.summary_is_publishable(text)


def test_one_number_is_reported_once():
    problems = privacy.personal_data_problems("CCCD 079203001234, gọi 0912 345 678")
    assert len(problems) == 2
