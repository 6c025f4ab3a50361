"""Frames of the reader protocol, checked against the exact bytes of the reference."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.idcard import codec
from devices.idcard.codec import Command, FrameDecoder, Status
from tests.fuzzing import FUZZ


@pytest.mark.parametrize(
    ("command", "frame"),
    [
        (codec.RESET_SAM, "AA AA AA 96 69 00 03 10 FF EC"),
        (codec.SAM_STATUS, "AA AA AA 96 69 00 03 11 FF ED"),
        (codec.READ_SAM_ID, "AA AA AA 96 69 00 03 12 FF EE"),
        (codec.FIND_CARD, "AA AA AA 96 69 00 03 20 01 22"),
        (codec.SELECT_CARD, "AA AA AA 96 69 00 03 20 02 21"),
        (codec.READ_TEXT_PHOTO, "AA AA AA 96 69 00 03 30 01 32"),
        (codec.READ_ADDITIONAL_ADDRESS, "AA AA AA 96 69 00 03 30 03 30"),
        (codec.READ_TEXT_PHOTO_FINGERPRINT, "AA AA AA 96 69 00 03 30 10 23"),
        (codec.SET_MAX_RF_BYTES, "AA AA AA 96 69 00 04 61 FF 50 CA"),
    ],
)
def test_request_frames_match_the_reference(command, frame):
    assert codec.request(command) == bytes.fromhex(frame)


def test_reference_responses_decode_with_their_status():
    card_present = bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    no_card = bytes.fromhex("AA AA AA 96 69 00 04 00 00 80 84")
    frames = FrameDecoder().feed(card_present + no_card)
    assert [f.status for f in frames] == [Status.FIND_OK, Status.NO_CARD]
    assert codec.response(Status.FIND_OK, bytes(4)) == card_present


def test_text_and_photo_response_has_the_reference_header_and_size():
    frame = codec.response(Status.SUCCESS, bytes.fromhex("0100 0400") + bytes(256) + bytes(1024))
    assert frame[:10] == bytes.fromhex("AA AA AA 96 69 05 08 00 00 90")
    assert len(frame) == 1295


def test_garbage_before_and_between_frames_is_skipped():
    decoder = FrameDecoder()
    no_card = codec.response(Status.NO_CARD)
    frames = decoder.feed(b"\x00\x13junk\xaa\xaa" + no_card + b"\x96\x69noise" + no_card)
    assert [f.status for f in frames] == [Status.NO_CARD, Status.NO_CARD]
    assert decoder.skipped_bytes > 0


def test_a_frame_split_anywhere_is_put_back_together():
    frame = codec.response(Status.SUCCESS, bytes(range(40)))
    for cut in range(1, len(frame)):
        decoder = FrameDecoder()
        assert decoder.feed(frame[:cut]) == []
        assert [f.data for f in decoder.feed(frame[cut:])] == [bytes(range(40))]


def test_a_frame_whose_check_fails_is_never_returned():
    frame = bytearray(codec.response(Status.FIND_OK, bytes(4)))
    frame[-1] ^= 0x01
    decoder = FrameDecoder()
    assert decoder.feed(bytes(frame)) == []
    assert decoder.bad_frames == 1
    assert [f.status for f in decoder.feed(codec.response(Status.NO_CARD))] == [Status.NO_CARD]


@given(st.lists(st.binary(max_size=64), max_size=40))
def test_no_byte_stream_crashes_the_decoder_and_every_byte_is_accounted_for(chunks):
    decoder = FrameDecoder()
    framed = 0
    for chunk in chunks:
        framed += sum(len(frame.body) + 8 for frame in decoder.feed(chunk))  # preamble, length, body, check
    assert framed + decoder.skipped_bytes + decoder.pending() == sum(map(len, chunks))


@given(
    st.integers(0, 255),
    st.integers(0, 255),
    st.binary(max_size=300),
    st.binary(max_size=50).map(lambda b: b.replace(b"\xaa", b"")),
    st.integers(1, 64),
)
def test_build_then_parse_round_trips_through_garbage_and_any_chunking(cmd, para, data, junk, size):
    stream = junk + codec.request(Command(cmd, para, data))
    decoder = FrameDecoder()
    frames = []
    for start in range(0, len(stream), size):
        frames += decoder.feed(stream[start : start + size])
    assert [f.as_command() for f in frames] == [Command(cmd, para, data)]


@given(st.binary(max_size=40).map(lambda b: b.replace(b"\xaa", b"")), st.binary(max_size=300))
def test_reading_what_the_decoder_wants_stops_at_the_end_of_the_frame(junk, data):
    first = codec.response(Status.SUCCESS, data)
    stream = junk + first + codec.response(Status.NO_CARD)
    decoder, position, frames = FrameDecoder(), 0, []
    while not frames and position < len(stream):
        wanted = decoder.wanted()
        assert wanted >= 1
        frames = decoder.feed(stream[position : position + wanted])
        position += wanted
    assert position == len(junk) + len(first)
    assert [f.data for f in frames] == [data]


# Bad input fuzzed: near-valid frames, mutated the ways a noisy line mutates them. The decoder documents that it
# never raises on input; what it returns must be frames that were really sent whole, and it must always ask for
# at least one more byte, or the driver's read loop would spin.


@st.composite
def _damaged_frames(draw) -> bytes:
    frame = bytearray(codec.response(draw(st.integers(0, 255)), draw(st.binary(max_size=200))))
    damage = draw(st.sampled_from(["flip", "truncate", "length", "check", "preamble", "none"]))
    if damage == "flip":
        position = draw(st.integers(0, len(frame) - 1))
        frame[position] ^= 1 << draw(st.integers(0, 7))
    elif damage == "truncate":
        del frame[draw(st.integers(0, len(frame) - 1)) :]
    elif damage == "length":
        wrong = draw(st.sampled_from([0, 1, 2, codec.MAX_BODY, codec.MAX_BODY + 1, 0xFFFF]) | st.integers(0, 0xFFFF))
        frame[5:7] = wrong.to_bytes(2, "big")
    elif damage == "check":
        frame[-1] ^= draw(st.integers(1, 255))
    elif damage == "preamble":
        frame[: len(codec.PREAMBLE)] = draw(st.binary(min_size=0, max_size=6))
    return bytes(frame)


_streams = st.lists(
    st.one_of(
        _damaged_frames(),
        st.binary(max_size=64),
        st.sampled_from([codec.PREAMBLE, codec.PREAMBLE[:3], codec.response(Status.NO_CARD)]),
    ),
    max_size=12,
).map(b"".join)


@settings(FUZZ, max_examples=300)
@given(_streams, st.lists(st.integers(1, 300), min_size=1, max_size=8))
def test_damaged_frames_in_any_chunking_give_only_frames_that_were_sent_whole(stream, sizes):
    decoder, position, frames = FrameDecoder(), 0, []
    while position < len(stream):
        size = sizes[position % len(sizes)]
        frames += decoder.feed(stream[position : position + size])
        position += size
        assert 1 <= decoder.wanted() <= codec.HEADER_LEN + codec.MAX_BODY
    for frame in frames:
        length = (len(frame.body) + 1).to_bytes(2, "big")
        assert codec.PREAMBLE + length + frame.body + bytes([codec.checksum(length + frame.body)]) in stream
        assert isinstance(frame.status, int) and isinstance(frame.data, bytes)
        assert frame.as_command() is None or isinstance(frame.as_command(), Command)
