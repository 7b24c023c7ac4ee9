"""Minutes (Biên bản) of a held dialogue: the form (secretary, attendance by group, each opinion's answer and
direction), the printable page and the DOCX, who may read them, and that no denouncer's identity ever appears."""
import datetime as dt
import io

import docx

import models
from tests.conftest import user
from tests.test_dialogues import error_of, soup

CANARY_NAME = "Canary Trần Văn Bí Mật"
CANARY_CONTACT = "0912 345 678, canary@example.vn"


def held_dialogue(**values):
    row = {"title": "Đối thoại với công chức về chế độ làm việc", "kind": "ad_hoc", "audience": "staff",
           "place": "Hội trường tầng 2", "chair": "Ông Nguyễn Huy Anh, Chánh Văn phòng",
           "starts_at": models.now().replace(hour=8, minute=0, second=0, microsecond=0) - dt.timedelta(days=2),
           "status": "held", "slug": "bien-ban-thu-%d" % (models.Dialogue.select().count() + 1)}
    row.update(values)
    return models.Dialogue.create(**row)


def raise_opinion(dialogue, content, kind="petition", **values):
    row = {"kind": kind, "channel": "dialogue", "audience": dialogue.audience, "dialogue": dialogue,
           "content": content, "received_on": dialogue.starts_at.date()}
    row.update(values)
    return models.create_opinion(user("coordinator"), **row)


def with_denunciation(dialogue):
    """Two ordinary opinions and a denunciation whose author's name is also typed in its content."""
    first = raise_opinion(dialogue, "Đề nghị bố trí lại chỗ để xe cho công chức.", submitter_name="Lê Thị Hoa")
    second = raise_opinion(dialogue, "Kiến nghị thanh toán tiền làm thêm giờ đúng hạn.")
    denunciation = raise_opinion(dialogue, "Tôi là %s, tố cáo việc chi sai quỹ phúc lợi." % CANARY_NAME,
                                 kind="denunciation", submitter_name=CANARY_NAME, submitter_contact=CANARY_CONTACT)
    return [first, second, denunciation]


def minutes_data(dialogue, opinions, **values):
    data = {"attendance": "40", "attendance_leaders": "5", "attendance_staff": "30", "attendance_citizens": "",
            "attendance_guests": "5", "secretary": "Bà Trần Thị Mai, chuyên viên Phòng TCHCQT",
            "discussion": "Công chức trao đổi về điều kiện làm việc.",
            "directions": "Giao Phòng TCHCQT tổng hợp, báo cáo trong tháng.", "version": str(dialogue.version)}
    for index, opinion in enumerate(opinions, start=1):
        data["answer_%d" % opinion.id] = "Trả lời số %d tại buổi đối thoại." % index
        data["direction_%d" % opinion.id] = "Chỉ đạo số %d của người chủ trì." % index
    data.update(values)
    return data


def docx_text(data):
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return "\n".join(texts), document


def test_the_form_saves_secretary_attendance_and_each_opinions_answer(login, db):
    dialogue = held_dialogue()
    opinions = with_denunciation(dialogue)
    chief = login("chief")
    form = chief.get("/doi-thoai/%d/bien-ban" % dialogue.id)
    assert form.status_code == 200
    page = soup(form)
    for opinion in opinions:
        assert page.find("textarea", attrs={"name": "answer_%d" % opinion.id}) is not None
        assert page.find("textarea", attrs={"name": "direction_%d" % opinion.id}) is not None
    assert CANARY_NAME not in form.get_data(as_text=True)
    response = chief.post_form("/doi-thoai/%d/bien-ban" % dialogue.id, minutes_data(dialogue, opinions))
    assert response.status_code == 303, response.get_data(as_text=True)
    saved = models.Dialogue.get_by_id(dialogue.id)
    assert (saved.attendance, saved.attendance_leaders, saved.attendance_staff, saved.attendance_citizens,
            saved.attendance_guests) == (40, 5, 30, None, 5)
    assert saved.secretary == "Bà Trần Thị Mai, chuyên viên Phòng TCHCQT"
    answers = models.MinutesAnswer.of_dialogue(saved)
    assert {o.id: (answers[o.id].answer, answers[o.id].direction) for o in opinions} == {
        o.id: ("Trả lời số %d tại buổi đối thoại." % i, "Chỉ đạo số %d của người chủ trì." % i)
        for i, o in enumerate(opinions, start=1)}
    detail = soup(chief.get("/doi-thoai/%d" % dialogue.id)).find(id="bien-ban")
    text = detail.get_text(" ", strip=True)
    assert "40 người, gồm: lãnh đạo 5; công chức, viên chức, người lao động 30; khách mời 5" in text
    assert "Bà Trần Thị Mai" in text
    assert detail.find(id="minutes-print")["href"] == "/doi-thoai/%d/bien-ban/in" % dialogue.id
    assert detail.find(id="minutes-docx")["href"] == "/doi-thoai/%d/bien-ban.docx" % dialogue.id


