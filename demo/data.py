"""The demo records: the 2022 dialogue plan of Văn phòng UBND tỉnh and the work done around it.

Pure data, read by demo/loader.py. A day is an ISO date (2022) or a number of days from `today`.
Every person, phone number and ID number below is fictitious.
"""
import datetime as dt

# ---------------------------------------------------------------- organisation

UNITS = [  # code, name, kind
    ("TCHCQT", "Phòng Tổ chức-Hành chính-Quản trị", "admin"),
    ("KTN", "Phòng Kinh tế ngành", "content"),
    ("KTTH", "Phòng Kinh tế tổng hợp", "content"),
    ("NC", "Phòng Nội chính", "content"),
    ("VX", "Phòng Văn hóa - Xã hội", "content"),
    ("TCD", "Phòng Tiếp công dân", "content"),
    ("TTPVHCC", "Trung tâm Phục vụ hành chính công", "unit"),
    ("CBTH", "Trung tâm Công báo - Tin học", "unit"),
    ("CD", "Công đoàn Văn phòng", "union"),
    ("DTN", "Đoàn Thanh niên", "union"),
]

AGENCIES = [  # name, kind, is_appraiser
    ("Ban Dân vận Tỉnh ủy", "party", True),
    ("Ủy ban MTTQ Việt Nam tỉnh", "front", True),
    ("Sở Nội vụ", "department", False),
    ("Sở Tài nguyên và Môi trường", "department", False),
    ("Sở Xây dựng", "department", False),
    ("Sở Lao động - Thương binh và Xã hội", "department", False),
    ("UBND thành phố", "district", False),
    ("UBND huyện An Hòa", "district", False),
    ("UBND huyện Đông Sơn", "district", False),
    ("UBND huyện Tiên Phước", "district", False),
    ("UBND tỉnh", "state", False),
]

FIELDS = [  # code, name (position = order here)
    ("quyen-loi", "Quyền, lợi ích hợp pháp, chế độ, chính sách"),
    ("dao-tao", "Đào tạo, bồi dưỡng"),
    ("danh-gia-su-dung", "Đánh giá, sử dụng cán bộ, công chức"),
    ("chat-luong-cong-tac", "Nâng cao chất lượng, hiệu quả công tác"),
    ("dan-chu", "Thực hiện dân chủ trong cơ quan"),
    ("xay-dung-dang", "Xây dựng Đảng, chính quyền"),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính"),
    ("tiep-cong-dan", "Tiếp công dân, xử lý đơn thư"),
    ("thai-do", "Tinh thần, thái độ phục vụ"),
    ("dat-dai", "Đất đai"),
]
STAFF_FIELDS = ("quyen-loi", "dao-tao", "danh-gia-su-dung", "chat-luong-cong-tac", "dan-chu", "xay-dung-dang")

# One account per role, named after the role; then the rest of the staff.
USERS = [  # username, full name, role, unit code, title
    ("specialist", "Lê Thị Thanh Tâm", "specialist", "KTN", "Chuyên viên Phòng Kinh tế ngành"),
    ("unit_head", "Trần Văn Dũng", "unit_head", "KTN", "Trưởng phòng Kinh tế ngành"),
    ("coordinator", "Phạm Thị Minh Thư", "coordinator", "TCHCQT",
     "Trưởng phòng Tổ chức-Hành chính-Quản trị"),
    ("leader", "Võ Văn Bình", "leader", None, "Phó Chánh Văn phòng"),
    ("chief", "Nguyễn Huy Anh", "chief", None, "Chánh Văn phòng"),
    ("admin", "Hồ Quang Khải", "admin", "CBTH", "Quản trị hệ thống"),
    ("truong.congdinh", "Trương Công Định", "leader", None, "Phó Chánh Văn phòng"),
    ("do.minhdat", "Đỗ Minh Đạt", "unit_head", "NC", "Trưởng phòng Nội chính"),
    ("dang.thuha", "Đặng Thị Thu Hà", "specialist", "NC", "Chuyên viên Phòng Nội chính"),
    ("le.quangdong", "Lê Quang Đông", "unit_head", "TCD", "Trưởng phòng Tiếp công dân"),
    ("duong.vanduc", "Dương Văn Đức", "specialist", "TCD", "Chuyên viên Phòng Tiếp công dân"),
    ("huynh.vanan", "Huỳnh Văn Ân", "unit_head", "TTPVHCC", "Giám đốc Trung tâm Phục vụ hành chính công"),
    ("bui.thianh", "Bùi Thị Ánh", "specialist", "TTPVHCC", "Viên chức Trung tâm Phục vụ hành chính công"),
    ("nguyen.thidao", "Nguyễn Thị Đào", "unit_head", "KTTH", "Trưởng phòng Kinh tế tổng hợp"),
    ("ngo.thidieu", "Ngô Thị Diệu", "specialist", "KTTH", "Chuyên viên Phòng Kinh tế tổng hợp"),
    ("doan.ngocanh", "Đoàn Ngọc Anh", "specialist", "VX", "Chuyên viên Phòng Văn hóa - Xã hội"),
    ("phan.anhduong", "Phan Thị Ánh Dương", "specialist", "TCHCQT",
     "Chuyên viên Phòng Tổ chức-Hành chính-Quản trị"),
    ("vu.dinhdung", "Vũ Đình Dũng", "specialist", "CBTH", "Viên chức Trung tâm Công báo - Tin học"),
]
USERS_CREATED = dt.datetime(2021, 12, 27, 8, 0)

# ---------------------------------------------------------------- plans

PLAN_TITLE = "Kế hoạch thực hiện công tác đối thoại năm {year}"
PLAN_BODY = """# KẾ HOẠCH

**Thực hiện công tác đối thoại năm {year}**

Tiếp tục thực hiện Quy định số 12-QĐi/TU ngày 27/02/2019 của Ban Thường vụ Tỉnh ủy về đối thoại trực tiếp
giữa người đứng đầu với nhân dân, Văn phòng UBND tỉnh ban hành kế hoạch thực hiện công tác đối thoại
năm {year} như sau:

## I. MỤC ĐÍCH, YÊU CẦU

- Phát huy dân chủ, tăng cường mối quan hệ mật thiết giữa người đứng đầu với công chức, viên chức,
  người lao động và nhân dân; tiếp nhận, giải quyết kịp thời, dứt điểm các ý kiến, kiến nghị.
- Việc đối thoại bảo đảm dân chủ, công khai theo phương châm "*Dân biết, dân bàn, dân làm, dân kiểm tra*";
  các kết luận sau đối thoại được theo dõi, đôn đốc đến khi giải quyết xong.

## II. NỘI DUNG, HÌNH THỨC ĐỐI THOẠI

- Đối thoại với công chức, viên chức, người lao động về quyền, lợi ích hợp pháp, chế độ, chính sách;
  đào tạo, bồi dưỡng; đánh giá, sử dụng cán bộ; chất lượng, hiệu quả công tác; thực hiện dân chủ;
  xây dựng Đảng, chính quyền.
- Đối thoại với nhân dân về tinh thần, thái độ phục vụ; thủ tục hành chính; tiếp công dân, xử lý đơn thư.
- Hình thức: đối thoại trực tiếp theo yêu cầu của công dân; đối thoại đột xuất; đối thoại định kỳ gắn với
  hội nghị tổng kết, hội nghị công chức, viên chức, họp giao ban tuần, tháng.

## III. TỔ CHỨC THỰC HIỆN

- Các phòng, ban khối nội dung tham mưu Chủ tịch UBND tỉnh đối thoại với nhân dân theo Điều 8
  Quy định số 12-QĐi/TU.
- Các phòng, ban, đơn vị, đoàn thể tổng hợp ý kiến, kiến nghị của công chức, viên chức, người lao động;
  tham mưu nội dung trả lời.
- Phòng Tổ chức-Hành chính-Quản trị tổng hợp, dự thảo Thông báo ý kiến kết luận, theo dõi, đôn đốc;
  báo cáo 6 tháng trước ngày **15/6/{year}**, báo cáo năm trước ngày **25/11/{year}**./.

**CHÁNH VĂN PHÒNG**

**Nguyễn Huy Anh**
"""

# ---------------------------------------------------------------- dialogues
# A day is an ISO date (2022) or a number of days from `today` (this year; moved off weekends).
# `chair` is a username (the chair is then "<title> <name>") or a literal text.
# Titles of this year's dialogues may use {d} (dd/mm/yyyy), {m} (month), {y} (year), {ny} (next year).

HALL = "Hội trường Văn phòng UBND tỉnh"
ROOM = "Phòng họp số 1, Văn phòng UBND tỉnh"
CENTRE = "Trung tâm Phục vụ hành chính công tỉnh"
RECEPTION = "Trụ sở Tiếp công dân tỉnh"

