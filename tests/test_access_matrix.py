"""Who may use every route of the internal app: a table of allowed roles per rule, checked against the url_map,
then every role × rule (own unit's record and another unit's) and every POST without a valid CSRF token."""
import io
import re
import shutil
from collections import namedtuple

import pytest

import models
from services import attachments, publish_runs
from tests.conftest import ROLES, StaffClient, user

# ---------------------------------------------------------------- the table (kept here, not read from the app)

STAFF = ROLES  # every signed-in account
ANYONE = ROLES + (None,)  # None: not signed in
READ = ("specialist", "unit_head", "coordinator", "leader", "chief")  # content readers (not the admin)
WRITE = ("specialist", "unit_head", "coordinator", "chief")
ASSIGN = ("unit_head", "coordinator", "chief")
HANDLE = ("specialist", "unit_head", "coordinator")
BOSSES = ("coordinator", "leader", "chief")  # reports, publishing, the preview
EDIT = ("coordinator", "chief")
COORD = ("coordinator",)
CHIEF = ("chief",)
ADMIN = ("admin",)
UNITS = ("admin", "coordinator", "leader", "chief")
AUDIT = ("coordinator", "chief")
TEMPLATES = ("unit_head", "coordinator", "chief")  # who keeps answer templates
PAGED = (200, 404)  # a list's numbered page: 404 when the list has no such page (not an access rule)

Access = namedtuple("Access", "get post other values query ok post_ok",
                    defaults=(None, None, None, None, "", None, None))
# get / post: the roles allowed (None: the method is not served). other: what the staff of a content unit
# (specialist, unit head) allowed here get for a record of another unit — 404 where the app hides that the record
# exists, 403 where it refuses; None: the route is not unit-scoped. values: ids other than the defaults below
# ((own unit's, other unit's) for unit-scoped ones). ok: the statuses an allowed GET may answer (default 200);
# post_ok: those an allowed POST of an empty form may answer (default: any but 401, 403, 404 and 5xx).


def A(get=None, post=None, other=None, query="", ok=None, post_ok=None, **values):
    return Access(get, post, other, values, query, ok, post_ok)


