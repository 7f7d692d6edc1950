"""CaRB scoring against hand-computed cases (token counts worked out in the comments)."""

from __future__ import annotations

import pytest

from adelie.tasks.base import Counts
from adelie.tasks.carb import carb_auc, carb_counts, carb_curve, tokenize

MITCHELL = ("is from", "Sen. Mitchell", "Maine")


def approx_counts(c: Counts, tp_pred: float, pred: float, tp_gold: float, gold: float) -> None:
    assert (c.tp_pred, c.pred, c.tp_gold, c.gold) == pytest.approx((tp_pred, pred, tp_gold, gold))


def test_tokenize_lowercases_and_splits_on_punctuation() -> None:
    assert tokenize("Sen. Mitchell, U.S.-based") == ["sen", "mitchell", "u", "s", "based"]
    assert tokenize("32.7 % of_all") == ["32", "7", "of", "all"]
    assert tokenize(" ,; ") == []


def test_perfect_match() -> None:
    approx_counts(carb_counts([MITCHELL], [MITCHELL]), 1, 1, 1, 1)


def test_case_and_punctuation_do_not_matter() -> None:
    approx_counts(carb_counts([("Is From", "sen mitchell ,", "MAINE.")], [MITCHELL]), 1, 1, 1, 1)


def test_partial_token_overlap() -> None:
    gold = ("is confident he has", "Sen. Mitchell", "sufficient votes to block such a measure with procedural actions")
    pred = ("is confident", "Mitchell", "sufficient votes")
    # gold tokens 4 + 2 + 10 = 16, predicted 2 + 1 + 2 = 5, all 5 predicted tokens match
    approx_counts(carb_counts([pred], [gold]), 1.0, 1, 5 / 16, 1)


def test_extra_predicted_argument_joins_the_object() -> None:
    # binarised prediction: [born in] [obama] [hawaii in 1961]; 4 of 6 predicted tokens match, all 4 gold ones
    approx_counts(carb_counts([("born in", "Obama", "Hawaii", "in 1961")], [("born in", "Obama", "Hawaii")]),
                  4 / 6, 1, 1, 1)


def test_gold_arguments_beyond_two_are_joined() -> None:
    # gold object [mary a book] (3 tokens), predicted object [a book to mary] (4): matched 1 + 1 + 3 = 5
    approx_counts(carb_counts([("gave", "John", "a book to Mary")], [("gave", "John", "Mary", "a book")]),
                  5 / 6, 1, 1, 1)


def test_predicted_slot_missing_from_gold_is_ignored() -> None:
    # CaRB counts only the slots the gold tuple has: the predicted object is neither credited nor penalised
    approx_counts(carb_counts([("died", "He", "in 2001")], [("died", "He")]), 1, 1, 1, 1)


def test_missing_gold_slot_is_no_match() -> None:
    approx_counts(carb_counts([("is from", "Sen. Mitchell")], [MITCHELL]), 0, 1, 0, 1)


def test_predicate_mismatch_is_no_match() -> None:
    approx_counts(carb_counts([("lives in", "Sen. Mitchell", "Maine")], [MITCHELL]), 0, 1, 0, 1)


def test_argument_mismatch_alone_still_matches() -> None:
    # predicate matches (2/2), arguments share nothing: 2 of 2 + 1 + 1 predicted tokens, 2 of 2 + 2 + 1 gold
    approx_counts(carb_counts([("is from", "Bob", "Ohio")], [MITCHELL]), 2 / 4, 1, 2 / 5, 1)


def test_trailing_empty_argument_is_dropped() -> None:
    approx_counts(carb_counts([("forms", "A CEN")], [("forms", "A CEN", "")]), 1, 1, 1, 1)


def test_empty_gold_is_not_scored() -> None:
    assert carb_counts([MITCHELL], []) == Counts()


def test_empty_prediction() -> None:
    approx_counts(carb_counts([], [MITCHELL, ("is", "Mitchell", "a senator")]), 0, 0, 0, 2)


def test_duplicate_prediction_earns_precision_once() -> None:
    approx_counts(carb_counts([MITCHELL, MITCHELL], [MITCHELL]), 1, 2, 1, 1)


def test_duplicate_gold_both_recalled_by_one_prediction() -> None:
    approx_counts(carb_counts([MITCHELL], [MITCHELL, MITCHELL]), 1, 1, 2, 2)


def test_recall_lets_one_prediction_serve_several_gold_tuples() -> None:
    gold = [
        ("forms", "A CEN", "an important part of a Local Strategic Partnership"),
        ("forms", "A CEN", "a small part of a Local Strategic Partnership"),
    ]
    pred = [("forms", "A CEN", "an important but small part of a Local Strategic Partnership")]
    # predicted tokens 1 + 2 + 10 = 13; gold 1 + 2 + 8 = 11 each.
    # vs gold 1: all 8 object tokens match -> (11/13, 11/11); vs gold 2: one "a" of two matches -> (10/13, 10/11)
    approx_counts(carb_counts(pred, gold), 11 / 13, 1, 1 + 10 / 11, 2)


