"""One publication threshold per store: what a command asked for, against what the store publishes at.

Every surface that publishes from a store uses the store's threshold (:attr:`wqm_nb.store.Store.threshold`),
which is never below :data:`~wqm_nb.settings.MIN_GROUP_SIZE_FLOOR` and can only be raised
(``wqm threshold N``, which also recomputes the cached benchmarks). :func:`resolve_threshold` is the one
place the rule is applied.

Method: docs/privacy.md, "One threshold per store".
"""

from __future__ import annotations

from ..errors import SettingsError
from ..settings import DEFAULT_MIN_GROUP_SIZE


def resolve_threshold(store_threshold: int, requested: int, data: str = "") -> int:
    """The threshold a publication uses: the store's. ``requested`` at the default (not asked for) takes the
    store's; any other value must equal it: a lower one is refused, a higher one asks for the store's to
    be raised first (``data``: the store's location, for the message)."""
    if requested == store_threshold or requested == DEFAULT_MIN_GROUP_SIZE:
        return store_threshold
    where = f" --data {data}" if data else ""
    if requested < store_threshold:
        raise SettingsError(
            f"min_group_size {requested} is below the store's threshold, {store_threshold}: a "
            f"lower threshold is refused (groups it hides could be worked out by difference)"
        )
    raise SettingsError(
        f"min_group_size {requested} is above the store's threshold, {store_threshold}: every "
        f"publication from a store uses one threshold, so raise the store's first: "
        f"wqm threshold {requested}{where}"
    )


__all__ = ["resolve_threshold"]