NOTICE_DRAFT = {"notice_id": "draft_notice", "conclusion_id": "draft_conclusion"}
TABLE = {
    "/": A(get=STAFF),
    "/static/<path:filename>": A(get=ANYONE, filename="css/app.css"),
    # sign-in
    "/dang-nhap": A(get=ANYONE, post=ANYONE, ok=(200, 302), post_ok=(401,)),  # no such user: 401
    "/dang-xuat": A(get=ANYONE, post=STAFF, ok=(200, 302)),
    "/dang-xuat/moi-noi": A(post=STAFF),
    "/doi-mat-khau": A(get=STAFF, post=STAFF),
    # opinions: content staff see their own unit's only
    "/y-kien/": A(get=READ),
    "/y-kien/moi": A(get=WRITE, post=WRITE),
    "/y-kien/kiem-tra": A(get=WRITE, post=WRITE, query="?field=content&content=abc"),
    "/y-kien/chon/giao": A(post=ASSIGN),  # acting on many at once: each item is checked by the service
    "/y-kien/chon/trang-thai": A(post=WRITE),
    "/y-kien/chon/xuat": A(post=READ),
    "/y-kien/<int:opinion_id>": A(get=READ, other=404),
    "/y-kien/<int:opinion_id>/giao": A(post=ASSIGN, other=404),
    "/y-kien/<int:opinion_id>/tra-loi": A(post=HANDLE, other=404),
    "/y-kien/<int:opinion_id>/trang-thai": A(post=WRITE, other=404),
    "/y-kien/<int:opinion_id>/theo-doi": A(post=WRITE, other=404),
    # an answer filled from a template: htmx's text area (no template chosen: 204, nothing to swap), the no-JS button
    "/y-kien/<int:opinion_id>/mau-tra-loi": A(get=HANDLE, other=404, ok=(204,)),
    "/y-kien/<int:opinion_id>/tra-loi/dung-mau": A(post=HANDLE, other=404),
    # answer templates: a unit's staff read the office-wide ones and their unit's (another unit's: 404); unit heads
    # keep their unit's, the coordinator and the chief every one; leaders read
    "/mau-tra-loi/": A(get=READ),
    "/mau-tra-loi/moi": A(get=TEMPLATES, post=TEMPLATES),
    "/mau-tra-loi/xem-truoc": A(post=TEMPLATES),
    "/mau-tra-loi/<int:template_id>": A(get=READ, other=404),
    "/mau-tra-loi/<int:template_id>/sua": A(get=TEMPLATES, post=TEMPLATES, other=404),
    "/mau-tra-loi/<int:template_id>/ngung-dung": A(post=TEMPLATES, other=404),
    "/mau-tra-loi/<int:template_id>/dung-lai": A(post=TEMPLATES, other=404),
    "/mau-tra-loi/<int:template_id>/xoa": A(post=TEMPLATES, other=404),
    # the import of an existing register: the coordinator's alone (an unknown upload token: back to the form, 303)
    "/y-kien/nhap/": A(get=COORD, post=COORD),
    "/y-kien/nhap/<token>/xem-truoc": A(post=COORD, token="A" * 22),
    "/y-kien/nhap/<token>/xac-nhan": A(post=COORD, token="A" * 22),
    # citizens' online requests (issue 11): the sync screen, receipts, triage of a dialogue request
    "/tiep-nhan-truc-tuyen/": A(get=BOSSES),
    "/tiep-nhan-truc-tuyen/dong-bo": A(post=EDIT),
    "/tiep-nhan-truc-tuyen/<int:opinion_id>/bien-nhan": A(get=READ, other=404),
    "/tiep-nhan-truc-tuyen/<int:opinion_id>/cap-ma": A(post=EDIT),
    "/tiep-nhan-truc-tuyen/<int:opinion_id>/xu-ly": A(get=EDIT, opinion_id="dialogue_request"),
    "/tiep-nhan-truc-tuyen/<int:opinion_id>/lich": A(post=EDIT, opinion_id="dialogue_request"),
    "/tiep-nhan-truc-tuyen/<int:opinion_id>/tra-loi": A(post=EDIT, opinion_id="dialogue_request"),
    "/tiep-nhan-truc-tuyen/<int:opinion_id>/chuyen": A(post=EDIT, opinion_id="dialogue_request"),
    "/tiep-nhan-truc-tuyen/<int:opinion_id>/tu-choi": A(post=EDIT, opinion_id="dialogue_request"),
    # dialogues: every content reader; the coordinator and chief edit; staff record opinions in a meeting
    "/doi-thoai/": A(get=READ),
    "/doi-thoai/moi": A(get=EDIT, post=EDIT),
    "/doi-thoai/<int:dialogue_id>": A(get=READ),
    "/doi-thoai/<int:dialogue_id>/sua": A(get=EDIT, post=EDIT),
    "/doi-thoai/<int:dialogue_id>/trang-thai": A(post=EDIT),
    "/doi-thoai/<int:dialogue_id>/bien-ban": A(get=EDIT, post=EDIT),
    "/doi-thoai/<int:dialogue_id>/bien-ban/in": A(get=BOSSES),
    "/doi-thoai/<int:dialogue_id>/bien-ban.docx": A(get=BOSSES),
    "/doi-thoai/<int:dialogue_id>/y-kien": A(post=WRITE),
    # notices: content staff read the signed ones that give their unit a conclusion
    "/thong-bao/": A(get=READ),
    "/thong-bao/moi": A(get=COORD, post=COORD, query="?dialogue=17"),
    "/thong-bao/<int:notice_id>": A(get=READ, other=404),
    "/thong-bao/<int:notice_id>/in": A(get=READ, other=404),
    "/thong-bao/<int:notice_id>.docx": A(get=READ, other=404),
    "/thong-bao/<int:notice_id>/sua": A(get=COORD, post=COORD, notice_id="draft_notice"),
    "/thong-bao/<int:notice_id>/trinh-ky": A(post=COORD, notice_id="draft_notice"),
    "/thong-bao/<int:notice_id>/tra-lai": A(post=CHIEF, notice_id="draft_notice"),
    "/thong-bao/<int:notice_id>/ky": A(post=CHIEF, notice_id="draft_notice"),
    "/thong-bao/<int:notice_id>/dinh-chinh": A(post=COORD),
    "/thong-bao/<int:notice_id>/ket-luan/moi": A(get=COORD, post=COORD, notice_id="draft_notice"),
    "/thong-bao/<int:notice_id>/ket-luan/<int:conclusion_id>/sua": A(get=COORD, post=COORD, **NOTICE_DRAFT),
    "/thong-bao/<int:notice_id>/ket-luan/<int:conclusion_id>/xoa": A(post=COORD, **NOTICE_DRAFT),
    # conclusions of signed notices: each unit's work
    "/ket-luan/": A(get=READ),
    "/ket-luan/<int:conclusion_id>": A(get=READ, other=404),
    "/ket-luan/<int:conclusion_id>/tien-do": A(post=HANDLE, other=404),
    "/ket-luan/<int:conclusion_id>/trang-thai": A(post=ASSIGN, other=404),
    # proposals of a dialogue with the People: the content department appraises its own
    "/de-xuat/": A(get=READ),
    "/de-xuat/moi": A(get=COORD, post=COORD),
    "/de-xuat/<int:proposal_id>": A(get=READ, other=404),
    "/de-xuat/<int:proposal_id>/sua": A(get=COORD, post=COORD, proposal_id=3),  # 1 is decided: 409
    "/de-xuat/<int:proposal_id>/don-vi": A(post=EDIT),
    "/de-xuat/<int:proposal_id>/tham-dinh": A(post=WRITE, other=404),
    "/de-xuat/<int:proposal_id>/y-kien-tham-dinh": A(post=WRITE, other=404),
    "/de-xuat/<int:proposal_id>/quyet-dinh": A(post=CHIEF),
    "/de-xuat/<int:proposal_id>/doi-thoai": A(get=EDIT, post=EDIT, ok=(303,)),  # 1 has its dialogue: back to it
    "/de-xuat/<int:proposal_id>/chuong-trinh": A(get=EDIT, post=EDIT),
    # attachments (here: on proposals, which are unit-scoped); a file is deleted by its uploader or the coordinator
    "/tep/<object_type>/<int:object_id>": A(get=READ, post=WRITE, other=404),
    "/tep/<int:attachment_id>": A(get=READ, other=404),
    "/tep/<int:attachment_id>/xoa": A(post=COORD, other={"specialist": 404, "unit_head": 404}),
    # reports and the register
    "/bao-cao/": A(get=BOSSES),
    "/bao-cao/moi": A(get=EDIT, post=EDIT),
    "/bao-cao/so-theo-doi.csv": A(get=READ),
    "/bao-cao/so-theo-doi.xlsx": A(get=READ),
    "/bao-cao/<int:report_id>": A(get=BOSSES),
    "/bao-cao/<int:report_id>.csv": A(get=BOSSES),
    "/bao-cao/<int:report_id>.xlsx": A(get=BOSSES),
    "/bao-cao/<int:report_id>.docx": A(get=BOSSES),
    "/bao-cao/<int:report_id>/danh-sach/<key>": A(get=BOSSES),
    "/bao-cao/<int:report_id>/sua": A(get=EDIT, post=EDIT),
    "/bao-cao/<int:report_id>/trang-thai": A(post=EDIT),
    "/bao-cao/<int:report_id>/phe-duyet": A(post=CHIEF),
    # what goes public
    "/cong-khai/": A(get=BOSSES),
    "/cong-khai/doi-thoai": A(get=BOSSES),
    "/cong-khai/doi-thoai/<int:dialogue_id>/go-xuong": A(post=COORD, dialogue_id="public_dialogue"),
    "/cong-khai/ket-luan/<int:conclusion_id>": A(get=BOSSES, post=COORD),
    "/cong-khai/ket-luan/<int:conclusion_id>/go-xuong": A(post=COORD),
    "/cong-khai/ket-luan/<int:conclusion_id>/dang-lai": A(post=COORD),
    "/cong-khai/xuat-ban": A(get=BOSSES, post=COORD),
    "/cong-khai/lan-xuat-ban/<int:run_id>": A(get=BOSSES),
    # administration
    "/quan-tri/don-vi/": A(get=UNITS),
    "/quan-tri/don-vi/moi": A(get=ADMIN, post=ADMIN),
    "/quan-tri/don-vi/kiem-tra": A(get=ADMIN, query="?code=KTN"),
    "/quan-tri/don-vi/<int:unit_id>/sua": A(get=ADMIN, post=ADMIN),
    "/quan-tri/tai-khoan/": A(get=ADMIN),
    "/quan-tri/tai-khoan/moi": A(get=ADMIN, post=ADMIN),
    "/quan-tri/tai-khoan/kiem-tra": A(get=ADMIN, query="?username=specialist"),
    "/quan-tri/tai-khoan/<int:user_id>/sua": A(get=ADMIN, post=ADMIN),
    "/quan-tri/tai-khoan/<int:user_id>/dat-lai-mat-khau": A(post=ADMIN),
    "/quan-tri/tai-khoan/<int:user_id>/khoa": A(post=ADMIN),
    "/quan-tri/nhat-ky/": A(get=AUDIT),
    "/quan-tri/ngay-nghi/": A(get=ADMIN),
    "/quan-tri/ngay-nghi/moi": A(get=ADMIN, post=ADMIN),
    "/quan-tri/ngay-nghi/nap": A(post=ADMIN),
    "/quan-tri/ngay-nghi/<int:holiday_id>/sua": A(get=ADMIN, post=ADMIN),
    "/quan-tri/ngay-nghi/<int:holiday_id>/xoa": A(post=ADMIN),
    # the yearly plans: the coordinator and the chief edit, leaders read
    "/ke-hoach/": A(get=BOSSES),
    "/ke-hoach/moi": A(get=EDIT, post=EDIT),
    "/ke-hoach/xem-truoc": A(post=EDIT),
    "/ke-hoach/<int:plan_id>": A(get=BOSSES),
    "/ke-hoach/<int:plan_id>/sua": A(get=EDIT, post=EDIT),
    # the live preview of the public site
    "/xem-truoc/": A(get=BOSSES),
    "/xem-truoc/404.html": A(get=BOSSES),
    "/xem-truoc/static/public/<path:filename>": A(get=BOSSES, filename="site.css"),
    "/xem-truoc/ke-hoach/": A(get=BOSSES),
    "/xem-truoc/ke-hoach/<int:year>/": A(get=BOSSES),
    "/xem-truoc/lich-doi-thoai/": A(get=BOSSES),
    "/xem-truoc/lich-doi-thoai/<slug>/": A(get=BOSSES),
    "/xem-truoc/lich-doi-thoai/nam/<int:year>/": A(get=BOSSES),
    "/xem-truoc/lich-doi-thoai/nam/<int:year>/trang/<int:page>/": A(get=BOSSES, ok=PAGED),
    "/xem-truoc/lich-doi-thoai.ics": A(get=BOSSES),
    "/xem-truoc/ket-luan/": A(get=BOSSES),
    "/xem-truoc/ket-luan/trang/<int:page>/": A(get=BOSSES, ok=PAGED),
    "/xem-truoc/ket-luan/<int:conclusion_id>/": A(get=BOSSES, conclusion_id="public_conclusion"),
    "/xem-truoc/ket-luan/linh-vuc/<field_code>/": A(get=BOSSES),
    "/xem-truoc/ket-luan/linh-vuc/<field_code>/trang/<int:page>/": A(get=BOSSES, ok=PAGED),
    "/xem-truoc/ket-luan/nam/<int:year>/": A(get=BOSSES),
    "/xem-truoc/ket-luan/nam/<int:year>/trang/<int:page>/": A(get=BOSSES, ok=PAGED),
    "/xem-truoc/thong-ke/": A(get=BOSSES),
    "/xem-truoc/tim-kiem/": A(get=BOSSES),
    "/xem-truoc/yeu-cau-doi-thoai/": A(get=BOSSES),
    "/xem-truoc/du-lieu/": A(get=BOSSES),
    "/xem-truoc/du-lieu/ket-luan.csv": A(get=BOSSES),
    "/xem-truoc/du-lieu/ket-luan.json": A(get=BOSSES),
    "/xem-truoc/du-lieu/lich-doi-thoai.csv": A(get=BOSSES),
    "/xem-truoc/du-lieu/lich-doi-thoai.json": A(get=BOSSES),
    "/xem-truoc/feed.xml": A(get=BOSSES),
    "/xem-truoc/sitemap.xml": A(get=BOSSES),
}
# Ids of demo records: (the demo specialist's and unit head's unit KTN, another unit). A name in quotes is
# looked up in the world the fixture builds.
DEFAULTS = {
    "opinion_id": (30, 27),  # YK-2022-0030 of KTN, assigned to the demo specialist; YK-2022-0027 of Nội chính
    "conclusion_id": (25, 26),  # conclusions of notice 9: KTN's in progress, Nội chính's referred
    "notice_id": (9, 1),  # a signed notice giving KTN a conclusion; one that gives KTN none
    "proposal_id": (1, 3),  # KTN is the content department of proposal 1, Văn xã of proposal 3
    "object_type": ("proposal", "proposal"),
    "object_id": (1, 3),
    "attachment_id": ("own_file", "other_file"),  # files on proposals 1 and 3, uploaded by the coordinator
    "dialogue_id": (17, 17),  # held, not yet concluded
    "report_id": (2, 2),  # a draft report
    "run_id": ("run", "run"),
    "unit_id": (2, 2),
    "user_id": (9, 9),  # dang.thuha, no demo login of the matrix
    "holiday_id": (1, 1),
    "plan_id": (1, 1),
    "template_id": ("own_template", "other_template"),  # demo templates of KTN and of Nội chính
    "year": (2022, 2022),
    "page": (1, 1),
    "key": ("figure_key", "figure_key"),
    "slug": ("public_slug", "public_slug"),
    "field_code": ("public_field", "public_field"),
}
ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")
SERVED = ("GET", "POST")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url_of(rule, access, world, side):
    """The rule with its arguments filled in for one side (0: the own unit's record, 1: another unit's)."""
    def value(match):
        name = match.group(1)
        chosen = access.values[name] if name in access.values else DEFAULTS[name]
        chosen = chosen[side] if isinstance(chosen, tuple) else chosen
        return str(world[chosen] if isinstance(chosen, str) and chosen in world else chosen)
    return ARG.sub(value, rule) + access.query


