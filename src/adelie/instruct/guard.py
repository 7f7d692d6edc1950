"""The held-out guard of the builder: refuse protected splits, and drop training text that a protected split
contains.

Two checks, both reported in the manifest: every split the builder reads for training passes
`registry.check_trainable` (a held-out or never-use split raises `HeldOutError`), and every training example
and general conversation is compared with every held-out and never-use split (the normalisation of
`adelie.datasets.overlap`; datasets registered as a `duplicate_of` a training set are left out, as there):
a protected sentence found as a whole sentence, or anywhere inside the text when it has four words or more,
drops the example (and every record made from it, as query or demonstration) or the conversation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from adelie.datasets.overlap import MIN_CHARS, normalize_text, sentence_keys
from adelie.datasets.reading import ReadContext
from adelie.datasets.registry import PROTECTED_ROLES, iter_examples, select
from adelie.schema import Example

_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")
_PREFIX = 4  # protected sentences of at least this many words are also found inside longer text


@dataclass
class ProtectedIndex:
    """Normalised sentences of every protected split, found in other text as whole sentences or anywhere
    inside it (a held-out sentence quoted after "Summarise:" counts)."""

    keys: set[str] = field(default_factory=set)
    splits: list[str] = field(default_factory=list)
    min_chars: int = MIN_CHARS
    _by_prefix: dict[tuple[str, ...], list[tuple[str, ...]]] = field(default_factory=dict, repr=False)

    def add(self, keys: Iterable[str]) -> None:
        """Index more normalised sentences."""
        for key in keys:
            if key in self.keys:
                continue
            self.keys.add(key)
            words = tuple(key.split())
            if len(words) >= _PREFIX:
                self._by_prefix.setdefault(words[:_PREFIX], []).append(words)

    def text_keys(self, text: str) -> set[str]:
        """The normalised sentences of free text (split at sentence ends and line breaks) long enough to count."""
        parts = [text, *_SENTENCE_END.split(text)]
        return {k for k in map(normalize_text, parts) if len(k) >= self.min_chars}

    def _inside(self, text: str) -> set[str]:
        words = normalize_text(text).split()
        found = set()
        for i, prefix in enumerate(zip(*(words[j:] for j in range(_PREFIX)), strict=False)):
            for key in self._by_prefix.get(prefix, ()):
                if tuple(words[i:i + len(key)]) == key:
                    found.add(" ".join(key))
        return found

    def example_hits(self, example: Example) -> set[str]:
        """Protected sentences found in `example`: its own sentences, a punctuation split, or anywhere inside."""
        found = (sentence_keys(example, self.min_chars) | self.text_keys(example.text)) & self.keys
        return found | self._inside(example.text)

    def text_hits(self, texts: Iterable[str]) -> set[str]:
        """Protected sentences found in any of `texts` (as sentences or anywhere inside)."""
        found: set[str] = set()
        for t in texts:
            found |= (self.text_keys(t) & self.keys) | self._inside(t)
        return found


def protected_index(root: str | Path | None = None, min_chars: int = MIN_CHARS) -> ProtectedIndex:
    """The sentences of every held-out and never-use split in the registry, except datasets registered as a
    `duplicate_of` another (the training text itself in a second format, as `adelie.datasets.overlap` does)."""
    index = ProtectedIndex(min_chars=min_chars)
    for spec, split in select():
        if split.role not in PROTECTED_ROLES or spec.duplicate_of:
            continue
        index.splits.append(f"{spec.name}/{split.name}")
        for ex in iter_examples(spec.name, split.name, root, ReadContext(skip_invalid=True)):
            index.add(sentence_keys(ex, min_chars))
    return index


@dataclass
class GuardReport:
    """What the guard checked and dropped."""

    trainable_checked: list[str] = field(default_factory=list)  # "name/split" that passed check_trainable
    protected_splits: list[str] = field(default_factory=list)
    dropped_examples: dict[str, int] = field(default_factory=dict)  # "name/split" -> examples dropped
    dropped_general: int = 0
    samples: list[str] = field(default_factory=list)  # a few of the shared sentences

    def note(self, where: str, hits: set[str]) -> None:
        """Count one dropped example of `where`."""
        self.dropped_examples[where] = self.dropped_examples.get(where, 0) + 1
        if len(self.samples) < 5:
            self.samples.append(min(hits))

    def to_dict(self) -> dict:
        return {
            "refuses_held_out": True,
            "trainable_checked": sorted(self.trainable_checked),
            "protected_splits": sorted(self.protected_splits),
            "overlap_dropped_examples": dict(sorted(self.dropped_examples.items())),
            "overlap_dropped_general": self.dropped_general,
            "overlap_samples": sorted(self.samples),
        }
