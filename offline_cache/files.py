"""Files only the kiosk's own user may read: the data folder 0700, what is in it 0600, whatever the umask.

The database holds the kiosk's hall token and, until the hall has them, sealed submissions; the log and the
technician's diagnostics name devices and times of day. Another account on the machine has no business with any of
it. A file or folder found wider (made by an older version, copied in by hand) is narrowed and the narrowing logged.

    >>> private_folder(data_dir)               # made 0700, or narrowed
    >>> private_file(data_dir / "kiosk.db")    # made empty 0600 if missing, or narrowed; its -wal and -shm too
    >>> too_open(data_dir)                     # what is still readable by others (for ``kiosk doctor``)
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite's, beside a database


def private_folder(folder: Path) -> None:
    """Make ``folder`` (and missing parents) for this user alone, or narrow it if others may enter it."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    _narrow(folder, FOLDER_MODE)


def private_file(path: Path) -> None:
    """Make ``path`` an empty file for this user alone if it is missing, else narrow it; a database's side files
    (WAL, shared memory) too. SQLite gives the side files it makes the database's mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    for file in (path, *(path.with_name(path.name + side) for side in _SIDE_FILES)):
        _narrow(file, FILE_MODE)


def too_open(folder: Path) -> list[Path]:
    """``folder`` itself and what is in it (one level down and its subfolders) that others may read or enter."""
    found = [folder] if _wider(folder) else []
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if _wider(path):
                found.append(path)
    return found


def narrow_all(folder: Path) -> int:
    """Narrow ``folder`` and everything in it; how many were wider."""
    found = too_open(folder)
    for path in found:
        _narrow(path, FOLDER_MODE if path.is_dir() else FILE_MODE)
    return len(found)


def _wider(path: Path) -> bool:
    try:
        return bool(stat.S_IMODE(path.lstat().st_mode) & 0o077) and not path.is_symlink()
    except OSError:
        return False


def _narrow(path: Path, mode: int) -> None:
    if _wider(path):
        log.warning("%s was readable by others; made %o", path, mode)
        path.chmod(mode)