def app_rules(app):
    """(rule, method) of every route the internal app serves."""
    return {(r.rule, m) for r in app.url_map.iter_rules() for m in r.methods & set(SERVED)}


def table_rules():
    return {(rule, m) for rule, a in TABLE.items()
            for m, roles in zip(SERVED, (a.get, a.post), strict=True) if roles is not None}


CASES = sorted(table_rules())


# ---------------------------------------------------------------- one demo database for the module

@pytest.fixture(scope="module")
def base(_shared_app, demo_db_file, tmp_path_factory):
    """The demo data plus what the matrix needs (files, a publish run), signed-in clients for every role;
    saved as a file every test starts from (a POST that works changes only its own copy)."""
    folder = tmp_path_factory.mktemp("matrix")
    path = folder / "base.db"
    shutil.copy(demo_db_file, path)
    app = _shared_app
    saved = dict(app.config)
    patch = pytest.MonkeyPatch()
    patch.setattr(publish_runs, "launch", lambda app, run_id: None)  # no build process in the background
    app.config.update(DATABASE_URL="sqlite:///%s" % path, ATTACHMENTS_DIR=str(folder / "files"),
                      SITE_DIR=str(folder / "site"), PUBLISH_TARGET="")
    models.db.initialize(models.open_database(app.config["DATABASE_URL"]))
    world = {}
    with models.db.connection_context():
        coordinator = user("coordinator")
        for name, proposal_id in (("own_file", 1), ("other_file", 3)):
            proposal = models.Proposal.get_by_id(proposal_id)
            world[name] = attachments.store(coordinator, "proposal", proposal, "to-trinh.pdf", io.BytesIO(PDF),
                                            app.config["ATTACHMENTS_DIR"], 10 * 1024 * 1024).id
        world["run"] = models.PublishRun.create(started_by=coordinator.id, status="failed", publish=False,
                                                started_at=models.now(), finished_at=models.now()).id
        world["draft_notice"] = 16
        world["dialogue_request"] = models.create_opinion(
            None, kind="dialogue_request", channel="online", audience="citizens", submitter_name="Công dân thử",
            content="Đề nghị được đối thoại trực tiếp về thủ tục cấp phép.", received_on=models.today()).id
        world["draft_conclusion"] = models.Conclusion.get(models.Conclusion.notice == 16).id
        for name, code in (("own_template", "KTN"), ("other_template", "NC")):
            world[name] = models.AnswerTemplate.select().join(models.Unit).where(
                models.Unit.code == code, ~models.AnswerTemplate.is_retired).order_by(models.AnswerTemplate.id).get().id
    clients = {}
    for role in ROLES:
        clients[role] = StaffClient(app.test_client())
        assert clients[role].login(role).status_code == 303
    clients[None] = StaffClient(app.test_client())
    clients[None].refresh_token()
    coordinator = clients["coordinator"]
    world["figure_key"] = re.search(r'/bao-cao/2/danh-sach/([^"?/]+)', coordinator.get("/bao-cao/2").get_data(
        as_text=True)).group(1)
    world["public_slug"] = re.search(r'lich-doi-thoai/((?!nam/)[a-z0-9-]+)/', coordinator.get(
        "/xem-truoc/lich-doi-thoai/").get_data(as_text=True)).group(1)
    world["public_field"] = re.search(r'ket-luan/linh-vuc/([a-z0-9-]+)/', coordinator.get(
        "/xem-truoc/ket-luan/").get_data(as_text=True)).group(1)
    world["public_conclusion"] = int(re.search(r'ket-luan/(\d+)/', coordinator.get(
        "/xem-truoc/ket-luan/").get_data(as_text=True)).group(1))
    world["public_dialogue"] = models.Dialogue.get(models.Dialogue.slug == world["public_slug"]).id
    models.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    models.db.close()
    if hasattr(models.db.obj, "close_idle"):
        models.db.obj.close_idle()
    yield path, world, clients, folder
    patch.undo()
    app.config.clear()
    app.config.update(saved)


