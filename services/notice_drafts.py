"""Drafting a conclusion notice: its first text from a held dialogue, its conclusions, and its document.

The draft's body lists the opinions discussed at the dialogue (never who raised them, never a
denunciation); a draft conclusion for a ticked opinion takes the unit's draft answer, its unit,
specialist and deadline. The document (printable page and DOCX) is laid out by services/documents.py;
a draft has a blank number and is marked DỰ THẢO.
"""
import re

import peewee as pw

import models
from models import Conclusion, ConclusionNotice, ConclusionOpinion, ConflictError, Opinion, Unit, audit, db
from services import deadlines, documents
from services.notices import DOC_TYPE, require_draft

DEFAULT_RECIPIENTS = ("Lãnh đạo Văn phòng", "Các phòng, ban, đơn vị, đoàn thể thuộc Văn phòng")


# ---------------------------------------------------------------- the first draft

def dialogue_opinions(dialogue_id, user):
    """Opinions raised at the dialogue that the user may see, in register order (no identity is ever shown)."""
    return list(Opinion.visible_to(user, Opinion.select()).where(Opinion.dialogue == dialogue_id)
                .order_by(Opinion.id))


def linkable_opinions(notice, user, conclusion=None):
    """The opinions a conclusion of the notice may answer: the dialogue's, plus any linked to it already."""
    opinions = dialogue_opinions(notice.dialogue_id, user)
    if conclusion is not None:
        have = {o.id for o in opinions}
        opinions += [o for o in Opinion.visible_to(user, Opinion.select()).join(ConclusionOpinion)
                     .where(ConclusionOpinion.conclusion == conclusion.id) if o.id not in have]
    return opinions


def excerpt(text, limit=160):
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def _chair_title(dialogue):
    return "Chủ tịch UBND tỉnh" if dialogue.is_chairman else "Chánh Văn phòng"


def draft_title(dialogue):
    title = dialogue.title.replace("Đối thoại của Chủ tịch UBND tỉnh", "Đối thoại", 1)
    return ("Thông báo ý kiến kết luận của %s tại buổi %s" % (_chair_title(dialogue),
                                                              title[:1].lower() + title[1:]))[:300]


def draft_body(dialogue, opinions):
    """The body's first draft: the meeting, the opinions discussed (never who raised them), the closing."""
    who = _chair_title(dialogue)
    audience = ("công chức, viên chức, người lao động Văn phòng" if dialogue.audience == "staff"
                else "công dân và đại diện các cơ quan, đơn vị liên quan")
    chair = dialogue.chair or who
    lines = ["Ngày %s, tại %s, %s chủ trì buổi %s. Tham dự có %s%s." % (
        dialogue.starts_at.strftime("%d/%m/%Y"), dialogue.place or "…", chair,
        dialogue.title[:1].lower() + dialogue.title[1:], audience,
        " (%d người)" % dialogue.attendance if dialogue.attendance else ""), ""]
    discussed = [o for o in opinions if o.kind != "denunciation"]
    if discussed:
        lines += ["## Các ý kiến, kiến nghị đã trao đổi", ""]
        lines += ["- %s (%s): %s" % (o.code, o.kind_label.lower(), excerpt(o.content)) for o in discussed]
        lines.append("")
    lines += ["## Kết luận", "",
              "Sau khi nghe các ý kiến, kiến nghị và ý kiến trả lời của các phòng, ban, đơn vị, %s kết luận "
              "như sau:" % who, ""]
    if dialogue.directions:
        lines += [dialogue.directions.strip(), ""]
    lines.append("Phòng Tổ chức-Hành chính-Quản trị theo dõi, đôn đốc việc thực hiện. Văn phòng UBND tỉnh thông "
                 "báo để các phòng, ban, đơn vị và cá nhân liên quan biết, thực hiện./.")
    return "\n".join(lines) + "\n"


def first_draft(dialogue, opinions):
    """What the new-notice form starts with: title, body, recipients, and the opinions with a drafted answer."""
    return {"title": draft_title(dialogue), "body_md": draft_body(dialogue, opinions),
            "recipients": "\n".join(DEFAULT_RECIPIENTS),
            "opinion_ids": [o.id for o in opinions if o.status == "answer_drafted"]}


def conclusion_from_opinion(opinion):
    """A draft conclusion's values for an opinion (the unit's draft answer, its unit, specialist and deadline)."""
    unit = Unit.get_or_none(Unit.id == opinion.assigned_unit_id) if opinion.assigned_unit_id else None
    decision = (opinion.draft_answer or "").strip() or (
        "Giao %s nghiên cứu, giải quyết ý kiến %s." % (unit.name if unit else "đơn vị liên quan", opinion.code))
    deadline = opinion.deadline if opinion.deadline and opinion.deadline >= models.today() else \
        deadlines.add_deadline(models.today(), 10, "working")
    return {"decision": decision, "responsible_unit": opinion.assigned_unit_id,
            "responsible_user": opinion.assigned_to_id, "deadline": deadline, "field": opinion.field_id}


def create_draft(dialogue, user, values, opinions):
    """The draft notice of a held dialogue (`values`: title, body, recipients), with a draft conclusion
    answering each of `opinions`."""
    with db.atomic():
        notice = ConclusionNotice.create(dialogue=dialogue.id, status="draft", doc_type=DOC_TYPE,
                                         created_by=user.id, **values)
        models.record_transition(notice, user, "", "draft", "Soạn dự thảo")
        audit(user, "create", notice, {k: (None, v) for k, v in values.items()},
              summary="Soạn thông báo kết luận: %s" % notice.title)
        for opinion in opinions:
            row = conclusion_from_opinion(opinion)
            conclusion = Conclusion.create(notice=notice.id, **row)
            ConclusionOpinion.create(conclusion=conclusion.id, opinion=opinion.id)
            changes = {k: (None, v) for k, v in row.items()}
            changes["opinions"] = ([], [opinion.id])
            audit(user, "create", conclusion, changes, summary="Thêm kết luận cho ý kiến %s" % opinion.code)
    return notice


