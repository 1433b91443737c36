"""Wilson score interval against worked values."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wqm_nb.model.stats import wilson_interval


@pytest.mark.parametrize(
    "share, n, low, high",
    [
        (0.5, 10, 0.2366, 0.7634),  # Newcombe (1998), method 3
        (0.0, 10, 0.0, 0.2775),
        (1.0, 10, 0.7225, 1.0),
        (0.8, 100, 0.7112, 0.8666),
    ],
)
def test_known_intervals(share, n, low, high):
    lo, hi = wilson_interval(share, n)
    assert lo == pytest.approx(low, abs=5e-4) and hi == pytest.approx(high, abs=5e-4)


def test_no_respondents_gives_no_interval():
    assert all(math.isnan(x) for x in wilson_interval(0.5, 0))


@given(st.integers(1, 5000), st.data())
def test_interval_contains_the_share_and_stays_in_range(n, data):
    k = data.draw(st.integers(0, n))
    lo, hi = wilson_interval(k / n, n)
    assert 0 <= lo <= k / n <= hi <= 1


def test_is_missing_knows_none_nan_and_pd_na_and_nothing_else():
    import pandas as pd

    from wqm_nb.model.stats import is_missing

    assert all(is_missing(v) for v in (None, float("nan"), pd.NA))
    assert not any(is_missing(v) for v in (0, 0.0, "", "nan", "x"))
