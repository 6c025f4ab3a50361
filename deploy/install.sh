#!/usr/bin/env bash
# Install the kiosk on this machine, as root, from a clone of the repository:
#
#   sudo deploy/install.sh              this machine
#   sudo deploy/install.sh --root DIR   an OS tree in DIR (an image being built, a test): users are written to
#                                       DIR/etc/passwd and DIR/etc/group, nothing outside DIR is touched
#   sudo deploy/install.sh --browser    for [display] mode = "browser": also the unit's drop-in that lets
#                                       Chromium run (without it, an earlier drop-in is removed)
#
# It makes the users kiosk (in dialout, lp and audio) and kiosk-hall, the virtual environment /opt/kiosk, the
# folders /etc/kiosk (root:kiosk, setgid so settings rewritten by root stay readable by the kiosk), /var/lib/kiosk
# and /var/lib/kiosk-hall (0700, their users'), the settings /etc/kiosk/kiosk.toml (0640 root:kiosk, from
# config/kiosk.toml with the data folder and the devices' stable names), and installs the systemd units, the udev
# rules and the driver list. Each step prints one line: "created", "updated", "changed" or "already there".
# It is idempotent: run again, it changes nothing and says so; settings already in /etc/kiosk are kept.
#
# A shell script rather than `kiosk install`: it has to run before the kiosk is installed (it makes the
# virtual environment the kiosk runs from), needs only coreutils, shadow-utils and uv, and installs files that
# are not part of the Python package.
set -euo pipefail
umask 022 # the virtual environment must be readable by the service users; private files get explicit modes

SOURCE="$(cd "$(dirname "$0")/.." && pwd)"
ROOT=""
BROWSER=no
while [ $# -gt 0 ]; do
    case "$1" in
        --root) ROOT="${2:?--root needs a folder}"; shift 2 ;;
        --root=*) ROOT="${1#--root=}"; shift ;;
        --browser) BROWSER=yes; shift ;;
        -h | --help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -n "$ROOT" ]; then
    ROOT="$(cd "$ROOT" && pwd)"
    [ "$ROOT" != / ] || ROOT=""
fi
ROOT_OPTION=()
[ -z "$ROOT" ] || ROOT_OPTION=(--root "$ROOT")

