"""Deterministic randomness: one independent stream per (seed, purpose, record key), and evenly spread
draws for the rates the manifest reports.

Every random decision draws from a stream named by what it decides, so a record's rendering does not depend
on the order in which records are processed, and the same seed gives the same corpus on any machine
(`random.Random` seeded with a string hashes it with SHA-512, not with Python's salted `hash`).

Rate decisions (format, few-shot, explanation, label knobs) use `spread`: the record's rank in its dataset's
seeded order stepped along an irrational rotation with a seeded offset (a Weyl sequence, a different
irrational per decision). Any run of consecutive records then hits a rate within about 1/n of its value,
where independent coin flips would wander by sqrt(rate/n): a knob drawn for 1,000 records lands on its
configured rate instead of a couple of points off.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from functools import lru_cache


def rng(seed: int, *keys: object) -> random.Random:
    """A random stream for `keys` (e.g. "plan", dataset, example id) under `seed`."""
    return random.Random("\x1f".join([str(seed), *map(str, keys)]))


# One irrational step per decision: square roots of distinct primes are linearly independent over the
# rationals, so the decisions of one record are not correlated with each other.
_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23)
DECISIONS = ("format", "few_shot", "explanation", "coarse", "symbolic", "synonyms", "distractors", "describe",
             "exemplify")
_STEPS = {name: math.sqrt(p) % 1.0 for name, p in zip(DECISIONS, _PRIMES, strict=True)}


@lru_cache(maxsize=4096)
def _offset(seed: int, decision: str, keys: tuple[str, ...]) -> float:
    return rng(seed, "spread", decision, *keys).random()


def spread(seed: int, rank: int, decision: str, *keys: object) -> float:
    """A number in [0, 1) for record `rank` of the sequence named by `keys` (e.g. dataset and split), for one
    of `DECISIONS`; consecutive ranks cover [0, 1) evenly."""
    return (_offset(seed, decision, tuple(map(str, keys))) + rank * _STEPS[decision]) % 1.0


def weighted_at(u: float, weights: Mapping[str, float]) -> str:
    """The key of `weights` (sorted, positive weights only) whose cumulative share interval holds `u`."""
    keys = sorted(k for k, w in weights.items() if w > 0)
    total = sum(weights[k] for k in keys)
    acc = 0.0
    for k in keys:
        acc += weights[k] / total
        if u < acc:
            return k
    return keys[-1]
