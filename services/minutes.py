"""Minutes (Biên bản, BB) of a held dialogue: saving them, and the document in the Decree 30 layout.

The minutes hold the time and place, the chair and the secretary, the attendance (in all and by
group), the content discussed, every opinion raised at the dialogue with the answer given there and
the chair's direction (MinutesAnswer), the chair's conclusions, then the signatures of the secretary
and the chair. A denouncer's identity never appears: a denunciation is shown without its author, and
the names and contacts of denouncers (with any phone, e-mail or ID number, services.privacy) are
masked in every text of the minutes, since a printed or downloaded file's readers cannot be logged.
"""
from models import Dialogue, MinutesAnswer, Opinion, audit, db, now, save_versioned
from services import documents, privacy

DOC_TYPE = "BB"
GROUPS = (("attendance_leaders", "lãnh đạo"), ("attendance_staff", "công chức, viên chức, người lao động"),
          ("attendance_citizens", "công dân"), ("attendance_guests", "khách mời"))
HIDDEN = "[giữ bí mật]"
DENOUNCER = "Người tố cáo (thông tin về người tố cáo được giữ bí mật)"
NO_NAME = "Người nêu ý kiến không ghi tên"


def raised_opinions(dialogue):
    """The opinions raised at the dialogue, in the order they were recorded."""
    return list(Opinion.select().where(Opinion.dialogue == dialogue.id).order_by(Opinion.received_on, Opinion.id))


def _secrets(opinions):
    """What must never be printed: the denouncers' names and contacts, and everyone's contacts."""
    out = []
    for opinion in opinions:
        if opinion.kind == "denunciation":
            out.append(opinion.submitter_name)
        out.append(opinion.submitter_contact)
    return [s for s in out if s and s.strip()]


def _cleaned(text, secrets):
    """`text` with the secrets and any personal data masked, line by line (paragraphs and lists kept)."""
    return "\n".join(privacy.masked(line, HIDDEN, secrets) if line.strip() else ""
                     for line in (text or "").splitlines())


def _speaker(opinion):
    if opinion.kind == "denunciation":
        return DENOUNCER
    return opinion.submitter_name.strip() or NO_NAME


def items(dialogue, opinions=None):
    """[{code, kind, speaker, content, answer, direction}] for every opinion raised, denouncers hidden."""
    opinions = raised_opinions(dialogue) if opinions is None else opinions
    secrets = _secrets(opinions)
    answers = MinutesAnswer.of_dialogue(dialogue)
    out = []
    for opinion in opinions:
        entry = answers.get(opinion.id)
        out.append({"id": opinion.id, "code": opinion.code, "kind": opinion.kind_label, "speaker": _speaker(opinion),
                    "content": _cleaned(opinion.content, secrets),
                    "answer": _cleaned(entry.answer if entry else "", secrets),
                    "direction": _cleaned(entry.direction if entry else "", secrets)})
    return out


def attendance_text(dialogue):
    """"92 người, gồm: lãnh đạo 5; công chức, viên chức, người lao động 80; khách mời 7" (the groups counted)."""
    if dialogue.attendance is None:
        return "…"
    groups = ["%s %d" % (label, getattr(dialogue, name)) for name, label in GROUPS
              if getattr(dialogue, name) is not None]
    return "%d người%s" % (dialogue.attendance, ", gồm: " + "; ".join(groups) if groups else "")


def _clock(value):
    return "%02d giờ %02d, ngày %s" % (value.hour, value.minute, value.strftime("%d/%m/%Y"))


def _one_line(text):
    return " ".join((text or "").split())


