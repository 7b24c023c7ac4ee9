"""Validation of proposals (Art. 8): recording, the content department, appraisals, decision, the dialogue made."""
from werkzeug.datastructures import MultiDict
from wtforms import DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from forms import BaseForm, IdSelectField, valid_version
from forms.dialogues import DialogueForm, options
from models import DIALOGUE_KINDS, PROPOSAL_STATUSES, Agency, Appraisal, Unit, today
from services.proposals import day_text


def _not_future(form, field):
    if field.data and field.data > today():
        raise ValidationError("Ngày không được sau hôm nay (%s)." % day_text(today()))


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class ProposalForm(BaseForm):
    """A proposal as received: who proposes, what, by which document, when."""

    agency_id = IdSelectField("Cơ quan đề xuất", validators=[InputRequired("Vui lòng chọn cơ quan đề xuất.")])
    title = StringField("Tên đề xuất", validators=[
        DataRequired("Vui lòng nhập tên đề xuất."), Length(max=300, message="Tối đa 300 ký tự.")])
    content = TextAreaField("Nội dung đề xuất đối thoại", validators=[
        DataRequired("Vui lòng nhập nội dung đề xuất."), Length(max=20000, message="Tối đa 20.000 ký tự.")])
    document_ref = StringField("Văn bản đề xuất", validators=[
        DataRequired("Vui lòng nhập số, ký hiệu văn bản đề xuất."), Length(max=200, message="Tối đa 200 ký tự.")])
    received_on = DateField("Ngày tiếp nhận", format=DATE_FORMATS,
                            validators=[InputRequired("Vui lòng nhập ngày tiếp nhận."), _not_future])
    version = HiddenField()

    def __init__(self, *args, proposal=None, **kwargs):
        super().__init__(*args, **kwargs)
        if proposal is not None:  # an edit says which version it started from
            self.version.validators = [valid_version]
        agencies = Agency.proposing(keep=proposal.agency_id if proposal is not None else None)
        self.agency_ids = {a.id for a in agencies}
        self.agency_id.choices = options([("", "— Chọn cơ quan —")] + [(a.id, a.name) for a in agencies])

    def validate_agency_id(self, field):
        if field.data not in self.agency_ids:
            raise ValidationError("Cơ quan đề xuất không hợp lệ (chỉ Sở, ban, ngành; UBND huyện, thành phố).")

    def fill(self, proposal):
        self.agency_id.data = proposal.agency_id
        for name in ("title", "content", "document_ref", "received_on", "version"):
            getattr(self, name).data = getattr(proposal, name)

    def values(self):
        return {"agency": self.agency_id.data, "title": self.title.data.strip(),
                "content": self.content.data.strip(), "document_ref": self.document_ref.data.strip(),
                "received_on": self.received_on.data}


class AssignForm(BaseForm):
    """The content department (phòng, ban khối nội dung) that advises on the proposal."""

    content_unit = IdSelectField("Phòng, ban khối nội dung chủ trì tham mưu",
                                 validators=[InputRequired("Vui lòng chọn phòng, ban chủ trì.")])
    version = HiddenField(validators=[valid_version])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = list(Unit.select().where(Unit.kind == "content", Unit.active).order_by(Unit.name))
        self.unit_ids = {u.id for u in units}
        self.content_unit.choices = options([("", "— Chọn phòng, ban —")] + [(u.id, u.name) for u in units])

    def validate_content_unit(self, field):
        if field.data not in self.unit_ids:
            raise ValidationError("Chỉ giao cho phòng, ban khối nội dung đang hoạt động.")


class StartForm(BaseForm):
    version = HiddenField(validators=[valid_version])


