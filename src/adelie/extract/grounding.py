"""Grounding: locate the strings a model extracted in the source text, as character offsets.

Three tiers, tried in order:

1. exact: the answer (edge whitespace removed) occurs verbatim in the text;
2. normalised: it occurs once both sides are NFC-normalised, case-folded and have whitespace runs collapsed
   (then, failing that, with quotes and `.,;:!?` stripped from the answer's edges); positions in the
   normalised text are mapped back to offsets in the original;
3. fuzzy: the most similar stretch of the text (rapidfuzz, on the normalised forms) whose similarity
   `fuzz.ratio` reaches `threshold` (0-100, default 85), its edges snapped to word boundaries.

Tiers 1 and 2 report alignment "exact" (the same string up to case, whitespace, Unicode normalisation and edge
punctuation), tier 3 "fuzzy"; otherwise "not_found" with no offsets. A found span's text is always the source
substring `text[start:end]`, never the model's string.

Offsets are Python `str` indices. A span never starts or ends inside a grapheme cluster (a base character with
its combining marks, an emoji sequence, a surrogate pair), so it never splits what a reader sees as one
character. Repeated mentions: a `Grounder` remembers the spans it handed out; the k-th identical answer goes
to the first occurrence not yet taken (so identical answers map to successive occurrences, in order), falling
back to the first occurrence when all are taken (exact occurrences come before normalised ones).
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from typing import Literal

import regex
from rapidfuzz import fuzz

from adelie.tasks.formats import EDGE_PUNCT, QUOTES

Alignment = Literal["exact", "fuzzy", "not_found"]
DEFAULT_THRESHOLD = 85.0
_CLUSTER = regex.compile(r"\X")
_HIGH, _HIGH_END, _LOW, _LOW_END = "\ud800", "\udbff", "\udc00", "\udfff"
_MAX_SLACK = 12  # how far (normalised characters) fuzzy edges may move from rapidfuzz's window


@dataclass(frozen=True)
class Grounding:
    """Where one answer string lies in the text: `text` is `source[start:end]` when found, else the answer.
    `answer` is the model's string; `similarity` (0-100) is 100 for exact matches, rapidfuzz's ratio for fuzzy
    ones and 0 when not found."""

    start: int | None
    end: int | None
    text: str
    answer: str
    alignment: Alignment
    similarity: float

    @property
    def found(self) -> bool:
        return self.alignment != "not_found"


def cluster_bounds(text: str) -> list[int]:
    """Offsets between grapheme clusters, sorted, 0 and len(text) included. A surrogate pair (which a str
    decoded with `surrogatepass` may hold) counts as one character too."""
    bounds = sorted({m.start() for m in _CLUSTER.finditer(text)} | {0, len(text)})
    return [b for b in bounds if not (0 < b < len(text) and _HIGH <= text[b - 1] <= _HIGH_END
                                      and _LOW <= text[b] <= _LOW_END)]


def _fold(cluster: str) -> str:
    return unicodedata.normalize("NFC", cluster).casefold()


def normalise_answer(s: str) -> str:
    """An answer in the comparison form of the normalised tier: NFC, case-folded, whitespace collapsed."""
    return " ".join(_fold(s).split())


class _Normalised:
    """The normalised form of a text, with, for every position between grapheme clusters, the matching
    offset in the original (`pos[p]`, -1 inside a cluster's expansion)."""

    def __init__(self, text: str) -> None:
        parts: list[str] = []
        pos: list[int] = []
        in_space = False
        bounds = cluster_bounds(text)
        for start, end in itertools.pairwise(bounds):
            cluster = text[start:end]
            if cluster.isspace():
                if not in_space:
                    parts.append(" ")
                    pos.append(start)
                in_space = True
                continue
            in_space = False
            folded = _fold(cluster)
            parts.append(folded)
            pos.append(start)
            pos.extend([-1] * (len(folded) - 1))
        self.text = "".join(parts)
        pos.append(len(text))
        self.pos = pos
        self.index = {o: p for p, o in enumerate(pos) if o >= 0}

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """Original offsets of normalised [start, end), or None when an edge falls inside a cluster."""
        a, b = self.pos[start], self.pos[end]
        return (a, b) if a >= 0 and b >= 0 and a < b else None


def _occurrences(hay: str, needle: str) -> list[int]:
    """Start positions of `needle` in `hay`, overlapping ones included."""
    out, i = [], hay.find(needle)
    while i >= 0:
        out.append(i)
        i = hay.find(needle, i + 1)
    return out


def _wordish(ch: str) -> bool:
    """A character inside a space-separated word (CJK and other wide characters are words of their own)."""
    return ch.isalnum() and unicodedata.east_asian_width(ch) not in ("W", "F")


class Grounder:
    """Grounds answer strings in one text, handing out successive occurrences to repeated answers."""

    def __init__(self, text: str, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0 <= threshold <= 100:
            raise ValueError(f"fuzzy threshold must be between 0 and 100, got {threshold}")
        self.source = text
        self.threshold = threshold
        self.taken: set[tuple[int, int]] = set()
        self._bounds: set[int] | None = None
        self._norm: _Normalised | None = None

    @property
    def bounds(self) -> set[int]:
        """Offsets between grapheme clusters (0 and len(text) included)."""
        if self._bounds is None:
            self._bounds = set(cluster_bounds(self.source))
        return self._bounds

    @property
    def norm(self) -> _Normalised:
        if self._norm is None:
            self._norm = _Normalised(self.source)
        return self._norm

    def ground(self, answer: str, fuzzy: bool = True) -> Grounding:
        """Locate `answer` (see the module docstring; without `fuzzy`, exact tiers only) and mark the span
        taken."""
        answer = answer if isinstance(answer, str) else ""
        want = answer.strip()
        if not want:
            return Grounding(None, None, answer, answer, "not_found", 0.0)
        candidates = self._exact(want) + self._normalised(want)
        if candidates:
            free = next((sp for sp in candidates if sp not in self.taken), candidates[0])
            return self._take(free, answer, "exact", 100.0)
        close = self._fuzzy(normalise_answer(want)) if fuzzy else None
        if close is not None:
            return self._take(close[0], answer, "fuzzy", close[1])
        return Grounding(None, None, answer, answer, "not_found", 0.0)

    def _take(self, span: tuple[int, int], answer: str, alignment: Alignment, similarity: float) -> Grounding:
        self.taken.add(span)
        start, end = span
        return Grounding(start, end, self.source[start:end], answer, alignment, similarity)

    def _exact(self, want: str) -> list[tuple[int, int]]:
        """Verbatim occurrences that start and end between grapheme clusters."""
        bounds = self.bounds
        return [(i, i + len(want)) for i in _occurrences(self.source, want)
                if i in bounds and i + len(want) in bounds]

    def _normalised(self, want: str) -> list[tuple[int, int]]:
        """Occurrences in the normalised text (the answer as is, else with its edge punctuation stripped)."""
        norm = self.norm
        needle = normalise_answer(want)
        for variant in dict.fromkeys((needle, needle.strip(" " + QUOTES + EDGE_PUNCT))):
            if variant:
                spans = [s for i in _occurrences(norm.text, variant) if (s := norm.span(i, i + len(variant)))]
                if spans:
                    return spans
        return []

    def _fuzzy(self, needle: str) -> tuple[tuple[int, int], float] | None:
        hay = self.norm.text
        if not needle or not hay.strip():
            return None
        first = self._align(needle, hay)
        if first is None or first[0] not in self.taken:
            return first
        masked = list(hay)
        for a, b in self.taken:  # blank out what earlier answers took, then look again
            na, nb = self.norm.index.get(a), self.norm.index.get(b)
            if na is not None and nb is not None:
                masked[na:nb] = "\0" * (nb - na)
        again = self._align(needle, "".join(masked))
        return again if again is not None else first

    def _align(self, needle: str, hay: str) -> tuple[tuple[int, int], float] | None:
        """The best-matching stretch of the normalised `hay`: rapidfuzz's window with its edges moved (within a
        slack) to word boundaries so as to maximise `fuzz.ratio`; None below the threshold."""
        if len(needle) >= len(hay):
            lo, hi = 0, len(hay)
        else:
            al = fuzz.partial_ratio_alignment(needle, hay)
            if al is None:
                return None
            lo, hi = al.dest_start, al.dest_end
        slack = min(_MAX_SLACK, max(2, len(needle) // 3))
        pos, n = self.norm.pos, len(hay)

        def boundary(p: int) -> bool:  # between grapheme clusters and not inside a word
            return pos[p] >= 0 and (p in (0, n) or not (_wordish(hay[p - 1]) and _wordish(hay[p])))

        starts = [p for p in range(max(0, lo - slack), min(n - 1, lo + slack) + 1)
                  if boundary(p) and hay[p] not in " \0"]
        ends = [p for p in range(max(1, hi - slack), min(n, hi + slack) + 1)
                if boundary(p) and hay[p - 1] not in " \0"]
        best: tuple[float, int, int, int] | None = None
        for s in starts:
            for e in ends:
                if e > s:
                    candidate = (fuzz.ratio(needle, hay[s:e]), -(abs(s - lo) + abs(e - hi)), s, e)
                    if best is None or candidate[:2] > best[:2]:
                        best = candidate
        if best is None or best[0] < self.threshold:
            return None
        span = self.norm.span(best[2], best[3])
        return (span, best[0]) if span is not None else None


def ground(text: str, answer: str, threshold: float = DEFAULT_THRESHOLD) -> Grounding:
    """Locate one `answer` in `text` (see the module docstring)."""
    return Grounder(text, threshold).ground(answer)


def ground_all(text: str, answers: list[str], threshold: float = DEFAULT_THRESHOLD) -> list[Grounding]:
    """Locate `answers` in `text` in order, repeated answers going to successive occurrences."""
    grounder = Grounder(text, threshold)
    return [grounder.ground(a) for a in answers]
