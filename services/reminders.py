"""Urging (đôn đốc) by e-mail: the daily digests that `flask --app app remind` (commands.py) sends.

Each unit head (their whole unit) and each person an item is assigned to (their own items) gets
one Vietnamese digest of the open opinions and the open conclusions of signed notices that are
due within 3 working days or overdue; each coordinator gets a summary by unit. A digest is sent
at most once per person, kind and day (models.MailDigest), and no mail ever carries who raised an
opinion: no submitter name or contact, and no text at all of a denunciation (tố cáo).
"""
import datetime as dt
import html
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

import peewee as pw
from flask import current_app

import models
from models import Conclusion, ConclusionNotice, ConclusionOpinion, MailDigest, Opinion, Unit, User, db
from services import deadlines, mail, privacy
from services.text import person_sort_key, sort_key

DEFAULT_STAFF_BASE_URL = "http://127.0.0.1:5000/"
SUMMARY_CHARS = 160
FLAG_ORDER = ("severe", "overdue", "due_soon")  # the most urgent first
FLAG_HEADINGS = {
    "severe": "QUÁ HẠN NGHIÊM TRỌNG (quá hạn trên %d ngày làm việc)" % deadlines.SEVERE_DAYS,
    "overdue": "QUÁ HẠN",
    "due_soon": "SẮP ĐẾN HẠN (còn không quá %d ngày làm việc)" % deadlines.DUE_SOON_DAYS,
}
NO_UNIT = "Chưa giao đơn vị"
WITHHELD_DENUNCIATION = "Đơn tố cáo: nội dung và người tố cáo được bảo mật, xem trong hệ thống."
FOOTER = ("Thư tự động của hệ thống Đối thoại · Dân biết (Văn phòng UBND tỉnh), gửi vào ngày làm việc khi có "
          "việc sắp đến hạn hoặc quá hạn. Vui lòng không trả lời thư này; cập nhật tiến độ trong hệ thống.")


# ---------------------------------------------------------------- what is due


@dataclass
class Item:
    """One opinion or conclusion that is due soon or overdue, as a mail shows it (never its submitter)."""

    kind: str  # "opinion" | "conclusion"
    id: int
    code: str
    label: str
    summary: str
    deadline: dt.date
    flag: str
    days: int  # working days left (flag due_soon) or late (the overdue flags)
    unit_id: int | None
    unit_name: str
    assignee_id: int | None
    assignee_name: str
    url: str

    @property
    def key(self):
        return (self.kind, self.id)

    @property
    def when(self):
        if self.flag == "due_soon":
            return "đến hạn hôm nay" if self.days == 0 else "còn %d ngày làm việc" % self.days
        return "quá hạn %d ngày làm việc" % self.days if self.days > 0 else "đã quá hạn"


def urgency(item):
    """Sort key: severely overdue first, then overdue, then due soon; earliest deadline first."""
    return (FLAG_ORDER.index(item.flag), item.deadline, item.kind, item.code)


def staff_url(path):
    """An absolute link into the internal app (STAFF_BASE_URL, not the public site's base URL)."""
    base = current_app.config.get("STAFF_BASE_URL") or DEFAULT_STAFF_BASE_URL
    return base.rstrip("/") + "/" + path.lstrip("/")


def date_vn(day):
    return day.strftime("%d/%m/%Y")


def day_vn(day):
    return "%s, ngày %s" % (deadlines.weekday_vn(day), date_vn(day))


def scrub(text, secrets=()):
    """The text with the given names and contacts, and any personal data (services.privacy), masked."""
    return privacy.masked(text, models.MASK, secrets)


def shorten(text, limit=SUMMARY_CHARS):
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + "…"


def _flagged(deadline, day, calendar):
    """(flag, working days left or late) for an open item's deadline on `day`, or (None, 0)."""
    flag = deadlines.deadline_flag(deadline, day, calendar=calendar)
    if flag is None:
        return None, 0
    if flag == "due_soon":
        return flag, calendar.working_days_between(day, deadline)
    return flag, calendar.working_days_between(deadline, day)