DIALOGUES = [
    dict(key="tk2021", day="2022-01-20", time="08:00", hours=3.5, kind="periodic", audience="staff",
         occasion="annual_review", status="completed", public=False, place=HALL, chair="chief",
         title="Đối thoại định kỳ tại Hội nghị tổng kết năm 2021, triển khai nhiệm vụ năm 2022",
         fields=STAFF_FIELDS, attendance=92,
         description="Đối thoại trực tiếp tất cả các lĩnh vực với công chức, viên chức, người lao động "
                     "Văn phòng, gắn với Hội nghị tổng kết công tác năm 2021, triển khai nhiệm vụ năm 2022.",
         discussion="Các ý kiến tập trung vào việc thanh toán tiền làm thêm giờ, cử công chức đi đào tạo lý "
                    "luận chính trị, trang thiết bị làm việc và công khai kết quả đánh giá, xếp loại năm 2021.",
         directions="Giao Phòng TCHCQT chủ trì rà soát chế độ, chính sách và nhu cầu đào tạo; phối hợp Trung "
                    "tâm Công báo - Tin học rà soát trang thiết bị, báo cáo Chánh Văn phòng trong tháng 02/2022."),
    dict(key="ccvc2022", day="2022-02-17", time="14:00", hours=3, kind="periodic", audience="staff",
         occasion="staff_conference", status="completed", public=True, place=HALL, chair="chief",
         title="Đối thoại định kỳ tại Hội nghị công chức, viên chức năm 2022",
         fields=("quyen-loi", "danh-gia-su-dung", "dan-chu", "chat-luong-cong-tac", "dao-tao"), attendance=95,
         description="Đối thoại gắn với Hội nghị công chức, viên chức năm 2022; các phòng, đơn vị, đoàn thể "
                     "tổng hợp ý kiến của công chức, viên chức, người lao động gửi trước Hội nghị.",
         discussion="Công chức, viên chức nêu ý kiến về quỹ phúc lợi, cách đánh giá công chức hằng tháng, việc "
                    "lấy ý kiến dự thảo quy chế nội bộ và tiến độ phát hành văn bản.",
         directions="Chánh Văn phòng tiếp thu các ý kiến, giao Phòng TCHCQT, Công đoàn Văn phòng và các phòng "
                    "liên quan thực hiện theo Thông báo kết luận."),
    dict(key="gbt3", day="2022-03-31", time="14:00", hours=2.5, kind="periodic", audience="staff",
         occasion="monthly_briefing", status="completed", public=False, place=ROOM, chair="leader",
         title="Đối thoại định kỳ tại họp giao ban tháng 3/2022",
         fields=("chat-luong-cong-tac", "thu-tuc-hanh-chinh"), attendance=24,
         description="Đối thoại lồng ghép tại cuộc họp giao ban tháng của lãnh đạo Văn phòng.",
         discussion="Trao đổi về quy trình luân chuyển hồ sơ giữa Trung tâm Phục vụ hành chính công với các "
                    "phòng và thời hạn góp ý dự thảo văn bản nội bộ.",
         directions="Chuyển toàn bộ việc luân chuyển hồ sơ lên hệ thống một cửa điện tử; thực hiện nghiêm thời "
                    "hạn góp ý theo Quy chế làm việc."),
    dict(key="gcn", day="2022-04-14", time="08:30", hours=2, kind="on_request", audience="citizens",
         occasion="", status="completed", public=True, place=CENTRE, chair="chief",
         title="Đối thoại trực tiếp với công dân về giải quyết hồ sơ cấp giấy chứng nhận quyền sử dụng đất",
         fields=("dat-dai", "thu-tuc-hanh-chinh"), attendance=18,
         description="Đối thoại theo đề nghị của công dân về hồ sơ cấp giấy chứng nhận quyền sử dụng đất nộp "
                     "tại Trung tâm Phục vụ hành chính công bị quá hạn.",
         discussion="Công dân phản ánh hồ sơ quá hạn, phải bổ sung giấy tờ nhiều lần và kiến nghị về bảng giá "
                    "đất; đại diện Trung tâm và Sở Tài nguyên và Môi trường giải trình từng nội dung.",
         directions="Trả kết quả hồ sơ quá hạn, xin lỗi công dân theo quy định; hướng dẫn bổ sung hồ sơ một lần; "
                    "chuyển kiến nghị về giá đất đến cơ quan có thẩm quyền."),
    dict(key="quantriet", day="2022-05-12", time="08:00", hours=3, kind="periodic", audience="staff",
         occasion="directive_briefing", status="completed", public=False, place=HALL, chair="chief",
         title="Đối thoại định kỳ tại Hội nghị quán triệt Kết luận số 21-KL/TW về xây dựng, chỉnh đốn Đảng",
         fields=("xay-dung-dang", "dan-chu"), attendance=88,
         description="Đối thoại gắn với hội nghị quán triệt, triển khai văn bản của Đảng tại cơ quan.",
         discussion="Đảng viên, đoàn viên đề nghị cụ thể hóa Kết luận bằng chương trình hành động và quan tâm "
                    "bồi dưỡng, giới thiệu đoàn viên ưu tú.",
         directions="Tham mưu Đảng ủy ban hành chương trình hành động; Đoàn Thanh niên phối hợp các chi bộ "
                    "giới thiệu đoàn viên ưu tú."),
    dict(key="gbtuan", day="2022-06-06", time="08:00", hours=1.5, kind="periodic", audience="staff",
         occasion="weekly_briefing", status="completed", public=False, place=ROOM, chair="chief",
         title="Đối thoại định kỳ tại họp giao ban tuần ngày 06/6/2022",
         fields=("chat-luong-cong-tac", "danh-gia-su-dung"), attendance=16,
         description="Đối thoại lồng ghép tại cuộc họp giao ban tuần của lãnh đạo Văn phòng với các phòng.",
         discussion="Trao đổi về việc thay đổi lịch họp sát giờ và nhân sự bộ phận tiếp nhận hồ sơ đất đai.",
         directions="Thông báo lịch công tác tuần đúng hạn; tăng cường nhân sự cho bộ phận tiếp nhận hồ sơ."),
    dict(key="lamthem", day="2022-06-23", time="14:00", hours=2, kind="ad_hoc", audience="staff",
         occasion="", status="completed", public=True, place=ROOM, chair="chief",
         title="Đối thoại đột xuất về chế độ làm thêm giờ và công tác phí",
         fields=("quyen-loi",), attendance=35,
         description="Đối thoại đột xuất theo một lĩnh vực: chế độ làm thêm giờ, công tác phí của công chức, "
                     "viên chức, người lao động.",
         discussion="Các ý kiến đề nghị khoán công tác phí, làm rõ cách tính làm thêm giờ ngày nghỉ, lễ và phụ "
                    "cấp trực hệ thống thông tin.",
         directions="Sửa đổi Quy chế chi tiêu nội bộ; phổ biến cách tính làm thêm giờ; xin ý kiến Sở Nội vụ về "
                    "phụ cấp trực hệ thống."),
    dict(key="thaido", day="2022-07-21", time="08:30", hours=2, kind="on_request", audience="citizens",
         occasion="", status="completed", public=True, place=RECEPTION, chair="truong.congdinh",
         title="Đối thoại trực tiếp với công dân về thái độ phục vụ tại Trụ sở Tiếp công dân tỉnh",
         fields=("thai-do", "tiep-cong-dan"), attendance=12,
         description="Đối thoại theo đề nghị của công dân về tinh thần, thái độ phục vụ của công chức làm công "
                     "tác tiếp công dân.",
         discussion="Công dân phản ánh thái độ của công chức tiếp dân, điều kiện khu vực chờ và việc không liên "
                    "lạc được qua điện thoại.",
         directions="Kiểm điểm, rút kinh nghiệm công chức liên quan; cải tạo khu vực chờ; bố trí thường trực "
                    "điện thoại trong giờ hành chính."),
    dict(key="anhoa", day="2022-08-12", time="08:00", hours=3.5, kind="ad_hoc", audience="citizens",
         occasion="", status="concluded", public=True, chairman=True, place="Hội trường UBND huyện An Hòa",
         chair="Chủ tịch UBND tỉnh",
         title="Đối thoại của Chủ tịch UBND tỉnh với nhân dân về bồi thường, giải phóng mặt bằng "
               "dự án Khu dân cư Bắc An Hòa",
         fields=("dat-dai",), attendance=146,
         description="Chủ tịch UBND tỉnh đối thoại với nhân dân theo Điều 8 Quy định số 12-QĐi/TU, trên cơ sở đề "
                     "xuất của UBND huyện An Hòa đã được thẩm định với Ban Dân vận Tỉnh ủy và Ủy ban MTTQ "
                     "Việt Nam tỉnh.",
         discussion="Các hộ dân kiến nghị về đơn giá bồi thường đất nông nghiệp, bố trí tái định cư tại chỗ, "
                    "công khai tiến độ chi trả và khiếu nại quyết định thu hồi đất.",
         directions="Giải thích căn cứ đơn giá bồi thường; rà soát quỹ đất tái định cư tại chỗ; công khai tiến độ "
                    "chi trả; hướng dẫn khiếu nại theo đúng thẩm quyền."),
    dict(key="vitri", day="2022-08-25", time="14:00", hours=2, kind="ad_hoc", audience="staff",
         occasion="", status="completed", public=False, place=HALL, chair="leader",
         title="Đối thoại đột xuất về sắp xếp vị trí việc làm, đánh giá công chức, viên chức",
         fields=("danh-gia-su-dung",), attendance=40,
         description="Đối thoại đột xuất khi triển khai đề án vị trí việc làm của Văn phòng.",
         discussion="Công chức, viên chức đề nghị công khai đề án vị trí việc làm và xem xét bố trí viên chức "
                    "theo chuyên môn đào tạo.",
         directions="Công khai đề án vị trí việc làm; giải thích nguyên tắc bố trí, điều động."),
    dict(key="gbt9", day="2022-09-29", time="14:00", hours=2.5, kind="periodic", audience="staff",
         occasion="monthly_briefing", status="concluded", public=False, place=ROOM, chair="chief",
         title="Đối thoại định kỳ tại họp giao ban tháng 9/2022",
         fields=("chat-luong-cong-tac", "dao-tao", "thu-tuc-hanh-chinh"), attendance=26,
         description="Đối thoại lồng ghép tại cuộc họp giao ban tháng của lãnh đạo Văn phòng.",
         discussion="Trao đổi về an toàn phòng máy chủ, bồi dưỡng kỹ năng chuyển đổi số và tỷ lệ hồ sơ trực "
                    "tuyến toàn trình.",
         directions="Lập dự án nâng cấp phòng máy chủ; cử công chức đi bồi dưỡng; hướng dẫn người dân nộp hồ sơ "
                    "trực tuyến tại quầy."),
    dict(key="donthu", day="2022-10-20", time="08:30", hours=2, kind="ad_hoc", audience="citizens",
         occasion="", status="completed", public=True, place=RECEPTION, chair="chief",
         title="Đối thoại đột xuất với công dân về việc chậm thông báo kết quả xử lý đơn",
         fields=("tiep-cong-dan",), attendance=9,
         description="Đối thoại đột xuất khi có nhiều phản ánh về việc chậm thông báo kết quả xử lý đơn.",
         discussion="Công dân phản ánh chưa nhận được thông báo xử lý đơn và đề nghị được tra cứu trực tuyến.",
         directions="Rà soát, thông báo kết quả xử lý toàn bộ đơn tồn; xây dựng chức năng tra cứu trực tuyến."),
    dict(key="chuyenmuc", day="2022-11-10", time="08:30", hours=2, kind="on_request", audience="citizens",
         occasion="", status="cancelled", public=True, place=CENTRE, chair="truong.congdinh",
         title="Đối thoại trực tiếp với công dân về thủ tục chuyển mục đích sử dụng đất",
         fields=("dat-dai", "thu-tuc-hanh-chinh"), attendance=None,
         description="Buổi đối thoại không tổ chức: công dân đã rút yêu cầu đối thoại do hồ sơ đã được giải quyết.",
         discussion="", directions="", note="Công dân có đơn rút yêu cầu đối thoại."),
    dict(key="tk2022", day="2022-12-22", time="08:00", hours=3.5, kind="periodic", audience="staff",
         occasion="annual_review", status="completed", public=False, place=HALL, chair="chief",
         title="Đối thoại định kỳ tại Hội nghị tổng kết năm 2022, triển khai nhiệm vụ năm 2023",
         fields=STAFF_FIELDS, attendance=94,
         description="Đối thoại trực tiếp tất cả các lĩnh vực với công chức, viên chức, người lao động, gắn với "
                     "Hội nghị tổng kết năm 2022, triển khai nhiệm vụ năm 2023.",
         discussion="Ý kiến về chế độ bồi dưỡng tiếp công dân, hoạt động văn hóa, thể thao và công tác quy hoạch "
                    "cán bộ nữ, cán bộ trẻ.",
         directions="Chi trả chế độ bồi dưỡng đúng kỳ; xây dựng kế hoạch hoạt động văn hóa, thể thao năm 2023."),
    # ---- this year (days counted from today)
    dict(key="datdai", day=-75, time="08:30", hours=2, kind="on_request", audience="citizens",
         occasion="", status="concluded", public=True, place=CENTRE, chair="chief",
         title="Đối thoại trực tiếp với công dân về thời gian giải quyết thủ tục đất đai",
         fields=("dat-dai", "thu-tuc-hanh-chinh"), attendance=21,
         description="Đối thoại theo đề nghị của công dân về thời gian giải quyết các thủ tục đất đai tại Trung "
                     "tâm Phục vụ hành chính công.",
         discussion="Công dân phản ánh hồ sơ đăng ký biến động quá hạn, đề nghị nhắn tin thông báo tình trạng hồ "
                    "sơ và công khai thời gian giải quyết thực tế.",
         directions="Trả kết quả hồ sơ quá hạn; triển khai tin nhắn thông báo; công khai thời gian giải quyết "
                    "hằng tháng."),
    dict(key="giaoban", day=-48, time="14:00", hours=2.5, kind="periodic", audience="staff",
         occasion="monthly_briefing", status="concluded", public=False, place=ROOM, chair="chief",
         title="Đối thoại định kỳ tại họp giao ban tháng {m}/{y}",
         fields=("quyen-loi", "dao-tao", "chat-luong-cong-tac"), attendance=27,
         description="Đối thoại lồng ghép tại cuộc họp giao ban tháng của lãnh đạo Văn phòng.",
         discussion="Ý kiến về chế độ hỗ trợ thành viên tổ công tác liên ngành, bồi dưỡng kỹ năng tiếp công dân "
                    "và chất lượng hội nghị truyền hình trực tuyến.",
         directions="Rà soát quy chế chi tiêu nội bộ; tổ chức lớp bồi dưỡng; đề nghị các huyện nâng cấp đường "
                    "truyền."),
    dict(key="motcua", day=-20, time="08:30", hours=2, kind="ad_hoc", audience="citizens",
         occasion="", status="held", public=True, place=CENTRE, chair="leader",
         title="Đối thoại đột xuất với công dân về thái độ phục vụ tại bộ phận một cửa",
         fields=("thai-do", "thu-tuc-hanh-chinh"), attendance=15,
         description="Đối thoại đột xuất sau các phản ánh về thái độ phục vụ tại quầy tiếp nhận hồ sơ.",
         discussion="Công dân phản ánh thái độ của công chức tại quầy, thời gian chờ và đề nghị bố trí máy tính "
                    "tự phục vụ.",
         directions="Trung tâm Phục vụ hành chính công dự thảo nội dung trả lời; Phòng TCHCQT dự thảo Thông báo "
                    "kết luận."),
    dict(key="phanmem", day=-12, time="14:00", hours=2, kind="ad_hoc", audience="staff",
         occasion="", status="held", public=False, place=ROOM, chair="chief",
         title="Đối thoại đột xuất về ứng dụng phần mềm quản lý văn bản và hồ sơ công việc",
         fields=("chat-luong-cong-tac",), attendance=38,
         description="Đối thoại đột xuất khi đưa phần mềm quản lý văn bản mới vào sử dụng.",
         discussion="Ý kiến về chức năng tìm kiếm văn bản và nhu cầu tập huấn lại phần mềm.",
         directions="Trung tâm Công báo - Tin học tổng hợp lỗi, làm việc với nhà cung cấp, đề xuất tập huấn."),
    dict(key="capdoi", day=-5, time="08:30", hours=2, kind="on_request", audience="citizens",
         occasion="", status="postponed", public=True, place=RECEPTION, chair="truong.congdinh",
         title="Đối thoại trực tiếp với công dân về việc cấp đổi giấy chứng nhận quyền sử dụng đất",
         fields=("dat-dai",), attendance=None,
         description="Hoãn theo đề nghị của công dân; thời gian tổ chức lại sẽ được thông báo sau.",
         discussion="", directions="", note="Công dân đề nghị hoãn do đang điều trị tại bệnh viện."),
    dict(key="tuan", day=4, time="08:00", hours=1.5, kind="periodic", audience="staff",
         occasion="weekly_briefing", status="scheduled", public=False, place=ROOM, chair="chief",
         title="Đối thoại định kỳ tại họp giao ban tuần ngày {d}",
         fields=("quyen-loi", "chat-luong-cong-tac"),
         description="Đối thoại lồng ghép tại cuộc họp giao ban tuần; các phòng gửi ý kiến về Phòng TCHCQT "
                     "trước 02 ngày làm việc."),
    dict(key="taidinhcu", day=9, time="08:30", hours=2, kind="on_request", audience="citizens",
         occasion="", status="scheduled", public=True, place=RECEPTION, chair="chief",
         title="Đối thoại trực tiếp với công dân về bố trí đất tái định cư dự án Khu dân cư Bắc An Hòa",
         fields=("dat-dai", "tiep-cong-dan"),
         description="Đối thoại theo đề nghị của công dân. Công dân có liên quan đăng ký tham dự tại Trụ sở Tiếp "
                     "công dân tỉnh trong giờ hành chính."),
    dict(key="dvc", day=16, time="08:30", hours=2, kind="ad_hoc", audience="citizens",
         occasion="", status="scheduled", public=True, place=CENTRE, chair="leader",
         title="Đối thoại đột xuất về thủ tục hành chính trên Cổng dịch vụ công trực tuyến",
         fields=("thu-tuc-hanh-chinh",),
         description="Đối thoại về các vướng mắc khi nộp hồ sơ, thanh toán trực tuyến trên Cổng dịch vụ công."),
    dict(key="quanTriet2", day=25, time="08:00", hours=3, kind="periodic", audience="staff",
         occasion="directive_briefing", status="scheduled", public=False, place=HALL, chair="chief",
         title="Đối thoại định kỳ tại hội nghị quán triệt, triển khai văn bản của Đảng, Nhà nước năm {y}",
         fields=("xay-dung-dang", "dan-chu"),
         description="Đối thoại gắn với hội nghị quán triệt, triển khai các văn bản mới của Đảng, Nhà nước."),
]

