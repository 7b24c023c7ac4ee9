"""Loads the demo records of demo/data.py into an empty, migrated database.

`load(today)` fills the database (bound by the caller) in one transaction and returns counts.
The data are deterministic: with the same `today` every row is the same (the 2022 records use
fixed dates; the current year's records are placed relative to `today`).
"""
import datetime as dt
import json
import random
from pathlib import Path

import models
from demo import data
from services import deadlines, reports
from services.accounts import hash_password
from services.text import parse_front_matter, slugify

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
PLAN_2022 = CONTENT_DIR / "ke-hoach" / "2022.md"
DEMO_PASSWORD = "doithoai-demo"
SEED = 20220127
FIRST_TODAY = dt.date(2023, 6, 1)  # the 2022 records (and their follow-ups into 2023) are history
OPINION_DAYS = 20  # handling time given when an opinion is assigned


def load(today=None, password_params=None):
    """Fill an empty, migrated database with the demo data; returns counts by kind of record."""
    today = today or models.today()
    if today < FIRST_TODAY:
        raise ValueError("Dữ liệu mẫu cần ngày hiện tại từ 01/06/2023 trở đi (dữ liệu năm 2022 là dữ liệu đã qua).")
    with models.db.atomic():
        return _Loader(today, password_params).run()


# Opinion status that follows from the status of the conclusion answering it.
_FROM_CONCLUSION = {"open": "concluded", "in_progress": "in_progress", "resolved": "resolved",
                    "referred": "referred", "explained": "explained"}


