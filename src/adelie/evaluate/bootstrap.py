"""Bootstrap confidence intervals: resample instances with replacement, recompute the metric per draw.

Micro-F1 is recomputed from the summed `Counts` of each draw (not averaged per instance). Draws are seeded, so
the same counts, draws and seed give the same interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adelie.tasks.base import Counts

DRAWS = 1000
LEVEL = 0.95
_CHUNK = 64  # draws per matrix product (bounds memory at about _CHUNK x instances x 8 bytes)


def _weights(rng: np.random.Generator, n: int, draws: int) -> np.ndarray:
    """(draws, n) resampling multiplicities: how often each instance is drawn in each resample."""
    return rng.multinomial(n, np.full(n, 1.0 / n), size=draws).astype(np.float64)


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    lo, hi = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)


def f1_interval(
    counts: Sequence[Counts], draws: int = DRAWS, seed: int = 0, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile interval of micro-F1 over `draws` resamples of `counts` (one per instance); (0, 0) for none."""
    if not counts:
        return 0.0, 0.0
    arr = np.array([[c.tp_pred, c.pred, c.tp_gold, c.gold] for c in counts], dtype=np.float64)
    rng = np.random.default_rng(seed)
    f1s = []
    for start in range(0, draws, _CHUNK):
        sums = _weights(rng, len(arr), min(_CHUNK, draws - start)) @ arr
        tp_p, pred, tp_g, gold = sums.T
        p = np.divide(tp_p, pred, out=np.zeros_like(tp_p), where=pred > 0)
        r = np.divide(tp_g, gold, out=np.zeros_like(tp_g), where=gold > 0)
        f1s.append(np.divide(2 * p * r, p + r, out=np.zeros_like(p), where=(p + r) > 0))
    return _interval(np.concatenate(f1s), level)


def mean_interval(
    values: Sequence[float], draws: int = DRAWS, seed: int = 0, level: float = LEVEL
) -> tuple[float, float]:
    """Percentile interval of the mean of `values` (per-instance scores such as ROUGE) over `draws` resamples."""
    if not len(values):
        return 0.0, 0.0
    arr = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    means = [_weights(rng, len(arr), min(_CHUNK, draws - s)) @ arr / len(arr) for s in range(0, draws, _CHUNK)]
    return _interval(np.concatenate(means), level)