# ---------------------------------------------------------------- opinions
# key, dialogue key, day received (None = the dialogue's day), kind, channel, audience,
# submitter name, submitter contact, field, assigned unit, status (None = from its conclusion),
# content, draft answer.
OPINIONS = [
    # Hội nghị tổng kết năm 2021
    ("tk21-1", "tk2021", "2022-01-10", "petition", "unit", "staff", "Tập thể Phòng Kinh tế tổng hợp",
     "Phòng Kinh tế tổng hợp", "quyen-loi", "TCHCQT", None,
     "Đề nghị thanh toán tiền làm thêm giờ cho công chức trực, làm việc ngoài giờ phục vụ các phiên họp UBND "
     "tỉnh quý IV/2021; đến nay một số trường hợp chưa được thanh toán.",
     "Phòng TCHCQT đã rà soát bảng chấm công làm thêm giờ quý IV/2021; các trường hợp đủ hồ sơ được thanh toán "
     "trong tháng 02/2022 theo Quy chế chi tiêu nội bộ."),
    ("tk21-2", "tk2021", None, "opinion", "dialogue", "staff", "Ngô Thị Diệu", "Phòng Kinh tế tổng hợp",
     "dao-tao", "TCHCQT", None,
     "Đề nghị xây dựng kế hoạch cử công chức trẻ đi học trung cấp lý luận chính trị, bồi dưỡng ngạch chuyên "
     "viên chính năm 2022; công khai tiêu chuẩn và thứ tự ưu tiên.",
     "Tổng hợp nhu cầu đào tạo của các phòng, đơn vị; trình ban hành kế hoạch đào tạo, bồi dưỡng năm 2022 kèm "
     "tiêu chí lựa chọn."),
    ("tk21-3", "tk2021", None, "feedback", "dialogue", "staff", "Vũ Đình Dũng", "Trung tâm Công báo - Tin học",
     "chat-luong-cong-tac", "TCHCQT", None,
     "Phản ánh máy tính tại một số phòng đã sử dụng trên 7 năm, cấu hình thấp, thường bị treo khi ký số văn "
     "bản, ảnh hưởng tiến độ xử lý công việc.",
     "Phối hợp Trung tâm Công báo - Tin học lập danh mục máy tính cần thay thế, đưa vào dự toán mua sắm 2022."),
    ("tk21-4", "tk2021", None, "opinion", "dialogue", "staff", "Trần Quốc Việt", "Phòng Nội chính",
     "dan-chu", "TCHCQT", None,
     "Đề nghị công khai kết quả đánh giá, xếp loại chất lượng công chức, viên chức năm 2021 tại hội nghị và "
     "trên mạng nội bộ để mọi người cùng biết, giám sát.",
     "Kết quả đánh giá, xếp loại năm 2021 đã công khai tại Hội nghị; đăng tải trên mạng nội bộ trong tháng 01/2022."),
    # Hội nghị công chức, viên chức 2022
    ("ccvc-1", "ccvc2022", "2022-02-08", "petition", "unit", "staff", "Tập thể Phòng Văn hóa - Xã hội",
     "Phòng Văn hóa - Xã hội", "quyen-loi", "TCHCQT", None,
     "Kiến nghị nâng mức hỗ trợ từ quỹ phúc lợi cho công chức, viên chức có hoàn cảnh khó khăn, ốm đau dài ngày.",
     "Đề xuất Công đoàn phối hợp sửa đổi Quy chế chi tiêu nội bộ, nâng mức hỗ trợ ốm đau dài ngày."),
    ("ccvc-2", "ccvc2022", None, "opinion", "dialogue", "staff", "Đoàn Ngọc Anh", "Phòng Văn hóa - Xã hội",
     "danh-gia-su-dung", "TCHCQT", None,
     "Đề nghị đánh giá công chức theo kết quả, sản phẩm công việc hằng tháng trên phần mềm, không chỉ tự nhận "
     "xét cuối năm, để bảo đảm khách quan.",
     "Xây dựng tiêu chí và thí điểm đánh giá hằng tháng theo sản phẩm công việc từ quý III/2022."),
    ("ccvc-3", "ccvc2022", None, "opinion", "dialogue", "staff", "Trần Thị Bích Ngọc", "Phòng Kinh tế tổng hợp",
     "dan-chu", "TCHCQT", None,
     "Đề nghị lãnh đạo Văn phòng lấy ý kiến rộng rãi công chức trước khi ban hành các quy chế nội bộ như quy "
     "chế làm việc, quy chế chi tiêu nội bộ.",
     "Các dự thảo quy chế đã gửi lấy ý kiến các phòng; sẽ đăng tải dự thảo trên mạng nội bộ ít nhất 07 ngày."),
    ("ccvc-4", "ccvc2022", None, "feedback", "dialogue", "staff", "Đặng Thị Thu Hà", "Phòng Nội chính",
     "chat-luong-cong-tac", "TCHCQT", None,
     "Phản ánh việc phát hành văn bản qua hệ thống quản lý văn bản còn chậm, nhiều văn bản đã ký phải chờ 1-2 "
     "ngày mới được phát hành.",
     "Bộ phận Văn thư phát hành văn bản trong ngày sau khi ký số; báo cáo tình hình hằng tháng."),
    ("ccvc-5", "ccvc2022", None, "opinion", "dialogue", "staff", "Lê Thị An", "Đoàn Thanh niên",
     "dao-tao", "TCHCQT", None,
     "Đề nghị tổ chức bồi dưỡng kỹ năng soạn thảo văn bản và sử dụng chữ ký số cho công chức, viên chức mới "
     "tuyển dụng.",
     "Phối hợp Trung tâm Công báo - Tin học tổ chức tập huấn chữ ký số cho công chức, viên chức mới."),
    # Giao ban tháng 3/2022
    ("gbt3-1", "gbt3", None, "feedback", "dialogue", "staff", "Dương Văn Đức", "Phòng Tiếp công dân",
     "thu-tuc-hanh-chinh", "TTPVHCC", None,
     "Phản ánh việc chuyển hồ sơ giữa Trung tâm Phục vụ hành chính công và các phòng còn thủ công, có hồ sơ bị "
     "chậm 1-2 ngày.",
     "Chuyển toàn bộ việc luân chuyển hồ sơ lên hệ thống một cửa điện tử từ tháng 5/2022."),
    ("gbt3-2", "gbt3", None, "opinion", "dialogue", "staff", "Trần Quốc Việt", "Phòng Nội chính",
     "chat-luong-cong-tac", "TCHCQT", None,
     "Đề nghị quy định thời hạn các phòng cho ý kiến đối với dự thảo văn bản xin ý kiến nội bộ, tránh chờ đợi "
     "kéo dài.",
     "Quy chế làm việc đã quy định thời hạn góp ý 03 ngày làm việc; đề nghị các phòng thực hiện nghiêm."),
    # Đối thoại với công dân về giấy chứng nhận quyền sử dụng đất
    ("gcn-1", "gcn", "2022-03-28", "complaint", "letter", "citizens", "Nguyễn Văn Tám",
     "0912 345 678; CCCD 049068001235; thôn Phú Lộc, xã An Phú, huyện An Hòa", "dat-dai", "KTN", None,
     "Khiếu nại việc hồ sơ đề nghị cấp giấy chứng nhận quyền sử dụng đất nộp tại Trung tâm Phục vụ hành chính "
     "công từ tháng 11/2021 đã quá hạn nhưng không nhận được văn bản xin lỗi, hẹn lại ngày trả kết quả.",
     "Trung tâm và Sở Tài nguyên và Môi trường đã xác định nguyên nhân chậm; dự kiến trả kết quả trước "
     "ngày 29/4/2022 và gửi văn bản xin lỗi công dân."),
    ("gcn-2", "gcn", None, "feedback", "dialogue", "citizens", "Trần Thị Lan",
     "0905 123 456; tổ 12, phường Tân An, thành phố", "thu-tuc-hanh-chinh", "TTPVHCC", None,
     "Phản ánh phải nộp bổ sung giấy tờ nhiều lần do công chức tiếp nhận không hướng dẫn đầy đủ ngay từ đầu.",
     "Thực hiện hướng dẫn bổ sung hồ sơ một lần bằng văn bản; niêm yết thành phần hồ sơ từng thủ tục."),
    ("gcn-3", "gcn", None, "petition", "dialogue", "citizens", "Hoàng Văn Sơn", "+84 236 3822 123",
     "dat-dai", "KTN", None,
     "Kiến nghị xem xét điều chỉnh bảng giá đất tại khu vực thôn Phú Lộc cho phù hợp với giá thị trường khi tính "
     "tiền sử dụng đất.",
     "Nội dung thuộc thẩm quyền tham mưu của Sở Tài nguyên và Môi trường; đề xuất chuyển Sở xem xét."),
    # Hội nghị quán triệt Kết luận 21-KL/TW
    ("qt-1", "quantriet", None, "opinion", "dialogue", "staff", "Đỗ Minh Đạt", "Phòng Nội chính",
     "xay-dung-dang", "TCHCQT", None,
     "Đề nghị Đảng ủy cơ quan cụ thể hóa Kết luận số 21-KL/TW bằng chương trình hành động, phân công rõ trách "
     "nhiệm từng chi bộ, đảng viên.",
     "Tham mưu Đảng ủy ban hành chương trình hành động trong tháng 6/2022."),
    ("qt-2", "quantriet", None, "opinion", "dialogue", "staff", "Lê Thị An", "Đoàn Thanh niên",
     "xay-dung-dang", "TCHCQT", None,
     "Đề nghị tạo điều kiện để đoàn viên thanh niên ưu tú được bồi dưỡng nhận thức về Đảng, giới thiệu kết nạp "
     "Đảng.",
     "Đoàn Thanh niên phối hợp các chi bộ lập danh sách đoàn viên ưu tú tham gia lớp bồi dưỡng."),
    # Giao ban tuần 06/6/2022
    ("gbt6-1", "gbtuan", None, "feedback", "dialogue", "staff", "Ngô Thị Diệu", "Phòng Kinh tế tổng hợp",
     "chat-luong-cong-tac", "KTTH", None,
     "Phản ánh lịch họp của UBND tỉnh thường thay đổi sát giờ, các phòng không kịp chuẩn bị tài liệu.",
     "Thông báo lịch công tác tuần trước 16 giờ thứ Sáu; thay đổi phải báo trước ít nhất 01 ngày."),
    ("gbt6-2", "gbtuan", None, "opinion", "dialogue", "staff", "Bùi Thị Ánh", "Trung tâm Phục vụ hành chính công",
     "danh-gia-su-dung", "TCHCQT", None,
     "Đề nghị bố trí thêm nhân sự cho bộ phận tiếp nhận hồ sơ đất đai tại Trung tâm do lượng hồ sơ tăng cao.",
     "Đề xuất điều động tạm thời 01 công chức hỗ trợ bộ phận tiếp nhận hồ sơ đất đai trong quý III/2022."),
    # Đối thoại đột xuất về làm thêm giờ, công tác phí
    ("ltg-1", "lamthem", "2022-06-10", "petition", "unit", "staff", "Tập thể Phòng Kinh tế ngành",
     "Phòng Kinh tế ngành", "quyen-loi", "TCHCQT", None,
     "Kiến nghị thanh toán công tác phí theo mức khoán, thủ tục đơn giản hơn cho công chức đi kiểm tra thực địa "
     "các dự án.",
     "Đề xuất sửa đổi Quy chế chi tiêu nội bộ theo hướng khoán công tác phí cho các chuyến đi trong tỉnh."),
    ("ltg-2", "lamthem", None, "opinion", "dialogue", "staff", "Trần Văn Dũng", "Phòng Kinh tế ngành",
     "quyen-loi", "TCHCQT", None,
     "Đề nghị làm rõ cách tính thời gian làm thêm giờ vào ngày nghỉ, ngày lễ khi phục vụ các đoàn công tác của "
     "Trung ương.",
     "Giải thích cách tính theo Bộ luật Lao động và văn bản hướng dẫn; phổ biến bằng văn bản đến các phòng."),
    ("ltg-3", "lamthem", None, "petition", "dialogue", "staff", "Vũ Đình Dũng", "Trung tâm Công báo - Tin học",
     "quyen-loi", "TCHCQT", None,
     "Kiến nghị xem xét phụ cấp cho viên chức trực vận hành hệ thống thông tin ngoài giờ hành chính.",
     "Chưa có quy định về phụ cấp này; đề xuất có văn bản xin ý kiến Sở Nội vụ."),
    # Đối thoại với công dân về thái độ phục vụ tại Trụ sở Tiếp công dân
    ("td-1", "thaido", "2022-07-05", "complaint", "reception", "citizens", "Phạm Thị Hoa",
     "0935 246 810; CCCD 049175002468; thôn 2, xã Tam Hiệp, huyện Đông Sơn", "thai-do", "TCD", None,
     "Phản ánh công chức tiếp công dân có thái độ thiếu tôn trọng, không để bà trình bày hết nội dung vụ việc "
     "tranh chấp đất đai.",
     "Phòng đã làm việc với công chức liên quan; đề xuất kiểm điểm, rút kinh nghiệm và trả lời công dân."),
    ("td-2", "thaido", None, "opinion", "dialogue", "citizens", "Đinh Thị Mai", "0978 112 233",
     "tiep-cong-dan", "TCD", None,
     "Đề nghị bố trí khu vực chờ, ghế ngồi và nước uống cho công dân đến Trụ sở Tiếp công dân, nhất là người "
     "cao tuổi.",
     "Đề xuất Phòng TCHCQT cải tạo khu vực chờ trong quý III/2022."),
    ("td-3", "thaido", "2022-07-12", "feedback", "hotline", "citizens", "Võ Văn Tư", "0914 567 890",
     "thai-do", "TCD", None,
     "Phản ánh gọi điện đến Trụ sở Tiếp công dân nhiều lần trong giờ hành chính nhưng không có người nghe máy.",
     "Phân công công chức thường trực điện thoại; công khai số đường dây nóng."),
    # Chủ tịch UBND tỉnh đối thoại với nhân dân huyện An Hòa
    ("ah-1", "anhoa", None, "petition", "dialogue", "citizens", "Huỳnh Thị Kim",
     "0905 778 899; CCCD 049170003579; thôn Đông Bắc, xã An Phú, huyện An Hòa", "dat-dai", "KTN", None,
     "Kiến nghị nâng đơn giá bồi thường đất nông nghiệp trong dự án Khu dân cư Bắc An Hòa vì thấp hơn nhiều so "
     "với giá chuyển nhượng thực tế.",
     "Đơn giá bồi thường xác định theo giá đất cụ thể đã được UBND tỉnh phê duyệt; đề xuất giải thích rõ căn cứ."),
    ("ah-2", "anhoa", None, "petition", "dialogue", "citizens", "Đào Văn Lộc", "0913 246 357",
     "dat-dai", "KTN", None,
     "Đề nghị bố trí tái định cư tại chỗ cho các hộ bị thu hồi toàn bộ đất ở, không phải chuyển đến khu tái định "
     "cư xa nơi sinh sống.",
     "Đề xuất giao UBND huyện An Hòa rà soát quỹ đất, lập phương án tái định cư tại chỗ."),
    ("ah-3", "anhoa", "2022-07-25", "complaint", "letter", "citizens", "Nguyễn Văn Hải",
     "0986 135 790; CCCD 049065004321", "dat-dai", "NC", None,
     "Khiếu nại quyết định thu hồi đất của UBND huyện An Hòa vì cho rằng diện tích bị thu hồi đo đạc không "
     "đúng thực tế.",
     "Khiếu nại quyết định hành chính thuộc thẩm quyền Chủ tịch UBND huyện; đề xuất chuyển đơn, hướng dẫn công dân."),
    ("ah-4", "anhoa", None, "opinion", "dialogue", "citizens", "Mai Văn Phúc", "0916 864 209",
     "dat-dai", "KTN", None,
     "Đề nghị công khai tiến độ chi trả tiền bồi thường, hỗ trợ cho từng hộ dân tại nhà văn hóa thôn.",
     "Đề xuất giao UBND huyện niêm yết tiến độ chi trả tại nhà văn hóa thôn và trụ sở UBND xã."),
    # Đối thoại đột xuất về vị trí việc làm
    ("vt-1", "vitri", None, "opinion", "dialogue", "staff", "Nguyễn Thị Đào", "Phòng Kinh tế tổng hợp",
     "danh-gia-su-dung", "TCHCQT", None,
     "Đề nghị công khai đề án vị trí việc làm của Văn phòng để công chức biết vị trí, khung năng lực của mình.",
     "Công khai đề án vị trí việc làm đã được phê duyệt trên mạng nội bộ, phổ biến đến từng phòng."),
    ("vt-2", "vitri", None, "petition", "dialogue", "staff", "Huỳnh Văn Ân", "Trung tâm Phục vụ hành chính công",
     "danh-gia-su-dung", "TCHCQT", None,
     "Kiến nghị xem xét chuyển viên chức làm việc lâu năm tại Trung tâm sang vị trí phù hợp với chuyên môn "
     "đào tạo.",
     "Việc bố trí thực hiện theo đề án vị trí việc làm và nhu cầu công tác; Phòng TCHCQT trao đổi với viên chức."),
    # Giao ban tháng 9/2022
    ("gbt9-1", "gbt9", "2022-09-20", "petition", "unit", "staff", "Tập thể Trung tâm Công báo - Tin học",
     "Trung tâm Công báo - Tin học", "chat-luong-cong-tac", "CBTH", None,
     "Kiến nghị đầu tư nâng cấp phòng máy chủ (điều hòa, lưu điện, phòng cháy) để bảo đảm an toàn hệ thống "
     "thông tin của Văn phòng.",
     "Lập dự án nâng cấp phòng máy chủ, trình thẩm định và bố trí vốn."),
    ("gbt9-2", "gbt9", None, "opinion", "dialogue", "staff", "Đoàn Ngọc Anh", "Phòng Văn hóa - Xã hội",
     "dao-tao", "TCHCQT", None,
     "Đề nghị cử công chức tham gia lớp bồi dưỡng kỹ năng chuyển đổi số do Bộ Thông tin và Truyền thông tổ chức.",
     "Cử 05 công chức tham gia lớp bồi dưỡng trong quý IV/2022."),
    ("gbt9-3", "gbt9", None, "feedback", "dialogue", "staff", "Bùi Thị Ánh", "Trung tâm Phục vụ hành chính công",
     "thu-tuc-hanh-chinh", "TTPVHCC", None,
     "Phản ánh tỷ lệ hồ sơ trực tuyến toàn trình còn thấp do người dân chưa quen thao tác trên Cổng dịch vụ công.",
     "Bố trí viên chức hướng dẫn người dân nộp hồ sơ trực tuyến tại quầy."),
    # Đối thoại đột xuất về chậm thông báo kết quả xử lý đơn
    ("dt-1", "donthu", "2022-10-03", "feedback", "letter", "citizens", "Lý Thị Thu",
     "0903 579 135; lythithu@example.com", "tiep-cong-dan", "TCD", None,
     "Phản ánh đơn kiến nghị gửi Văn phòng UBND tỉnh từ tháng 6/2022 đến nay chưa nhận được thông báo thụ lý "
     "hay chuyển đơn.",
     "Rà soát toàn bộ đơn chưa có thông báo xử lý, gửi thông báo cho người gửi đơn trong 10 ngày."),
    ("dt-2", "donthu", None, "petition", "dialogue", "citizens", "Dương Thị Nga", "0917 864 531",
     "tiep-cong-dan", "TCD", None,
     "Kiến nghị cho phép tra cứu trực tuyến tình trạng xử lý đơn thư bằng mã số tiếp nhận.",
     "Đề xuất xây dựng chức năng tra cứu trên Cổng thông tin điện tử tỉnh."),
    # Đối thoại bị hủy: công dân rút yêu cầu
    ("cm-1", "chuyenmuc", "2022-10-24", "petition", "letter", "citizens", "Trần Văn Bảy",
     "0965 432 198; CCCD 049077005432", "dat-dai", "KTN", "withdrawn",
     "Đề nghị được đối thoại trực tiếp về việc hồ sơ chuyển mục đích sử dụng đất từ đất trồng cây lâu năm sang "
     "đất ở bị trả lại nhiều lần.", ""),
    # Hội nghị tổng kết năm 2022
    ("tk22-1", "tk2022", "2022-12-12", "petition", "unit", "staff", "Tập thể Phòng Tiếp công dân",
     "Phòng Tiếp công dân", "quyen-loi", "TCHCQT", None,
     "Kiến nghị chi trả chế độ bồi dưỡng cho công chức làm công tác tiếp công dân, xử lý đơn thư đầy đủ, kịp "
     "thời theo quy định.",
     "Chi trả chế độ bồi dưỡng hằng tháng, cùng kỳ lương."),
    ("tk22-2", "tk2022", None, "opinion", "dialogue", "staff", "Lê Thị Thanh Tâm", "Phòng Kinh tế ngành",
     "quyen-loi", "TCHCQT", None,
     "Đề nghị năm 2023 tổ chức các hoạt động giao lưu văn hóa, thể thao, tham quan học tập kinh nghiệm cho công "
     "chức, viên chức, người lao động.",
     "Đề xuất Công đoàn phối hợp Đoàn Thanh niên xây dựng kế hoạch năm 2023."),
    ("tk22-3", "tk2022", None, "opinion", "dialogue", "staff", "Trần Thị Bích Ngọc", "Phòng Kinh tế tổng hợp",
     "danh-gia-su-dung", "TCHCQT", None,
     "Đề nghị quan tâm tỷ lệ cán bộ nữ, cán bộ trẻ khi quy hoạch, bổ nhiệm lãnh đạo phòng.",
     "Quy hoạch giai đoạn 2021-2026 đã bảo đảm tỷ lệ theo quy định; tiếp tục quan tâm khi rà soát, bổ sung."),
    # 2022, outside dialogues
    ("x22-1", None, "2022-05-23", "denunciation", "letter", "citizens", "Lê Văn Hùng",
     "0987 654 321; CCCD 049080004567; tổ 5, phường Hòa Thuận, thành phố", "thai-do", "TCHCQT", "explained",
     "Tố cáo một viên chức tại bộ phận tiếp nhận hồ sơ có hành vi gợi ý nhận tiền để giải quyết nhanh hồ sơ "
     "đăng ký biến động đất đai.",
     "Dự thảo thông báo kết quả giải quyết tố cáo: qua xác minh, trích xuất camera và làm việc với các bên liên "
     "quan, chưa có căn cứ xác định viên chức bị tố cáo có hành vi như nội dung tố cáo."),
    ("x22-2", None, "2022-03-08", "feedback", "hotline", "citizens", "Nguyễn Thị Hồng", "0932 111 222",
     "thu-tuc-hanh-chinh", "TTPVHCC", "explained",
     "Phản ánh hệ thống xếp hàng tự động tại Trung tâm Phục vụ hành chính công thường bị lỗi vào buổi sáng.",
     "Lỗi do thiết bị in phiếu; Trung tâm đã thay thế và trả lời trực tiếp cho công dân."),
    ("x22-3", None, "2022-09-12", "petition", "reception", "citizens", "Hoàng Thị Yến",
     "0974 808 606; CCCD 049182006789", "dat-dai", "NC", "referred",
     "Kiến nghị xem xét lại việc giải quyết tranh chấp ranh giới đất với hộ liền kề đã được UBND xã hòa giải "
     "không thành.",
     "Tranh chấp đất đai đã hòa giải không thành thuộc thẩm quyền của UBND huyện; đề xuất chuyển đơn."),
    ("x22-4", None, "2022-11-21", "opinion", "hotline", "citizens", "Phạm Văn Lợi", "0945 357 159",
     "thu-tuc-hanh-chinh", "TTPVHCC", "explained",
     "Góp ý nên bố trí quầy hướng dẫn riêng cho người cao tuổi, người khuyết tật tại Trung tâm Phục vụ hành "
     "chính công.",
     "Trung tâm đã bố trí ưu tiên người cao tuổi, người khuyết tật tại quầy số 1."),
    ("x22-5", None, "2022-08-01", "complaint", "letter", "citizens", "Trịnh Văn Nam", "0968 246 135",
     "tiep-cong-dan", "NC", "withdrawn",
     "Khiếu nại việc đơn của ông bị chuyển qua lại giữa các cơ quan nhưng không được giải quyết.", ""),
    # ---- this year
    ("dd-1", "datdai", -88, "complaint", "letter", "citizens", "Nguyễn Văn Thành",
     "0919 468 024; CCCD 049071007890; thôn 4, xã Bình Sơn, huyện Tiên Phước", "dat-dai", "TTPVHCC", None,
     "Khiếu nại hồ sơ đăng ký biến động đất đai (tặng cho quyền sử dụng đất) đã quá hạn 20 ngày nhưng không được "
     "thông báo lý do.",
     "Hồ sơ chậm do phải xác minh nguồn gốc đất; đề xuất trả kết quả, gửi văn bản xin lỗi công dân."),
    ("dd-2", "datdai", None, "petition", "dialogue", "citizens", "Lê Thị Hạnh", "0906 135 246",
     "thu-tuc-hanh-chinh", "TTPVHCC", None,
     "Kiến nghị gửi tin nhắn thông báo cho người dân khi hồ sơ đến hạn trả kết quả hoặc cần bổ sung.",
     "Đề xuất triển khai tin nhắn thông báo tự động từ hệ thống một cửa điện tử."),
    ("dd-3", "datdai", None, "opinion", "dialogue", "citizens", "Đỗ Văn Tiến", "0947 555 321",
     "dat-dai", "KTN", None,
     "Đề nghị công khai hằng tháng thời gian giải quyết thực tế của từng loại thủ tục đất đai tại Trung tâm.",
     "Đề xuất công khai số liệu hằng tháng trên Cổng thông tin điện tử tỉnh."),
    ("gb-1", "giaoban", -55, "petition", "unit", "staff", "Tập thể Phòng Nội chính", "Phòng Nội chính",
     "quyen-loi", "TCHCQT", None,
     "Kiến nghị xem xét chế độ hỗ trợ cho công chức được cử tham gia tổ công tác liên ngành làm việc ngoài giờ "
     "hành chính.",
     "Rà soát, đề xuất bổ sung chế độ hỗ trợ vào Quy chế chi tiêu nội bộ."),
    ("gb-2", "giaoban", None, "opinion", "dialogue", "staff", "Dương Văn Đức", "Phòng Tiếp công dân",
     "dao-tao", "TCHCQT", None,
     "Đề nghị tổ chức bồi dưỡng kỹ năng tiếp công dân, xử lý tình huống khi tiếp người có thái độ gay gắt.",
     "Phối hợp Thanh tra tỉnh tổ chức lớp bồi dưỡng trong tháng tới."),
    ("gb-3", "giaoban", None, "feedback", "dialogue", "staff", "Phan Thị Ánh Dương",
     "Phòng Tổ chức-Hành chính-Quản trị", "chat-luong-cong-tac", "CBTH", None,
     "Phản ánh hội nghị truyền hình trực tuyến thường bị gián đoạn âm thanh khi kết nối với các điểm cầu huyện.",
     "Nguyên nhân do đường truyền tại điểm cầu huyện; đề xuất có văn bản đề nghị các huyện nâng cấp."),
    ("mc-1", "motcua", -27, "complaint", "reception", "citizens", "Trần Thị Thu Trang",
     "0977 246 802; CCCD 049185008642", "thai-do", "TTPVHCC", "answer_drafted",
     "Phản ánh công chức tại quầy tiếp nhận hồ sơ trả lời cộc lốc, yêu cầu nộp lại hồ sơ mà không giải thích "
     "lý do.",
     "Trung tâm đã làm việc với công chức liên quan; đề xuất kiểm điểm, rút kinh nghiệm và trả lời bằng văn bản "
     "cho công dân."),
    ("mc-2", "motcua", None, "feedback", "dialogue", "citizens", "Võ Thị Thanh Nhàn", "0935 100 200",
     "thai-do", "TTPVHCC", "answer_drafted",
     "Phản ánh thời gian chờ tại quầy đất đai vào sáng thứ Hai thường trên 01 giờ, không có hướng dẫn phân luồng.",
     "Bố trí thêm 01 quầy đất đai vào sáng thứ Hai và nhân viên hướng dẫn phân luồng."),
    ("mc-3", "motcua", None, "opinion", "dialogue", "citizens", "Bùi Văn Thắng", "0903 864 297",
     "thu-tuc-hanh-chinh", "TTPVHCC", "answer_drafted",
     "Đề nghị bố trí thêm máy tính, máy scan để người dân tự nộp hồ sơ trực tuyến tại Trung tâm.",
     "Bố trí khu vực tự phục vụ gồm 04 máy tính và 02 máy scan."),
    ("pm-1", "phanmem", None, "feedback", "dialogue", "staff", "Ngô Thị Diệu", "Phòng Kinh tế tổng hợp",
     "chat-luong-cong-tac", "CBTH", "assigned",
     "Phản ánh phần mềm quản lý văn bản mới chưa tìm kiếm được theo trích yếu có dấu, mất nhiều thời gian tra cứu.",
     ""),
    ("pm-2", "phanmem", None, "petition", "dialogue", "staff", "Lê Quang Đông", "Phòng Tiếp công dân",
     "chat-luong-cong-tac", "CBTH", "answer_drafted",
     "Kiến nghị tổ chức tập huấn lại phần mềm cho công chức lớn tuổi và bố trí đầu mối hỗ trợ tại chỗ.",
     "Tổ chức 02 buổi tập huấn theo nhóm và phân công đầu mối hỗ trợ tại từng tầng."),
    ("cd-1", "capdoi", -30, "petition", "letter", "citizens", "Đặng Văn Quý",
     "0914 333 777; CCCD 049069009753", "dat-dai", "KTN", "assigned",
     "Đề nghị được đối thoại về việc chậm cấp đổi giấy chứng nhận quyền sử dụng đất do sai sót thông tin thửa đất.",
     ""),
    ("tu-1", "tuan", -6, "opinion", "unit", "staff", "Tập thể Phòng Kinh tế ngành", "Phòng Kinh tế ngành",
     "quyen-loi", "TCHCQT", "received",
     "Đề nghị bố trí xe công vụ hợp lý hơn cho các đoàn kiểm tra thực địa dự án ở các huyện miền núi.", ""),
    ("tdc-1", "taidinhcu", -21, "petition", "letter", "citizens", "Lương Văn Cường",
     "0988 765 432; CCCD 049064001357; thôn Tân Lập, xã An Phú, huyện An Hòa", "dat-dai", "KTN", "answer_drafted",
     "Đề nghị được đối thoại trực tiếp về việc chưa được bố trí đất tái định cư sau khi đã bàn giao mặt bằng cho "
     "dự án Khu dân cư Bắc An Hòa.",
     "UBND huyện An Hòa đang hoàn thiện phương án bố trí tái định cư; đề xuất trả lời tại buổi đối thoại."),
    ("tdc-2", "taidinhcu", -12, "opinion", "hotline", "citizens", "Đặng Thị Diễm", "0905 999 111",
     "tiep-cong-dan", "TCD", "explained",
     "Hỏi thời gian, địa điểm và cách đăng ký tham dự buổi đối thoại về bố trí đất tái định cư.",
     "Đã hướng dẫn công dân qua điện thoại về thời gian, địa điểm và cách đăng ký tham dự."),
    ("dvc-1", "dvc", -4, "feedback", "hotline", "citizens", "Tạ Văn Minh", "0911 222 333",
     "thu-tuc-hanh-chinh", "TTPVHCC", "received",
     "Phản ánh không thanh toán trực tuyến được lệ phí khi nộp hồ sơ trên Cổng dịch vụ công.", ""),
    ("qt2-1", "quanTriet2", -5, "opinion", "unit", "staff", "Lê Thị An", "Đoàn Thanh niên",
     "xay-dung-dang", "TCHCQT", "assigned",
     "Đề nghị lồng ghép sinh hoạt chuyên đề học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh vào "
     "hội nghị.", ""),
    ("y-1", None, -60, "petition", "reception", "citizens", "Phạm Văn Hòa", "0936 258 147; CCCD 049073002580",
     "dat-dai", "NC", "referred",
     "Kiến nghị xem xét việc UBND xã xác nhận nguồn gốc đất không đúng thực tế sử dụng.",
     "Nội dung thuộc thẩm quyền của UBND huyện; đề xuất chuyển đơn."),
    ("y-2", None, -35, "feedback", "hotline", "citizens", "Trần Văn Quang", "+84 236 3821 456",
     "thu-tuc-hanh-chinh", "TTPVHCC", "assigned",
     "Phản ánh kết quả giải quyết hồ sơ trả qua dịch vụ bưu chính bị chậm so với ngày hẹn.", ""),
    ("y-3", None, -42, "complaint", "letter", "citizens", "Hồ Thị Lệ",
     "0942 135 864; CCCD 049178003691; tổ 8, phường An Mỹ, thành phố", "tiep-cong-dan", "TCD", "answer_drafted",
     "Khiếu nại việc đơn kiến nghị gửi từ tháng trước đến nay chưa được phản hồi.",
     "Đơn đã được chuyển Sở Xây dựng giải quyết; dự thảo văn bản thông báo việc chuyển đơn cho công dân."),
    ("y-4", None, -15, "opinion", "unit", "staff", "Đặng Thị Thu Hà", "Phòng Nội chính",
     "dan-chu", "TCHCQT", "assigned",
     "Đề nghị công khai kế hoạch sử dụng kinh phí tiết kiệm chi thường xuyên năm nay để công chức góp ý.", ""),
    ("y-5", None, -2, "opinion", "hotline", "citizens", "Kiều Thị Oanh", "0983 444 555",
     "thai-do", "TCD", "received",
     "Khen ngợi công chức tiếp công dân hướng dẫn tận tình; đề nghị Văn phòng biểu dương.", ""),
    ("y-6", None, -50, "petition", "letter", "citizens", "Nông Văn Tài", "0967 321 654; CCCD 049083004826",
     "dat-dai", "KTN", "explained",
     "Đề nghị xem xét hỗ trợ chuyển đổi nghề cho hộ bị thu hồi đất nông nghiệp.",
     "Giải thích chính sách hỗ trợ chuyển đổi nghề, tìm kiếm việc làm theo quy định hiện hành."),
    ("y-7", None, -25, "feedback", "unit", "staff", "Vũ Đình Dũng", "Trung tâm Công báo - Tin học",
     "xay-dung-dang", "TCHCQT", "assigned",
     "Phản ánh một số chi bộ chưa cập nhật nghị quyết, biên bản sinh hoạt chi bộ lên hệ thống quản lý đảng viên.",
     ""),
    # Citizens' online requests (the intake service) and one from the national public-service portal
    ("y-8", None, -1, "dialogue_request", "online", "citizens", "Phan Thị Mỹ Linh", "",
     "thu-tuc-hanh-chinh", "TTPVHCC", "received",
     "Đề nghị được đối thoại trực tiếp về hồ sơ cấp giấy phép xây dựng nhà ở đã nộp quá hạn nhưng chưa có kết "
     "quả.", ""),
    ("y-9", None, -1, "petition", "portal", "citizens", "Võ Văn Sang", "0978 112 233",
     "dat-dai", "KTN", "refused",
     "Kiến nghị xem xét lại bản án dân sự về tranh chấp quyền sử dụng đất.", ""),
]

