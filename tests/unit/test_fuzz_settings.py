"""Bad input fuzzed: ``load_settings`` on any file raises SettingsError, never anything else.

The file is a technician's: any bytes (invalid UTF-8 too), any text, TOML built from the real sections and fields
with values of every TOML kind (huge and non-finite numbers, NULs, dates where text belongs, nesting thousands
deep), and the shipped kiosk.toml after an editor's slips.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from config import shipped_settings_path
from config.settings import Settings, SettingsError, load_settings
from tests.fuzzing import FUZZ, toml_string

SHIPPED = shipped_settings_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def settings_file(tmp_path_factory):
    return tmp_path_factory.mktemp("settings") / "kiosk.toml"


def _loads_or_is_a_settings_error(path) -> None:
    try:
        loaded = load_settings(path)
    except SettingsError as error:
        assert str(error)
        return
    assert isinstance(loaded, Settings)


_scalars = st.one_of(
    st.sampled_from(["true", "false"]),
    st.integers().map(str),
    st.integers(300, 5000).map(lambda digits: "9" * digits),  # past float range, past int()'s 4300 digits
    st.sampled_from(["inf", "-inf", "nan", "1e999", "0x7fffffffffffffff", "0b1", "1_000", "-0", "+15"]),
    st.floats().map(repr).filter(lambda r: r not in ("inf", "-inf", "nan")),
    st.text(max_size=30).map(toml_string),
    st.sampled_from(["1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", '"/dev/ttyUSB0"', '"sim://"', '""']),
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3).map(lambda items: "[" + ", ".join(items) + "]")
        | st.lists(st.tuples(st.from_regex(r"[a-z_]{1,8}", fullmatch=True), inner), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k} = {v}" for k, v in dict(pairs).items()) + "}"
        )
    ),
    max_leaves=8,
)
_FIELDS = {section: sorted(model.annotation.model_fields) for section, model in Settings.model_fields.items()}


@st.composite
def _settings_documents(draw) -> str:
    """Sections and fields of the real model (now and then unknown ones), each with a value of any TOML kind."""
    lines = []
    for section in draw(st.lists(st.sampled_from(sorted(_FIELDS)) | st.sampled_from(["stations", ""]), max_size=4)):
        lines.append(f"[{section}]")
        for field in draw(st.lists(st.sampled_from(_FIELDS.get(section) or ["id"]) | st.just("nonsense"), max_size=5)):
            lines.append(f"{field} = {draw(_values)}")
    return "\n".join(lines) + "\n"


@st.composite
def _edited_shipped_file(draw) -> str:
    """The shipped kiosk.toml after one to three slips: cut short, a line dropped, doubled or replaced by any
    text, a value replaced, NULs or a 10 kB line added."""
    lines = SHIPPED.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        slip = draw(st.sampled_from(["cut", "drop", "double", "line", "value", "nul", "long"]))
        if slip == "cut":
            lines = [*lines[:at], lines[at][: draw(st.integers(0, len(lines[at])))]]
        elif slip == "drop":
            del lines[at]
        elif slip == "double":
            lines.insert(at, lines[at])
        elif slip == "line":
            lines[at] = draw(st.text(max_size=40))
        elif slip == "value":
            key = lines[at].partition("=")[0].strip() or "id"
            lines[at] = f"{key} = {draw(_values)}"
        elif slip == "nul":
            lines[at] = lines[at].replace("=", "=\x00", 1)
        else:
            lines.insert(at, "# " + "长" * 10_240)
        if not lines:
            break
    return "\n".join(lines) + "\n"


_nested = st.tuples(st.integers(1, 5000), st.sampled_from(["[", "{a = "])).map(
    lambda depth_kind: (
        "[station]\nname = "
        + depth_kind[1] * depth_kind[0]
        + "1"
        + ("]" if depth_kind[1] == "[" else "}") * depth_kind[0]
        + "\n"
    )
)


@settings(FUZZ, max_examples=150)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_settings_or_a_settings_error(settings_file, content):
    settings_file.write_bytes(content)
    _loads_or_is_a_settings_error(settings_file)


@settings(FUZZ, max_examples=150)
@given(_settings_documents())
@example("[session]\nidle_timeout_seconds = " + "9" * 5000 + "\n")  # found by this test: int()'s ValueError
def test_any_values_in_the_real_fields_are_settings_or_a_settings_error(settings_file, text):
    settings_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    _loads_or_is_a_settings_error(settings_file)


@settings(FUZZ, max_examples=150)
@given(_edited_shipped_file())
def test_the_shipped_file_after_editing_slips_is_settings_or_a_settings_error(settings_file, text):
    settings_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    _loads_or_is_a_settings_error(settings_file)


@settings(FUZZ, max_examples=40)
@given(_nested)
@example("[station]\nname = " + "[" * 3000 + "]" * 3000 + "\n")  # found by this test: tomllib's RecursionError
def test_values_nested_thousands_deep_are_a_settings_error(settings_file, text):
    settings_file.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError):
        load_settings(settings_file)
