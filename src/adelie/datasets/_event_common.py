"""Helpers shared by the event readers (phee, casie, rams, wikievents, matres): the per-record loop that turns
a malformed record into an error naming its file and record, readable label names, and ontology tables."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adelie.datasets.reading import ReadContext
from adelie.schema import Example

# What a malformed record raises while it is being taken apart.
BAD_RECORD = (KeyError, IndexError, TypeError, ValueError, AttributeError)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[_\s]+")


def build_example(
    path: Path, where: str | int, ctx: ReadContext, expected: str, build: Callable[[], dict[str, Any]]
) -> Example | None:
    """`build()` gives the fields of one Example; a record it cannot take apart, or whose fields are invalid,
    goes to `ctx.fail` (naming `path`, `where`, `expected` and the problem) and gives None."""
    try:
        fields = build()
    except BAD_RECORD as exc:
        ctx.fail(path, where, f"expected {expected}; got {type(exc).__name__}: {exc}")
        return None
    return ctx.example(path, where, **fields)


def words(raw: str) -> str:
    """A label as lower-case words: `ExplosiveDevice` -> `explosive device`, `Time_elapsed` -> `time elapsed`,
    `place_of_employment` -> `place of employment`."""
    return " ".join(w.lower() for w in _CAMEL.split(raw) if w)


def parse_ontology(table: str) -> dict[str, tuple[str, ...]]:
    """Parse `type: role role ...` lines (blank lines ignored) into {type: roles}."""
    out: dict[str, tuple[str, ...]] = {}
    for line in table.strip().splitlines():
        if line.strip():
            event_type, _, roles = line.partition(":")
            out[event_type.strip()] = tuple(roles.split())
    return out


def ensure(condition: bool, message: str) -> None:
    """Raise ValueError(message) unless `condition`: a compact check inside record builders."""
    if not condition:
        raise ValueError(message)