# What some opinions hold beyond the columns above: codes, contact stored apart, consent.
OPINION_EXTRAS = {
    "y-8": {"tracking_code": "YC-7K3M-9QXD-4F2A", "submitter_phone": "+84915246802",
            "submitter_email": "mylinh.phan@example.com", "consent_version": "2025-01"},
    "y-9": {"tracking_code": "YC-2W8N-5RJD-K3PA", "national_code": "H49.22-260501-0012",
            "refusal_reason": "Nội dung đang được cơ quan có thẩm quyền giải quyết theo thủ tục tố tụng"},
}

# Notes on closing an opinion without a conclusion (the lifecycle asks for one).
CLOSING_NOTES = {
    "cm-1": "Công dân có đơn rút yêu cầu đối thoại do hồ sơ đã được giải quyết.",
    "y-9": "Nội dung đang được cơ quan có thẩm quyền giải quyết theo thủ tục tố tụng",
    "x22-1": "Đã xác minh theo quy định của Luật Tố cáo; nội dung tố cáo không có cơ sở; đã thông báo kết quả "
             "cho người tố cáo.",
    "x22-2": "Đã trả lời công dân: lỗi thiết bị in phiếu đã được khắc phục.",
    "x22-3": "Chuyển UBND huyện Đông Sơn giải quyết theo thẩm quyền; hướng dẫn công dân theo Luật Đất đai.",
    "x22-4": "Đã thông tin cho công dân việc bố trí quầy ưu tiên.",
    "x22-5": "Công dân đã nhận kết quả giải quyết của UBND huyện và có đơn rút khiếu nại.",
    "tdc-2": "Đã hướng dẫn công dân qua điện thoại.",
    "y-1": "Chuyển UBND huyện Tiên Phước xem xét, giải quyết theo thẩm quyền.",
    "y-6": "Đã giải thích chính sách hỗ trợ chuyển đổi nghề bằng văn bản.",
}

