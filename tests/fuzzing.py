"""What the fuzzing property tests share: their Hypothesis settings and the shapes outside data comes in.

Each property sets its own ``max_examples`` on top of :data:`FUZZ`, sized so that the whole set runs in about a
minute on a two-core machine.
"""

from __future__ import annotations

import json

from hypothesis import settings
from hypothesis import strategies as st

FUZZ = settings(derandomize=True, database=None, deadline=None)
"""The same examples at every run, no replay of earlier failures from a database, and no timing: the machine is
shared, and a slow example is not a wrong one."""

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.integers(2**62, 2**70) | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
"""Any value ``json.loads`` can give: NaN and infinities, integers past SQLite's, lone surrogates from ``\\ud800``."""


def toml_string(text: str) -> str:
    """A TOML basic string. JSON's escapes are TOML's, but for DEL, which TOML wants escaped; a lone surrogate
    comes out as an escape TOML refuses, which is a case worth having too."""
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def mostly(usual: st.SearchStrategy, odd: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` three times in four, ``odd`` otherwise (``sampled_from`` picks each entry alike)."""
    return st.sampled_from([usual, usual, usual, odd]).flatmap(lambda strategy: strategy)
