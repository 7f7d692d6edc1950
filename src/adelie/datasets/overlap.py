"""The held-out guard's second half: find text shared between the training pool and protected splits.

Texts are compared sentence by sentence after normalisation (lower case, letters and digits only, single
spaces). Sentences shorter than `min_chars` normalised characters are ignored: boilerplate such as
"-DOCSTART-" or "Reuters" would otherwise match everywhere. Datasets registered as a `duplicate_of` another
(CoNLL04 in a second format) are left out: they are the training text itself, protected only so it is not
trained on twice.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import PROTECTED_ROLES, iter_examples, select
from adelie.schema import Example

_NON_WORD = re.compile(r"[^0-9a-z]+")
MIN_CHARS = 30


def normalize_text(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse whitespace."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _NON_WORD.sub(" ", text).strip()


def sentence_keys(example: Example, min_chars: int = MIN_CHARS) -> set[str]:
    """The normalised sentences of an example that are long enough to count."""
    keys = {normalize_text(s) for s in example.sentence_texts()}
    return {k for k in keys if len(k) >= min_chars}


@dataclass
class OverlapReport:
    """Shared sentences between training splits and protected splits."""

    checked_train: list[str] = field(default_factory=list)
    checked_protected: list[str] = field(default_factory=list)
    # (train "name/split", protected "name/split") -> number of shared sentences, and one sample
    shared: dict[tuple[str, str], int] = field(default_factory=dict)
    samples: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.shared

    def to_dict(self) -> dict:
        return {
            "clean": self.clean,
            "train_splits": self.checked_train,
            "protected_splits": self.checked_protected,
            "overlaps": [
                {"train": t, "protected": p, "sentences": n, "sample": self.samples[(t, p)]}
                for (t, p), n in sorted(self.shared.items())
            ],
        }


def _index(pairs: Iterable[tuple[str, str]], root: str | Path | None, min_chars: int) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, split in pairs:
        keys: set[str] = set()
        for ex in iter_examples(name, split, root, ReadContext(skip_invalid=True)):
            keys |= sentence_keys(ex, min_chars)
        out[f"{name}/{split}"] = keys
    return out


def find_overlaps(
    train: Iterable[tuple[str, str]] | None = None,
    protected: Iterable[tuple[str, str]] | None = None,
    root: str | Path | None = None,
    min_chars: int = MIN_CHARS,
    train_texts: dict[str, Iterable[Example]] | None = None,
) -> OverlapReport:
    """Compare training splits (default: every train-role split) with protected ones (default: every
    held-out and never-use split). `train_texts` checks already-built examples instead of reading splits."""
    if train is None and train_texts is None:
        train = [(spec.name, s.name) for spec, s in select(role="train")]
    if protected is None:
        protected = [
            (spec.name, s.name) for spec, s in select() if s.role in PROTECTED_ROLES and not spec.duplicate_of
        ]
    prot = _index(protected, root, min_chars)
    trained = _index(train or [], root, min_chars)
    for key, examples in (train_texts or {}).items():
        keys: set[str] = set()
        for ex in examples:
            keys |= sentence_keys(ex, min_chars)
        trained[key] = keys
    return compare(trained, prot)


def compare(trained: dict[str, set[str]], protected: dict[str, set[str]]) -> OverlapReport:
    """Overlaps between indexes of sentence keys ("name/split" -> keys), training vs protected."""
    report = OverlapReport(checked_train=sorted(trained), checked_protected=sorted(protected))
    for t, tkeys in trained.items():
        for p, pkeys in protected.items():
            common = tkeys & pkeys
            if common:
                report.shared[(t, p)] = len(common)
                report.samples[(t, p)] = min(common)
    return report