# ---------------------------------------------------------------- conclusion notices
# dialogue key: (day signed, conclusions); each conclusion:
# (decision, responsible unit, deadline, status, day closed, public summary, field, public, opinion keys)
# `public` on an in-progress conclusion means "publish while in progress".
NOTICES = {
    "tk2021": ("2022-01-27", [
        ("Giao Phòng TCHCQT hoàn thành thanh toán tiền làm thêm giờ quý IV/2021 cho các trường hợp đủ hồ sơ "
         "trong tháng 02/2022.", "TCHCQT", "2022-02-28", "resolved", "2022-02-24",
         "Thanh toán tiền làm thêm giờ quý IV/2021 cho công chức đủ hồ sơ theo quy chế chi tiêu nội bộ.",
         "quyen-loi", True, ["tk21-1"]),
        ("Giao Phòng TCHCQT xây dựng kế hoạch đào tạo, bồi dưỡng năm 2022, công khai tiêu chuẩn, thứ tự ưu tiên "
         "cử đi học.", "TCHCQT", "2022-03-15", "resolved", "2022-03-10",
         "Ban hành và công khai kế hoạch đào tạo, bồi dưỡng công chức, viên chức năm 2022 kèm tiêu chí lựa chọn "
         "người đi học.", "dao-tao", True, ["tk21-2"]),
        ("Giao Phòng TCHCQT phối hợp Trung tâm Công báo - Tin học rà soát, thay thế máy tính đã hết thời gian sử "
         "dụng trong kế hoạch mua sắm năm 2022.", "TCHCQT", "2022-06-30", "resolved", "2022-06-28",
         "Rà soát và thay thế máy tính đã hết thời gian sử dụng tại các phòng, đơn vị trong kế hoạch mua sắm năm "
         "2022.", "chat-luong-cong-tac", True, ["tk21-3"]),
        ("Kết quả đánh giá, xếp loại năm 2021 đã công khai tại Hội nghị; Phòng TCHCQT đăng tải trên mạng nội bộ.",
         "TCHCQT", "2022-01-31", "explained", "2022-01-28",
         "Kết quả đánh giá, xếp loại công chức, viên chức năm 2021 đã được công khai tại Hội nghị và trên mạng "
         "nội bộ cơ quan.", "dan-chu", True, ["tk21-4"]),
    ]),
    "ccvc2022": ("2022-02-23", [
        ("Giao Công đoàn Văn phòng phối hợp Phòng TCHCQT sửa đổi Quy chế chi tiêu nội bộ, nâng mức hỗ trợ từ quỹ "
         "phúc lợi cho trường hợp ốm đau dài ngày, hoàn cảnh khó khăn.", "CD", "2022-04-30", "resolved",
         "2022-04-20",
         "Sửa đổi quy chế chi tiêu nội bộ, nâng mức hỗ trợ công chức, viên chức ốm đau dài ngày, có hoàn cảnh "
         "khó khăn.", "quyen-loi", True, ["ccvc-1"]),
        ("Giao Phòng TCHCQT xây dựng tiêu chí, thí điểm đánh giá công chức hằng tháng theo sản phẩm công việc từ "
         "quý III/2022.", "TCHCQT", "2022-07-01", "resolved", "2022-06-28",
         "Thí điểm đánh giá công chức, viên chức hằng tháng theo kết quả, sản phẩm công việc từ quý III/2022.",
         "danh-gia-su-dung", True, ["ccvc-2"]),
        ("Các dự thảo quy chế nội bộ đã gửi lấy ý kiến các phòng, đơn vị; từ nay đăng tải dự thảo trên mạng nội "
         "bộ ít nhất 07 ngày trước khi ban hành.", "TCHCQT", "2022-02-28", "explained", "2022-02-25",
         "Dự thảo quy chế nội bộ được đăng tải lấy ý kiến công chức, viên chức ít nhất 07 ngày trước khi ban hành.",
         "dan-chu", True, ["ccvc-3"]),
        ("Giao bộ phận Văn thư phát hành văn bản trong ngày sau khi ký số; phối hợp Trung tâm Công báo - Tin học "
         "tập huấn chữ ký số cho công chức, viên chức mới tuyển dụng.", "TCHCQT", "2022-03-31", "resolved",
         "2022-03-25",
         "Văn bản đã ký số được phát hành trong ngày; tổ chức tập huấn chữ ký số cho công chức, viên chức mới.",
         "chat-luong-cong-tac", True, ["ccvc-4", "ccvc-5"]),
    ]),
    "gbt3": ("2022-04-05", [
        ("Giao Trung tâm Phục vụ hành chính công phối hợp Trung tâm Công báo - Tin học chuyển toàn bộ việc luân "
         "chuyển hồ sơ qua hệ thống một cửa điện tử từ tháng 5/2022.", "TTPVHCC", "2022-05-15", "resolved",
         "2022-05-10",
         "Hồ sơ được luân chuyển giữa các bộ phận hoàn toàn qua hệ thống một cửa điện tử từ tháng 5/2022.",
         "thu-tuc-hanh-chinh", True, ["gbt3-1"]),
        ("Quy chế làm việc đã quy định thời hạn góp ý dự thảo văn bản nội bộ là 03 ngày làm việc; các phòng "
         "nghiêm túc thực hiện.", "TCHCQT", "2022-04-15", "explained", "2022-04-07",
         "Thời hạn góp ý dự thảo văn bản nội bộ là 03 ngày làm việc theo quy chế làm việc.",
         "chat-luong-cong-tac", False, ["gbt3-2"]),
    ]),
    "gcn": ("2022-04-19", [
        ("Giao Trung tâm Phục vụ hành chính công phối hợp Sở Tài nguyên và Môi trường trả kết quả hồ sơ quá hạn, "
         "gửi văn bản xin lỗi công dân; rà soát toàn bộ hồ sơ đất đai quá hạn.", "TTPVHCC", "2022-04-29",
         "resolved", "2022-04-26",
         "Trả kết quả hồ sơ cấp giấy chứng nhận quyền sử dụng đất bị quá hạn, gửi văn bản xin lỗi người dân và "
         "rà soát toàn bộ hồ sơ đất đai quá hạn tại Trung tâm.", "dat-dai", True, ["gcn-1"]),
        ("Giao Trung tâm Phục vụ hành chính công hướng dẫn bổ sung hồ sơ một lần bằng văn bản, niêm yết công "
         "khai thành phần hồ sơ từng thủ tục.", "TTPVHCC", "2022-05-31", "resolved", "2022-05-20",
         "Hướng dẫn bổ sung hồ sơ một lần bằng văn bản; niêm yết công khai thành phần hồ sơ của từng thủ tục "
         "tại Trung tâm.", "thu-tuc-hanh-chinh", True, ["gcn-2"]),
        ("Kiến nghị về bảng giá đất thuộc thẩm quyền tham mưu của Sở Tài nguyên và Môi trường; Phòng Kinh tế "
         "ngành chuyển Sở xem xét khi điều chỉnh bảng giá đất.", "KTN", "2022-04-30", "referred", "2022-04-22",
         "Kiến nghị điều chỉnh bảng giá đất được chuyển Sở Tài nguyên và Môi trường xem xét khi điều chỉnh bảng "
         "giá đất của tỉnh.", "dat-dai", True, ["gcn-3"]),
    ]),
    "quantriet": ("2022-05-18", [
        ("Giao Phòng TCHCQT tham mưu Đảng ủy ban hành chương trình hành động thực hiện Kết luận số 21-KL/TW, "
         "phân công đến từng chi bộ.", "TCHCQT", "2022-06-15", "resolved", "2022-06-10",
         "Ban hành chương trình hành động của cơ quan thực hiện Kết luận số 21-KL/TW, phân công trách nhiệm đến "
         "từng chi bộ.", "xay-dung-dang", True, ["qt-1"]),
        ("Giao Đoàn Thanh niên phối hợp các chi bộ giới thiệu đoàn viên ưu tú tham gia lớp bồi dưỡng nhận thức "
         "về Đảng năm 2022.", "DTN", "2022-09-30", "resolved", "2022-09-15",
         "Giới thiệu đoàn viên ưu tú tham gia lớp bồi dưỡng nhận thức về Đảng năm 2022.",
         "xay-dung-dang", False, ["qt-2"]),
    ]),
    "gbtuan": ("2022-06-09", [
        ("Giao Phòng Kinh tế tổng hợp thông báo lịch công tác tuần trước 16 giờ thứ Sáu; thay đổi phải thông báo "
         "trên hệ thống trước ít nhất 01 ngày, trừ trường hợp đột xuất.", "KTTH", "2022-06-17", "resolved",
         "2022-06-17",
         "Lịch công tác tuần được thông báo trước 16 giờ thứ Sáu; thay đổi được báo trước ít nhất 01 ngày, trừ "
         "trường hợp đột xuất.", "chat-luong-cong-tac", True, ["gbt6-1"]),
        ("Giao Phòng TCHCQT điều động tạm thời 01 công chức hỗ trợ bộ phận tiếp nhận hồ sơ đất đai trong quý "
         "III/2022.", "TCHCQT", "2022-06-30", "resolved", "2022-07-01",
         "Điều động tạm thời thêm công chức hỗ trợ bộ phận tiếp nhận hồ sơ đất đai tại Trung tâm Phục vụ hành "
         "chính công trong quý III/2022.", "danh-gia-su-dung", True, ["gbt6-2"]),
    ]),
    "lamthem": ("2022-06-29", [
        ("Giao Phòng TCHCQT sửa đổi Quy chế chi tiêu nội bộ theo hướng khoán công tác phí cho các chuyến kiểm "
         "tra thực địa trong tỉnh.", "TCHCQT", "2022-08-31", "resolved", "2022-08-15",
         "Sửa đổi quy chế chi tiêu nội bộ, áp dụng khoán công tác phí cho các chuyến kiểm tra thực địa trong tỉnh.",
         "quyen-loi", True, ["ltg-1"]),
        ("Cách tính làm thêm giờ vào ngày nghỉ, ngày lễ thực hiện theo Bộ luật Lao động và văn bản hướng dẫn; "
         "giao Phòng TCHCQT phổ biến bằng văn bản đến các phòng.", "TCHCQT", "2022-07-08", "explained",
         "2022-06-30",
         "Giải thích cách tính thời gian làm thêm giờ vào ngày nghỉ, ngày lễ theo quy định và phổ biến bằng văn "
         "bản đến các phòng, đơn vị.", "quyen-loi", True, ["ltg-2"]),
        ("Chế độ phụ cấp trực hệ thống thông tin chưa có quy định; giao Phòng TCHCQT có văn bản đề nghị Sở Nội vụ "
         "hướng dẫn.", "TCHCQT", "2022-07-31", "referred", "2022-07-15",
         "Kiến nghị về phụ cấp trực vận hành hệ thống thông tin ngoài giờ đã được gửi Sở Nội vụ xem xét, hướng dẫn.",
         "quyen-loi", True, ["ltg-3"]),
    ]),
    "thaido": ("2022-07-27", [
        ("Giao Phòng Tiếp công dân kiểm điểm, rút kinh nghiệm đối với công chức có liên quan; báo cáo kết quả cho "
         "Chánh Văn phòng.", "TCD", "2022-08-05", "resolved", "2022-08-03",
         "Tổ chức kiểm điểm, rút kinh nghiệm đối với công chức tiếp công dân có thái độ chưa đúng mực; báo cáo "
         "kết quả cho Chánh Văn phòng.", "thai-do", True, ["td-1"]),
        ("Giao Phòng TCHCQT cải tạo khu vực chờ tại Trụ sở Tiếp công dân, bố trí ghế ngồi, nước uống.", "TCHCQT",
         "2022-09-30", "resolved", "2022-09-20",
         "Cải tạo khu vực chờ tại Trụ sở Tiếp công dân tỉnh, bố trí ghế ngồi và nước uống cho công dân.",
         "tiep-cong-dan", True, ["td-2"]),
        ("Giao Phòng Tiếp công dân phân công công chức thường trực điện thoại trong giờ hành chính, công khai số "
         "đường dây nóng.", "TCD", "2022-07-31", "resolved", "2022-07-29",
         "Phân công công chức thường trực điện thoại trong giờ hành chính và công khai số đường dây nóng của Trụ "
         "sở Tiếp công dân.", "thai-do", True, ["td-3"]),
    ]),
    "anhoa": ("2022-08-19", [
        ("Đơn giá bồi thường được xác định theo giá đất cụ thể do UBND tỉnh phê duyệt; giao Phòng Kinh tế ngành "
         "phối hợp Sở Tài nguyên và Môi trường giải thích rõ căn cứ cho các hộ dân.", "KTN", "2022-09-15",
         "explained", "2022-08-30",
         "Giải thích căn cứ xác định đơn giá bồi thường đất nông nghiệp của dự án theo giá đất cụ thể đã được "
         "phê duyệt.", "dat-dai", True, ["ah-1"]),
        ("Giao UBND huyện An Hòa rà soát quỹ đất, lập phương án bố trí tái định cư tại chỗ cho các hộ bị thu hồi "
         "toàn bộ đất ở; Phòng Kinh tế ngành theo dõi, đôn đốc.", "KTN", "2022-12-31", "in_progress", None,
         "Rà soát quỹ đất, lập phương án bố trí tái định cư tại chỗ cho các hộ bị thu hồi toàn bộ đất ở trong "
         "dự án.", "dat-dai", False, ["ah-2"]),
        ("Khiếu nại quyết định thu hồi đất thuộc thẩm quyền giải quyết lần đầu của Chủ tịch UBND huyện An Hòa; "
         "Phòng Nội chính chuyển đơn, hướng dẫn công dân theo Luật Khiếu nại.", "NC", "2022-08-31", "referred",
         "2022-08-22",
         "Khiếu nại về quyết định thu hồi đất được chuyển cơ quan có thẩm quyền giải quyết theo quy định của "
         "Luật Khiếu nại.", "dat-dai", True, ["ah-3"]),
        ("Giao UBND huyện An Hòa niêm yết công khai tiến độ chi trả bồi thường, hỗ trợ tại nhà văn hóa thôn và "
         "trụ sở UBND xã.", "KTN", "2022-08-31", "resolved", "2022-08-29",
         "Niêm yết công khai tiến độ chi trả tiền bồi thường, hỗ trợ tại nhà văn hóa thôn và trụ sở UBND xã.",
         "dat-dai", True, ["ah-4"]),
    ]),
    "vitri": ("2022-08-31", [
        ("Giao Phòng TCHCQT công khai đề án vị trí việc làm đã được phê duyệt trên mạng nội bộ, phổ biến đến "
         "từng phòng.", "TCHCQT", "2022-09-15", "resolved", "2022-09-09",
         "Công khai đề án vị trí việc làm đã được phê duyệt và phổ biến đến từng phòng, đơn vị.",
         "danh-gia-su-dung", True, ["vt-1"]),
        ("Việc bố trí, điều động thực hiện theo đề án vị trí việc làm và nhu cầu công tác; Phòng TCHCQT trao đổi, "
         "giải thích cụ thể với viên chức có nguyện vọng.", "TCHCQT", "2022-09-15", "explained", "2022-09-05",
         "Giải thích nguyên tắc bố trí, điều động công chức, viên chức theo đề án vị trí việc làm và nhu cầu "
         "công tác.", "danh-gia-su-dung", False, ["vt-2"]),
    ]),
    "gbt9": ("2022-10-05", [
        ("Giao Trung tâm Công báo - Tin học lập dự án nâng cấp phòng máy chủ, trình thẩm định, bố trí vốn theo "
         "kế hoạch.", "CBTH", "2023-06-30", "in_progress", None,
         "Lập và triển khai dự án nâng cấp phòng máy chủ bảo đảm an toàn hệ thống thông tin của Văn phòng.",
         "chat-luong-cong-tac", False, ["gbt9-1"]),
        ("Giao Phòng TCHCQT cử 05 công chức tham gia lớp bồi dưỡng kỹ năng chuyển đổi số trong quý IV/2022.",
         "TCHCQT", "2022-11-30", "resolved", "2022-11-10",
         "Cử công chức tham gia lớp bồi dưỡng kỹ năng chuyển đổi số trong quý IV/2022.",
         "dao-tao", True, ["gbt9-2"]),
        ("Giao Trung tâm Phục vụ hành chính công bố trí viên chức hướng dẫn người dân nộp hồ sơ trực tuyến tại "
         "quầy từ tháng 10/2022.", "TTPVHCC", "2022-10-31", "resolved", "2022-10-31",
         "Bố trí viên chức hướng dẫn người dân nộp hồ sơ trực tuyến ngay tại quầy của Trung tâm từ tháng 10/2022.",
         "thu-tuc-hanh-chinh", True, ["gbt9-3"]),
    ]),
    "donthu": ("2022-10-25", [
        ("Giao Phòng Tiếp công dân rà soát toàn bộ đơn chưa có thông báo xử lý, gửi thông báo cho người gửi đơn "
         "trong 10 ngày.", "TCD", "2022-11-04", "resolved", "2022-10-28",
         "Rà soát toàn bộ đơn thư chưa được thông báo kết quả xử lý và gửi thông báo cho người gửi đơn.",
         "tiep-cong-dan", True, ["dt-1"]),
        ("Giao Trung tâm Công báo - Tin học phối hợp Phòng Tiếp công dân xây dựng chức năng tra cứu tình trạng "
         "xử lý đơn trên Cổng thông tin điện tử tỉnh.", "CBTH", "2022-12-31", "resolved", "2022-12-20",
         "Xây dựng chức năng tra cứu trực tuyến tình trạng xử lý đơn thư trên Cổng thông tin điện tử tỉnh.",
         "tiep-cong-dan", True, ["dt-2"]),
    ]),
    "tk2022": ("2022-12-28", [
        ("Giao Phòng TCHCQT chi trả chế độ bồi dưỡng tiếp công dân hằng tháng, cùng kỳ lương.", "TCHCQT",
         "2023-01-31", "resolved", "2023-01-10",
         "Chi trả chế độ bồi dưỡng cho công chức làm công tác tiếp công dân hằng tháng, cùng kỳ lương.",
         "quyen-loi", True, ["tk22-1"]),
        ("Giao Công đoàn Văn phòng phối hợp Đoàn Thanh niên xây dựng kế hoạch hoạt động văn hóa, thể thao, tham "
         "quan học tập kinh nghiệm năm 2023.", "CD", "2023-02-28", "resolved", "2023-02-20",
         "Xây dựng kế hoạch hoạt động văn hóa, thể thao, tham quan học tập kinh nghiệm năm 2023 cho công chức, "
         "viên chức, người lao động.", "quyen-loi", True, ["tk22-2"]),
        ("Quy hoạch cán bộ giai đoạn 2021-2026 đã bảo đảm tỷ lệ cán bộ nữ, cán bộ trẻ theo quy định; tiếp tục "
         "quan tâm khi rà soát, bổ sung quy hoạch.", "TCHCQT", "2022-12-30", "explained", "2022-12-29",
         "Giải thích kết quả quy hoạch cán bộ giai đoạn 2021-2026 về tỷ lệ cán bộ nữ, cán bộ trẻ; tiếp tục quan "
         "tâm khi rà soát, bổ sung quy hoạch.", "danh-gia-su-dung", True, ["tk22-3"]),
    ]),
    "datdai": (-70, [
        ("Giao Trung tâm Phục vụ hành chính công trả kết quả hồ sơ quá hạn, thông báo lý do và gửi văn bản xin lỗi "
         "công dân theo quy định.", "TTPVHCC", -45, "resolved", -55,
         "Trả kết quả hồ sơ đăng ký biến động đất đai quá hạn, thông báo lý do và xin lỗi người dân theo quy định.",
         "dat-dai", True, ["dd-1"]),
        ("Giao Trung tâm Phục vụ hành chính công phối hợp Trung tâm Công báo - Tin học triển khai tin nhắn thông "
         "báo tình trạng hồ sơ cho người nộp.", "TTPVHCC", 20, "in_progress", None,
         "Triển khai gửi tin nhắn thông báo tình trạng hồ sơ (đến hạn trả kết quả, cần bổ sung) cho người nộp "
         "hồ sơ.", "thu-tuc-hanh-chinh", True, ["dd-2"]),
        ("Giao Phòng Kinh tế ngành phối hợp Trung tâm Phục vụ hành chính công công khai hằng tháng thời gian giải "
         "quyết thực tế của từng loại thủ tục đất đai.", "KTN", 10, "open", None,
         "Công khai hằng tháng thời gian giải quyết thực tế của từng loại thủ tục đất đai tại Trung tâm Phục vụ "
         "hành chính công.", "dat-dai", False, ["dd-3"]),
    ]),
    "giaoban": (-44, [
        ("Giao Phòng TCHCQT rà soát, bổ sung chế độ hỗ trợ cho công chức tham gia tổ công tác liên ngành ngoài "
         "giờ hành chính vào Quy chế chi tiêu nội bộ.", "TCHCQT", -5, "in_progress", None,
         "Rà soát, bổ sung chế độ hỗ trợ cho công chức tham gia tổ công tác liên ngành ngoài giờ hành chính vào "
         "quy chế chi tiêu nội bộ.", "quyen-loi", False, ["gb-1"]),
        ("Giao Phòng TCHCQT phối hợp Thanh tra tỉnh tổ chức lớp bồi dưỡng kỹ năng tiếp công dân, xử lý tình huống.",
         "TCHCQT", -14, "resolved", -20,
         "Tổ chức lớp bồi dưỡng kỹ năng tiếp công dân và xử lý tình huống cho công chức làm công tác tiếp công dân.",
         "dao-tao", True, ["gb-2"]),
        ("Gián đoạn âm thanh do đường truyền tại điểm cầu cấp huyện; giao Trung tâm Công báo - Tin học có văn bản "
         "đề nghị UBND các huyện nâng cấp đường truyền.", "CBTH", -30, "referred", -35,
         "Đề nghị UBND các huyện nâng cấp đường truyền tại điểm cầu hội nghị truyền hình trực tuyến.",
         "chat-luong-cong-tac", True, ["gb-3"]),
    ]),
}

