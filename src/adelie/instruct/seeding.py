"""Deterministic randomness: one independent stream per (seed, purpose, record key).

Every random decision draws from a stream named by what it decides, so a record's rendering does not depend
on the order in which records are processed, and the same seed gives the same corpus on any machine
(`random.Random` seeded with a string hashes it with SHA-512, not with Python's salted `hash`).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def rng(seed: int, *keys: object) -> random.Random:
    """A random stream for `keys` (e.g. "plan", dataset, example id) under `seed`."""
    return random.Random("\x1f".join([str(seed), *map(str, keys)]))


def weighted(r: random.Random, weights: Mapping[str, float]) -> str:
    """One key of `weights`, drawn in proportion to its weight (keys in sorted order, so stable)."""
    keys = sorted(k for k, w in weights.items() if w > 0)
    return r.choices(keys, weights=[weights[k] for k in keys])[0]


def sample(r: random.Random, items: Sequence[T], k: int) -> list[T]:
    """Up to `k` distinct items of `items` in random order."""
    return r.sample(list(items), min(k, len(items)))
