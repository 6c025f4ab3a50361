"""deploy/: the systemd units pass systemd's own checks and keep their exposure figure, the udev rules parse, and
the installer, run twice into a throw-away OS tree, makes the same tree both times and touches nothing outside it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from config.settings import load_settings

ROOT = Path(__file__).parent.parent.parent
DEPLOY = ROOT / "deploy"
UNITS = ["kiosk.service", "kiosk-hall.service"]
# The figures README's "Installing on a kiosk machine" reports: lower them, never raise them.
EXPOSURE = {"kiosk.service": 1.7, "kiosk-hall.service": 0.9}
EXPOSURE_IN_BROWSER_MODE = 2.5  # kiosk.service with deploy/kiosk-browser.conf: what Chromium needs
needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")


def _analyze(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", *args], capture_output=True, text=True)


@needs_systemd_analyze
@pytest.mark.parametrize("unit", UNITS)
def test_exposure_does_not_regress(unit):
    result = _analyze("security", "--offline=true", str(DEPLOY / unit))
    found = re.search(rf"Overall exposure level for {re.escape(unit)}: (\d+\.\d)", result.stdout)
    assert found, result.stdout + result.stderr
    assert float(found[1]) <= EXPOSURE[unit], result.stdout


def test_units_run_the_installed_kiosk_with_its_settings_and_data():
    kiosk = (DEPLOY / "kiosk.service").read_text()
    assert "ExecStart=/usr/bin/cage -- /opt/kiosk/bin/kiosk display\n" in kiosk
    assert "Environment=KIOSK_CONFIG=/etc/kiosk/kiosk.toml\n" in kiosk
    assert "StateDirectory=kiosk\n" in kiosk and "User=kiosk\n" in kiosk
    hall = (DEPLOY / "kiosk-hall.service").read_text()
    assert "hall serve --db /var/lib/kiosk-hall/hall.db --host 127.0.0.1 --port 8700\n" in hall
    assert "User=kiosk-hall\n" in hall


# The udev rules. systemd 252 has no `udevadm verify` (253+): its parser is reached through `udevadm test`, which
# reads every rules file and names a bad key with file and line; the grammar and the promises are checked here.

RULE_PAIR = re.compile(r'(?P<key>[A-Z_]+)(\{(?P<attr>[A-Za-z_]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"')


def _rules() -> list[list[re.Match]]:
    rules = []
    for line in (DEPLOY / "99-kiosk.rules").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            pairs = line.split(", ")
            matches = [RULE_PAIR.fullmatch(pair) for pair in pairs]
            assert all(matches), f"not KEY==\"value\" pairs separated by ', ': {line}"
            rules.append(matches)
    return rules


def test_udev_rules_give_stable_names_to_groups_never_to_everyone():
    names = set()
    for rule in _rules():
        pairs = {(m["key"], m["attr"], m["op"]): m["value"] for m in rule}
        assert pairs[("MODE", None, "=")] == "0660"
        assert pairs[("GROUP", None, "=")] in {"dialout", "lp"}
        vendor = pairs.get(("ATTRS", "idVendor", "==")) or pairs[("ATTR", "idVendor", "==")]
        product = pairs.get(("ATTRS", "idProduct", "==")) or pairs[("ATTR", "idProduct", "==")]
        assert re.fullmatch(r"[0-9a-f]{4}", vendor) and re.fullmatch(r"[0-9a-f]{4}", product)  # udev compares text
        if ("SYMLINK", None, "+=") in pairs:
            names.add(pairs[("SYMLINK", None, "+=")])
    assert names == {"kiosk-idcard", "kiosk-scanner", "kiosk-printer"}


@pytest.mark.skipif(shutil.which("udevadm") is None or shutil.which("unshare") is None, reason="udevadm absent")
def test_udev_rules_pass_udevs_own_parser(tmp_path):
    rules = tmp_path / "rules.d"
    rules.mkdir()
    shutil.copy(DEPLOY / "99-kiosk.rules", rules)
    # udevadm test reads /etc/udev/rules.d only: show it our folder there, in a mount namespace of its own.
    script = f"mount --bind {rules} /etc/udev/rules.d && exec udevadm test --action=add /sys/class/tty/tty0"
    result = subprocess.run(["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True)
    if "Reading rules file" not in result.stdout + result.stderr:
        pytest.skip(f"udevadm test cannot run here: {(result.stderr or result.stdout).strip()[:200]}")
    about_ours = [line for line in (result.stdout + result.stderr).splitlines() if "99-kiosk.rules" in line]
    assert about_ours == ["Reading rules file: /etc/udev/rules.d/99-kiosk.rules"]


# The installer, into a throw-away root (tests/e2e/conftest.py).


def _ids(root: Path, database: str) -> dict[str, int]:
    return {line.split(":")[0]: int(line.split(":")[2]) for line in (root / "etc" / database).read_text().splitlines()}


def test_the_installer_twice_makes_the_tree_once_and_then_changes_nothing(installed):
    first, second = installed["runs"]
    assert first["code"] == 0 and second["code"] == 0, first["err"] + second["err"]
    for line in first["out"].splitlines():
        assert line.startswith(("created ", "already there ")), line
    assert "created /opt/kiosk" in first["out"] and "created /etc/kiosk/kiosk.toml" in first["out"]
    lines = second["out"].splitlines()
    assert len(lines) == len(first["out"].splitlines())
    assert all(line.startswith("already there ") for line in lines), second["out"]


def test_nothing_outside_the_root_changed(installed):
    assert installed["after"] == installed["before"]


def test_users_folders_and_files_have_their_owners_and_modes(installed):
    root = Path(installed["root"])
    users, groups = _ids(root, "passwd"), _ids(root, "group")
    kiosk, hall = users["kiosk"], users["kiosk-hall"]
    kiosk_group, hall_group = groups["kiosk"], groups["kiosk-hall"]
    members = {line.split(":")[0]: line.split(":")[3] for line in (root / "etc/group").read_text().splitlines()}
    assert {"dialout", "lp", "audio"} <= {name for name, who in members.items() if "kiosk" in who.split(",")}
    assert groups["lp"] == 7  # the tree's own group, kept
    expected = {
        "etc/kiosk": (0o2750, 0, kiosk_group),
        "etc/kiosk/kiosk.toml": (0o640, 0, kiosk_group),
        "var/lib/kiosk": (0o700, kiosk, kiosk_group),
        "var/lib/kiosk-hall": (0o700, hall, hall_group),
        "etc/systemd/system/kiosk.service": (0o644, 0, 0),
        "etc/systemd/system/kiosk-hall.service": (0o644, 0, 0),
        "etc/udev/rules.d/99-kiosk.rules": (0o644, 0, 0),
        "etc/modules-load.d/kiosk.conf": (0o644, 0, 0),
        "opt/kiosk/bin/kiosk": (0o755, 0, 0),
    }
    for path, (mode, uid, gid) in expected.items():
        status = (root / path).stat()
        assert (status.st_mode & 0o7777, status.st_uid, status.st_gid) == (mode, uid, gid), path
    for name in ["kiosk.service", "kiosk-hall.service"]:
        assert (root / "etc/systemd/system" / name).read_bytes() == (DEPLOY / name).read_bytes()


def _copy_of(installed: dict, tmp_path: Path) -> Path:
    """The installed tree copied for a test to change, sharing its build of /opt/kiosk."""
    built, root = Path(installed["root"]) / "opt/kiosk", tmp_path / "root"

    def skip_the_build(folder: str, names: list[str]) -> set[str]:
        return {"kiosk"} if Path(folder) == built.parent else set()

    shutil.copytree(installed["root"], root, symlinks=True, ignore=skip_the_build)
    (root / "opt/kiosk").symlink_to(built)  # the same build, not made again
    return root


def test_run_again_the_installer_puts_back_what_was_changed_and_keeps_the_settings(installed, tmp_path):
    root = _copy_of(installed, tmp_path)
    (root / "var/lib/kiosk").chmod(0o755)
    (root / "etc/udev/rules.d/99-kiosk.rules").write_text("# an older version\n")
    (root / "etc/systemd/system/kiosk.service").unlink()
    (root / "etc/kiosk/kiosk.toml").write_text('[station]\nid = "HT01"\n')
    run = subprocess.run([DEPLOY / "install.sh", "--root", root], capture_output=True, text=True, check=True)
    assert "changed /var/lib/kiosk to 700" in run.stdout
    assert "updated /etc/udev/rules.d/99-kiosk.rules" in run.stdout
    assert "created /etc/systemd/system/kiosk.service" in run.stdout
    assert (root / "var/lib/kiosk").stat().st_mode & 0o777 == 0o700
    assert (root / "etc/kiosk/kiosk.toml").read_text() == '[station]\nid = "HT01"\n'  # the technician's, kept
    assert (root / "etc/kiosk/kiosk.toml").stat().st_mode & 0o777 == 0o640


def test_browser_mode_adds_the_units_drop_in_and_terminal_mode_takes_it_away(installed, tmp_path):
    root = _copy_of(installed, tmp_path)
    drop_in = root / "etc/systemd/system/kiosk.service.d/browser.conf"
    run = subprocess.run([DEPLOY / "install.sh", "--root", root, "--browser"], capture_output=True, text=True)
    assert "created /etc/systemd/system/kiosk.service.d/browser.conf" in run.stdout, run.stderr
    assert drop_in.read_bytes() == (DEPLOY / "kiosk-browser.conf").read_bytes()
    assert "no /usr/bin/chromium" in run.stderr  # the bare tree has no display programs: the installer says so
    if shutil.which("systemd-analyze"):
        security = _analyze("security", "--offline=true", f"--root={root}", "kiosk.service")
        found = re.search(r"Overall exposure level for kiosk.service: (\d+\.\d)", security.stdout)
        assert found and float(found[1]) <= EXPOSURE_IN_BROWSER_MODE, security.stdout + security.stderr
        if Path("/usr/bin/cage").exists():
            verify = _analyze("verify", f"--root={root}", "/etc/systemd/system/kiosk.service")
            assert (verify.returncode, verify.stdout + verify.stderr) == (0, "")
    again = subprocess.run([DEPLOY / "install.sh", "--root", root], capture_output=True, text=True, check=True)
    assert "removed /etc/systemd/system/kiosk.service.d/browser.conf" in again.stdout
    assert not drop_in.parent.exists()


def test_installed_settings_name_the_data_folder_and_the_stable_device_names(installed):
    settings = load_settings(Path(installed["root"]) / "etc/kiosk/kiosk.toml")
    assert settings.storage.data_dir == Path("/var/lib/kiosk")
    assert settings.devices.card_reader_port == "/dev/kiosk-idcard"
    assert settings.devices.scanner_port == "/dev/kiosk-scanner"
    assert settings.devices.printer == "file:///dev/kiosk-printer"


def test_the_installed_kiosk_runs_and_settings_root_rewrites_stay_readable_by_it(installed):
    root = Path(installed["root"])
    kiosk = root / "opt/kiosk/bin/kiosk"
    listing = subprocess.run([kiosk, "catalog", "list", "--json"], capture_output=True, text=True, check=True)
    assert json.loads(listing.stdout) and "code" in json.loads(listing.stdout)[0]
    settings = root / "etc/kiosk/kiosk.toml"
    subprocess.run(
        [kiosk, "--config", settings, "pin", "technician", "--pin-stdin"], input="24681357\n", text=True, check=True
    )
    # The file is replaced by a new one, made by root: the folder's setgid bit gives it the kiosk's group.
    assert (settings.stat().st_gid, settings.stat().st_mode & 0o777) == (_ids(root, "group")["kiosk"], 0o640)


@needs_systemd_analyze
@pytest.mark.parametrize("unit", UNITS)
def test_installed_units_pass_systemd_analyze_verify(installed, unit):
    if unit == "kiosk.service" and not Path("/usr/bin/cage").exists():
        pytest.skip("the kiosk's unit starts /usr/bin/cage, not installed here (CI installs it)")
    # --root: ExecStart's /opt/kiosk/bin/kiosk, User= and the units the kiosk's refers to are looked up in the tree.
    result = _analyze("verify", f"--root={installed['root']}", f"/etc/systemd/system/{unit}")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