# A notice drafted by TCHCQT and not yet signed: (dialogue key, day drafted, conclusions without links).
DRAFT_NOTICE = ("motcua", -15, [
    ("Giao Trung tâm Phục vụ hành chính công kiểm điểm, rút kinh nghiệm công chức có thái độ chưa đúng mực; bố "
     "trí thêm quầy đất đai và nhân viên hướng dẫn phân luồng vào sáng thứ Hai.", "TTPVHCC", 15,
     "Kiểm điểm, rút kinh nghiệm về thái độ phục vụ; bố trí thêm quầy đất đai và hướng dẫn phân luồng vào sáng "
     "thứ Hai.", "thai-do"),
    ("Giao Phòng TCHCQT bố trí khu vực tự phục vụ gồm máy tính, máy scan tại Trung tâm Phục vụ hành chính công.",
     "TCHCQT", 30,
     "Bố trí khu vực tự phục vụ có máy tính, máy scan để người dân tự nộp hồ sơ trực tuyến tại Trung tâm.",
     "thu-tuc-hanh-chinh"),
])

# Follow-ups: (opinion key | (dialogue key, conclusion index)), kind, day, percent, note, username.
FOLLOWUPS = [
    (("anhoa", 1), "progress", "2022-10-14", 30,
     "UBND huyện An Hòa đã rà soát quỹ đất, xác định 02 vị trí có thể bố trí tái định cư tại chỗ.", "specialist"),
    (("anhoa", 1), "reminder", "2023-01-09", None,
     "Đề nghị Phòng Kinh tế ngành đôn đốc UBND huyện An Hòa hoàn thành phương án tái định cư tại chỗ, báo cáo "
     "Chánh Văn phòng.", "coordinator"),
    (("anhoa", 1), "progress", "2023-03-20", 60,
     "Phương án tái định cư tại chỗ đã trình Sở Tài nguyên và Môi trường thẩm định.", "unit_head"),
    (("gbt9", 0), "progress", "2022-12-15", 40,
     "Đã lập báo cáo đề xuất chủ trương đầu tư nâng cấp phòng máy chủ, gửi Sở Kế hoạch và Đầu tư.", "vu.dinhdung"),
    (("gbt9", 0), "progress", "2023-05-18", 70,
     "Dự án đã được phê duyệt; đang lựa chọn nhà thầu cung cấp thiết bị.", "vu.dinhdung"),
    (("datdai", 1), "progress", -40, 50,
     "Đã thử nghiệm gửi tin nhắn cho hồ sơ đất đai; đang mở rộng cho các lĩnh vực khác.", "bui.thianh"),
    (("giaoban", 0), "progress", -25, 40, "Đã dự thảo nội dung sửa đổi Quy chế chi tiêu nội bộ, đang lấy ý kiến "
     "các phòng.", "phan.anhduong"),
    (("giaoban", 0), "reminder", -3, None, "Kết luận đã quá hạn; đề nghị Phòng TCHCQT hoàn thành, trình Chánh Văn "
     "phòng trong tuần.", "coordinator"),
    ("y-2", "reminder", -12, None, "Ý kiến đã quá hạn xử lý; đề nghị Trung tâm Phục vụ hành chính công khẩn trương "
     "làm việc với đơn vị bưu chính và trả lời công dân.", "coordinator"),
    ("y-3", "reminder", -18, None, "Đề nghị Phòng Tiếp công dân hoàn thiện văn bản trả lời, trình lãnh đạo Văn phòng "
     "ký.", "coordinator"),
    ("y-3", "progress", -10, None, "Đã trình dự thảo văn bản trả lời; chờ lãnh đạo Văn phòng cho ý kiến.",
     "duong.vanduc"),
    ("cd-1", "reminder", -8, None, "Ý kiến đã quá hạn; đề nghị Phòng Kinh tế ngành báo cáo tiến độ làm việc với Sở "
     "Tài nguyên và Môi trường.", "coordinator"),
]

