"""Reading the label of an answered item as one of the labels the user offered.

A label the model wrote is taken, in this order, as the offered label that is
1. the same after `normalise` (case, spacing, quotes and end punctuation): silently;
2. the same once every run of other characters than letters and digits is one space (``per:city_of_birth`` for
   ``per city of birth``), when only one offered label reads so: silently;
3. a close variant: rapidfuzz's ratio of those forms at least `FUZZY_MIN`, or the same words but for a trailing
   inflection of some of them (``worked for`` / ``work for``, ``locate in`` / ``located in``). The most similar
   such label is taken only when no other offered label comes within `MARGIN` points of it; the result says it
   was a variant, so the caller can say what it read as what.
Anything else matches nothing (the caller drops the item with a warning).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from adelie.tasks.formats import normalise

FUZZY_MIN = 90.0  # rapidfuzz ratio (0-100) a close variant needs
MARGIN = 5.0  # how far ahead of every other offered label the best variant must be
_MIN_STEM = 3  # shorter words take no inflection ("a" / "as")
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class LabelMatch:
    """The offered label (as the user wrote it) an answered label reads as; `variant` when it was a close variant
    rather than the same label."""

    label: str
    variant: bool = False


def loose(label: str) -> str:
    """`normalise(label)` with every run of characters other than letters and digits read as one space."""
    return " ".join(_NOT_WORD.sub(" ", normalise(label)).split())


def _inflections(base: str) -> set[str]:
    """Words that are `base` plus a trailing inflection (s, es, d, ed, ing; doubled final consonant, final e
    dropped before ing, final y as i before es and ed)."""
    if len(base) < _MIN_STEM:
        return set()
    forms = {base + suffix for suffix in ("s", "es", "d", "ed", "ing")}
    forms |= {base + base[-1] + "ed", base + base[-1] + "ing"}
    if base.endswith("e"):
        forms.add(base[:-1] + "ing")
    if base.endswith("y"):
        forms |= {base[:-1] + "ies", base[:-1] + "ied"}
    return forms


def inflected_variant(a: str, b: str) -> bool:
    """`a` and `b` (loose forms) have the same words but for trailing inflections (either way round)."""
    wa, wb = a.split(), b.split()
    return (len(wa) == len(wb) and wa != wb
            and all(x == y or x in _inflections(y) or y in _inflections(x) for x, y in zip(wa, wb, strict=True)))


class LabelMatcher:
    """Matches answered labels to the offered `labels` (see the module docstring)."""

    def __init__(self, labels: Sequence[str]) -> None:
        self._same = {normalise(lab): lab for lab in labels}
        self._loose = [(loose(lab), lab) for lab in self._same.values()]
        self._cache: dict[str, LabelMatch | None] = {}

    def match(self, answered: str) -> LabelMatch | None:
        """The offered label `answered` reads as, or None when it reads as none (or as several)."""
        key = normalise(answered)
        if key not in self._cache:
            self._cache[key] = self._match(key)
        return self._cache[key]

    def _match(self, key: str) -> LabelMatch | None:
        if key in self._same:
            return LabelMatch(self._same[key])
        form = loose(key)
        if not form:
            return None
        same = [lab for lab_form, lab in self._loose if lab_form == form]
        if same:
            return LabelMatch(same[0]) if len(same) == 1 else None
        scored = [(fuzz.ratio(form, lab_form), inflected_variant(form, lab_form), lab)
                  for lab_form, lab in self._loose]
        close = [s for s in scored if s[0] >= FUZZY_MIN or s[1]]
        if not close:
            return None
        best = max(close, key=lambda s: s[0])
        if any(other is not best and other[0] >= best[0] - MARGIN for other in scored):
            return None  # ambiguous: another offered label is about as close
        return LabelMatch(best[2], variant=True)
