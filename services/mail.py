"""Sending e-mail over SMTP with the MAIL_* settings: one connection a run, errors in words."""
import smtplib
import ssl


class MailServerError(Exception):
    """The mail server cannot be reached or refuses the session (nothing more can be sent)."""


class Mailer:
    """One SMTP connection for the whole run, opened on the first message."""

    def __init__(self, config):
        self.config = config
        self.smtp = None

    def _connect(self):
        config = self.config
        try:
            smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30)
            if config.get("MAIL_USE_STARTTLS"):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
        except (OSError, smtplib.SMTPException) as error:
            raise MailServerError("%s:%s: %s" % (config["MAIL_SERVER"], config["MAIL_PORT"], error)) from error
        return smtp

    def send(self, message):
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self.smtp = None  # the next message connects again (once)
            raise

    def close(self):
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self.smtp = None


def describe_error(error):
    """What the server said about a refused message, as one line."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        error = next(iter(error.recipients.values()), error)
        if isinstance(error, tuple):
            code, text = error
            return "%s %s" % (code, text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        return "%s %s" % (error.smtp_code, text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    return str(error) or error.__class__.__name__
