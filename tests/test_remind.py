"""`flask remind`: the daily urging digests (đôn đốc), sent to a real SMTP server on 127.0.0.1 (aiosmtpd)."""
import datetime as dt
import email
import email.policy
import re
import socket

import pytest
from aiosmtpd.controller import Controller

import models
from commands import remind_command
from services import deadlines
from services.text import fold
from tests.conftest import user

DAY = dt.date(2022, 4, 28)  # a Thursday; 30/4–3/5/2022 are days off (two of them in lieu of the weekend)
STAFF_BASE = "https://noi-bo.vpubnd.example.vn/doi-thoai/"
DENOUNCER = "Hoàng Thị Tố Nga"
DENOUNCER_CONTACT = "0912 345 678, to.nga@example.vn, thôn Phú Mỹ"
PETITIONER = "Trịnh Văn Kiến"


# ---------------------------------------------------------------- a real SMTP server


class Inbox:
    """An aiosmtpd handler that keeps every message and refuses the addresses in `refuse` with 550."""

    def __init__(self):
        self.messages = []  # (envelope recipients, parsed message, raw bytes)
        self.refuse = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(raw, policy=email.policy.default),
                              raw))
        return "250 Message accepted for delivery"

    def to(self, address):
        """The messages delivered to `address`."""
        return [msg for rcpts, msg, _ in self.messages if address in rcpts]

    def one(self, address, kind="Đôn đốc"):
        found = [m for m in self.to(address) if ("Tổng hợp" in m["Subject"]) == (kind == "Tổng hợp")]
        assert len(found) == 1, [m["Subject"] for m in self.to(address)]
        return found[0]

    @property
    def recipients(self):
        return sorted(a for rcpts, _, _ in self.messages for a in rcpts)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(app):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_STARTTLS=False,
                      MAIL_USERNAME="", MAIL_SENDER="Đối thoại · Dân biết <doithoai@vpubnd.example.vn>",
                      STAFF_BASE_URL=STAFF_BASE)
    yield handler
    controller.stop()


def remind(app, *args):
    return app.test_cli_runner().invoke(remind_command, list(args))


def text_of(msg):
    return msg.get_body(("plain",)).get_content()


def html_of(msg):
    return msg.get_body(("html",)).get_content()


def address(username):
    return "%s@vpubnd.example.vn" % username


# ---------------------------------------------------------------- the items due on DAY


def unit(code):
    return models.Unit.get(models.Unit.code == code)


def opinion(**values):
    row = {"kind": "petition", "channel": "dialogue", "audience": "citizens", "received_on": dt.date(2022, 3, 1),
           "status": "assigned", "content": "Kiến nghị thử nghiệm."}
    row.update(values)
    return models.create_opinion(None, **row)


