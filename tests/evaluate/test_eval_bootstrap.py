"""Bootstrap intervals: degenerate cases, a small case worked by hand, micro (not macro) F1, seeding."""

from __future__ import annotations

import pytest

from adelie.evaluate.bootstrap import f1_interval, mean_interval
from adelie.tasks import Counts


def test_identical_instances_give_zero_width() -> None:
    c = Counts.strict(2, 3, 4)
    lo, hi = f1_interval([c] * 20, draws=200, seed=1)
    assert lo == pytest.approx(c.f1) and hi == pytest.approx(c.f1)


def test_two_instances_span_all_three_outcomes() -> None:
    # resamples of {right, wrong}: both right (F1 1), one each (0.5), both wrong (0), each pair 1/4, 1/2, 1/4
    right, wrong = Counts.strict(1, 1, 1), Counts.strict(0, 1, 1)
    assert f1_interval([right, wrong], draws=1000, seed=0) == (0.0, 1.0)
    assert f1_interval([right, wrong], draws=1000, level=0.4, seed=0) == (0.5, 0.5)


def test_micro_f1_is_recomputed_from_summed_counts() -> None:
    # one big instance dominates: every resample holding it has F1 far above the per-instance mean
    big, small = Counts.strict(90, 100, 100), Counts.strict(0, 1, 1)
    lo, hi = f1_interval([big, small], draws=500, seed=0)
    assert lo == 0.0  # the resample of `small` twice
    assert hi == pytest.approx(0.9)


def test_seeded_and_deterministic() -> None:
    counts = [Counts.strict(i % 3, 2, 2) for i in range(30)]
    a = f1_interval(counts, draws=300, seed=7)
    assert a == f1_interval(counts, draws=300, seed=7)
    assert a[0] < sum(counts, Counts()).f1 < a[1]


def test_empty_and_mean_interval() -> None:
    assert f1_interval([]) == (0.0, 0.0)
    assert mean_interval([]) == (0.0, 0.0)
    assert mean_interval([0.25] * 10, draws=100) == pytest.approx((0.25, 0.25))
    lo, hi = mean_interval([0.0, 1.0], draws=1000, seed=0)
    assert (lo, hi) == (0.0, 1.0)