# Proposals of content for the Chairman's dialogue with the People (Art. 8, Regulation 12-QĐi/TU).
# agency, title, content, document, day received, content unit, status, decision note, dialogue key,
# appraisals: (appraising body, day, agrees, opinion)
PROPOSALS = [
    ("UBND huyện An Hòa",
     "Đề xuất nội dung Chủ tịch UBND tỉnh đối thoại với nhân dân về bồi thường, giải phóng mặt bằng dự án Khu dân "
     "cư Bắc An Hòa",
     "Nhiều hộ dân có kiến nghị kéo dài về đơn giá bồi thường, bố trí tái định cư; UBND huyện đề xuất Chủ tịch UBND "
     "tỉnh đối thoại trực tiếp với nhân dân xã An Phú.",
     "Công văn số 215/UBND-TNMT", "2022-05-12", "KTN", "accepted", "", "anhoa",
     [("Ban Dân vận Tỉnh ủy", "2022-06-08", True,
       "Thống nhất nội dung đề xuất; đề nghị mời đại diện Mặt trận và các đoàn thể xã tham dự, giám sát."),
      ("Ủy ban MTTQ Việt Nam tỉnh", "2022-06-10", True,
       "Thống nhất; đề nghị thông báo rộng rãi thời gian, địa điểm để nhân dân biết và tham gia.")]),
    ("Sở Xây dựng",
     "Đề xuất đối thoại về điều chỉnh quy hoạch chi tiết Khu đô thị mới phía Tây thành phố",
     "Một số hộ dân kiến nghị về việc điều chỉnh quy hoạch chi tiết làm thay đổi chức năng lô đất.",
     "Công văn số 1468/SXD-QHKT", -60, "KTN", "returned",
     "Vụ việc đang được giải quyết theo trình tự khiếu nại tại Thanh tra tỉnh, chưa đủ điều kiện đưa ra đối thoại; "
     "đề nghị Sở tiếp tục giải quyết theo thẩm quyền và báo cáo UBND tỉnh.", None,
     [("Ban Dân vận Tỉnh ủy", -45, False,
       "Chưa thống nhất đưa ra đối thoại khi vụ việc đang được giải quyết theo trình tự khiếu nại.")]),
    ("Sở Lao động - Thương binh và Xã hội",
     "Đề xuất đối thoại về chính sách hỗ trợ người lao động tại các khu công nghiệp",
     "Đề xuất Chủ tịch UBND tỉnh đối thoại với người lao động về nhà ở xã hội, trường mầm non cho con công nhân.",
     "Công văn số 2105/SLĐTBXH-LĐVL", -6, "VX", "received", "", None, []),
]


