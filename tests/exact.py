"""One exactness check for the engine tests."""

from fractions import Fraction

import numpy as np


def exact_equal(got, want) -> None:
    """Exact values (int / Fraction in an object array) equal to the hand-derived ones."""
    assert got.dtype == object
    assert all(isinstance(v, (int, Fraction)) for v in got.flat), got
    np.testing.assert_array_equal(got, np.array(want, dtype=object))