class _Loader:
    """Builds the rows; one object so that every step shares the lookups, the clock and the random source."""

    def __init__(self, today, password_params):
        self.today = today
        self.limit = dt.datetime.combine(today, dt.time(7, 0))  # nothing is dated after this
        self.rng = random.Random(SEED)  # nosec B311  # the same demo data every time, no secret
        self.password_params = password_params
        self.units, self.agencies, self.fields, self.users, self.plans = {}, {}, {}, {}, {}
        self.specs, self.dialogues, self.opinions, self.conclusions = {}, {}, {}, {}
        self.signed_at = {}  # dialogue key -> when its notice was signed
        self.answered_by = {}  # opinion key -> (conclusion spec, signed_at, closed_at)
        self.accepted_at = {}  # dialogue key -> when its proposal was accepted (Chairman's dialogues)

    def run(self):
        self.organisation()
        self.make_plans()
        holidays = []
        for year in sorted({2022, self.today.year, self.today.year + 1}):
            holidays += deadlines.seed_official_holidays(year)  # the official days off, from the package
        slugs = set()
        for spec in data.DIALOGUES:
            self.dialogue(spec, slugs)
        self.plan_conclusions()
        codes = {}
        for received_at, spec in self.opinion_order():
            year = received_at.year
            codes[year] = codes.get(year, 0) + 1
            self.opinion("YK-%d-%04d" % (year, codes[year]), received_at, spec)
        numbers = {}
        for key in sorted(data.NOTICES, key=self.signed_at.get):  # numbered per year in the order signed
            year = self.signed_at[key].year
            numbers[year] = numbers.get(year, 0) + 1
            self.notice(key, numbers[year])
        self.draft_notice()
        appraisals = self.proposals()
        for key in self.dialogues:
            self.attendees(key)
            self.dialogue_history(key)
        self.followups()
        self.answer_templates()
        counts = {
            "đơn vị": len(self.units), "cơ quan": len(self.agencies), "lĩnh vực": len(self.fields),
            "ngày nghỉ": len(holidays),
            "tài khoản": len(self.users), "kế hoạch": len(self.plans), "đối thoại": len(self.dialogues),
            "ý kiến": len(self.opinions), "thông báo kết luận": models.ConclusionNotice.select().count(),
            "kết luận": models.Conclusion.select().count(), "đề xuất": len(data.PROPOSALS), "thẩm định": appraisals,
            "đôn đốc, tiến độ": len(data.FOLLOWUPS), "lịch sử trạng thái": models.StatusChange.select().count(),
            "mẫu trả lời": len(data.ANSWER_TEMPLATES),
        }
        counts["báo cáo"] = self.reports()  # last: the figures count everything above
        return counts

    # -- dates

    def day(self, spec):
        """An ISO date as is; a number of days from today moved off the weekend (away from today)."""
        if isinstance(spec, str):
            return dt.date.fromisoformat(spec)
        day = self.today + dt.timedelta(days=spec)
        step = 1 if spec > 0 else -1
        while day.weekday() >= 5:
            day += dt.timedelta(days=step)
        return day

    def at(self, day, hour, spread=90):
        """A time on `day` a few (deterministic) minutes after `hour`; never after the limit."""
        when = dt.datetime.combine(day, dt.time(hour)) + dt.timedelta(minutes=self.rng.randrange(spread))
        return min(when, self.limit)

    @staticmethod
    def workday_after(day, days):
        day += dt.timedelta(days=days)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    # -- organisation

    def organisation(self):
        for code, name, kind in data.UNITS:
            self.units[code] = models.Unit.create(code=code, name=name, kind=kind)
        for name, kind, appraiser in data.AGENCIES:
            self.agencies[name] = models.Agency.create(name=name, kind=kind, is_appraiser=appraiser)
        for position, (code, name) in enumerate(data.FIELDS, start=1):
            self.fields[code] = models.Field.create(code=code, name=name, position=position)
        password_hash = hash_password(DEMO_PASSWORD, self.password_params)  # once: hashing is slow
        for username, full_name, role, unit, title in data.USERS:
            self.users[username] = models.User.create(
                username=username, full_name=full_name, role=role, title=title, password_hash=password_hash,
                unit=self.units[unit] if unit else None, email="%s@vpubnd.example.vn" % username,
                created_at=data.USERS_CREATED)

    def _member(self, unit_code, role):
        unit_id = self.units[unit_code].id
        return next((u for u in self.users.values() if u.role == role and u.unit_id == unit_id), None)

    def head_of(self, unit_code):
        """The unit's head; the coordinator stands in (TCHCQT, and units without a head)."""
        return self._member(unit_code, "unit_head") or self.users["coordinator"]

    def specialist_of(self, unit_code):
        return self._member(unit_code, "specialist") or self.head_of(unit_code)

    def transition(self, obj, user, from_status, to_status, at, note=""):
        models.record_transition(obj, user, from_status, to_status, note, at=at)

    def make_plans(self):
        meta, body = parse_front_matter(PLAN_2022.read_text(encoding="utf-8"))
        self.plans[meta["year"]] = models.Plan.create(
            year=meta["year"], title=meta["title"], number=meta.get("number") or "",
            issued_on=meta.get("issued_on"), body_md=body, midyear_report_due=meta["midyear_report_due"],
            annual_report_due=meta["annual_report_due"])
        year = self.today.year
        if year not in self.plans:
            self.plans[year] = models.Plan.create(
                year=year, title=data.PLAN_TITLE.format(year=year), body_md=data.PLAN_BODY.format(year=year),
                midyear_report_due=dt.date(year, 6, 14), annual_report_due=dt.date(year, 11, 24))

    # -- dialogues

    def dialogue(self, spec, slugs):
        start_day = self.day(spec["day"])
        hour, minute = map(int, spec["time"].split(":"))
        starts_at = dt.datetime.combine(start_day, dt.time(hour, minute))
        title = spec["title"].format(d=start_day.strftime("%d/%m/%Y"), m=start_day.month, y=start_day.year,
                                     ny=start_day.year + 1)
        slug = slugify(title, start_day)
        while slug in slugs:
            slug += "-2"
        slugs.add(slug)
        chair_user = self.users.get(spec["chair"])
        held = spec["status"] in ("held", "concluded", "completed")
        # Entered two weeks ahead, or (for what is planned at short notice) on the last working day.
        created = min(dt.datetime.combine(start_day - dt.timedelta(days=14), dt.time(9, 0)),
                      dt.datetime.combine(self.day(-1), dt.time(9, 0)))
        self.specs[spec["key"]] = spec
        self.dialogues[spec["key"]] = dialogue = models.Dialogue.create(
            plan=self.plans.get(start_day.year), title=title, slug=slug, kind=spec["kind"],
            audience=spec["audience"], occasion=spec["occasion"], is_chairman=spec.get("chairman", False),
            starts_at=starts_at, ends_at=starts_at + dt.timedelta(minutes=int(spec["hours"] * 60)),
            place=spec["place"], chair="%s %s" % (chair_user.title, chair_user.full_name) if chair_user
            else spec["chair"], description=spec["description"], status=spec["status"], is_public=spec["public"],
            attendance=spec.get("attendance") if held else None, discussion=spec.get("discussion", ""),
            directions=spec.get("directions", ""), created_by=self.users["coordinator"], created_at=created,
            updated_at=created)
        for code in spec["fields"]:
            models.DialogueField.create(dialogue=dialogue, field=self.fields[code])

    def attendees(self, key):
        """The chair, the coordinator, and the head and a specialist of each unit answering its opinions."""
        dialogue, chair = self.dialogues[key], self.users.get(self.specs[key]["chair"])
        people = [(chair, "Chủ trì")] if chair else [(self.users["chief"], "Tham mưu, phục vụ đối thoại")]
        people.append((self.users["coordinator"], "Tổng hợp ý kiến, dự thảo Thông báo kết luận"))
        for unit in dict.fromkeys(spec[9] for spec in data.OPINIONS if spec[1] == key):
            people.append((self.head_of(unit), "Báo cáo, trả lời ý kiến thuộc lĩnh vực phụ trách"))
            people.append((self.specialist_of(unit), "Chuẩn bị nội dung trả lời"))
        seen = set()
        for user, note in people:
            if user.id not in seen:
                seen.add(user.id)
                models.DialogueAttendee.create(dialogue=dialogue, user=user, role_note=note)

    def dialogue_history(self, key):
        dialogue, spec = self.dialogues[key], self.specs[key]
        coordinator, chief = self.users["coordinator"], self.users["chief"]
        if key in self.accepted_at:  # the Chairman's dialogue: proposed, appraised, then scheduled
            proposal = models.Proposal.get(models.Proposal.dialogue == dialogue)
            appraised = self.accepted_at[key]
            path = [("", "proposed", proposal.created_at, coordinator, proposal.title),
                    ("proposed", "appraised", appraised, chief,
                     "Đã thẩm định với Ban Dân vận Tỉnh ủy, Ủy ban MTTQ Việt Nam tỉnh."),
                    ("appraised", "scheduled", self.at(self.workday_after(appraised.date(), 5), 9), chief, "")]
        else:
            path = [("", "scheduled", dialogue.created_at, coordinator, "")]
        status = dialogue.status
        if status in ("cancelled", "postponed"):
            when = min(dialogue.starts_at - dt.timedelta(days=3), self.limit)
            path.append(("scheduled", status, when, coordinator, spec.get("note", "")))
        if status in ("held", "concluded", "completed"):
            path.append(("scheduled", "held", min(dialogue.ends_at, self.limit), coordinator, ""))
        if status in ("concluded", "completed"):
            path.append(("held", "concluded", self.signed_at[key], chief, "Thông báo kết luận đã ký."))
        if status == "completed":
            done = max(c.closed_at for (k, _), c in self.conclusions.items() if k == key)
            path.append(("concluded", "completed", done, coordinator, "Các kết luận đã thực hiện xong."))
        for from_status, to_status, when, user, note in path:
            self.transition(dialogue, user, from_status, to_status, when, note)
        models.Dialogue.update(created_at=path[0][2], updated_at=path[-1][2], version=len(path)).where(
            models.Dialogue.id == dialogue.id).execute()

    # -- opinions

    def plan_conclusions(self):
        """When each notice is signed and each conclusion closed: opinions take their path from them."""
        for key, (signed, items) in data.NOTICES.items():
            self.signed_at[key] = signed_at = self.at(self.day(signed), 15)
            for item in items:
                closed_at = self.at(self.day(item[4]), 16) if item[4] is not None else None
                for opinion_key in item[8]:
                    self.answered_by[opinion_key] = (item, signed_at, closed_at)

    def opinion_order(self):
        """(received at, spec) in the order the register numbers them: by time received."""
        rows = []
        for spec in data.OPINIONS:
            if spec[2] is None:  # raised at the dialogue
                start = self.dialogues[spec[1]].starts_at
                received_at = start + dt.timedelta(minutes=30 + self.rng.randrange(60))
            else:
                received_at = self.at(self.day(spec[2]), 8, spread=240)
            rows.append((received_at, spec))
        rows.sort(key=lambda row: (row[0], row[1][0]))
        return rows

    def opinion_steps(self, spec, received_at, creator):
        """The path the opinion took: [(from, to, at, user, note)]; the last one is its status."""
        key, dialogue_key, unit, audience = spec[0], spec[1], spec[9], spec[5]
        head, specialist = self.head_of(unit), self.specialist_of(unit)
        director = self.users["chief"] if audience == "staff" else self.users["coordinator"]
        answered = self.answered_by.get(key)
        final = spec[10] if answered is None else _FROM_CONCLUSION[answered[0][3]]
        steps = [("", "received", received_at, creator, "")]
        if final == "received":
            return steps
        if final == "refused":  # not taken in (a citizen's request outside the office's remit)
            when = max(self.at(received_at.date(), 16), received_at)  # the same day: the office answers at once
            steps.append(("received", "refused", when, self.users["coordinator"], data.CLOSING_NOTES[key]))
            return steps
        assigned_day = self.workday_after(received_at.date(), 1)
        steps.append(("received", "assigned", self.at(assigned_day, 9), director,
                      "Giao %s xử lý." % self.units[unit].name))
        if final in ("assigned", "withdrawn"):
            if final == "withdrawn":
                when = self.at(self.workday_after(assigned_day, 3), 10)
                steps.append(("assigned", "withdrawn", when, self.users["coordinator"], data.CLOSING_NOTES[key]))
            return steps
        # The answer is drafted a few days later, but before the dialogue and before the notice is signed.
        drafted_day = self.workday_after(assigned_day, 4)
        dialogue_day = self.dialogues[dialogue_key].starts_at.date() if dialogue_key else None
        if dialogue_day and dialogue_day > received_at.date():
            drafted_day = min(drafted_day, dialogue_day - dt.timedelta(days=1))
        if answered is not None:
            drafted_day = min(drafted_day, answered[1].date() - dt.timedelta(days=1))
        drafted_at = max(self.at(max(drafted_day, assigned_day), 14), steps[-1][2])
        steps.append(("assigned", "answer_drafted", drafted_at, specialist, ""))
        if answered is None:
            if final in ("referred", "explained"):
                when = self.at(self.workday_after(drafted_at.date(), 3), 10)
                steps.append(("answer_drafted", final, when, head, data.CLOSING_NOTES[key]))
            return steps
        conclusion, signed_at, closed_at = answered
        steps.append(("answer_drafted", "concluded", signed_at, self.users["chief"], "Thông báo kết luận đã ký."))
        last = "concluded"
        started_at = self.at(self.workday_after(signed_at.date(), 2), 9)
        if final == "in_progress" or (final == "resolved" and closed_at > started_at):
            steps.append(("concluded", "in_progress", started_at, specialist, ""))
            last = "in_progress"
        if final in models.CLOSED_STATUSES:
            steps.append((last, final, closed_at, head, "" if final == "resolved" else conclusion[5]))
        return steps

    def opinion(self, code, received_at, spec):
        (key, dialogue_key, _, kind, channel, audience, name, contact, field, unit, _, content, answer) = spec
        creator = {"reception": self.head_of("TCD"), "hotline": self.specialist_of("TCD")}.get(
            channel, self.users["coordinator"])
        steps = self.opinion_steps(spec, received_at, creator)
        status = steps[-1][1]
        answered = self.answered_by.get(key)
        assigned = status not in ("received", "refused")
        deadline = self.workday_after(steps[1][2].date(), OPINION_DAYS) if assigned else None
        if answered is not None and status in ("concluded", "in_progress"):
            deadline = self.day(answered[0][2])  # the conclusion's deadline
        closed = status in models.CLOSED_STATUSES
        resolution = answered[0][0] if answered else (data.CLOSING_NOTES.get(key, "") if closed else "")
        opinion = models.Opinion(
            code=code, kind=kind, channel=channel, audience=audience, submitter_name=name,
            submitter_contact=contact, content=content, field=self.fields[field],
            dialogue=self.dialogues.get(dialogue_key), received_on=received_at.date(),
            assigned_unit=self.units[unit] if assigned else None,
            assigned_to=self.specialist_of(unit) if assigned else None,
            directed_by=steps[1][3] if assigned else None, deadline=deadline,
            draft_answer=answer if any(step[1] == "answer_drafted" for step in steps) else "",
            resolution_path=resolution, status=status, closed_at=steps[-1][2] if closed else None,
            created_by=creator, created_at=received_at, updated_at=steps[-1][2], version=len(steps),
            **data.OPINION_EXTRAS.get(key, {}))
        opinion.save()  # save() fills search_text and search_identity
        for from_status, to_status, when, user, note in steps:
            self.transition(opinion, user, from_status, to_status, when, note)
        self.opinions[key] = opinion

    # -- notices and conclusions

    def notice(self, key, number):
        dialogue, signed_at, items = self.dialogues[key], self.signed_at[key], data.NOTICES[key][1]
        chief, coordinator = self.users["chief"], self.users["coordinator"]
        who = "Chủ tịch UBND tỉnh" if dialogue.is_chairman else "Chánh Văn phòng"
        drafted_at = self.at(self.workday_after(dialogue.starts_at.date(), 1), 10)
        submitted_at = max(drafted_at, signed_at - dt.timedelta(hours=5))
        notice = models.ConclusionNotice.create(
            dialogue=dialogue, title=_notice_title(dialogue, who), status="signed", year=signed_at.year,
            number=number, doc_type="TB", signed_by=chief, signed_at=signed_at, created_by=coordinator,
            created_at=drafted_at, version=3, body_md=_notice_body(dialogue, who, [item[0] for item in items]),
            recipients=data.NOTICE_RECIPIENTS)
        self.transition(notice, coordinator, "", "draft", drafted_at)
        self.transition(notice, coordinator, "draft", "submitted", submitted_at)
        self.transition(notice, chief, "submitted", "signed", signed_at)
        for index, item in enumerate(items):
            self.conclusions[(key, index)] = self.conclusion(notice, signed_at, item)

    def conclusion(self, notice, signed_at, item):
        decision, unit, deadline, status, closed, summary, field, public, opinion_keys = item
        closed_at = self.at(self.day(closed), 16) if closed is not None else None
        head = self.head_of(unit)
        conclusion = models.Conclusion.create(
            notice=notice, decision=decision, responsible_unit=self.units[unit],
            responsible_user=self._member(unit, "unit_head") or (head if unit == "TCHCQT" else None),
            deadline=self.day(deadline), public_summary=summary, is_public=public,
            publish_in_progress=public and status == "in_progress", status=status,
            percent_done={"open": 0, "in_progress": 30}.get(status, 100), closed_at=closed_at,
            field=self.fields[field], created_at=signed_at, updated_at=closed_at or signed_at)
        for key in opinion_keys:
            models.ConclusionOpinion.create(conclusion=conclusion, opinion=self.opinions[key])
        self.transition(conclusion, self.users["chief"], "", "open", signed_at)
        started_at = self.at(self.workday_after(signed_at.date(), 2), 9)
        if status == "in_progress" or (status == "resolved" and closed_at > started_at):
            self.transition(conclusion, head, "open", "in_progress", started_at)
            if status == "resolved":
                self.transition(conclusion, head, "in_progress", "resolved", closed_at)
        elif status != "open":
            self.transition(conclusion, head, "open", status, closed_at, "" if status == "resolved" else summary)
        return conclusion

    def draft_notice(self):
        key, day, items = data.DRAFT_NOTICE
        dialogue, coordinator = self.dialogues[key], self.users["coordinator"]
        drafted_at = self.at(self.day(day), 10)
        notice = models.ConclusionNotice.create(
            dialogue=dialogue, title=_notice_title(dialogue, "Chánh Văn phòng"), status="draft",
            created_by=coordinator, created_at=drafted_at, recipients=data.NOTICE_RECIPIENTS,
            body_md=_notice_body(dialogue, "Chánh Văn phòng", [item[0] for item in items]))
        self.transition(notice, coordinator, "", "draft", drafted_at)
        for decision, unit, deadline, summary, field in items:
            models.Conclusion.create(
                notice=notice, decision=decision, responsible_unit=self.units[unit],
                responsible_user=self.head_of(unit), deadline=self.day(deadline), public_summary=summary,
                field=self.fields[field], created_at=drafted_at, updated_at=drafted_at)

    # -- proposals and follow-ups

    def proposals(self):
        """Proposals, their appraisals and history; returns the number of appraisals."""
        count = 0
        for agency, title, content, document, day, unit, status, note, dialogue_key, appraisals in data.PROPOSALS:
            received = self.day(day)
            proposal = models.Proposal.create(
                agency=self.agencies[agency], title=title, content=content,
                document_ref="%s ngày %s" % (document, (received - dt.timedelta(days=2)).strftime("%d/%m/%Y")),
                received_on=received, content_unit=self.units[unit], status=status, decision_note=note,
                dialogue=self.dialogues.get(dialogue_key), created_at=self.at(received, 9))
            self.transition(proposal, self.users["coordinator"], "", "received", proposal.created_at)
            for body, when, agrees, opinion in appraisals:
                models.Appraisal.create(proposal=proposal, body=self.agencies[body], opinion=opinion,
                                        agrees=agrees, at=self.day(when))
                count += 1
            if status != "received":
                self.transition(proposal, self.head_of(unit), "received", "appraising",
                                self.at(self.workday_after(received, 2), 10))
                decided = self.at(self.workday_after(self.day(appraisals[-1][1]), 1), 15)
                self.transition(proposal, self.users["chief"], "appraising", status, decided, note)
                if dialogue_key:
                    self.accepted_at[dialogue_key] = decided
        return count

    def followups(self):
        for target, kind, day, percent, note, username in data.FOLLOWUPS:
            if isinstance(target, str):
                link = {"opinion": self.opinions[target]}
            else:
                link = {"conclusion": self.conclusions[target]}
                if percent is not None:  # the conclusion shows its latest progress
                    models.Conclusion.update(percent_done=percent).where(
                        models.Conclusion.id == link["conclusion"].id).execute()
            models.FollowUp.create(kind=kind, note=note, percent_done=percent, user=self.users[username],
                                   at=self.at(self.day(day), 10), **link)


    def answer_templates(self):
        """The office's and some units' answer templates, written by the unit's head (office-wide: the coordinator)."""
        for unit, field, title, body, retired, days in data.ANSWER_TEMPLATES:
            author = self.head_of(unit) if unit else self.users["coordinator"]
            at = dt.datetime.combine(self.today - dt.timedelta(days=days), dt.time(9, 0))
            models.AnswerTemplate.create(unit=self.units[unit] if unit else None,
                                         field=self.fields[field] if field else None, title=title, body_md=body,
                                         is_retired=retired, created_by=author, created_at=at, updated_by=author,
                                         updated_at=at)

    # -- reports (báo cáo 6 tháng, báo cáo năm)

    def reports(self):
        """The 2022 six-month report, approved and frozen; a draft for this year's plan. Returns how many."""
        chief, coordinator = self.users["chief"], self.users["coordinator"]
        plan = self.plans[2022]
        cutoff = reports.default_cutoff(plan, "midyear")
        figures = reports.compute_figures(plan, "midyear", cutoff)
        created_at = self.at(dt.date(2022, 6, 8), 9)
        submitted_at = self.at(dt.date(2022, 6, 13), 15)
        approved_at = self.at(dt.date(2022, 6, 14), 9)
        report = models.Report.create(
            plan=plan, kind="midyear", cutoff=cutoff, narrative_md=_midyear_narrative(figures),
            figures_json=json.dumps(figures, ensure_ascii=False), status="approved", year=2022, number=1,
            recipients="\n".join(data.REPORT_RECIPIENTS), approved_by=chief, approved_at=approved_at,
            created_at=created_at, version=3)
        self.transition(report, coordinator, "", "draft", created_at, "Lập báo cáo")
        self.transition(report, coordinator, "draft", "submitted", submitted_at)
        self.transition(report, chief, "submitted", "approved", approved_at, "Đồng ý, gửi các cơ quan theo quy định.")
        plan = self.plans[self.today.year]
        kind = "midyear" if self.today <= reports.due_date(plan, "midyear") else "annual"
        created_at = self.at(self.day(-3), 9)
        report = models.Report.create(
            plan=plan, kind=kind, cutoff=reports.default_cutoff(plan, kind), narrative_md=data.DRAFT_NARRATIVE,
            recipients="\n".join(data.REPORT_RECIPIENTS), status="draft", created_at=created_at)
        self.transition(report, coordinator, "", "draft", created_at, "Lập báo cáo")
        return 2


