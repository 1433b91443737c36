"""Statistics used by the figures: the Wilson score interval for a share.

The Wilson interval (Wilson 1927; recommended over the normal approximation by
Brown, Cai and DasGupta 2001) stays within 0..1 and behaves at 0% and 100%:

    centre = (p + z²/2n) / (1 + z²/n)
    half   = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)

``n`` is the number of respondents, not of answers: answers of one person
are not independent.
"""

from __future__ import annotations

import math

Z_95 = 1.959963984540054


def wilson_interval(share: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval for a share observed among ``n`` respondents ((nan, nan) when n is 0)."""
    if n <= 0 or share != share:
        return math.nan, math.nan
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (share + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n))
    low = 0.0 if share <= 0 else max(0.0, centre - half)  # exact at the ends: no rounding residue
    high = 1.0 if share >= 1 else min(1.0, centre + half)
    return low, high


#: slack for comparing computed figures (a touching interval, a change exactly at a minimum)
EPSILON = 1e-9


def intervals_overlap(a_low: float, a_high: float, b_low: float, b_high: float) -> bool:
    """Whether two intervals share at least one point (touching intervals overlap)."""
    return a_low <= b_high + EPSILON and b_low <= a_high + EPSILON


def is_missing(value: object) -> bool:
    """Whether a figure is missing: None, ``pd.NA`` or NaN (anything else, text included, is a value)."""
    if value is None or type(value).__name__ == "NAType":
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return False
