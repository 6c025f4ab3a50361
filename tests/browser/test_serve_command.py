"""``kiosk serve`` refuses to offer the kiosk beyond this machine unless the settings allow it."""

from __future__ import annotations

import pytest

from kiosk.browser import AddressRefused, check_address
from kiosk.cli import main
from kiosk.display import kiosk_command


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.53", "::1", "localhost"])
def test_loopback_addresses_are_served(address):
    check_address(address, allow_remote=False)


@pytest.mark.parametrize("address", ["0.0.0.0", "192.0.2.10", "::", "kiosk.example"])
def test_other_addresses_are_refused_unless_allowed(address):
    with pytest.raises(AddressRefused, match="allow_remote"):
        check_address(address, allow_remote=False)
    check_address(address, allow_remote=True)


def test_the_command_says_why_it_refuses(capsys, tmp_path):
    assert main(["serve", "--address", "0.0.0.0", "--port", "18765"]) == 2
    assert "127.0.0.1" in capsys.readouterr().err


def test_each_session_runs_this_python_with_the_same_settings(tmp_path):
    config = tmp_path / "my kiosk.toml"
    assert kiosk_command(config).endswith(f"-m kiosk --config '{config}' run")
    assert kiosk_command(None, demo_dir=tmp_path).endswith(f"-m kiosk demo --data-dir {tmp_path}")