def test_precision_pairs_greedily_with_lower_gold_index_on_ties() -> None:
    gold = [("x", "a", "b"), ("x", "a", "c")]
    pred = [("x", "a", "b c"), ("x", "a", "b d e")]
    # precision cells: gold 0 -> [3/4, 3/5], gold 1 -> [3/4, 2/5]. Greedy takes (0, 0) = 3/4 (tie broken by
    # gold index), then (1, 1) = 2/5: 23/20, although (1, 0) + (0, 1) would give 27/20.
    # recall: gold 0 best 3/3, gold 1 best 3/3.
    approx_counts(carb_counts(pred, gold), 23 / 20, 2, 2, 2)


def test_predicted_be_matches_a_form_of_be() -> None:
    approx_counts(carb_counts([("be", "Obama", "president")], [("is", "Obama", "president")]), 1, 1, 1, 1)
    # shared [born in], then the leftover "be" matches the leftover "was": 3 of 3 both ways
    approx_counts(carb_counts([("be born in", "Obama", "Hawaii")], [("was born in", "Obama", "Hawaii")]), 1, 1, 1, 1)
    approx_counts(carb_counts([("be", "Obama", "president")], [("has", "Obama", "president")]), 0, 1, 0, 1)


def test_be_rule_does_not_credit_a_gold_word_twice() -> None:
    # "is" matches "is"; the leftover "be" finds no unmatched form of be: 3 of 4 predicted, 3 of 3 gold
    approx_counts(carb_counts([("is be", "Obama", "president")], [("is", "Obama", "president")]), 3 / 4, 1, 1, 1)


def test_reporting_verb_allows_swapped_arguments() -> None:
    gold = ("said", "the minister", "taxes will rise")
    swapped = ("said", "taxes will rise", "the minister")
    approx_counts(carb_counts([swapped], [gold]), 1, 1, 1, 1)
    # without a reporting verb the swap is scored as is: only the predicate matches, 1 of 6 tokens each way
    approx_counts(carb_counts([("claimed", "taxes will rise", "the minister")],
                              [("claimed", "the minister", "taxes will rise")]), 1 / 6, 1, 1 / 6, 1)


def test_counts_add_up_over_sentences() -> None:
    total = carb_counts([MITCHELL], [MITCHELL]) + carb_counts([("lives in", "Bob", "Ohio")], [MITCHELL])
    assert total.precision == pytest.approx(0.5)
    assert total.recall == pytest.approx(0.5)


# Two sentences: A has a perfect prediction (0.9) and a predicate mismatch (0.5); B one prediction (0.7)
# with precision 3/6 and recall 3/3. Thresholds 0.5, 0.7, 0.9:
#   0.5: precision (1 + 0 + 1/2) / 3 = 0.5,   recall (1 + 1) / 2 = 1
#   0.7: precision (1 + 1/2) / 2 = 0.75,      recall 1
#   0.9: precision 1 / 1 = 1,                 recall 1 / 2
# AUC over (1, .5) (1, .75) (.5, 1) (0, 1): 0 + .5 * (.75 + 1) / 2 + .5 * (1 + 1) / 2 = 0.9375
SENTENCES = [
    ([(MITCHELL, 0.9), (("lives in", "Sen. Mitchell", "Maine"), 0.5)], [MITCHELL]),
    ([(("is", "Obama", "president of the US"), 0.7)], [("is", "Obama", "president")]),
]


def test_curve_hand_computed() -> None:
    curve = carb_curve(SENTENCES)
    assert [t for t, _, _ in curve] == [0.5, 0.7, 0.9]
    assert [x for _, p, r in curve for x in (p, r)] == pytest.approx([0.5, 1.0, 0.75, 1.0, 1.0, 0.5])


def test_auc_hand_computed() -> None:
    assert carb_auc(SENTENCES) == pytest.approx(0.9375)


def test_sentence_without_gold_adds_a_threshold_but_not_area() -> None:
    with_extra = [*SENTENCES, ([(MITCHELL, 0.6)], [])]
    curve = carb_curve(with_extra)
    assert [t for t, _, _ in curve] == [0.5, 0.6, 0.7, 0.9]
    assert curve[1][1:] == pytest.approx((0.75, 1.0))
    assert carb_auc(with_extra) == pytest.approx(0.9375)


def test_lowest_threshold_equals_summed_counts() -> None:
    total = sum((carb_counts([t for t, _ in preds], gold) for preds, gold in SENTENCES), Counts())
    _, p, r = carb_curve(SENTENCES)[0]
    assert (p, r) == pytest.approx((total.precision, total.recall))


def test_auc_without_predictions() -> None:
    assert carb_auc([([], [MITCHELL])]) == 0.0
    assert carb_curve([([], [MITCHELL])]) == []


def test_single_threshold_auc() -> None:
    # one point (recall 1/2, precision 1), then (0, 1): area 1/2
    assert carb_auc([([(MITCHELL, 1.0)], [MITCHELL, ("owns", "Bob", "a dog")])]) == pytest.approx(0.5)