@pytest.fixture
def items(db):
    """Items of KTN, NC and of no unit, with deadlines worked out on the demo's holiday calendar."""
    cal = deadlines.Calendar.load()
    assert not cal.is_working_day(dt.date(2022, 5, 2)) and not cal.is_working_day(dt.date(2022, 5, 3))
    ktn, nc = unit("KTN"), unit("NC")
    specialist, thuha = user("specialist"), user("dang.thuha")
    made = {
        # 11 working days late: more than 10, severe.
        "severe": opinion(content="Kiến nghị sửa chữa đường vào khu tái định cư Tân Lập bị sạt lở.",
                          assigned_unit=ktn, assigned_to=specialist, deadline=cal.nth_working_day_back(DAY, 12)),
        # 10 working days late: overdue, not yet severe. Given to the unit only.
        "overdue": opinion(kind="opinion", content="Đề nghị công khai tiến độ bồi thường dự án đường tránh phía Tây.",
                           assigned_unit=ktn, deadline=cal.nth_working_day_back(DAY, 11)),
        # 3 working days left: 29/4, then 2/5 and 3/5 are off, 4/5, 5/5 — seven calendar days away.
        "due_soon": opinion(kind="feedback", content="Phản ánh đèn chiếu sáng cầu Bến Đình hư hỏng kéo dài.",
                            assigned_unit=ktn, assigned_to=specialist, deadline=cal.working_days_after(DAY, 3)),
        # 4 working days left: not yet.
        "later": opinion(content="Kiến nghị bổ sung biển báo tốc độ gần trường học Hòa Bình.",
                         assigned_unit=ktn, assigned_to=specialist, deadline=cal.working_days_after(DAY, 4)),
        "closed": opinion(content="Kiến nghị đã giải quyết xong về cấp nước sinh hoạt.", status="resolved",
                          assigned_unit=ktn, assigned_to=specialist, deadline=cal.nth_working_day_back(DAY, 20)),
        "denunciation": opinion(kind="denunciation", channel="letter", submitter_name=DENOUNCER,
                                submitter_contact=DENOUNCER_CONTACT,
                                content="Tôi là %s, tố cáo cán bộ địa chính xã nhận tiền để hợp thức hóa đất lấn "
                                        "chiếm." % DENOUNCER,
                                assigned_unit=ktn, assigned_to=specialist, deadline=cal.nth_working_day_back(DAY, 2)),
        # Due today; its text names the petitioner and his phone.
        "petition": opinion(submitter_name=PETITIONER, submitter_contact="0987 654 321",
                            content="Ông %s (ĐT 0987 654 321) kiến nghị nạo vét kênh thủy lợi Đồng Me." % PETITIONER,
                            assigned_unit=nc, assigned_to=thuha, deadline=DAY),
        "no_unit": opinion(status="received", content="Kiến nghị chưa giao về lịch tiếp công dân định kỳ.",
                           deadline=cal.nth_working_day_back(DAY, 3)),
    }
    dialogue = models.Dialogue.select().order_by(models.Dialogue.starts_at).first()
    signed = models.ConclusionNotice.create(dialogue=dialogue, title="Thông báo thử nghiệm", status="signed",
                                            year=2022, number=97, signed_at=dt.datetime(2022, 3, 20, 9, 0))
    draft = models.ConclusionNotice.create(dialogue=dialogue, title="Dự thảo thử nghiệm", status="draft")
    yesterday = cal.nth_working_day_back(DAY, 2)
    made["conclusion"] = models.Conclusion.create(
        notice=signed, decision="Giao Phòng Kinh tế ngành kiểm tra, xử lý nội dung tố cáo của bà %s." % DENOUNCER,
        responsible_unit=ktn, deadline=yesterday, status="in_progress")
    models.ConclusionOpinion.create(conclusion=made["conclusion"], opinion=made["denunciation"])
    made["draft_conclusion"] = models.Conclusion.create(notice=draft, decision="Kết luận chưa ký.",
                                                        responsible_unit=ktn, deadline=yesterday)
    made["closed_conclusion"] = models.Conclusion.create(notice=signed, decision="Kết luận đã xong.",
                                                         responsible_unit=ktn, deadline=yesterday, status="resolved")
    return made


UNIT_DIGESTS = ("specialist", "unit_head", "dang.thuha", "do.minhdat")  # do.minhdat heads NC


def codes_in(text):
    return set(re.findall(r"YK-\d{4}-\d{4}|KL-\d+", text))


def summary_rows(text):
    """{unit name: {"Ý kiến, kiến nghị" | "Kết luận": (severe, overdue, due soon)}} from the coordinator's text."""
    rows, current = {}, None
    for line in text.splitlines():
        match = re.match(r"   (Ý kiến, kiến nghị|Kết luận): (\d+) quá hạn nghiêm trọng · (\d+) quá hạn · "
                         r"(\d+) sắp đến hạn$", line)
        if match and current:
            rows[current][match.group(1)] = tuple(int(n) for n in match.groups()[1:])
        elif line and not line.startswith(" "):
            current = line
            rows[current] = {}
    return {name: counts for name, counts in rows.items() if counts}


# ---------------------------------------------------------------- tests