class AppraisalForm(BaseForm):
    """One appraising body's opinion (Ban Dân vận Tỉnh ủy, Ủy ban MTTQ Việt Nam tỉnh)."""

    body = IdSelectField("Cơ quan thẩm định", validators=[InputRequired("Vui lòng chọn cơ quan thẩm định.")])
    agrees = RadioField("Kết quả", choices=options({"yes": "Thống nhất", "no": "Không thống nhất"}),
                        validators=[InputRequired("Vui lòng chọn thống nhất hay không thống nhất.")],
                        validate_choice=True)
    opinion = TextAreaField("Ý kiến thẩm định", validators=[
        DataRequired("Vui lòng nhập ý kiến thẩm định."), Length(max=5000, message="Tối đa 5.000 ký tự.")])
    at = DateField("Ngày có ý kiến", format=DATE_FORMATS,
                   validators=[InputRequired("Vui lòng nhập ngày có ý kiến."), _not_future])

    def __init__(self, *args, proposal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        bodies = Agency.appraisers()
        self.body_ids = {b.id for b in bodies}
        self.body.choices = options([("", "— Chọn cơ quan —")] + [(b.id, b.name) for b in bodies])

    def validate_body(self, field):
        if field.data not in self.body_ids:
            raise ValidationError("Cơ quan thẩm định không hợp lệ.")
        if self.proposal is not None and Appraisal.select().where(
                Appraisal.proposal == self.proposal.id, Appraisal.body == field.data).exists():
            raise ValidationError("Cơ quan này đã có ý kiến thẩm định cho đề xuất.")

    def validate_at(self, field):
        if self.proposal is not None and field.data and field.data < self.proposal.received_on:
            raise ValidationError("Ngày có ý kiến không được trước ngày tiếp nhận đề xuất (%s)."
                                  % day_text(self.proposal.received_on))


DECISIONS = {"accepted": "Chấp thuận", "returned": "Trả lại (nêu lý do)"}


class DecisionForm(BaseForm):
    """The chief's decision after the appraisal."""

    decision = RadioField("Quyết định", choices=options(DECISIONS), validate_choice=True,
                          validators=[InputRequired("Vui lòng chọn chấp thuận hoặc trả lại.")])
    decision_note = TextAreaField("Ý kiến, lý do", validators=[Length(max=5000, message="Tối đa 5.000 ký tự.")])
    version = HiddenField(validators=[valid_version])

    def validate_decision_note(self, field):
        if self.decision.data == "returned" and not (field.data or "").strip():
            raise ValidationError("Trả lại đề xuất phải nêu rõ lý do.")


class ProposalDialogueForm(DialogueForm):
    """A dialogue of the Chairman with the People, from an accepted proposal, with its program."""

    agenda = TextAreaField("Chương trình (các nội dung, theo thứ tự)", validators=[
        DataRequired("Vui lòng nhập chương trình đối thoại."), Length(max=20000, message="Tối đa 20.000 ký tự.")])
    briefing = TextAreaField("Nội dung chuẩn bị đối thoại (tài liệu phục vụ Chủ tịch UBND tỉnh)", validators=[
        DataRequired("Vui lòng nhập nội dung chuẩn bị đối thoại."),
        Length(max=50000, message="Tối đa 50.000 ký tự.")])
    proposal_version = HiddenField(validators=[valid_version])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One content or field, at the People's request: never a periodic (conference) dialogue.
        self.kind.choices = options((k, v) for k, v in DIALOGUE_KINDS.items() if k != "periodic")



def chairman_dialogue_data(formdata):
    """What was posted, with the facts of a Chairman's dialogue fixed (not typed)."""
    data = MultiDict(formdata)
    data.setlist("audience", ["citizens"])
    data.setlist("is_chairman", ["y"])
    data.setlist("occasion", [""])
    return data


class ProgramForm(BaseForm):
    """The program of the dialogue made from a proposal, edited while it is prepared."""

    agenda = ProposalDialogueForm.agenda
    briefing = ProposalDialogueForm.briefing
    version = HiddenField(validators=[valid_version])



def conflict_fields(current):
    """The stored values another person saved, as (label, value) for `_macros.conflict`."""
    return [("Cơ quan đề xuất", current.agency.name), ("Tên đề xuất", current.title),
            ("Văn bản đề xuất", current.document_ref), ("Ngày tiếp nhận", day_text(current.received_on)),
            ("Nội dung", current.content),
            ("Phòng, ban chủ trì", current.content_unit.name if current.content_unit_id else ""),
            ("Trạng thái", PROPOSAL_STATUSES.get(current.status, current.status))]


def program_conflict_fields(current):
    return [("Chương trình", current.agenda), ("Nội dung chuẩn bị đối thoại", current.briefing)]