fail() { echo "install.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "run as root (sudo): it creates users and root-owned files"
[ -f "$ROOT/etc/passwd" ] || fail "no $ROOT/etc/passwd: not an OS tree"
[ -f "$ROOT/etc/group" ] || fail "no $ROOT/etc/group: not an OS tree"
command -v uv >/dev/null || fail "uv makes /opt/kiosk: install it, or keep your PATH: sudo env PATH=\"\$PATH\" $0"
[ -x /usr/bin/python3 ] || fail "/usr/bin/python3 is missing (apt-get install python3)"

# Ids are read from the tree's own files: with --root, this machine's users are not the image's.
uid_of() { awk -F: -v name="$1" '$1 == name { print $3 }' "$ROOT/etc/passwd"; }
gid_of() { awk -F: -v name="$1" '$1 == name { print $3 }' "$ROOT/etc/group"; }
members_of() { awk -F: -v name="$1" '$1 == name { print $4 }' "$ROOT/etc/group"; }

changed_units=no
changed_rules=no
changed_modules=no

ensure_group() { # NAME: a system group, made if the OS has none (Debian has dialout, lp and audio)
    if [ -n "$(gid_of "$1")" ]; then
        echo "already there group $1 ($(gid_of "$1"))"
    else
        groupadd "${ROOT_OPTION[@]}" --system "$1"
        echo "created group $1 ($(gid_of "$1"))"
    fi
}

ensure_user() { # NAME HOME [GROUP...]: a system user with its own group, no login, a member of each GROUP
    local name="$1" home="$2"
    shift 2
    if [ -n "$(uid_of "$name")" ]; then
        echo "already there user $name ($(uid_of "$name"))"
    else
        useradd "${ROOT_OPTION[@]}" --system --user-group --home-dir "$home" --no-create-home \
            --shell /usr/sbin/nologin --comment "$name service" "$name"
        echo "created user $name ($(uid_of "$name"))"
    fi
    local group
    for group in "$@"; do
        if [[ ",$(members_of "$group")," == *",$name,"* ]]; then
            echo "already there $name in group $group"
        else
            usermod "${ROOT_OPTION[@]}" --append --groups "$group" "$name"
            echo "created $name in group $group"
        fi
    done
}

ensure_attributes() { # PATH MODE UID GID: fix what differs, say what was done
    local path="$1" mode="$2" uid="$3" gid="$4" now
    now="$(stat -c '%a %u %g' "$ROOT$path")"
    [ "$now" != "$(printf '%o' "$((8#$mode))") $uid $gid" ] || return 1
    chown "$uid:$gid" "$ROOT$path"
    chmod "$mode" "$ROOT$path"
    echo "changed $path to $mode $uid:$gid (was $now)"
}

ensure_os_dir() { # PATH: a folder of the OS (/opt, /var/lib), made in a bare tree, never changed
    if [ -d "$ROOT$1" ]; then
        echo "already there $1"
    else
        install -d -m 755 "$ROOT$1"
        echo "created $1"
    fi
}

ensure_dir() { # PATH MODE UID GID
    if [ -d "$ROOT$1" ]; then
        ensure_attributes "$@" || echo "already there $1"
    else
        install -d -m "$2" -o "$3" -g "$4" "$ROOT$1"
        echo "created $1 ($2 $3:$4)"
    fi
}

ensure_file() { # SOURCE PATH MODE UID GID: a copy of SOURCE, replaced when SOURCE has changed
    local source="$1" path="$2"
    shift 2
    if [ ! -e "$ROOT$path" ]; then
        install -D -m "$1" -o "$2" -g "$3" "$source" "$ROOT$path"
        echo "created $path"
    elif ! cmp -s "$source" "$ROOT$path"; then
        install -m "$1" -o "$2" -g "$3" "$source" "$ROOT$path"
        echo "updated $path"
    else
        ensure_attributes "$path" "$@" || { echo "already there $path"; return 1; }
    fi
}

installed_settings() { # the shipped settings, with the data folder and the devices' stable names
    sed -E \
        -e 's|^#? *data_dir *=.*|data_dir = "/var/lib/kiosk"|' \
        -e 's|^card_reader_port *=.*|card_reader_port = "/dev/kiosk-idcard"|' \
        -e 's|^scanner_port *=.*|scanner_port = "/dev/kiosk-scanner"|' \
        -e 's|^printer *=.*|printer = "file:///dev/kiosk-printer"|' \
        "$SOURCE/config/kiosk.toml"
}

source_digest() { # what /opt/kiosk is built from: the packages, the project and its lock
    (cd "$SOURCE" && find kiosk devices screens offline_cache config pyproject.toml uv.lock -type f \
        ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '*.db*' -print0 | sort -z | xargs -0 sha256sum) |
        sha256sum | cut -c1-16
}

ensure_venv() { # /opt/kiosk: the kiosk and the exact dependencies of uv.lock, compiled ahead (/opt is read-only)
    local venv="$ROOT/opt/kiosk" digest requirements verb=created
    digest="$(source_digest)"
    if [ -x "$venv/bin/kiosk" ] && [ "$(cat "$venv/.kiosk-source" 2>/dev/null)" = "$digest" ]; then
        echo "already there /opt/kiosk (source $digest)"
        return
    fi
    [ ! -e "$venv" ] || verb=updated
    # Relocatable: the same tree works at / once an image built with --root is booted.
    [ -x "$venv/bin/python" ] || uv venv --quiet --relocatable --python /usr/bin/python3 "$venv"
    requirements="$(mktemp)"
    uv export --quiet --project "$SOURCE" --frozen --no-dev --no-emit-project --format requirements-txt >"$requirements"
    uv pip install --quiet --python "$venv/bin/python" --compile-bytecode --require-hashes -r "$requirements"
    rm -f "$requirements"
    uv pip install --quiet --python "$venv/bin/python" --compile-bytecode --no-deps \
        --reinstall-package kiosk --refresh-package kiosk "$SOURCE"
    echo "$digest" >"$venv/.kiosk-source"
    echo "$verb /opt/kiosk (source $digest)"
}

ensure_group dialout
ensure_group lp
ensure_group audio
ensure_user kiosk /var/lib/kiosk dialout lp audio
ensure_user kiosk-hall /var/lib/kiosk-hall
KIOSK_UID="$(uid_of kiosk)" KIOSK_GID="$(gid_of kiosk)"
HALL_UID="$(uid_of kiosk-hall)" HALL_GID="$(gid_of kiosk-hall)"

ensure_os_dir /opt
ensure_venv
ensure_dir /etc/kiosk 2750 0 "$KIOSK_GID"
if [ -e "$ROOT/etc/kiosk/kiosk.toml" ]; then
    ensure_attributes /etc/kiosk/kiosk.toml 640 0 "$KIOSK_GID" ||
        echo "already there /etc/kiosk/kiosk.toml (kept as it is)"
else
    settings="$(mktemp)"
    installed_settings >"$settings"
    for line in 'data_dir = "/var/lib/kiosk"' 'card_reader_port = "/dev/kiosk-idcard"' \
        'scanner_port = "/dev/kiosk-scanner"' 'printer = "file:///dev/kiosk-printer"'; do
        grep -qxF "$line" "$settings" || fail "config/kiosk.toml has no line for $line: update installed_settings"
    done
    install -m 640 -o 0 -g "$KIOSK_GID" "$settings" "$ROOT/etc/kiosk/kiosk.toml"
    rm -f "$settings"
    echo "created /etc/kiosk/kiosk.toml (data in /var/lib/kiosk; set station.id before starting the kiosk)"
fi
ensure_os_dir /var/lib
ensure_dir /var/lib/kiosk 700 "$KIOSK_UID" "$KIOSK_GID"
ensure_dir /var/lib/kiosk-hall 700 "$HALL_UID" "$HALL_GID"

ensure_file "$SOURCE/deploy/kiosk.service" /etc/systemd/system/kiosk.service 644 0 0 && changed_units=yes
ensure_file "$SOURCE/deploy/kiosk-hall.service" /etc/systemd/system/kiosk-hall.service 644 0 0 && changed_units=yes
DROP_IN=/etc/systemd/system/kiosk.service.d/browser.conf
if [ "$BROWSER" = yes ]; then
    ensure_file "$SOURCE/deploy/kiosk-browser.conf" "$DROP_IN" 644 0 0 && changed_units=yes
elif [ -e "$ROOT$DROP_IN" ]; then
    rm -f "$ROOT$DROP_IN"
    rmdir --ignore-fail-on-non-empty "$ROOT$(dirname "$DROP_IN")"
    echo "removed $DROP_IN (browser mode: run with --browser)"
    changed_units=yes
fi
ensure_file "$SOURCE/deploy/99-kiosk.rules" /etc/udev/rules.d/99-kiosk.rules 644 0 0 && changed_rules=yes
ensure_file "$SOURCE/deploy/kiosk-modules.conf" /etc/modules-load.d/kiosk.conf 644 0 0 && changed_modules=yes
for needed in cage Xwayland:xwayland foot $([ "$BROWSER" = no ] || echo chromium); do
    program=${needed%%:*} package=${needed#*:}
    [ -x "$ROOT/usr/bin/$program" ] || echo "note: no /usr/bin/$program: the display needs it (apt-get install $package)" >&2
done

# On the machine itself, what changed takes effect now; an image picks it up when it boots.
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then
    if [ "$changed_units" = yes ]; then systemctl daemon-reload && echo "reloaded systemd's units"; fi
    if [ "$changed_modules" = yes ]; then
        systemctl restart systemd-modules-load.service && echo "loaded the drivers of /etc/modules-load.d/kiosk.conf"
    fi
    if [ "$changed_rules" = yes ]; then
        udevadm control --reload-rules && udevadm trigger --action=add --subsystem-match=tty \
            --subsystem-match=usbmisc --subsystem-match=usb && echo "reloaded udev's rules"
    fi
fi
