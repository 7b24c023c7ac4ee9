"""Forms of Công khai: a conclusion's public summary and flags, a take-down, a republish, a run."""
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from forms import BaseForm, strip, valid_version
from services.publish_review import publish_refusal


class SummaryForm(BaseForm):
    """A conclusion's public summary and its publish flags."""

    public_summary = TextAreaField("Tóm tắt công khai", filters=[strip], validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    is_public = BooleanField("Công khai trên trang Dân biết")
    publish_in_progress = BooleanField("Công khai cả khi đang thực hiện")
    version = HiddenField(validators=[valid_version])

    def validate_is_public(self, field):
        if field.data:
            refusal = publish_refusal(self.public_summary.data)
            if refusal:
                raise ValidationError(refusal)


class TakeDownForm(BaseForm):
    reason = TextAreaField("Lý do gỡ xuống", filters=[strip], validators=[
        DataRequired("Vui lòng ghi lý do gỡ xuống."), Length(max=250, message="Tối đa 250 ký tự.")])
    version = HiddenField(validators=[valid_version])


class RepublishForm(BaseForm):
    version = HiddenField(validators=[valid_version])


class StartForm(BaseForm):
    publish = BooleanField("Đăng lên máy chủ web sau khi xuất", default=True)