def save_notice(notice, user, version, values):
    """Save a draft's title, body and recipients; raises ConflictError."""
    return models.save_versioned(notice, version, user, values, summary="Sửa thông báo kết luận: %s" % values["title"])


# ---------------------------------------------------------------- the draft's conclusions

def link_opinions(conclusion, opinion_ids):
    """Make the conclusion answer exactly these opinions; returns the audit diff (or {})."""
    have = {link.opinion_id for link in ConclusionOpinion.select().where(ConclusionOpinion.conclusion == conclusion.id)}
    wanted = set(opinion_ids)
    if have == wanted:
        return {}
    if have - wanted:
        ConclusionOpinion.delete().where(ConclusionOpinion.conclusion == conclusion.id,
                                         ConclusionOpinion.opinion.in_(have - wanted)).execute()
    for opinion_id in sorted(wanted - have):
        ConclusionOpinion.create(conclusion=conclusion.id, opinion=opinion_id)
    return {"opinions": (sorted(have), sorted(wanted))}


def add_conclusion(notice, user, values, opinion_ids):
    """A new conclusion of a draft notice; raises NotAllowed if the notice left the draft meanwhile."""
    with db.atomic():
        require_draft(ConclusionNotice.get_by_id(notice.id))
        conclusion = Conclusion.create(notice=notice.id, **values)
        changes = {k: (None, v) for k, v in values.items()}
        changes.update(link_opinions(conclusion, opinion_ids))
        audit(user, "create", conclusion, changes, summary="Thêm kết luận vào thông báo: %s" % notice.title)
    return conclusion


def save_conclusion(conclusion, notice, user, version, values, opinion_ids):
    """Save a conclusion of a draft notice and the opinions it answers; raises ConflictError."""
    if sorted(opinion_ids) != sorted(link.opinion_id for link in conclusion.opinion_links):
        values = dict(values, updated_at=models.now())  # the links changed: the version grows too
    with db.atomic():
        saved = models.save_versioned(conclusion, version, user, values,
                               summary="Sửa kết luận của thông báo: %s" % notice.title)
        links = link_opinions(saved, opinion_ids)
        if links:
            audit(user, "update", saved, links, summary="Sửa ý kiến được trả lời của kết luận #%d" % saved.id)
    return saved


def delete_conclusion(conclusion, notice, user, version):
    """Remove a conclusion from a draft notice, only at the version that was shown (else ConflictError)."""
    if int(version) != conclusion.version:
        raise ConflictError(conclusion)
    with db.atomic():
        links = sorted(link.opinion_id for link in conclusion.opinion_links)
        audit(user, "delete", conclusion, {"decision": (conclusion.decision, None), "opinions": (links, [])},
              summary="Xóa kết luận khỏi thông báo: %s" % notice.title)
        Conclusion.delete().where(Conclusion.id == conclusion.id).execute()


# ---------------------------------------------------------------- the document

def summary_line(title):
    """The trích yếu under "THÔNG BÁO": the title without its leading "Thông báo"."""
    text = re.sub(r"^\s*thông báo\s+", "", title or "", flags=re.IGNORECASE).strip()
    return text[:1].upper() + text[1:]


def conclusion_table(conclusions):
    rows = [[str(i), c.decision, c.responsible_unit.name if c.responsible_unit_id else "",
             c.deadline.strftime("%d/%m/%Y") if c.deadline else ""] for i, c in enumerate(conclusions, start=1)]
    return ("Phân công thực hiện", ["TT", "Nội dung kết luận", "Đơn vị thực hiện", "Thời hạn"], rows)


def administrative_document(notice, province="…", place="…"):
    """The notice as a Decree 30 document (a draft has a blank number and is marked DỰ THẢO)."""
    conclusions = list(Conclusion.select(Conclusion, Unit).join(Unit, pw.JOIN.LEFT_OUTER)
                       .where(Conclusion.notice == notice.id).order_by(Conclusion.id))
    signed = notice.status == "signed"
    signer = notice.signed_by if signed and notice.signed_by_id else None
    return documents.AdministrativeDocument(
        doc_type=notice.doc_type, type_name="THÔNG BÁO", summary=summary_line(notice.title), body_md=notice.body_md,
        number=notice.number if signed else None, year=notice.year if signed else None,
        signed_on=notice.signed_at.date() if signed and notice.signed_at else None,
        signer_name=signer.full_name if signer else "",
        recipients=[line for line in (notice.recipients or "").splitlines() if line.strip()],
        tables=[conclusion_table(conclusions)] if conclusions else [], province=province, place=place,
        draft=not signed)


def docx_filename(notice):
    if notice.status == "signed":
        return "thong-bao-%02d-%s-VP-%d%s.docx" % (notice.number, notice.doc_type, notice.year,
                                                    "-dinh-chinh-%d" % (notice.revision - 1) if notice.revision > 1
                                                    else "")
    return "du-thao-thong-bao-%d.docx" % notice.id


def docx(notice, province="…", place="…"):
    """(the notice as DOCX bytes, its download name)."""
    return documents.render_docx(administrative_document(notice, province, place)), docx_filename(notice)
