"""The command line of the internal app (`flask --app app …`): migrate, load-demo, create-user, remind, backup,
restore, audit-verify, intake-sync, import-register, sweep-imports."""
import datetime as dt
import os

import click
from flask import current_app
from flask.cli import with_appcontext

import models
from migrations import router, run_migrations
from models import db
from services import audit_chain, backup, deadlines, import_files, intake_sync, register_import, reminders
from services.accounts import hash_password
from services.spreadsheet_readers import ReadError


def register_commands(app):
    """The `flask --app app …` commands (the module's docstring lists them)."""
    app.cli.add_command(remind_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(audit_verify_command)
    app.cli.add_command(intake_sync_command)
    app.cli.add_command(import_register_command)
    app.cli.add_command(sweep_imports_command)

    @app.cli.command("migrate")
    def migrate_command():
        """Create the schema or apply pending migrations (keeps existing data)."""
        done = run_migrations(db)
        click.echo("Đã áp dụng %d bản nâng cấp lược đồ." % len(done) if done else "Lược đồ đã mới nhất.")

    @app.cli.command("load-demo")
    @click.option("--if-empty", is_flag=True, help="Load only when the database holds no users.")
    @click.option("--today", default=None, help="The date the demo data treats as today (YYYY-MM-DD).")
    def load_demo_command(if_empty, today):
        """Load the demo data (never into a database that already holds data)."""
        from demo import loader as demo  # here only: the demo data is this command's, production never loads it
        if models.User.select().exists():
            if if_empty:
                click.echo("Cơ sở dữ liệu đã có dữ liệu: không nạp dữ liệu mẫu.")
                return
            raise click.ClickException("Cơ sở dữ liệu đã có dữ liệu; dữ liệu mẫu chỉ nạp vào CSDL trống.")
        day = dt.date.fromisoformat(today or app.config["DEMO_TODAY"]) if (today or app.config["DEMO_TODAY"]) \
            else None
        counts = demo.load(today=day, password_params=app.config["PASSWORD_HASH"])
        click.echo("Đã nạp dữ liệu mẫu: " + ", ".join("%s %d" % kv for kv in counts.items()))

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--name", "full_name", required=True, help="Full name (Họ và tên).")
    @click.option("--role", type=click.Choice(list(models.ROLES)), required=True)
    @click.option("--unit", "unit_code", default=None, help="Unit code, for specialist and unit_head.")
    @click.option("--email", default="")
    @click.password_option()
    def create_user_command(username, full_name, role, unit_code, email, password):
        """Create a user account (the password is asked for twice)."""
        unit = None
        if unit_code:
            unit = models.Unit.get_or_none(models.Unit.code == unit_code)
            if unit is None:
                raise click.ClickException("Không có đơn vị mã %s." % unit_code)
        if role in ("specialist", "unit_head") and unit is None:
            raise click.ClickException("Vai trò %s cần --unit." % role)
        if models.User.select().where(models.User.username == username).exists():
            raise click.ClickException("Tên đăng nhập %s đã tồn tại." % username)
        with db.atomic():
            user = models.User.create(username=username, full_name=full_name, role=role, unit=unit,
                                      email=email, password_hash=hash_password(password, app.config["PASSWORD_HASH"]))
            models.audit(None, "create", user, summary="create-user (dòng lệnh): %s" % username)
        click.echo("Đã tạo tài khoản %s (%s)." % (username, models.ROLES[role]))


@click.command("remind")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The day taken as today (YYYY-MM-DD); default: today in Vietnam.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@click.option("--any-day", is_flag=True, help="Send even on a weekend or holiday (skipped by default).")
@with_appcontext
def remind_command(day, dry_run, any_day):
    """Send the daily reminder digests (đôn đốc) of items due soon or overdue."""
    day = day.date() if day else models.today()
    was_closed = db.is_closed()
    db.connect(reuse_if_open=True)
    try:
        _remind(day, dry_run, any_day)
    finally:
        if was_closed and not db.is_closed():
            db.close()


def _remind(day, dry_run, any_day):
    """The digests of `day`: planned, printed (dry run) or sent, each step told on the terminal."""
    calendar = deadlines.Calendar.load()
    if not any_day and not calendar.is_working_day(day):
        click.echo("%s là ngày nghỉ: không gửi thư đôn đốc (dùng --any-day để vẫn gửi)." % reminders.day_vn(day))
        return
    planned = reminders.plan(day, calendar)
    click.echo("Đôn đốc %s: %d việc sắp đến hạn hoặc quá hạn (%s)." % (
        reminders.day_vn(day), len(planned.items), reminders.counts_phrase(planned.items) or "không có"))
    for user, reason in planned.skipped:
        click.echo("Bỏ qua %s (%s): %s." % (user.full_name, user.username, reason))
    if dry_run:
        done = reminders.already_sent(day)
        for digest in planned.digests:
            mark = " [đã gửi hôm nay, sẽ không gửi lại]" if (digest.user.id, digest.kind) in done else ""
            click.echo("\n=== Tới: %s <%s>%s\n=== Tiêu đề: %s\n%s" % (
                digest.user.full_name, digest.user.email.strip(), mark, digest.subject, digest.text))
        pending = sum(1 for d in planned.digests if (d.user.id, d.kind) not in done)
        click.echo("Chạy thử: sẽ gửi %d thư, bỏ qua %d người nhận, %d thư đã gửi hôm nay; không gửi, không ghi nhận."
                   % (pending, len(planned.skipped), len(planned.digests) - pending))
        return
    outcome = reminders.send(planned, current_app.config, click.echo)
    if planned.digests and not outcome.sent and not outcome.failed:
        click.echo("Không có thư mới: cả %d thư đôn đốc đã gửi trước đó trong ngày %s." % (
            len(outcome.already), reminders.date_vn(day)))
    click.echo("Đã gửi %d thư, bỏ qua %d người nhận (chưa có e-mail hoặc tài khoản bị khóa), "
               "%d thư đã gửi trước đó trong ngày, %d thư lỗi." % (
                   len(outcome.sent), len(planned.skipped), len(outcome.already), len(outcome.failed)))
    if outcome.failed:
        raise click.ClickException("%d thư đôn đốc chưa gửi được; chạy lại lệnh để gửi lại các thư này."
                                   % len(outcome.failed))


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(file):
    """Write one consistent archive of the database and the attachments (while the app runs), mode 0600."""
    try:
        manifest = backup.create(db, current_app.config["ATTACHMENTS_DIR"], file)
    except (backup.BackupError, OSError) as exc:
        raise click.ClickException("Không sao lưu được: %s" % exc) from exc
    click.echo("Đã sao lưu vào %s: %d bảng, %d dòng, %d tệp đính kèm." % (
        file, len(manifest["tables"]), sum(t["rows"] for t in manifest["tables"].values()), len(manifest["files"])))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="Overwrite a database or attachments folder that holds data.")