def test_groups_that_do_not_add_up_are_refused_and_the_form_keeps_what_was_typed(login, db):
    dialogue = held_dialogue()
    opinions = with_denunciation(dialogue)
    chief = login("chief")
    response = chief.post_form("/doi-thoai/%d/bien-ban" % dialogue.id,
                               minutes_data(dialogue, opinions, attendance="41"))
    assert response.status_code == 422
    assert error_of(response, "attendance") == "Tổng số người dự (41) khác tổng các thành phần (40)."
    page = soup(response)
    assert page.find("textarea", attrs={"name": "answer_%d" % opinions[1].id}).get_text() == \
        "Trả lời số 2 tại buổi đối thoại."
    assert page.find(id="secretary")["value"] == "Bà Trần Thị Mai, chuyên viên Phòng TCHCQT"
    assert models.Dialogue.get_by_id(dialogue.id).attendance is None
    assert not models.MinutesAnswer.select().where(models.MinutesAnswer.dialogue == dialogue.id).exists()


def test_a_change_of_the_answers_alone_is_a_new_version(login, db):
    dialogue = held_dialogue()
    opinions = with_denunciation(dialogue)
    first, second = login("chief"), login("coordinator")
    url = "/doi-thoai/%d/bien-ban" % dialogue.id
    assert first.post_form(url, minutes_data(dialogue, opinions)).status_code == 303
    saved = models.Dialogue.get_by_id(dialogue.id)
    changed = minutes_data(saved, opinions, **{"answer_%d" % opinions[0].id: "Trả lời đã sửa."})
    assert first.post_form(url, changed).status_code == 303
    assert models.Dialogue.get_by_id(dialogue.id).version == saved.version + 1
    stale = second.post_form(url, minutes_data(saved, opinions, **{"answer_%d" % opinions[0].id: "Bản cũ."}))
    assert stale.status_code == 409
    assert models.MinutesAnswer.get(models.MinutesAnswer.opinion == opinions[0].id).answer == "Trả lời đã sửa."


def test_the_docx_and_the_printable_page_hold_every_opinion_and_no_denouncers_identity(login, db):
    dialogue = held_dialogue(ends_at=None)
    opinions = with_denunciation(dialogue)
    chief = login("chief")
    data = minutes_data(dialogue, opinions, discussion="Ông %s phát biểu; liên hệ 0912 345 678." % CANARY_NAME)
    assert chief.post_form("/doi-thoai/%d/bien-ban" % dialogue.id, data).status_code == 303
    response = chief.get("/doi-thoai/%d/bien-ban.docx" % dialogue.id)
    assert response.status_code == 200 and response.mimetype.endswith("wordprocessingml.document")
    assert "bien-ban-doi-thoai-" in response.headers["Content-Disposition"]
    text, document = docx_text(response.data)
    printed = chief.get("/doi-thoai/%d/bien-ban/in" % dialogue.id)
    assert printed.status_code == 200
    page = soup(printed).get_text(" ", strip=True)
    for shown in (text, page):
        assert "BIÊN BẢN" in shown and "/BB-VP" in shown
        for index, opinion in enumerate(opinions, start=1):
            assert opinion.code in shown
            assert "Trả lời số %d tại buổi đối thoại." % index in shown
            assert "Chỉ đạo số %d của người chủ trì." % index in shown
        assert "Lê Thị Hoa" in shown and "Bà Trần Thị Mai, chuyên viên Phòng TCHCQT" in shown
        assert "Ông Nguyễn Huy Anh, Chánh Văn phòng" in shown
        assert "40 người, gồm: lãnh đạo 5" in shown
        assert "Người tố cáo" in shown
        for secret in (CANARY_NAME, "Canary", "0912 345 678", "canary@example.vn"):
            assert secret not in shown
    signatures = document.tables[-1].rows[0].cells
    assert [c.paragraphs[0].text for c in signatures] == ["THƯ KÝ", "CHỦ TRÌ"]
    assert "Bà Trần Thị Mai, chuyên viên Phòng TCHCQT" in signatures[0].text
    assert "Ông Nguyễn Huy Anh, Chánh Văn phòng" in signatures[1].text


def test_who_may_read_the_minutes_and_none_before_the_dialogue_is_held(login, db):
    dialogue = held_dialogue()
    with_denunciation(dialogue)
    for role in ("coordinator", "leader", "chief"):
        assert login(role).get("/doi-thoai/%d/bien-ban.docx" % dialogue.id).status_code == 200
    for role in ("specialist", "unit_head", "admin"):
        client = login(role)
        assert client.get("/doi-thoai/%d/bien-ban.docx" % dialogue.id).status_code == 403
        assert client.get("/doi-thoai/%d/bien-ban/in" % dialogue.id).status_code == 403
    planned = held_dialogue(status="scheduled", starts_at=models.now() + dt.timedelta(days=3))
    chief = login("chief")
    response = chief.get("/doi-thoai/%d/bien-ban.docx" % planned.id)
    assert response.status_code == 409 and "Chỉ ghi biên bản khi buổi đối thoại đã tổ chức" in response.get_data(
        as_text=True)
    assert chief.get("/doi-thoai/%d/bien-ban/in" % planned.id).status_code == 409
    assert chief.get("/doi-thoai/%d/bien-ban.docx" % 999999).status_code == 404