def due_items(day, calendar):
    """Open opinions and open conclusions of signed notices in force, due soon or overdue on `day`."""
    bounds = deadlines.flag_bounds(day, calendar)
    units = dict(Unit.select(Unit.id, Unit.name).tuples())
    people = dict(User.select(User.id, User.full_name).tuples())
    items = []

    opinions = (Opinion.select()
                .where(Opinion.status.in_(models.OPEN_STATUSES), Opinion.deadline.is_null(False),
                       Opinion.deadline < bounds.due_soon_before)
                .order_by(Opinion.deadline, Opinion.code))
    for opinion in opinions:
        flag, days = _flagged(opinion.deadline, day, calendar)
        if flag is None:
            continue
        if opinion.kind == "denunciation":
            summary = WITHHELD_DENUNCIATION
        else:
            summary = shorten(scrub(opinion.content, (opinion.submitter_name, opinion.submitter_contact)))
        items.append(Item(
            "opinion", opinion.id, opinion.code, opinion.kind_label, summary, opinion.deadline, flag, days,
            opinion.assigned_unit_id, units.get(opinion.assigned_unit_id, NO_UNIT), opinion.assigned_to_id,
            people.get(opinion.assigned_to_id, ""), staff_url("y-kien/%d" % opinion.id)))

    conclusions = (Conclusion.in_force(Conclusion.select(Conclusion, ConclusionNotice))
                   .where(Conclusion.status.not_in(models.CONCLUSION_CLOSED), Conclusion.deadline.is_null(False),
                          Conclusion.deadline < bounds.due_soon_before)
                   .order_by(Conclusion.deadline, Conclusion.id))
    conclusions = list(conclusions)
    secrets = {}  # conclusion id -> the names and contacts of those who raised the opinions it answers
    if conclusions:
        links = (ConclusionOpinion.select(ConclusionOpinion.conclusion, Opinion.submitter_name,
                                          Opinion.submitter_contact)
                 .join(Opinion).where(ConclusionOpinion.conclusion.in_([c.id for c in conclusions])).tuples())
        for conclusion_id, name, contact in links:
            secrets.setdefault(conclusion_id, []).extend((name, contact))
    for conclusion in conclusions:
        flag, days = _flagged(conclusion.deadline, day, calendar)
        if flag is None:
            continue
        notice = conclusion.notice
        code = "KL-%d (TB số %s)" % (conclusion.id, notice.number_text) if notice.number_text \
            else "KL-%d" % conclusion.id
        items.append(Item(
            "conclusion", conclusion.id, code, "Kết luận", shorten(scrub(conclusion.decision,
                                                                         secrets.get(conclusion.id, ()))),
            conclusion.deadline, flag, days, conclusion.responsible_unit_id,
            units.get(conclusion.responsible_unit_id, NO_UNIT), conclusion.responsible_user_id,
            people.get(conclusion.responsible_user_id, ""), staff_url("ket-luan/%d" % conclusion.id)))
    items.sort(key=urgency)
    return items


# ---------------------------------------------------------------- the digests


@dataclass
class Digest:
    user: User
    kind: str  # "unit" | "coordinator" (MailDigest.kind)
    subject: str
    text: str
    html: str
    count: int


@dataclass
class Planned:
    day: dt.date
    items: list
    digests: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (user, reason)


def _skip_reason(user):
    if not user.active:
        return "tài khoản đã bị khóa"
    if not (user.email or "").strip():
        return "chưa có địa chỉ e-mail"
    return None


def _salutation(user):
    return "Kính gửi: Đồng chí %s%s" % (user.full_name, ", " + user.title if user.title else "")


def counts_phrase(items):
    counts = {flag: sum(1 for i in items if i.flag == flag) for flag in FLAG_ORDER}
    return ", ".join("%d %s" % (counts[f], deadlines.FLAG_LABELS[f].lower()) for f in FLAG_ORDER if counts[f])


def unit_digest(user, items, day):
    """The digest of one unit head or assignee: their items, the most urgent first."""
    is_head = user.role == "unit_head" and user.unit_id
    whose = ("của %s" % user.unit.name) if is_head else "được giao cho đồng chí"
    subject = "[Đôn đốc] %s: %s" % (date_vn(day), counts_phrase(items))
    lines = [_salutation(user), "",
             "Tính đến %s, có %d việc %s sắp đến hạn hoặc đã quá hạn (%s):" % (
                 day_vn(day), len(items), whose, counts_phrase(items))]
    parts = ["<p>%s</p>" % html.escape(lines[0]), "<p>%s</p>" % html.escape(lines[2])]
    number = 0
    for flag in FLAG_ORDER:
        group = [i for i in items if i.flag == flag]
        if not group:
            continue
        lines += ["", FLAG_HEADINGS[flag], ""]
        parts.append("<h3>%s</h3><ol start=\"%d\">" % (html.escape(FLAG_HEADINGS[flag]), number + 1))
        for item in group:
            number += 1
            who = [item.unit_name] + ([item.assignee_name] if item.assignee_name else [])
            lines += ["%d. %s · %s · %s" % (number, item.code, item.label, " · ".join(who)),
                      "   Nội dung: %s" % item.summary,
                      "   Hạn: %s, %s (%s)" % (date_vn(item.deadline), item.when, deadlines.flag_label(item.flag)),
                      "   Xem: %s" % item.url]
            parts.append(
                "<li><p><a href=\"%s\"><strong>%s</strong></a> · %s · %s<br>%s<br>Hạn: %s, %s (%s)</p></li>" % (
                    html.escape(item.url), html.escape(item.code), html.escape(item.label),
                    html.escape(" · ".join(who)), html.escape(item.summary), date_vn(item.deadline),
                    html.escape(item.when), html.escape(deadlines.flag_label(item.flag))))
        parts.append("</ol>")
    lines += ["", "--", FOOTER]
    parts.append("<hr><p><small>%s</small></p>" % html.escape(FOOTER))
    return Digest(user, "unit", subject, "\n".join(lines) + "\n", _page(subject, parts), len(items))


