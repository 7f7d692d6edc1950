"""What the extraction API reports: errors for bad arguments, warnings for what a result may be missing."""

from __future__ import annotations

from adelie.errors import AdelieError


class ExtractionError(AdelieError):
    """A bad argument to the extraction API (empty labels, unknown task, a text that is not a string...)."""


class ExtractionWarning(UserWarning):
    """Something a result may be missing (an answer cut at max_new_tokens, an unreadable answer, items with
    labels that were not asked for). The single-task methods of `Extractor` emit these with `warnings.warn`;
    `Extractor.extract` returns them in each result's "warnings" list instead."""
