"""Strict item matching, shared by every task scored by exact items."""

from __future__ import annotations

from collections.abc import Iterable

from adelie.tasks.base import Counts, Item
from adelie.tasks.formats import item_key


def strict_counts(pred: Iterable[Item], gold: Iterable[Item]) -> Counts:
    """Micro-F1 counts of predicted against gold items compared as sets after `normalise` on every field
    (case, whitespace, edge quotes and punctuation): tp = |P ∩ G|, pred = |P|, gold = |G|. Duplicates
    count once on both sides; empty against empty gives all-zero counts."""
    p = {item_key(it) for it in pred}
    g = {item_key(it) for it in gold}
    return Counts.strict(len(p & g), len(p), len(g))
