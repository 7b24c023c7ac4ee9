"""The follow-up forms of a conclusion: a progress entry, and closing or reopening it."""
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from forms import BaseForm
from models import FollowUp, today
from services.conclusions import TARGET_LABELS


def _required_date(message):
    """Like InputRequired, but its message replaces the parse error of an empty date."""
    def check(form, field):
        if not field.raw_data or not (field.raw_data[0] or "").strip():
            field.errors[:] = []
            raise StopValidation(message)
    return check


class VersionedForm(BaseForm):
    version = IntegerField(widget=HiddenInput(), validators=[DataRequired("Thiếu phiên bản hồ sơ.")])

    def __init__(self, *args, conclusion=None, **kwargs):
        self.conclusion = conclusion
        super().__init__(*args, **kwargs)


class ProgressForm(VersionedForm):
    """A progress entry: what was done, how far along, on which day."""

    note = TextAreaField("Nội dung đã thực hiện", validators=[
        DataRequired("Vui lòng nhập nội dung đã thực hiện."), Length(max=2000, message="Tối đa 2.000 ký tự.")])
    percent_done = IntegerField("Tỷ lệ hoàn thành (%)", validators=[
        InputRequired("Vui lòng nhập tỷ lệ hoàn thành (0–100)."),
        NumberRange(0, 100, "Tỷ lệ hoàn thành từ 0 đến 100.")])
    day = DateField("Ngày thực hiện", format=["%Y-%m-%d", "%d/%m/%Y"],
                    validators=[_required_date("Vui lòng nhập ngày thực hiện.")])

    @classmethod
    def of(cls, conclusion):
        """An empty entry for the conclusion: its version and percent done, dated today."""
        return cls(formdata=None, conclusion=conclusion,
                   data={"version": conclusion.version, "percent_done": conclusion.percent_done, "day": today()})

    def validate_percent_done(self, field):
        floor = self.conclusion.progress_floor() if self.conclusion else 0
        if field.data is not None and field.data < floor:
            raise ValidationError("Tỷ lệ hoàn thành không được thấp hơn mức đã ghi nhận (%d%%)." % floor)

    def validate_day(self, field):
        if field.data is None:
            return
        if field.data > today():
            raise ValidationError("Ngày thực hiện không được sau hôm nay (%s)." % today().strftime("%d/%m/%Y"))
        signed = getattr(self.conclusion, "notice_signed_at", None)
        if signed and field.data < signed.date():
            raise ValidationError("Ngày thực hiện không được trước ngày ký thông báo (%s)."
                                  % signed.strftime("%d/%m/%Y"))
        if self.conclusion is not None:  # progress reads in date order: no entry before the latest one
            latest = FollowUp.last_progress_at(self.conclusion)
            if latest and field.data < latest.date():
                raise ValidationError("Ngày thực hiện không được trước lần ghi tiến độ gần nhất (%s)."
                                      % latest.strftime("%d/%m/%Y"))


class StatusForm(VersionedForm):
    to = SelectField("Thao tác", validate_choice=False)
    note = TextAreaField("Ghi chú, lý do", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])

    def validate_to(self, field):
        if field.data not in TARGET_LABELS:
            raise ValidationError("Vui lòng chọn thao tác.")

    def validate_note(self, field):
        if field.data is None or not field.data.strip():
            if self.to.data == "reopen":
                raise ValidationError("Cần ghi lý do mở lại kết luận.")
            raise ValidationError("Cần ghi kết quả hoặc lý do khi kết thúc kết luận.")