def test_each_handler_gets_one_digest_of_their_own_items_with_their_flags(app, db, inbox, items):
    result = remind(app, "--date", DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert inbox.recipients == sorted([address(u) for u in UNIT_DIGESTS] + [address("coordinator")])
    code = {key: (row.code if isinstance(row, models.Opinion) else "KL-%d" % row.id) for key, row in items.items()}

    mine = inbox.one(address("specialist"))
    assert mine["Subject"] == "[Đôn đốc] 28/04/2022: 1 quá hạn nghiêm trọng, 1 quá hạn, 1 sắp đến hạn"
    assert mine["To"].addresses[0].display_name == "Lê Thị Thanh Tâm"
    text = text_of(mine)
    assert codes_in(text) == {code["severe"], code["denunciation"], code["due_soon"]}
    assert text.index(code["severe"]) < text.index(code["denunciation"]) < text.index(code["due_soon"])
    # Working days: 2/5 and 3/5 are days off, so 05/05 is three working days away.
    assert "   Hạn: 05/05/2022, còn 3 ngày làm việc (Sắp đến hạn)" in text
    assert "quá hạn 11 ngày làm việc (Quá hạn nghiêm trọng)" in text
    assert "Kiến nghị sửa chữa đường vào khu tái định cư Tân Lập bị sạt lở." in text
    assert "Xem: %sy-kien/%d" % (STAFF_BASE, items["severe"].id) in text
    assert app.config["PUBLIC_BASE_URL"] not in text
    assert 'href="%sy-kien/%d"' % (STAFF_BASE, items["severe"].id) in html_of(mine)

    head = text_of(inbox.one(address("unit_head")))
    assert "việc của Phòng Kinh tế ngành" in head
    assert codes_in(head) == {code[k] for k in ("severe", "overdue", "due_soon", "denunciation", "conclusion")}
    assert "quá hạn 10 ngày làm việc (Quá hạn)" in head  # exactly 10 late: not yet severe
    assert "KL-%d (TB số 97/TB-VP) · Kết luận" % items["conclusion"].id in head
    assert "Xem: %sket-luan/%d" % (STAFF_BASE, items["conclusion"].id) in head

    nc = text_of(inbox.one(address("dang.thuha")))
    assert codes_in(nc) == {code["petition"]} == codes_in(text_of(inbox.one(address("do.minhdat"))))
    assert "Hạn: 28/04/2022, đến hạn hôm nay (Sắp đến hạn)" in nc

    digests = models.MailDigest.select().where(models.MailDigest.day == DAY)
    recorded = {(d.user.username, d.kind, d.items) for d in digests}
    assert recorded == {("specialist", "unit", 3), ("unit_head", "unit", 5), ("dang.thuha", "unit", 1),
                        ("do.minhdat", "unit", 1), ("coordinator", "coordinator", 7)}
    assert models.AuditLog.select().where(models.AuditLog.action == "send_digest").count() == 5
    assert result.output.strip().splitlines()[-1].startswith("Đã gửi 5 thư, bỏ qua 0 người nhận")


def test_the_coordinator_gets_a_summary_by_unit(app, db, inbox, items):
    assert remind(app, "--date", DAY.isoformat()).exit_code == 0
    summary = inbox.one(address("coordinator"), kind="Tổng hợp")
    assert summary["Subject"] == ("[Đôn đốc] Tổng hợp 28/04/2022: 7 việc sắp đến hạn, quá hạn "
                                  "(1 quá hạn nghiêm trọng, 4 quá hạn, 2 sắp đến hạn)")
    text = text_of(summary)
    assert summary_rows(text) == {
        "Phòng Kinh tế ngành": {"Ý kiến, kiến nghị": (1, 2, 1), "Kết luận": (0, 1, 0)},
        "Phòng Nội chính": {"Ý kiến, kiến nghị": (0, 0, 1), "Kết luận": (0, 0, 0)},
        "Chưa giao đơn vị": {"Ý kiến, kiến nghị": (0, 1, 0), "Kết luận": (0, 0, 0)},
        "Tổng cộng": {"Ý kiến, kiến nghị": (1, 3, 2), "Kết luận": (0, 1, 0)},
    }
    assert "<td>Phòng Nội chính</td><td>0</td><td>0</td><td>1</td>" in html_of(summary)
    assert codes_in(text) == set()  # counts, not the items


def test_a_second_run_the_same_day_sends_nothing_and_says_so(app, db, inbox, items):
    assert remind(app, "--date", DAY.isoformat()).exit_code == 0
    assert len(inbox.messages) == 5
    again = remind(app, "--date", DAY.isoformat())
    assert again.exit_code == 0, again.output
    assert len(inbox.messages) == 5
    assert "Không có thư mới: cả 5 thư đôn đốc đã gửi trước đó trong ngày 28/04/2022." in again.output
    assert "Đã gửi 0 thư, bỏ qua 0 người nhận (chưa có e-mail hoặc tài khoản bị khóa), 5 thư đã gửi trước đó" \
        in again.output
    assert models.MailDigest.select().count() == 5
    # The next working day is a new day.
    assert remind(app, "--date", "2022-04-29").exit_code == 0
    assert len(inbox.messages) == 10


def test_no_mail_names_a_denouncer_or_any_submitter(app, db, inbox, items):
    assert remind(app, "--date", DAY.isoformat()).exit_code == 0
    assert len(inbox.messages) == 5
    secrets = [DENOUNCER, PETITIONER, "0912 345 678", "0912345678", "to.nga@example.vn", "thôn Phú Mỹ",
               "0987 654 321"]
    for _, msg, raw in inbox.messages:
        seen = "\n".join([str(msg["Subject"]), str(msg["To"]), text_of(msg), html_of(msg)])
        for secret in secrets:
            assert secret not in seen
            assert fold(secret) not in fold(seen)
            assert secret.encode() not in raw
    text = text_of(inbox.one(address("specialist")))
    block = text[text.index(items["denunciation"].code):]
    assert block.splitlines()[1] == ("   Nội dung: Đơn tố cáo: nội dung và người tố cáo được bảo mật, "
                                     "xem trong hệ thống.")
    petition = text_of(inbox.one(address("dang.thuha")))
    assert "kiến nghị nạo vét kênh thủy lợi Đồng Me." in petition and "[bảo mật]" in petition
    conclusion = text_of(inbox.one(address("unit_head")))
    assert "xử lý nội dung tố cáo của bà [bảo mật]." in conclusion


def test_users_without_address_or_inactive_are_skipped_and_reported(app, db, inbox, items):
    models.User.update(email="").where(models.User.username == "unit_head").execute()
    models.User.update(active=False).where(models.User.username == "dang.thuha").execute()
    result = remind(app, "--date", DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert inbox.recipients == sorted(address(u) for u in ("specialist", "do.minhdat", "coordinator"))
    assert "Bỏ qua Trần Văn Dũng (unit_head): chưa có địa chỉ e-mail." in result.output
    assert "Bỏ qua Đặng Thị Thu Hà (dang.thuha): tài khoản đã bị khóa." in result.output
    assert "Đã gửi 3 thư, bỏ qua 2 người nhận" in result.output
    summary = text_of(inbox.one(address("coordinator"), kind="Tổng hợp"))
    assert "   - Trần Văn Dũng (Phòng Kinh tế ngành): chưa có địa chỉ e-mail" in summary
    assert not models.MailDigest.select().where(models.MailDigest.user == user("unit_head").id).exists()


def test_a_refused_recipient_does_not_block_the_others_and_is_sent_on_the_next_run(app, db, inbox, items):
    inbox.refuse.add(address("specialist"))
    result = remind(app, "--date", DAY.isoformat())
    assert result.exit_code == 1
    assert "LỖI gửi tới Lê Thị Thanh Tâm <specialist@vpubnd.example.vn>: 550 5.1.1 Mailbox unavailable" \
        in result.output
    assert "Đã gửi 4 thư, bỏ qua 0 người nhận (chưa có e-mail hoặc tài khoản bị khóa), 0 thư đã gửi trước đó " \
           "trong ngày, 1 thư lỗi." in result.output
    assert inbox.recipients == sorted(address(u) for u in ("unit_head", "dang.thuha", "do.minhdat", "coordinator"))
    sent = {d.user.username for d in models.MailDigest.select()}
    assert sent == {"unit_head", "dang.thuha", "do.minhdat", "coordinator"}

    inbox.refuse.clear()
    retry = remind(app, "--date", DAY.isoformat())
    assert retry.exit_code == 0, retry.output
    assert [rcpts for rcpts, _, _ in inbox.messages[4:]] == [[address("specialist")]]
    assert "Đã gửi 1 thư, bỏ qua 0 người nhận (chưa có e-mail hoặc tài khoản bị khóa), 4 thư đã gửi trước đó" \
        in retry.output


def test_an_unreachable_mail_server_records_nothing(app, db, inbox, items):
    app.config["MAIL_PORT"] = free_port()  # nobody listens there
    result = remind(app, "--date", DAY.isoformat())
    assert result.exit_code == 1
    assert "không kết nối được máy chủ thư 127.0.0.1:%d" % app.config["MAIL_PORT"] in result.output
    assert "Đã gửi 0 thư" in result.output and "5 thư lỗi" in result.output
    assert models.MailDigest.select().count() == 0


def test_dry_run_prints_the_digests_and_sends_or_records_nothing(app, db, inbox, items):
    result = remind(app, "--date", DAY.isoformat(), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "=== Tới: Lê Thị Thanh Tâm <specialist@vpubnd.example.vn>" in result.output
    assert "=== Tiêu đề: [Đôn đốc] 28/04/2022: 1 quá hạn nghiêm trọng, 1 quá hạn, 1 sắp đến hạn" in result.output
    assert "Chạy thử: sẽ gửi 5 thư, bỏ qua 0 người nhận, 0 thư đã gửi hôm nay" in result.output
    assert DENOUNCER not in result.output
    assert inbox.messages == []
    assert models.MailDigest.select().count() == 0


def test_nothing_is_sent_on_a_day_off_unless_asked(app, db, inbox, items):
    result = remind(app, "--date", "2022-05-02")  # in lieu of 30/4 (a Saturday)
    assert result.exit_code == 0
    assert "Thứ Hai, ngày 02/05/2022 là ngày nghỉ: không gửi thư đôn đốc" in result.output
    assert inbox.messages == []
    assert remind(app, "--date", "2022-05-02", "--any-day").exit_code == 0
    assert len(inbox.messages) == 5


def test_a_day_with_nothing_due_sends_nothing(app, db, inbox):
    result = remind(app, "--date", DAY.isoformat())
    assert result.exit_code == 0, result.output
    assert "0 việc sắp đến hạn hoặc quá hạn (không có)" in result.output
    assert "Đã gửi 0 thư" in result.output
    assert inbox.messages == []
