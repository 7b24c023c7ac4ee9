"""What the citizen reads at the lookup for each public status, and the next step; shared with the internal app's sync.

The internal app maps its own statuses onto these keys (services/intake_sync.py) and pushes them;
the intake service only ever stores a key, its date, a reviewed public note and the dialogue's
date and place.
"""

STATUSES = {
    "received": ("Đã tiếp nhận", "Văn phòng đang xem xét."),
    "reviewing": ("Đang xem xét, giải quyết",
                  "Đơn vị được giao đang xem xét, giải quyết; kết quả sẽ được cập nhật tại đây."),
    "scheduled": ("Đã lên lịch đối thoại", "Mời ông/bà đến dự buổi đối thoại theo thời gian và địa điểm dưới đây."),
    "implementing": ("Đang thực hiện kết luận",
                     "Các đơn vị đang thực hiện kết luận; kết quả sẽ được cập nhật tại đây."),
    "answered": ("Đã trả lời", "Văn phòng đã trả lời; xem nội dung trả lời dưới đây."),
    "referred": ("Đã chuyển cơ quan có thẩm quyền", "Ông/bà liên hệ cơ quan có thẩm quyền được nêu dưới đây."),
    "refused": ("Không tiếp nhận", "Xem lý do dưới đây."),
    "withdrawn": ("Đã rút", "Yêu cầu đã được rút; không cần thao tác gì thêm."),
}


def label(status):
    return STATUSES.get(status, (status, ""))[0]


def next_step(status):
    return STATUSES.get(status, ("", ""))[1]