def unit_table(items):
    """[(unit name, {("opinion"|"conclusion", flag): count})], units in alphabetical order, no unit last."""
    rows = {}
    for item in items:
        counts = rows.setdefault((item.unit_id is None, item.unit_name), {})
        counts[(item.kind, item.flag)] = counts.get((item.kind, item.flag), 0) + 1
    return [(name, rows[(none, name)]) for none, name in sorted(rows, key=lambda k: (k[0], sort_key(k[1])))]


KIND_HEADINGS = (("opinion", "Ý kiến, kiến nghị"), ("conclusion", "Kết luận"))


def _count_line(counts, kind):
    return " · ".join("%d %s" % (counts.get((kind, f), 0), deadlines.FLAG_LABELS[f].lower()) for f in FLAG_ORDER)


def coordinator_digest(user, items, day, skipped):
    """The coordinator's summary: counts by unit of items due soon, overdue and severely overdue."""
    table = unit_table(items)
    subject = "[Đôn đốc] Tổng hợp %s: %d việc sắp đến hạn, quá hạn (%s)" % (
        date_vn(day), len(items), counts_phrase(items))
    intro = ("Tổng hợp theo đơn vị các ý kiến, kiến nghị và kết luận (thông báo đã ký) sắp đến hạn hoặc đã quá hạn, "
             "tính đến %s. Lãnh đạo đơn vị và người được giao nhận thư nhắc riêng." % day_vn(day))
    lines = [_salutation(user), "", intro]
    parts = ["<p>%s</p>" % html.escape(lines[0]), "<p>%s</p>" % html.escape(intro),
             "<table border=\"1\" cellpadding=\"4\" cellspacing=\"0\"><thead><tr><th rowspan=\"2\">Đơn vị</th>"
             "<th colspan=\"3\">Ý kiến, kiến nghị</th><th colspan=\"3\">Kết luận</th></tr><tr>%s</tr></thead><tbody>"
             % ("".join("<th>%s</th>" % html.escape(deadlines.FLAG_LABELS[f]) for f in FLAG_ORDER) * 2)]
    totals = {}
    for name, counts in table:
        lines += ["", name]
        for kind, heading in KIND_HEADINGS:
            lines.append("   %s: %s" % (heading, _count_line(counts, kind)))
        cells = "".join("<td>%d</td>" % counts.get((kind, f), 0) for kind, _ in KIND_HEADINGS for f in FLAG_ORDER)
        parts.append("<tr><td>%s</td>%s</tr>" % (html.escape(name), cells))
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    lines += ["", "Tổng cộng"] + ["   %s: %s" % (heading, _count_line(totals, kind)) for kind, heading in KIND_HEADINGS]
    parts.append("<tr><th>Tổng cộng</th>%s</tr></tbody></table>" % "".join(
        "<th>%d</th>" % totals.get((kind, f), 0) for kind, _ in KIND_HEADINGS for f in FLAG_ORDER))
    if skipped:
        lines += ["", "Không gửi được thư nhắc cho:"]
        lines += ["   - %s (%s): %s" % (u.full_name, u.unit.name if u.unit_id else u.role_label, reason)
                  for u, reason in skipped]
        parts.append("<p>Không gửi được thư nhắc cho:</p><ul>%s</ul>" % "".join(
            "<li>%s (%s): %s</li>" % (html.escape(u.full_name), html.escape(u.unit.name if u.unit_id else u.role_label),
                                      html.escape(reason)) for u, reason in skipped))
    overdue_list = staff_url("y-kien/?overdue=1")
    lines += ["", "Danh sách ý kiến quá hạn: %s" % overdue_list, "", "--", FOOTER]
    parts.append("<p><a href=\"%s\">Danh sách ý kiến quá hạn</a></p><hr><p><small>%s</small></p>" % (
        html.escape(overdue_list), html.escape(FOOTER)))
    return Digest(user, "coordinator", subject, "\n".join(lines) + "\n", _page(subject, parts), len(items))