class Copies:
    """Fresh copies of the module's database, bound to the app in turn (a POST that works changes only its copy)."""

    def __init__(self, app, base, folder):
        self.app, self.base, self.folder, self.count = app, base, folder, 0

    def fresh(self):
        self.close()
        self.count += 1
        copy = self.folder / ("copy-%d.db" % self.count)
        shutil.copy(self.base, copy)
        self.app.config["DATABASE_URL"] = "sqlite:///%s" % copy
        models.db.initialize(models.open_database(self.app.config["DATABASE_URL"]))

    def close(self):
        if not models.db.is_closed():
            models.db.close()
        if hasattr(models.db.obj, "close_idle"):
            models.db.obj.close_idle()


@pytest.fixture
def world(base, _shared_app, tmp_path):
    """(the world's ids, the signed-in clients, copies of the module's database); one copy bound already."""
    path, world, clients, folder = base
    _shared_app.config.update(ATTACHMENTS_DIR=str(folder / "files"), SITE_DIR=str(folder / "site"),
                              PUBLISH_TARGET="")
    copies = Copies(_shared_app, path, tmp_path)
    copies.fresh()
    yield world, clients, copies
    copies.close()


# ---------------------------------------------------------------- the tests

def test_the_table_names_every_rule_of_the_app_and_no_other(_shared_app):
    served, listed = app_rules(_shared_app), table_rules()
    assert not served - listed, "routes missing from TABLE (say who may use them): %s" % sorted(served - listed)
    assert not listed - served, "TABLE names routes the app no longer serves: %s" % sorted(listed - served)
    for rule, access in TABLE.items():
        for roles in (access.get, access.post):
            assert roles is None or set(roles) <= set(ANYONE), rule


