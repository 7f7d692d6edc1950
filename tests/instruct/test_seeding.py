"""Seeded streams and evenly spread rate decisions."""

import pytest

from adelie.instruct.seeding import DECISIONS, rng, spread, weighted_at


def test_streams_are_named_and_stable():
    assert rng(1, "a", "b").random() == rng(1, "a", "b").random()
    assert rng(1, "a", "b").random() != rng(2, "a", "b").random() != rng(1, "a", "c").random()


@pytest.mark.parametrize("n", [50, 300, 5000])
def test_spread_hits_every_rate_closely_on_any_run_length(n):
    for decision in DECISIONS:
        for rate in (0.05, 0.1, 0.2, 0.5):
            hits = sum(spread(3, rank, decision, "ds", "train") < rate for rank in range(n))
            assert abs(hits / n - rate) <= 2.5 / n + 1e-9, (decision, rate, n)


def test_decisions_of_one_record_are_not_locked_together():
    both = sum(spread(0, k, "coarse", "d") < 0.2 and spread(0, k, "symbolic", "d") < 0.2 for k in range(5000))
    assert abs(both / 5000 - 0.04) < 0.01


def test_weighted_at_follows_cumulative_shares():
    w = {"json": 0.1, "canonical": 0.8, "natural": 0.1}
    assert weighted_at(0.0, w) == "canonical" and weighted_at(0.79, w) == "canonical"
    assert weighted_at(0.85, w) == "json" and weighted_at(0.95, w) == "natural"
    shares = [weighted_at(spread(1, k, "format", "x"), w) for k in range(1000)]
    assert abs(shares.count("json") / 1000 - 0.1) < 0.005