def _page(title, parts):
    return ("<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>%s</title></head><body>%s"
            "</body></html>\n" % (html.escape(title), "".join(parts)))


def plan(day, calendar=None):
    """Who gets which digest on `day` (nothing is sent or recorded here)."""
    calendar = calendar or deadlines.Calendar.load()
    items = due_items(day, calendar)
    result = Planned(day, items)
    if not items:
        return result
    per_user = {}  # user id -> {item key: item}
    unit_ids = {i.unit_id for i in items if i.unit_id}
    heads = {}
    for head in User.select().where(User.role == "unit_head", User.unit.in_(unit_ids)):
        heads.setdefault(head.unit_id, []).append(head)
    for item in items:
        for head in heads.get(item.unit_id, ()):
            per_user.setdefault(head.id, {})[item.key] = item
        if item.assignee_id:
            per_user.setdefault(item.assignee_id, {})[item.key] = item
    users = {u.id: u for u in User.select(User, Unit).join(Unit, pw.JOIN.LEFT_OUTER)
             .where(User.id.in_(list(per_user)) | (User.role == "coordinator"))}
    for user_id in sorted(per_user, key=lambda i: person_sort_key(users[i].full_name)):
        user = users[user_id]
        reason = _skip_reason(user)
        if reason:
            result.skipped.append((user, reason))
            continue
        result.digests.append(unit_digest(user, sorted(per_user[user_id].values(), key=urgency), day))
    coordinators = [u for u in users.values() if u.role == "coordinator"]
    for user in sorted(coordinators, key=lambda u: person_sort_key(u.full_name)):
        reason = _skip_reason(user)
        if reason:
            result.skipped.append((user, reason))
            continue
        result.digests.append(coordinator_digest(user, items, day, [s for s in result.skipped
                                                                    if s[0].role != "coordinator"]))
    return result


# ---------------------------------------------------------------- sending


def message(digest, sender):
    msg = EmailMessage()
    msg["Subject"] = digest.subject
    msg["From"] = sender
    msg["To"] = formataddr((digest.user.full_name, digest.user.email.strip()))
    msg["Date"] = format_datetime(dt.datetime.now(models.TZ))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid("nhac-viec", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
    msg.set_content(digest.text, cte="quoted-printable")
    msg.add_alternative(digest.html, subtype="html", cte="quoted-printable")
    return msg


@dataclass
class Outcome:
    sent: list = field(default_factory=list)  # digests
    already: list = field(default_factory=list)  # digests sent earlier that day
    failed: list = field(default_factory=list)  # (digest, reason)
    server_error: str = ""


def send(planned, config, echo=lambda line: None):
    """Send each planned digest not yet sent that day; record it when the server accepted it."""
    outcome = Outcome()
    mailer = mail.Mailer(config)
    sender = config.get("MAIL_SENDER") or "doithoai@localhost"
    try:
        for digest in planned.digests:
            if outcome.server_error:
                outcome.failed.append((digest, "không gửi: máy chủ thư không sẵn sàng"))
                continue
            address = digest.user.email.strip()
            try:  # claim the (user, day, kind) first, so that two runs at once cannot both send it
                with db.atomic():
                    row = MailDigest.create(user=digest.user.id, day=planned.day, kind=digest.kind, address=address,
                                            subject=digest.subject[:300], items=digest.count)
            except pw.IntegrityError:
                outcome.already.append(digest)
                echo("Đã gửi trước đó trong ngày: %s <%s>" % (digest.user.full_name, address))
                continue
            try:
                mailer.send(message(digest, sender))
            except mail.MailServerError as error:
                row.delete_instance()
                outcome.server_error = str(error)
                outcome.failed.append((digest, "không kết nối được máy chủ thư: %s" % error))
                echo("LỖI: không kết nối được máy chủ thư %s" % error)
                continue
            except (OSError, smtplib.SMTPException) as error:
                row.delete_instance()
                reason = mail.describe_error(error)
                outcome.failed.append((digest, reason))
                echo("LỖI gửi tới %s <%s>: %s" % (digest.user.full_name, address, reason))
                continue
            row.sent_at = models.now()
            row.save()
            models.audit(None, "send_digest", row, summary="Gửi thư đôn đốc (%s) ngày %s tới %s: %d việc" % (
                digest.kind, date_vn(planned.day), address, digest.count))
            outcome.sent.append(digest)
            echo("Đã gửi: %s <%s> — %s" % (digest.user.full_name, address, digest.subject))
    finally:
        mailer.close()
    return outcome


def already_sent(day):
    """{(user id, kind)} of the digests recorded for `day`."""
    return set(MailDigest.select(MailDigest.user, MailDigest.kind).where(MailDigest.day == day).tuples())
