"""Access-filter masks over the rows of a local index's segments, cached per filter value."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from assistant.retrieval.base import Filters

if TYPE_CHECKING:
    from assistant.retrieval.segments import Segment

_MASK_CACHE_SIZE = 32


class MaskCache:
    """Masks of the live rows a filter allows; tombstoned rows are never allowed."""

    def __init__(self, segments: list[Segment], live: np.ndarray | None) -> None:
        self._segments = segments
        self._live = live
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """The mask (None: every row is allowed)."""
        if filters is None:
            return self._live
        key = (
            None if filters.groups is None else tuple(sorted(filters.groups)),
            filters.max_classification,
            filters.doc_type or None,
            filters.date_from or None,
            filters.date_to or None,
            tuple(sorted(filters.sources)) if filters.sources else None,
        )
        mask = self._live if key == (None,) * len(key) else self._cached(key, filters)
        if filters.exclude_sources:  # differs per evaluation item: not cached, cached masks left untouched
            kept = self._compute(Filters(exclude_sources=filters.exclude_sources))
            mask = kept if mask is None else mask & kept
        return mask

    def _compute(self, filters: Filters) -> np.ndarray:
        if not self._segments:
            return np.zeros(0, dtype=bool)
        return np.concatenate([s.mask(filters) for s in self._segments])

    def _cached(self, key: tuple, filters: Filters) -> np.ndarray:
        with self._lock:
            mask = self._masks.get(key)
            if mask is not None:
                self._masks.move_to_end(key)
                return mask
        mask = self._compute(Filters(**{**vars(filters), "exclude_sources": None}))  # no exclusion cached
        if self._live is not None:
            mask &= self._live
        with self._lock:
            self._masks[key] = mask
            if len(self._masks) > _MASK_CACHE_SIZE:
                self._masks.popitem(last=False)
        return mask