def body_markdown(dialogue, entries, secrets=()):
    """The minutes' body as the Markdown subset of services.documents."""
    lines = ["**Thời gian:** bắt đầu lúc %s." % _clock(dialogue.starts_at),
             "", "**Địa điểm:** %s." % _one_line(dialogue.place).rstrip(".") if dialogue.place else "",
             "", "**Chủ trì:** %s." % (_one_line(dialogue.chair).rstrip(".") or "…"),
             "", "**Thư ký:** %s." % (_one_line(dialogue.secretary).rstrip(".") or "…"),
             "", "**Thành phần tham dự:** %s." % attendance_text(dialogue),
             "", "## I. NỘI DUNG ĐỐI THOẠI", ""]
    discussion = _cleaned(dialogue.discussion, secrets).strip()
    lines += [discussion or "Chưa ghi nội dung trao đổi.", "", "## II. Ý KIẾN, KIẾN NGHỊ VÀ TRẢ LỜI TẠI BUỔI ĐỐI THOẠI",
              ""]
    if not entries:
        lines += ["Không có ý kiến, kiến nghị nào được ghi nhận tại buổi đối thoại.", ""]
    for number, entry in enumerate(entries, start=1):
        lines += ["### %d. %s (%s, số %s)" % (number, entry["speaker"], entry["kind"].lower(), entry["code"]), "",
                  "- Nội dung: %s" % _one_line(entry["content"]),
                  "- Trả lời tại buổi đối thoại: %s" % (_one_line(entry["answer"]) or "chưa ghi."),
                  "- Chỉ đạo của người chủ trì: %s" % (_one_line(entry["direction"]) or "chưa ghi."), ""]
    directions = _cleaned(dialogue.directions, secrets).strip()
    lines += ["## III. KẾT LUẬN, CHỈ ĐẠO CỦA NGƯỜI CHỦ TRÌ", "", directions or "Chưa ghi ý kiến kết luận.", ""]
    if dialogue.ends_at:
        lines.append("Buổi đối thoại kết thúc lúc %s." % _clock(dialogue.ends_at))
    return "\n".join(lines)


def summary_line(dialogue):
    return "Buổi đối thoại: %s" % _one_line(dialogue.title)


def administrative_document(dialogue, province="…", place="…"):
    """The minutes as a Decree 30 document: "BIÊN BẢN", the secretary's and the chair's signatures."""
    opinions = raised_opinions(dialogue)
    secrets = _secrets(opinions)
    return documents.AdministrativeDocument(
        doc_type=DOC_TYPE, type_name="BIÊN BẢN", summary=summary_line(dialogue),
        body_md=body_markdown(dialogue, items(dialogue, opinions), secrets), number=None,
        year=dialogue.starts_at.year, signed_on=dialogue.starts_at.date(),
        signer_title="CHỦ TRÌ", signer_name=_one_line(dialogue.chair),
        cosigner_title="THƯ KÝ", cosigner_name=_one_line(dialogue.secretary),
        recipients=["Người chủ trì", "Các đơn vị có ý kiến được giao giải quyết"], province=province, place=place)


def docx_filename(dialogue):
    return "bien-ban-doi-thoai-%s-%d.docx" % (dialogue.starts_at.strftime("%Y%m%d"), dialogue.id)


def save(dialogue, version, user, values, answers):
    """Save the minutes and the answer and direction of each opinion ({opinion id: (answer, direction)}).

    One transaction; ConflictError when someone saved the dialogue since `version` (a change of the
    answers alone moves the version too, so a second editor's stale page is refused the same way).
    """
    with db.atomic():
        stored = MinutesAnswer.of_dialogue(dialogue)
        raised = {o.id for o in raised_opinions(dialogue)}
        changed = {}
        for opinion_id, (answer, direction) in answers.items():
            if opinion_id not in raised:
                continue
            old = stored.get(opinion_id)
            before = (old.answer, old.direction) if old else ("", "")
            if before != (answer, direction):
                changed[opinion_id] = (before, (answer, direction))
        saved = save_versioned(dialogue, version, user, values, action="minutes",
                               summary="Cập nhật biên bản: %s" % dialogue.title)
        if changed and saved.version == int(version):  # only the answers changed: they move the version too
            Dialogue.update(version=Dialogue.version + 1, updated_at=now()).where(
                Dialogue.id == dialogue.id, Dialogue.version == int(version)).execute()
            saved.version += 1
        for opinion_id, (_, (answer, direction)) in changed.items():
            if opinion_id in stored:
                MinutesAnswer.update(answer=answer, direction=direction).where(
                    MinutesAnswer.id == stored[opinion_id].id).execute()
            else:
                MinutesAnswer.create(dialogue=dialogue.id, opinion=opinion_id, answer=answer, direction=direction)
        if changed:
            audit(user, "minutes", saved, {"answers": ({str(k): list(v[0]) for k, v in changed.items()},
                                                       {str(k): list(v[1]) for k, v in changed.items()})},
                  summary="Ghi trả lời, chỉ đạo cho %d ý kiến trong biên bản: %s" % (len(changed), dialogue.title))
    return saved

