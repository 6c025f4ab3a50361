"""The installer run into a throw-away OS tree, once per test run: the deploy tests read the tree it made, the
display tests run the kiosk it installed."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

DEPLOY = Path(__file__).parent.parent.parent / "deploy"
# What the installer would make on this machine, and the user database: none of it may change under --root.
REAL_SYSTEM = [
    "/etc/passwd",
    "/etc/group",
    "/etc/shadow",
    "/etc/gshadow",
    "/opt/kiosk",
    "/etc/kiosk",
    "/var/lib/kiosk",
    "/var/lib/kiosk-hall",
    "/etc/systemd/system/kiosk.service",
    "/etc/systemd/system/kiosk.service.d",
    "/etc/systemd/system/kiosk-hall.service",
    "/etc/udev/rules.d/99-kiosk.rules",
    "/etc/modules-load.d/kiosk.conf",
]


def _snapshot() -> dict[str, str]:
    """What each path of REAL_SYSTEM is now: its content's digest, its listing, or that it is absent."""
    state = {}
    for name in REAL_SYSTEM:
        path = Path(name)
        if path.is_file():
            state[name] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            state[name] = " ".join(sorted(os.listdir(path)))
        else:
            state[name] = "absent"
    return state


def _bare_tree(root: Path) -> None:
    """An OS tree as an image build starts from: root's user and group, Debian's lp group (the installer makes
    the others), a shell for system users, systemd's own units and the compositor of the kiosk's display (for
    `systemd-analyze verify --root`)."""
    (root / "etc").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc/group").write_text("root:x:0:\nlp:x:7:\n")
    (root / "etc/shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc/gshadow").write_text("root:*::\nlp:*::\n")
    (root / "usr/sbin").mkdir(parents=True)
    shutil.copy("/usr/sbin/nologin", root / "usr/sbin/nologin")
    if Path("/usr/bin/cage").exists():
        (root / "usr/bin").mkdir(parents=True)
        shutil.copy("/usr/bin/cage", root / "usr/bin/cage")
    if Path("/usr/lib/systemd/system").is_dir():
        shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)


def _install(root: Path) -> dict:
    _bare_tree(root)
    before = _snapshot()
    runs = [subprocess.run([DEPLOY / "install.sh", "--root", root], capture_output=True, text=True) for _ in (1, 2)]
    return {
        "root": str(root),
        "runs": [{"code": run.returncode, "out": run.stdout, "err": run.stderr} for run in runs],
        "before": before,
        "after": _snapshot(),
    }


@pytest.fixture(scope="session")
def installed(tmp_path_factory, worker_id) -> dict:
    """The installer run twice into one throw-away root, once for the whole test run (shared by xdist's workers:
    building /opt/kiosk takes a while)."""
    if os.geteuid() != 0:
        pytest.skip("the installer makes users and root-owned files: run as root")
    if shutil.which("uv") is None or not Path("/usr/bin/python3").exists():
        pytest.skip("the installer needs uv and /usr/bin/python3")
    if worker_id == "master":
        return _install(tmp_path_factory.mktemp("installed") / "root")
    shared = tmp_path_factory.getbasetemp().parent  # this run's folder, common to its workers
    with open(shared / "installed.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record = shared / "installed.json"
        if not record.exists():
            record.write_text(json.dumps(_install(shared / "installed-root")))
        return json.loads(record.read_text())
