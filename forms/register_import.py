"""Validation of the register import: the uploaded file, and the columns mapped by hand on the preview."""
from flask_wtf.file import FileField
from wtforms.validators import ValidationError

from forms import BaseForm
from services.register_columns import COLUMNS
from services.spreadsheet_readers import EXTENSIONS, extension_of

MAX_COLUMNS = 200  # columns read from a mapping form


class UploadForm(BaseForm):
    """The register file to import: XLSX, XLS or CSV."""

    file = FileField("Tệp sổ theo dõi (.xlsx, .xls, .csv)")

    def validate_file(self, field):
        upload = field.data
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationError("Vui lòng chọn tệp sổ theo dõi cần nhập.")
        if extension_of(upload.filename) not in EXTENSIONS:
            raise ValidationError("Chỉ nhận tệp .xlsx, .xls hoặc .csv.")


def chosen_mapping(formdata):
    """{column index: target or ""} from the preview's selects (`col-<index>`); anything unknown is left out."""
    chosen = {}
    for index in range(MAX_COLUMNS):
        value = formdata.get("col-%d" % index)
        if value is None:
            continue
        if value == "" or value in COLUMNS:
            chosen[index] = value
    return chosen or None


def mapping_error(chosen, headers):
    """A message when two columns are mapped by hand to the same field, else None."""
    seen = {}
    for index, target in sorted((chosen or {}).items()):
        if not target:
            continue
        if target in seen:
            first = headers[seen[target]] if seen[target] < len(headers) else ""
            this = headers[index] if index < len(headers) else ""
            return "Cột “%s” và cột “%s” cùng được gán cho “%s”; mỗi mục chỉ gán một cột." % (
                first, this, COLUMNS[target][0])
        seen[target] = index
    return None
