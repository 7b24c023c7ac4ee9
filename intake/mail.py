"""The confirmation mail to a citizen who gave an e-mail: the code and the lookup address, never the content.

Sent with services.mail (SMTP with the MAIL_* settings, no models) when MAIL_SERVER is set; a mail
that cannot be sent is logged and the receipt is still shown (the code is on the page).
"""
import logging
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from services import mail

log = logging.getLogger(__name__)


def _message(config, to, subject, lines):
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = formataddr(("", to))
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="dichvu.local")
    message.set_content("\n".join(lines) + "\n")
    return message


def receipt_message(config, to, code, kind_label, lookup_url):
    return _message(config, to, "Đã tiếp nhận yêu cầu %s" % code, [
        "Văn phòng UBND tỉnh đã tiếp nhận %s của ông/bà." % kind_label.lower(),
        "",
        "Mã tra cứu: %s" % code,
        "Tra cứu tình trạng tại: %s (nhập mã tra cứu)." % lookup_url,
        "",
        "Thư này được gửi tự động; xin không trả lời thư.",
    ])


def send(config, message):
    """Send one message; False (and a log line without the address) when the server refuses or is away."""
    if not config.get("MAIL_SERVER"):
        return False
    mailer = mail.Mailer(config)
    try:
        mailer.send(message)
        return True
    except Exception as error:  # noqa: BLE001  (any mail failure: the receipt still shows the code)
        log.warning("mail not sent: %s", mail.describe_error(error))
        return False
    finally:
        mailer.close()
