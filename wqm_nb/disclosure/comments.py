"""Kept survey comments: which the consultant may read (``wqm survey comments``).

:func:`comments_to_show` splits kept comments into those that may be read and, per survey, how many are held
back: in a survey with fewer respondents than the store's threshold only comments flagged for safeguarding
are shown.

Method: docs/survey-import.md, "Comments".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def comments_to_show(
    comments: Iterable[Mapping], respondents: Mapping[str, int], threshold: int
) -> tuple[list[Mapping], dict[str, int]]:
    """The comments that may be read (each a mapping with ``survey`` and ``flags``), in order, and per survey
    how many are held back because the survey has fewer than ``threshold`` respondents."""
    shown: list[Mapping] = []
    held: dict[str, int] = {}
    for c in comments:
        if respondents.get(c["survey"], 0) < threshold and not c["flags"]:
            held[c["survey"]] = held.get(c["survey"], 0) + 1
        else:
            shown.append(c)
    return shown, held


__all__ = ["comments_to_show"]