def _midyear_narrative(figures):
    """The 2022 six-month report's text, quoting its own figures."""
    def total(key, column):
        table = next(t for t in figures["tables"] if t["key"] == key)
        return table["rows"][-1]["counts"][column]
    return data.MIDYEAR_NARRATIVE.format(dialogues=total("dialogues", "all"),
        staff=total("dialogues", "staff"), citizens=total("dialogues", "citizens"),
        received=total("opinions_audience", "received"), answered=total("opinions_audience", "answered"),
        resolved=total("opinions_audience", "resolved"), pending=total("opinions_audience", "in_progress"),
        overdue=total("opinions_audience", "overdue"), conclusions=total("conclusions", "total"),
        on_time=total("conclusions", "on_time"))


def _notice_title(dialogue, who):
    title = dialogue.title.replace("Đối thoại của Chủ tịch UBND tỉnh", "Đối thoại", 1)
    return "Thông báo ý kiến kết luận của %s tại buổi %s" % (who, title[0].lower() + title[1:])


def _notice_body(dialogue, who, decisions):
    audience = ("công chức, viên chức, người lao động Văn phòng" if dialogue.audience == "staff"
                else "công dân và đại diện các cơ quan, đơn vị liên quan")
    lines = [
        "Ngày %s, tại %s, %s chủ trì buổi %s. Tham dự có %s.\n" % (
            dialogue.starts_at.strftime("%d/%m/%Y"), dialogue.place, dialogue.chair,
            dialogue.title[0].lower() + dialogue.title[1:], audience),
        "Sau khi nghe các ý kiến, kiến nghị và ý kiến trả lời của các phòng, ban, đơn vị, %s kết luận "
        "như sau:\n" % who,
    ]
    lines += ["%d. %s" % (number, decision) for number, decision in enumerate(decisions, start=1)]
    lines.append("\nPhòng Tổ chức-Hành chính-Quản trị theo dõi, đôn đốc việc thực hiện. Văn phòng UBND tỉnh "
                 "thông báo để các phòng, ban, đơn vị và cá nhân liên quan biết, thực hiện./.")
    return "\n".join(lines) + "\n"
