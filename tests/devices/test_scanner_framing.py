"""The serial scanner's line framer: terminators, prefixes, encodings, garbage and noise."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.scanner.framing import ScanFramer
from tests.fuzzing import FUZZ


@pytest.mark.parametrize("terminator", [b"\r", b"\n", b"\r\n"], ids=["CR", "LF", "CRLF"])
def test_every_terminator_ends_a_code(terminator):
    framer = ScanFramer()
    assert framer.feed(b"A123" + terminator + b"B456" + terminator) == ["A123", "B456"]
    assert framer.pending == 0


def test_a_code_split_across_feeds_is_joined():
    framer = ScanFramer()
    assert framer.feed(b"BJ2026") == []
    assert framer.feed(b"1123-00") == []
    assert framer.feed(b"42\r\n") == ["BJ20261123-0042"]


def test_a_crlf_split_across_feeds_gives_no_empty_code():
    framer = ScanFramer()
    assert framer.feed(b"A123\r") == ["A123"]
    assert framer.feed(b"\nB456\r") == ["B456"]
    assert framer.feed(b"\n") == []


def test_empty_lines_are_ignored():
    assert ScanFramer().feed(b"\r\n\r\n\n\rA1\r\n\r\n") == ["A1"]


def test_a_configured_prefix_is_stripped_when_present():
    framer = ScanFramer(prefix="#", strip_aim=False)
    assert framer.feed(b"#A123\r\nB456\r\n") == ["A123", "B456"]


def test_an_aim_identifier_is_stripped():
    framer = ScanFramer()
    assert framer.feed(b"]Q1https://zwfw.example.cn/q?t=42\r\n]C0A0042\r\n]e0X\r\n") == [
        "https://zwfw.example.cn/q?t=42",
        "A0042",
        "X",
    ]


def test_aim_identifiers_stay_when_not_asked_to_strip():
    assert ScanFramer(strip_aim=False).feed(b"]Q1A123\r\n") == ["]Q1A123"]


def test_only_the_start_is_an_aim_identifier():
    assert ScanFramer().feed(b"A]Q1B\r\n]Q\r\n") == ["A]Q1B", "]Q"]


def test_a_prefix_that_is_an_aim_identifier_removes_only_itself():
    """Content that happens to start with ]X9 behind the prefix is content, not a second identifier."""
    framer = ScanFramer(prefix="]Q1")
    assert framer.feed(b"]Q1]A1B2\r\n]C0A0042\r\n") == ["]A1B2", "A0042"]


def test_an_aim_identifier_after_a_custom_prefix_is_stripped():
    assert ScanFramer(prefix="@").feed(b"@]Q1A123\r\n") == ["A123"]


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_chinese_content_in_utf8_or_gb18030(encoding):
    text = "办件编号：BJ-2026-0042 王秀英"
    assert ScanFramer().feed(b"]Q1" + text.encode(encoding) + b"\r\n") == [text]


def test_bytes_valid_in_neither_encoding_become_replacement_characters():
    (code,) = ScanFramer().feed(b"]Q1A\xff\xfe\x80B\r\n")
    assert "\ufffd" in code and code.startswith("A") and code.endswith("B")


def test_other_control_characters_are_removed():
    assert ScanFramer().feed(b"\x02]Q1A1\x1d23\x00\x03\r\n\x00\x7f\r\n") == ["A123"]


def test_a_prefix_alone_is_not_a_code():
    assert ScanFramer(prefix="]Q1").feed(b"]Q1\r\n") == []


def test_an_overlong_run_is_discarded_and_counted():
    framer = ScanFramer(max_length=16)
    assert framer.feed(b"x" * 10) == []
    assert framer.feed(b"x" * 10) == []
    assert framer.pending == 0 and framer.discarded == 1
    assert framer.feed(b"x" * 100) == []  # still the same run: not counted again, not buffered
    assert framer.pending == 0 and framer.discarded == 1
    assert framer.feed(b"tail\r\nA123\r\n") == ["A123"]  # the tail of the noise is not a code
    assert framer.feed(b"y" * 17 + b"\r\nB456\r\n") == ["B456"]  # too long within one feed, too
    assert framer.discarded == 2


def test_a_code_exactly_max_length_long_is_kept():
    assert ScanFramer(max_length=8).feed(b"12345678\r\n") == ["12345678"]


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in pairwise(points)]


_noise = st.lists(
    st.one_of(st.binary(max_size=40), st.sampled_from([b"\r", b"\n", b"\r\n", b"]Q1", b"\xff", b"\xe4\xbd"])),
    max_size=30,
).map(b"".join)


@given(stream=_noise, cuts=st.lists(st.integers(min_value=0), max_size=10), max_length=st.integers(1, 64))
def test_no_byte_stream_raises_and_the_buffer_stays_bounded(stream, cuts, max_length):
    framer = ScanFramer(prefix="]Q1", max_length=max_length)
    for chunk in _split(stream, cuts):
        for code in framer.feed(chunk):
            assert code
            assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in code)
        assert framer.pending <= max_length


_printable_code = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), min_size=1, max_size=40)


@given(codes=st.lists(_printable_code, max_size=10), cuts=st.lists(st.integers(min_value=0), max_size=10))
def test_printable_codes_round_trip_however_they_are_cut(codes, cuts):
    framer = ScanFramer(strip_aim=False)
    stream = b"".join(code.encode() + b"\r\n" for code in codes)
    received = [code for chunk in _split(stream, cuts) for code in framer.feed(chunk)]
    assert received == codes


# Bad input fuzzed. The framer documents that it never raises; what it returns goes to the screens, the search and
# the code parsers, so each code must be clean text: no control characters, and no lone surrogate (the search's
# OpenCC conversion, for one, cannot encode it).

_line_noise = st.lists(
    st.one_of(
        st.binary(max_size=60),
        st.text(max_size=20).map(lambda t: t.encode("utf-16-le", "surrogatepass")),  # NULs and surrogate halves
        st.text(max_size=20).map(lambda t: t.encode("gb18030", "replace")),
        st.sampled_from([b"\r", b"\n", b"\r\n", b"]Q1", b"]", b"\xed\xa0\x80", b"\xc0\x80", b"\x81\x30", b"\x00"]),
        st.integers(4000, 10_500).map(lambda n: b"7" * n),  # a line past max_length, a 10 kB one
    ),
    max_size=12,
).map(b"".join)
_prefixes = st.sampled_from(["", "]Q1", "#", "]"]) | st.text(max_size=4)


@settings(FUZZ, max_examples=250)
@given(stream=_line_noise, cuts=st.lists(st.integers(min_value=0), max_size=12), prefix=_prefixes)
def test_noise_long_lines_and_any_prefix_give_clean_codes_and_a_bounded_buffer(stream, cuts, prefix):
    framer = ScanFramer(prefix=prefix)
    for chunk in _split(stream, cuts):
        for code in framer.feed(chunk):
            assert code and isinstance(code, str)
            assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in code)
            code.encode("utf-8")  # no lone surrogate
        assert framer.pending <= framer.max_length


@settings(FUZZ, max_examples=100)
@given(before=_line_noise, code=_printable_code, cuts=st.lists(st.integers(min_value=0), max_size=12))
def test_a_code_after_noise_and_a_10_kB_line_still_comes_through(before, code, cuts):
    framer = ScanFramer(strip_aim=False)
    stream = before + b"\r\n" + b"x" * 10_240 + b"\r\n" + code.encode() + b"\r\n"
    received = [c for chunk in _split(stream, cuts) for c in framer.feed(chunk)]
    assert received[-1] == code
    assert framer.discarded >= 1
