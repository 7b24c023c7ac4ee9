"""The intake service's command line (`flask --app intake:create_intake_app …`): setup with demo fields, purge."""
import click

from intake.models import FieldChoice, Submission

DEMO_FIELDS = (
    ("quyen-loi", "Quyền lợi, chế độ, chính sách"),
    ("thu-tuc-hanh-chinh", "Thủ tục hành chính"),
    ("tiep-cong-dan", "Tiếp công dân, xử lý đơn thư"),
    ("thai-do-phuc-vu", "Thái độ, tác phong của cán bộ"),
    ("khac", "Lĩnh vực khác"),
)


def register(app):
    @app.cli.command("setup")
    @click.option("--demo-fields", is_flag=True, help="Load a few demo fields when the list is empty.")
    def setup_command(demo_fields):
        """Create the tables (done by the factory) and, with --demo-fields, fill an empty field list."""
        if demo_fields and not FieldChoice.select().exists():
            FieldChoice.replace_all([{"code": c, "name": n} for c, n in DEMO_FIELDS])
            click.echo("Đã nạp %d lĩnh vực mẫu (đồng bộ từ hệ thống nội bộ sẽ thay thế)." % len(DEMO_FIELDS))
        else:
            click.echo("Cơ sở dữ liệu tiếp nhận đã sẵn sàng.")

    @app.cli.command("purge")
    def purge_command():
        """Delete the unacknowledged submissions older than INTAKE_PURGE_DAYS (run it daily from cron)."""
        days = app.config["INTAKE_PURGE_DAYS"]
        count = Submission.purge(days)
        click.echo("Đã xóa %d yêu cầu chưa được đồng bộ quá %d ngày." % (count, days))
