"""What the kiosk keeps on this machine: the data folder, its disk, the database, and what the database holds
that a technician must act on (the holiday table running out, submissions the hall did not take)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from datetime import date, timedelta
from pathlib import Path

from config.i18n import _
from kiosk.doctor.check import MB, Check, size_text
from kiosk.workdays import WorkingCalendar
from offline_cache import OutboxCounts
from offline_cache.files import too_open

HOLIDAY_HORIZON = 60
"""Working days ahead that promised dates reach: the longest time limits in the catalog are of this order."""

DATABASE_FIX = _(
    "先停止 kiosk（systemctl stop kiosk），把数据目录里的 kiosk.db 和 kiosk.db-wal 复制保存，交技术支持修复；"
    "不要删除：里面可能有尚未上传的申请"
)


def data_dir_check(data_dir: Path) -> Check:
    """The folder exists (or can be made) and takes a file written through to the disk."""
    own = _(
        "运行 kiosk 的用户须能写它（sudo mkdir -p {folder} && sudo chown 该用户 {folder}），"
        "或在 storage.data_dir 另设目录",
        folder=str(data_dir),
    )
    if not data_dir.exists():
        parent = _existing_ancestor(data_dir)
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            return Check(
                "data_dir", "warn", _("数据目录 {folder} 还没有（kiosk 第一次启动时建立）", folder=str(data_dir)), own
            )
        detail = _("数据目录 {folder} 不存在，也建不了（{parent} 不可写）", folder=str(data_dir), parent=str(parent))
        return Check("data_dir", "fail", detail, own)
    try:
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".doctor-") as probe:
            probe.write(b"kiosk doctor")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as exc:
        detail = _("数据目录 {folder} 不能写入：{error}", folder=str(data_dir), error=exc.strerror or str(exc))
        return Check("data_dir", "fail", detail, _("{own}；也看看磁盘是否只读挂载（dmesg）", own=own))
    return Check("data_dir", "ok", _("数据目录 {folder} 可以写入", folder=str(data_dir)))


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def files_check(data_dir: Path) -> Check:
    """The data folder is the kiosk user's alone (0700) and so is everything in it (0600): the database holds the
    hall token and sealed submissions, the log names times and devices."""
    if not data_dir.exists():
        return Check("files", "note", _("数据目录还没有，第一次启动时以仅本用户可读的权限建立"))
    wide = too_open(data_dir)
    if not wide:
        return Check("files", "ok", _("数据目录及其中文件仅运行 kiosk 的用户可读"))
    shown = "、".join(str(path.relative_to(data_dir)) if path != data_dir else str(path) for path in wide[:5])
    more = _("等 {count} 个", count=len(wide)) if len(wide) > 5 else ""
    return Check(
        "files",
        "warn",
        _("其他用户可以读取：{paths}{more}", paths=shown, more=more),
        _("kiosk 下次启动时会自动收紧；现在就改：chmod -R go= {folder}", folder=str(data_dir)),
    )


def disk_space_check(data_dir: Path, warn_below: int = 500 * MB, fail_below: int = 50 * MB) -> Check:
    free = shutil.disk_usage(_existing_ancestor(data_dir)).free
    detail = _("数据目录所在磁盘还有 {free}", free=size_text(free))
    fix = _("清理磁盘（如 journalctl --vacuum-size=100M、旧的回执图片），或换更大的磁盘")
    if free < fail_below:
        return Check("disk_space", "fail", _("{detail}，不够保存申请", detail=detail), fix)
    if free < warn_below:
        return Check("disk_space", "warn", _("{detail}，快满了", detail=detail), fix)
    return Check("disk_space", "ok", detail)


def database_check(db: Path) -> Check:
    """SQLite's ``PRAGMA integrity_check`` over the whole file (a missing file is not made)."""
    if not db.exists():
        return Check("database", "note", _("数据库 {path} 还没有（登记或第一次启动时建立）", path=str(db)))
    try:
        conn = sqlite3.connect(db.resolve().as_uri() + "?mode=rw", uri=True, timeout=10)
        try:
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        detail = _("数据库 {path} 损坏或打不开：{error}", path=str(db), error=str(exc))
        return Check("database", "fail", detail, DATABASE_FIX)
    if problems != ["ok"]:
        detail = _(
            "数据库 {path} 损坏：{problem}（共 {count} 处）", path=str(db), problem=problems[0], count=len(problems)
        )
        return Check("database", "fail", detail, DATABASE_FIX)
    return Check("database", "ok", _("数据库 {path} 完好（integrity_check）", path=str(db)))


def wal_check(db: Path, warn_above: int = 64 * MB) -> Check:
    """Checkpoints fold the write-ahead log into the database; a large one means they are not keeping up."""
    wal = db.with_name(db.name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0
    detail = _("预写日志 {name} {size}", name=wal.name, size=size_text(size))
    if size > warn_above:
        fix = _("重启 kiosk（关闭时日志并入数据库）；很快又变大时，把 kiosk.log 交技术支持")
        return Check("wal", "warn", _("{detail}，偏大", detail=detail), fix)
    return Check("wal", "ok", detail)


def holidays_check(rows: list[dict[str, str]], today: date, working_days: int = HOLIDAY_HORIZON) -> Check:
    """The calendar the kiosk promises dates by (the hall's table as pulled, then ``chinese-calendar``) knows
    today and every day until ``working_days`` working days from today."""
    calendar = WorkingCalendar.from_rows(rows)
    end, estimated = calendar.add_working_days(today, working_days)
    if not estimated and calendar.is_working_day(today) is not None:
        detail = _("节假日表覆盖今天起 {days} 个工作日（到 {end}）", days=working_days, end=end.isoformat())
        return Check("holidays", "ok", detail)
    unknown = today
    while calendar.is_working_day(unknown) is not None:
        unknown += timedelta(days=1)
    detail = _(
        "节假日表只到 {last}：从今天数 {days} 个工作日要到 {end} 前后，之后只能按周末估算",
        last=(unknown - timedelta(days=1)).isoformat(),
        days=working_days,
        end=end.isoformat(),
    )
    fix = _(
        "请大厅导入 {year} 年的放假安排（kiosk hall holidays import 文件 --db hall.db），本机联网后自动取得"
        "（或运行 kiosk sync now）",
        year=unknown.year,
    )
    return Check("holidays", "fail", detail, fix)


def outbox_check(counts: OutboxCounts, now: float) -> Check:
    """What waits for the hall: anything set aside, or anything waiting more than a day, needs a look."""
    detail = _(
        "待上传 {pending} 件，被大厅退回 {quarantined} 件", pending=counts.pending, quarantined=counts.quarantined
    )
    if counts.quarantined:
        fix = _(
            "被退回的申请不挡其他申请，但要技术支持查看（kiosk sync status；最近的错误：{error}）",
            error=counts.last_item_error or "-",
        )
        return Check("outbox", "warn", detail, fix)
    age = now - counts.oldest_pending_at if counts.oldest_pending_at is not None else 0.0
    if age > 86400:
        detail = _("{detail}，最早的已等 {hours} 小时", detail=detail, hours=round(age / 3600))
        return Check("outbox", "warn", detail, _("本机一天多没能上传：先看上面大厅那几行，再运行 kiosk sync now"))
    return Check("outbox", "ok", detail)
