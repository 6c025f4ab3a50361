"""The hall's secrets, kept apart from its database: whoever copies the database must not be able to open what
kiosks sealed, sign appointment codes, or turn the material records' holder keys back into ID numbers.

They come from the environment (``KIOSK_HALL_KEYS``, the key file's JSON: a secrets manager, several workers),
else from a key file beside the database (``hall.db`` → ``hall.db.keys``, mode 0600, made on first start). A hall
made before this kept them in its ``meta`` table: they move to the key file once and leave the database.

    >>> keys = load_hall_keys(keys_path(db_path), os.environ, legacy={})
    >>> keys.sealing.public_text                      # what kiosks seal to
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk import appointments
from kiosk.hall.storage import HallError
from offline_cache.envelope import EnvelopeError, HallKeyPair

log = logging.getLogger(__name__)

ENVIRONMENT = "KIOSK_HALL_KEYS"
LEGACY_NAMES = {"sealing": "hall_private_key", "signing": "signing_private_key", "holder": "holder_key_secret"}
"""The ``meta`` keys under which a hall made before kept each secret."""


@dataclass(frozen=True)
class HallKeys:
    sealing: HallKeyPair
    """Opens what kiosks seal (X25519); kiosks get its public half at enrolment."""
    signing_private_key: str
    """Signs appointment codes (Ed25519, base64); kiosks check them with the public half."""
    holder_secret: bytes
    """Keys the material records by HMAC of the ID number, never the number itself."""

    @classmethod
    def generate(cls) -> HallKeys:
        return cls(HallKeyPair.generate(), appointments.new_signing_key()[0], secrets.token_bytes(32))

    @classmethod
    def from_json(cls, text: str) -> HallKeys:
        """Raises ``ValueError`` for text that is not a key file's."""
        try:
            values = json.loads(text)
            keys = cls(
                HallKeyPair.from_private_text(values["sealing"]),
                values["signing"],
                bytes.fromhex(values["holder"]),
            )
            appointments.public_text(keys.signing_private_key)  # a signing key that does not load fails here
        except (KeyError, TypeError, ValueError, EnvelopeError) as exc:
            raise ValueError(f"{type(exc).__name__}: {exc}") from None
        return keys

    def to_json(self) -> str:
        values = {
            "sealing": self.sealing.private_text,
            "signing": self.signing_private_key,
            "holder": self.holder_secret.hex(),
        }
        return json.dumps(values, indent=2) + "\n"

    def legacy_values(self) -> dict[str, str]:
        """These keys as a hall made before kept them in ``meta``."""
        return {
            LEGACY_NAMES["sealing"]: self.sealing.private_text,
            LEGACY_NAMES["signing"]: self.signing_private_key,
            LEGACY_NAMES["holder"]: self.holder_secret.hex(),
        }


def keys_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".keys")


def load_hall_keys(path: Path | None, environ: Mapping[str, str], legacy: Mapping[str, str]) -> HallKeys:
    """The hall's keys from ``environ``, else the key file at ``path``, else made there (from ``legacy``, the
    ``meta`` values of a hall made before, where it has them). Raises :class:`HallError` with the fix."""
    if environ.get(ENVIRONMENT):
        try:
            keys = HallKeys.from_json(environ[ENVIRONMENT])
        except ValueError as exc:
            raise HallError(f"环境变量 {ENVIRONMENT} 不是大厅的密钥文件内容（{exc}）") from None
        _check_legacy(keys, legacy, ENVIRONMENT)
        return keys
    if path is None:
        raise HallError(
            f"PostgreSQL 上的大厅要有密钥：用 --keys FILE 指定密钥文件（没有就新建），或设环境变量 {ENVIRONMENT}"
        )
    if path.exists():
        _tighten(path)
        try:
            keys = HallKeys.from_json(path.read_text())
        except (OSError, ValueError) as exc:
            raise HallError(
                f"大厅密钥文件 {path} 读不出（{exc}）：从备份恢复它；重新生成会让已登记的终端封存的申请无法打开"
            ) from None
        _check_legacy(keys, legacy, str(path))
        return keys
    keys = _from_legacy(legacy) if legacy else HallKeys.generate()
    _write_private(path, keys.to_json())
    if legacy:
        log.warning("hall keys moved out of the database into %s (mode 0600): back it up", path)
    else:
        log.info("hall keys made in %s (mode 0600): back it up", path)
    return keys


def _from_legacy(legacy: Mapping[str, str]) -> HallKeys:
    made = HallKeys.generate()
    sealing = legacy.get(LEGACY_NAMES["sealing"])
    holder = legacy.get(LEGACY_NAMES["holder"])
    return HallKeys(
        HallKeyPair.from_private_text(sealing) if sealing else made.sealing,
        legacy.get(LEGACY_NAMES["signing"]) or made.signing_private_key,
        bytes.fromhex(holder) if holder else made.holder_secret,
    )


def _check_legacy(keys: HallKeys, legacy: Mapping[str, str], source: str) -> None:
    """A database still holding secrets (a move cut short) must hold these ones: else kiosks enrolled with the
    database's key would seal what this hall cannot open."""
    ours = keys.legacy_values()
    different = [name for name, value in legacy.items() if ours.get(name) != value]
    if different:
        raise HallError(
            f"数据库里还存着与 {source} 不同的大厅密钥（{', '.join(sorted(different))}）：请确认哪一份是在用的，"
            "把另一份移走后再启动"
        )


def _tighten(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("hall key file %s was readable by others (mode %o); made 0600", path, mode)
        path.chmod(0o600)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new file only its owner may read, whatever the umask; durable before it is used."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".new")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
