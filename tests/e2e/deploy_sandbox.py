"""Run a command inside the parts of a unit's sandbox that can be had without systemd as PID 1: its system call
filter and address families (seccomp through libseccomp, the library systemd itself uses),
``MemoryDenyWriteExecute=`` (the kernel's own ``PR_SET_MDWE``, the same rule: no memory both writable and
executable, none made executable later) and ``ProcSubset=pid`` with ``ProtectProc=`` (a /proc of its own, mounted
as systemd mounts it; this needs root).

    python -m tests.e2e.deploy_sandbox deploy/kiosk.service -- python -m kiosk demo
    python -m tests.e2e.deploy_sandbox --user NAME deploy/kiosk.service deploy/kiosk-browser.conf -- cage -- …

What systemd does beyond these (users, the read-only OS, private /tmp, the device cgroup) is not reproduced.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import pwd
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18


class ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def unit_settings(unit: Path, dropins: Sequence[Path] = ()) -> dict[str, list[str]]:
    """The ``[Service]`` settings of ``unit`` and then its ``dropins``, each name with its values in order
    (repeated lines kept; an empty assignment clears what came before, as systemd reads it)."""
    settings: dict[str, list[str]] = {}
    for path in (unit, *dropins):
        section = ""
        for line in path.read_text().splitlines():
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and "=" in line and not line.startswith("#"):
                name, value = line.split("=", 1)
                settings[name] = [*settings.get(name, []), value] if value else []
    return settings


def syscalls(group: str) -> set[str]:
    """The system calls a ``@group`` of systemd's names, nested groups expanded (as systemd-analyze lists them)."""
    listing = subprocess.run(["systemd-analyze", "syscall-filter", group], check=True, capture_output=True, text=True)
    names: set[str] = set()
    for line in listing.stdout.splitlines()[1:]:
        item = line.strip()
        if item.startswith("@"):
            names |= syscalls(item)
        elif item and not item.startswith("#"):
            names.add(item)
    return names


def allowed_syscalls(filters: list[str]) -> set[str]:
    """What ``SystemCallFilter=`` lines allow: the first is an allow list, a ``~`` line takes names away."""
    allowed: set[str] = set()
    for line in filters:
        deny = line.startswith("~")
        names: set[str] = set()
        for item in line.removeprefix("~").split():
            names |= syscalls(item) if item.startswith("@") else {item}
        allowed = allowed - names if deny else allowed | names
    return allowed


def private_proc(protect: str) -> None:
    """Give this process a mount namespace whose /proc shows only processes (``ProcSubset=pid``) and, of those,
    what ``ProtectProc=`` lets it see."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS), for a /proc of its own: run as root")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:  # nothing leaks to the host's mounts
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    if libc.mount(b"proc", b"/proc", b"proc", 0, f"subset=pid,hidepid={protect}".encode()) != 0:
        raise OSError(ctypes.get_errno(), "mount -t proc -o subset=pid")


def enter(unit: Path, dropins: Sequence[Path] = (), user: str | None = None) -> None:
    """Put this process (and what it executes next) under the /proc, filter, families and W^X rule of ``unit``
    with its ``dropins``, as ``user`` when given (``User=``; cage, for one, refuses to run as root)."""
    settings = unit_settings(unit, dropins)
    if settings.get("ProcSubset", [""])[-1] == "pid":
        private_proc(settings.get("ProtectProc", ["default"])[-1])
    if user is not None:
        account = pwd.getpwnam(user)
        os.setgroups([])
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)
    if settings.get("MemoryDenyWriteExecute", [""])[-1] == "yes":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_MDWE (Linux 6.3+)")
    seccomp = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    seccomp.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ArgCmp)
    ]  # fmt: skip
    seccomp.seccomp_load.argtypes = [ctypes.c_void_p]
    error_number = getattr(errno, settings.get("SystemCallErrorNumber", ["EPERM"])[-1])
    context = seccomp.seccomp_init(0x00050000 | error_number)  # SCMP_ACT_ERRNO: what is not allowed fails
    families = [getattr(socket, name) for name in settings["RestrictAddressFamilies"][-1].split()]
    for name in sorted(allowed_syscalls(settings["SystemCallFilter"])):
        number = seccomp.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            continue  # a name of another architecture (SystemCallArchitectures=native)
        if name == "socket":
            for family in families:
                seccomp.seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, 1, ArgCmp(0, SCMP_CMP_EQ, family, 0))
        elif seccomp.seccomp_rule_add_array(context, SCMP_ACT_ALLOW, number, 0, None) != 0:
            raise OSError(f"seccomp_rule_add {name}")
    if seccomp.seccomp_load(context) != 0:
        raise OSError("seccomp_load")


if __name__ == "__main__":
    arguments = sys.argv[1:]
    user = None
    if arguments[0] == "--user":
        user, *arguments = arguments[1:]
    assert "--" in arguments, "usage: deploy_sandbox [--user NAME] UNIT [DROP-IN...] -- COMMAND..."
    unit_path, *dropins = arguments[: arguments.index("--")]
    command = arguments[arguments.index("--") + 1 :]
    enter(Path(unit_path), [Path(dropin) for dropin in dropins], user)
    os.execvp(command[0], command)
