"""Validation of a user's own password change (the same length rules as the admin's reset)."""
from wtforms import PasswordField
from wtforms.validators import DataRequired, ValidationError

from forms import REQUIRED, BaseForm
from forms.admin import CONFIRM_RULES, PASSWORD_RULES


class PasswordChangeForm(BaseForm):
    current = PasswordField("Mật khẩu hiện tại", validators=[DataRequired(REQUIRED % "mật khẩu hiện tại")])
    password = PasswordField("Mật khẩu mới", validators=PASSWORD_RULES)
    confirm = PasswordField("Nhập lại mật khẩu mới", validators=CONFIRM_RULES)

    def validate_password(self, field):
        if field.data and field.data == self.current.data:
            raise ValidationError("Mật khẩu mới cần khác mật khẩu hiện tại.")