# ---------------------------------------------------------------- reports and notices

REPORT_RECIPIENTS = ["UBND tỉnh;", "Ban Dân vận Tỉnh ủy;", "Sở Nội vụ;", "LĐVP;"]
DRAFT_NARRATIVE = """## I. KẾT QUẢ THỰC HIỆN

### 1. Công tác triển khai, tổ chức đối thoại

Văn phòng đã phổ biến Kế hoạch đến các phòng, ban, đơn vị, đoàn thể; tổ chức đối thoại định kỳ gắn với các \
cuộc họp giao ban và đối thoại đột xuất khi phát sinh vấn đề.

### 2. Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị

(Phòng TCHCQT đang tổng hợp.)

## II. ĐÁNH GIÁ CHUNG

## III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI

## IV. KIẾN NGHỊ, ĐỀ XUẤT
"""

# The 2022 six-month report's text; the loader fills in its own figures.
MIDYEAR_NARRATIVE = """## I. KẾT QUẢ THỰC HIỆN

### 1. Công tác triển khai, tổ chức đối thoại

Thực hiện Kế hoạch thực hiện công tác đối thoại năm 2022, Văn phòng UBND tỉnh đã phổ biến kế hoạch đến toàn \
thể công chức, viên chức, người lao động; các phòng, ban, đơn vị, đoàn thể tổng hợp ý kiến, kiến nghị báo cáo \
Chánh Văn phòng tại các cuộc họp giao ban và hội nghị.

Sáu tháng đầu năm 2022, Văn phòng đã tổ chức **{dialogues} buổi đối thoại**, trong đó {staff} buổi với công \
chức, viên chức, người lao động (gắn với Hội nghị tổng kết năm 2021, Hội nghị công chức, viên chức, các cuộc \
họp giao ban) và {citizens} buổi đối thoại trực tiếp với công dân về giải quyết hồ sơ đất đai.

### 2. Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị

Tiếp nhận **{received} ý kiến, kiến nghị**; đã trả lời {answered} ý kiến, giải quyết xong {resolved} ý kiến, \
đang giải quyết {pending} ý kiến ({overdue} ý kiến quá hạn). Các Thông báo kết luận đã ký có {conclusions} kết \
luận, trong đó {on_time} kết luận đã hoàn thành đúng hạn.

## II. ĐÁNH GIÁ CHUNG

### 1. Ưu điểm

- Việc đối thoại được tổ chức dân chủ, công khai; các ý kiến được tiếp thu, trả lời trực tiếp tại buổi đối thoại.
- Các kết luận được theo dõi, đôn đốc thường xuyên.

### 2. Tồn tại, hạn chế và nguyên nhân

- Một số kiến nghị về chế độ, chính sách cần xin ý kiến cơ quan cấp trên nên thời gian giải quyết kéo dài.

## III. PHƯƠNG HƯỚNG, NHIỆM VỤ 6 THÁNG CUỐI NĂM

- Tiếp tục tổ chức đối thoại định kỳ gắn với các hội nghị, giao ban; đối thoại đột xuất khi phát sinh vấn đề.
- Đôn đốc các phòng, đơn vị thực hiện dứt điểm các kết luận còn lại.

## IV. KIẾN NGHỊ, ĐỀ XUẤT

Đề nghị Sở Nội vụ hướng dẫn chế độ phụ cấp đối với viên chức trực vận hành hệ thống thông tin ngoài giờ hành chính.
"""

NOTICE_RECIPIENTS = "Lãnh đạo Văn phòng;\nCác phòng, ban, đơn vị, đoàn thể thuộc Văn phòng;"

# ---------------------------------------------------------------- answer templates (mẫu trả lời)

ANSWER_TEMPLATES = [  # unit code (None: office-wide), field code (None: any), title, body, retired, days before today
    (None, None, "Trả lời chung: đã tiếp nhận và giao xử lý",
     "Kính gửi {nguoi_gui},\n\nVăn phòng UBND tỉnh đã tiếp nhận ý kiến số **{so}** ngày {ngay_nhan} thuộc lĩnh vực "
     "{linh_vuc} và giao {don_vi} xem xét, trả lời trước ngày {han}.\n\nVăn phòng sẽ thông báo kết quả đến ông/bà "
     "khi có ý kiến giải quyết.", False, 60),
    (None, "thu-tuc-hanh-chinh", "Thủ tục hành chính: hướng dẫn bổ sung hồ sơ",
     "Về ý kiến số {so} ngày {ngay_nhan}, {don_vi} trả lời như sau:\n\n"
     "1. Hồ sơ cần bổ sung: …\n2. Nơi nộp: Trung tâm Phục vụ hành chính công tỉnh.\n"
     "3. Thời hạn giải quyết kể từ khi nhận đủ hồ sơ: …\n\nMọi thắc mắc xin liên hệ {don_vi}.", False, 45),
    ("KTN", "dat-dai", "Đất đai: trả lời kiến nghị về bồi thường, hỗ trợ",
     "Kính gửi {nguoi_gui},\n\nTrả lời kiến nghị số {so} (tiếp nhận ngày {ngay_nhan}) về lĩnh vực {linh_vuc}, "
     "{don_vi} đã phối hợp Sở Tài nguyên và Môi trường rà soát hồ sơ bồi thường, hỗ trợ:\n\n"
     "- Căn cứ pháp lý: …\n- Kết quả rà soát: …\n- Hướng giải quyết: …\n\n"
     "Thời hạn hoàn thành: {han}.", False, 30),
    ("KTN", None, "Giải thích chính sách (Phòng Kinh tế ngành)",
     "Về ý kiến số {so}, {don_vi} xin giải thích như sau: …\n\n"
     "Nội dung kiến nghị đã được quy định tại …; vì vậy ý kiến được trả lời bằng hình thức giải thích.", False, 20),
    ("KTN", "dat-dai", "Mẫu cũ: trả lời đất đai năm 2022",
     "Phòng Kinh tế ngành trả lời ý kiến số {so} như sau: …", True, 400),
    ("NC", "tiep-cong-dan", "Tiếp công dân: hẹn lịch làm việc",
     "Kính gửi {nguoi_gui},\n\n{don_vi} mời ông/bà đến làm việc tại Trụ sở Tiếp công dân tỉnh để trao đổi về "
     "ý kiến số {so} trước ngày {han}.", False, 15),
]
