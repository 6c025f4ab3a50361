"""Telling a keyboard-wedge scanner from a person typing, by the time between keys."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.scanner.framing import WedgeDecision, WedgeDetector
from tests.fuzzing import FUZZ


def _keys(text: str) -> list[tuple[str, str]]:
    return [(c, c) for c in text]


def _type(detector: WedgeDetector, keys, start: float, gap: float) -> list[WedgeDecision]:
    return [detector.key(character, key, start + i * gap) for i, (character, key) in enumerate(keys)]


def test_a_fast_burst_ending_in_enter_is_a_scan():
    detector = WedgeDetector()
    decisions = _type(detector, _keys("A0042"), start=10.0, gap=0.010)
    assert all(d.hold and not d.release for d in decisions)
    done = detector.key(None, "enter", 10.05)
    assert done == WedgeDecision(scan="A0042")
    assert not detector.holding


def test_a_person_typing_gets_every_key_back_in_order():
    detector = WedgeDetector()
    delivered: list[tuple[str | None, str]] = []
    t = 10.0
    for character, key in [*_keys("王A1"), ("x", "x"), (None, "backspace"), ("2", "2"), (None, "enter")]:
        decision = detector.key(character, key, t)
        assert decision.scan is None
        if decision.passthrough:
            delivered.append((character, key))
        delivered.extend(decision.release)
        delivered.extend(detector.flush(t + 0.031).release)  # the app's timer
        t += 0.150
    assert delivered == [*_keys("王A1"), ("x", "x"), (None, "backspace"), ("2", "2"), (None, "enter")]


def test_slow_keys_without_a_timer_are_released_by_the_next_key():
    detector = WedgeDetector()
    first = detector.key("a", "a", 1.0)
    second = detector.key("b", "b", 1.15)
    third = detector.key(None, "enter", 1.30)
    assert first == WedgeDecision(hold=True)
    assert second == WedgeDecision(hold=True, release=(("a", "a"),))  # b may start a scan: held in turn
    assert third == WedgeDecision(release=(("b", "b"), (None, "enter")))


def test_enter_after_too_few_fast_keys_releases_them():
    detector = WedgeDetector(min_length=4)
    _type(detector, _keys("12"), start=1.0, gap=0.010)
    decision = detector.key(None, "enter", 1.02)
    assert decision == WedgeDecision(release=(("1", "1"), ("2", "2"), (None, "enter")))


def test_a_slow_gap_mid_burst_releases_what_came_before():
    detector = WedgeDetector()
    _type(detector, _keys("ABC"), start=1.0, gap=0.010)
    late = detector.key("D", "D", 1.02 + 0.2)
    assert late.hold and late.release == (("A", "A"), ("B", "B"), ("C", "C"))
    rest = _type(detector, _keys("EFGH"), start=1.23, gap=0.010)
    assert all(d.hold and not d.release for d in rest)
    assert detector.key(None, "enter", 1.27).scan == "DEFGH"


def test_enter_after_a_slow_gap_is_not_a_scan():
    detector = WedgeDetector()
    _type(detector, _keys("ABCDE"), start=1.0, gap=0.010)
    decision = detector.key(None, "enter", 1.04 + 0.05)
    assert decision.scan is None and decision.release == (*_keys("ABCDE"), (None, "enter"))


def test_flush_releases_held_keys_only_after_the_gap():
    detector = WedgeDetector(max_gap=0.03)
    _type(detector, _keys("AB"), start=1.0, gap=0.010)
    assert detector.flush(1.02) == WedgeDecision(hold=True)  # still within the gap: keep holding
    assert detector.flush(1.05) == WedgeDecision(release=(("A", "A"), ("B", "B")))
    assert detector.flush(1.5) == WedgeDecision()
    assert not detector.holding


def test_tab_inside_a_burst_releases():
    detector = WedgeDetector()
    _type(detector, _keys("AB"), start=1.0, gap=0.010)
    decision = detector.key("\t", "tab", 1.02)
    assert decision == WedgeDecision(release=(("A", "A"), ("B", "B"), ("\t", "tab")))
    assert detector.key("C", "C", 1.03).hold  # a fresh hold, not a continuation of the old burst
    assert detector.key(None, "enter", 1.04).scan is None


def test_keys_with_nothing_held_pass_through():
    detector = WedgeDetector()
    for character, key in [(None, "backspace"), ("\t", "tab"), ("\r", "enter"), (None, "up")]:
        assert detector.key(character, key, 1.0).passthrough


def test_space_is_part_of_a_scan():
    detector = WedgeDetector()
    _type(detector, [("A", "A"), (" ", "space"), ("4", "4"), ("2", "2")], start=1.0, gap=0.008)
    assert detector.key("\r", "enter", 1.03).scan == "A 42"


# Bad input fuzzed: any keys at any pace. The detector never raises, and every key comes back exactly once and in
# order, either delivered (passed through or released) or inside a scan that is exactly the held keys' text.

_KEY_NAMES = st.sampled_from(["enter", "tab", "backspace", "escape", "space", "a", "ctrl+c"]) | st.text(max_size=8)
_events = st.lists(
    st.one_of(
        st.tuples(st.none() | st.text(max_size=3), _KEY_NAMES, st.floats(0, 0.1)),  # NUL, surrogates, "ab"
        st.tuples(st.just("flush"), st.just(""), st.floats(0, 0.1)),
    ),
    max_size=60,
)


@settings(FUZZ, max_examples=300)
@given(events=_events, max_gap=st.floats(0.001, 0.05), min_length=st.integers(1, 8))
def test_any_keys_at_any_pace_come_back_once_and_in_order(events, max_gap, min_length):
    detector = WedgeDetector(max_gap=max_gap, min_length=min_length)
    given_keys: list[tuple[str | None, str]] = []
    out: list[tuple[str | None, str]] = []
    held: list[tuple[str | None, str]] = []
    t = 100.0
    for character, key, gap in events:
        t += gap
        if character == "flush":
            decision = detector.flush(t)
            assert decision.scan is None
            if decision.release:
                assert list(decision.release) == held
                out += held
                held = []
            assert decision.hold == bool(held)
            continue
        current = (character, key)
        given_keys.append(current)
        decision = detector.key(character, key, t)
        if decision.scan is not None:
            assert decision.scan == "".join(c or "" for c, _ in held) and key == "enter"
            out += [*held, current]
            held = []
        elif decision.hold:
            assert list(decision.release) == held[: len(decision.release)]
            out += decision.release
            held = [*held[len(decision.release) :], current]
        elif decision.passthrough:
            assert not held
            out.append(current)
        else:
            assert list(decision.release) == [*held, current]
            out += decision.release
            held = []
        assert detector.holding == bool(held)
    out += detector.flush(t + 1.0).release
    assert out == given_keys