def call(c, method, url):
    if method == "GET":
        return c.get(url)
    return c.post_form(url, {})


def expected_other(access, role):
    """What a role allowed on the own unit's record gets for another unit's (None: the same as for its own)."""
    if isinstance(access.other, dict):
        return access.other.get(role)
    if access.other is not None and role in ("specialist", "unit_head"):
        return access.other
    return None


@pytest.mark.parametrize("rule, method", CASES, ids=["%s %s" % (m, r) for r, m in CASES])
def test_each_role_gets_what_the_table_says(world, rule, method):
    world, clients, copies = world
    access = TABLE[rule]
    allowed = access.get if method == "GET" else access.post
    ok = (access.ok or (200,)) if method == "GET" else access.post_ok
    wrong = []
    sides = (0, 1) if access.other is not None else (0,)
    for role in ANYONE:
        c = clients[role]
        copies.fresh()  # what an allowed role did is not what the next one finds
        for side in sides:
            url = url_of(rule, access, world, side)
            if rule.startswith("/dang-xuat") and method == "POST" and role is not None:
                c = StaffClient(c.application.test_client())  # a session of its own to end
                c.login(role)
            status = call(c, method, url).status_code
            if role is None and None not in allowed:
                # to the sign-in page; a POST may meet the CSRF check first (no session: no token)
                want = "a redirect to the sign-in page" + (" or 400" if method == "POST" else "")
                good = status in (302, 303) or (method == "POST" and status == 400)
            elif role in allowed or (role is None and None in allowed):
                other = expected_other(access, role) if side else None
                if other is not None:
                    want, good = str(other), status == other
                elif ok:
                    want, good = "one of %s" % (ok,), status in ok
                else:
                    want, good = "no 401/403/404/5xx", status not in (401, 403, 404) and status < 500
            else:  # refused by role; a dict in `other` names who meets the hidden record (404) first
                other = access.other.get(role) if side and isinstance(access.other, dict) else None
                want = str(other or 403)
                good = status == (other or 403)
            if not good:
                wrong.append("%s %s as %s: %d, expected %s" % (method, url, role or "anonymous", status, want))
    assert not wrong, "\n".join(wrong)


POSTS = [(rule, m) for rule, m in CASES if m == "POST" and rule != "/dang-nhap"]


@pytest.mark.parametrize("rule, method", POSTS, ids=[r for r, _ in POSTS])
def test_a_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(world, rule, method):
    world, clients, _copies = world
    access = TABLE[rule]
    role = next(r for r in access.post if r is not None)
    c, url = clients[role], url_of(rule, access, world, 0)
    before = models.AuditLog.select().count()
    for data in ({}, {"csrf_token": "not-the-token"}, {"csrf_token": ""}):
        response = c.client.post(url, data=data)
        assert response.status_code == 400, (url, data, response.status_code)
    header = c.client.post(url, headers={"HX-Request": "true", "X-CSRFToken": c.token[:-2] + "xx"})
    assert header.status_code == 400
    assert models.AuditLog.select().count() == before
    assert c.get("/doi-mat-khau").status_code == 200  # still signed in: the refusal ended nothing