@with_appcontext
def restore_command(file, force):
    """Restore an archive into the configured empty database and attachments folder; check its manifest."""
    known = router(db.obj).todo
    try:
        manifest = backup.restore(file, db, current_app.config["ATTACHMENTS_DIR"], force=force,
                                  known_migrations=known, warn=lambda text: click.echo(text, err=True))
    except (backup.BackupError, OSError) as exc:
        raise click.ClickException("Không khôi phục: %s" % exc) from exc
    finally:
        if not db.is_closed():
            db.close()  # the next connection reads the restored database
    click.echo("Đã khôi phục %s (sao lưu lúc %s): %d bảng, %d tệp đính kèm, mọi mã băm đều khớp." % (
        file, manifest["created_at"], len(manifest["tables"]), len(manifest["files"])))
    if set(known) - set(manifest["migrations"]):
        click.echo("Bản sao lưu có lược đồ cũ hơn: chạy `flask --app app migrate` để nâng cấp.")


@click.command("audit-verify")
@with_appcontext
def audit_verify_command():
    """Check the audit log's hash chain; exit 1 naming the first entry that does not match."""
    verdict = audit_chain.verify(db)
    if not verdict.ok:
        click.echo(verdict.message, err=True)
        raise SystemExit(1)
    click.echo(verdict.message)


@click.command("intake-sync")
@with_appcontext
def intake_sync_command():
    """Pull citizens' online requests from the intake service (INTAKE_URL) and push their statuses back."""
    with db.connection_context():
        sync = intake_sync.run(current_app.config, current_app.instance_path)
    click.echo("Đồng bộ tiếp nhận trực tuyến: %s. Nhận %d, vào sổ %d, xác nhận %d, cập nhật %d trạng thái, "
               "gửi %d thư." % (sync.status_label, sync.fetched, sync.created, sync.acked, sync.statuses, sync.mails))
    if sync.status != "succeeded":
        raise click.ClickException(sync.error)


@click.command("import-register")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Print the preview; store nothing.")
@click.option("--force", is_flag=True, help="Import the good rows even when some are refused.")
@click.option("--user", "username", default=None, help="The user named in the audit log (default: the command line).")
@with_appcontext
def import_register_command(file, dry_run, force, username):
    """Import an existing register (XLSX, XLS, CSV): one line per refused row, then the counts."""
    with open(file, "rb") as handle:
        data = handle.read()
    name = file.replace("\\", "/").rsplit("/", 1)[-1]
    with db.connection_context():
        user = None
        if username:
            user = models.User.get_or_none(models.User.username == username)
            if user is None:
                raise click.ClickException("Không có tài khoản %s." % username)
        try:
            if dry_run:
                result, applied = register_import.preview(name, data), False
            else:
                result, applied = register_import.run(name, data, user, force=force, by_command=user is None)
        except ReadError as error:
            raise click.ClickException(str(error)) from error
    for line, reason in result.refused:
        click.echo("Dòng %d: %s" % (line, reason))
    if result.mapping.unknown:
        click.echo("Cột không nhận ra (bỏ qua): %s" % ", ".join(h for _, h in result.mapping.unknown))
    if dry_run:
        click.echo("Chạy thử: không lưu gì.")
    elif not applied:
        click.echo("Không nhập gì: có %d dòng bị từ chối (dùng --force để nhập các dòng hợp lệ)."
                   % len(result.refused))
    click.echo(result.summary())
    if not applied and not dry_run:
        raise SystemExit(1)


@click.command("sweep-imports")
@with_appcontext
def sweep_imports_command():
    """Remove the registers uploaded for import and left unconfirmed for more than an hour (crontab: hourly)."""
    folder = import_files.folder_of(current_app.config, current_app.instance_path)
    removed = import_files.sweep(folder) if os.path.isdir(folder) else 0
    click.echo("Đã xoá %d tệp sổ tải lên để nhập đã quá hạn một giờ." % removed)
