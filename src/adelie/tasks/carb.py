"""Open IE scoring as CaRB does it (Bhardwaj, Aggarwal and Mausam, EMNLP 2019), written from its definition.

A tuple is `(predicate, arg1, arg2, ...)` as strings. Per sentence, CaRB fills an all-pairs table between
gold and predicted tuples with a (precision, recall) score per cell, then

* recall: each gold tuple takes the best recall in its row; one prediction may serve several gold tuples;
* precision: predictions and gold tuples are paired one-to-one, greedily, best precision first (ties go to
  the lower gold index, then the lower prediction index); an unpaired prediction earns 0, so a duplicated
  prediction earns credit once.

A cell (CaRB's default "binary lenient" match), with `gold` and `pred` binarised first: arguments after the
first are joined into one, so each tuple is (predicate, subject, rest), with fewer slots when it has fewer
arguments.

* The predicates must share a token (multiset overlap); a predicted "be" left unmatched also matches one
  unmatched form of "be" (is, was, ...) in the gold predicate. No shared token: the cell is (0, 0).
* The prediction must fill every argument slot the gold tuple has, else the cell is (0, 0). A slot the gold
  tuple lacks is ignored: those predicted tokens are neither credited nor counted.
* matched = predicate overlap + each gold slot's token overlap with the same predicted slot;
  precision = matched / predicted tokens in the counted slots; recall = matched / gold tokens.
* When the gold predicate has a reporting verb (said, told, added, adds, says), the prediction is also scored
  with its two argument slots swapped, and the better (precision, then recall) is kept.

Tokens: lowercased text split into runs of letters and digits; punctuation and whitespace only separate
tokens. CaRB splits on spaces only (gold and systems there share the PTB tokenisation); here gold strings are
detokenised and model output is free text, so "Mitchell," and "Mitchell ," must tokenise alike. Trailing
arguments without any token are dropped before binarising. Where CaRB's code differs on corner cases, this
module checks reporting verbs as tokens (CaRB: substrings of the raw predicate) and lets the "be" rule use
only gold tokens not matched already (CaRB can credit one gold word twice, giving recall above 1).

As in CaRB, a sentence without gold tuples is not scored: its predictions count nowhere. Scores are exact
fractions internally and floats in the returned `Counts`; summing `Counts` over sentences gives CaRB's
precision and recall at the lowest confidence threshold (every prediction kept).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from itertools import pairwise

from adelie.tasks.base import Counts

OpenTupleStrings = tuple[str, ...]  # (predicate, arg1, arg2, ...)
Scored = tuple[OpenTupleStrings, float]  # a predicted tuple with its confidence

_TOKEN = re.compile(r"[^\W_]+")
_BE_FORMS = frozenset({"be", "is", "am", "are", "was", "were", "been", "being"})
_REPORTING_VERBS = frozenset({"said", "told", "added", "adds", "says"})
_ZERO = (Fraction(0), Fraction(0))

_Slots = tuple[list[str], ...]  # predicate tokens, then at most two argument slots


def tokenize(text: str) -> list[str]:
    """CaRB tokens of `text` here: lowercase runs of letters and digits."""
    return _TOKEN.findall(text.lower())


def _binarise(parts: Sequence[str]) -> _Slots:
    """(predicate tokens, subject tokens, tokens of all later arguments), shorter when arguments are missing."""
    if not parts:
        return ([],)
    args = [tokenize(a) for a in parts[1:]]
    while args and not args[-1]:
        args.pop()
    if len(args) > 2:
        args = [args[0], [tok for a in args[1:] for tok in a]]
    return (tokenize(parts[0]), *args)


def _overlap(gold: list[str], pred: list[str]) -> int:
    return sum((Counter(gold) & Counter(pred)).values())


def _predicate_overlap(gold: list[str], pred: list[str]) -> int:
    g, p = Counter(gold), Counter(pred)
    shared = g & p
    n = sum(shared.values())
    left_gold = g - shared
    if (p - shared)["be"] and any(left_gold[form] for form in _BE_FORMS):
        n += 1
    return n


def _cell(gold: _Slots, pred: _Slots) -> tuple[Fraction, Fraction]:
    """(precision, recall) of one predicted tuple against one gold tuple, both binarised."""
    matched = _predicate_overlap(gold[0], pred[0])
    if matched == 0 or len(pred) < len(gold):  # no shared predicate token, or a gold slot left unfilled
        return _ZERO
    pred_total, gold_total = len(pred[0]), len(gold[0])
    for g_slot, p_slot in zip(gold[1:], pred[1:], strict=False):  # only the slots the gold tuple has
        matched += _overlap(g_slot, p_slot)
        pred_total += len(p_slot)
        gold_total += len(g_slot)
    return Fraction(matched, pred_total), Fraction(matched, gold_total)


def _score(gold: _Slots, pred: _Slots) -> tuple[Fraction, Fraction]:
    straight = _cell(gold, pred)
    if len(pred) == 3 and _REPORTING_VERBS.intersection(gold[0]):
        return max(straight, _cell(gold, (pred[0], pred[2], pred[1])))
    return straight


def _table(pred: Sequence[OpenTupleStrings], gold: Sequence[OpenTupleStrings]) -> list[list[tuple[Fraction, Fraction]]]:
    """The all-pairs table: one row per gold tuple, one (precision, recall) cell per predicted tuple."""
    p_slots = [_binarise(p) for p in pred]
    return [[_score(g_slots, p) for p in p_slots] for g_slots in (_binarise(g) for g in gold)]


def _numerators(table: list[list[tuple[Fraction, Fraction]]], cols: Sequence[int]) -> tuple[Fraction, Fraction]:
    """(precision numerator, recall numerator) of the predictions in `cols` against every gold row."""
    recall = sum((max((row[j][1] for j in cols), default=Fraction(0)) for row in table), Fraction(0))
    cells = sorted((-table[i][j][0], i, j) for i in range(len(table)) for j in cols)
    used_rows: set[int] = set()
    used_cols: set[int] = set()
    precision = Fraction(0)
    for neg_p, i, j in cells:
        if i not in used_rows and j not in used_cols:
            used_rows.add(i)
            used_cols.add(j)
            precision -= neg_p
    return precision, recall


def carb_counts(pred: Sequence[OpenTupleStrings], gold: Sequence[OpenTupleStrings]) -> Counts:
    """CaRB counts of one sentence: tp_pred = summed one-to-one precision scores over the predictions,
    tp_gold = summed best recall scores over the gold tuples. No gold tuple: nothing is scored (`Counts()`)."""
    if not gold:
        return Counts()
    p_num, r_num = _numerators(_table(pred, gold), range(len(pred)))
    return Counts(float(p_num), float(len(pred)), float(r_num), float(len(gold)))


def _curve(
    per_sentence: Sequence[tuple[Sequence[Scored], Sequence[OpenTupleStrings]]],
) -> list[tuple[float, Fraction, Fraction]]:
    """(threshold, precision, recall) with exact scores; see `carb_curve`."""
    thresholds = sorted({conf for preds, _ in per_sentence for _, conf in preds})
    index = {t: k for k, t in enumerate(thresholds)}
    n = len(thresholds)
    # Difference arrays over threshold indices: a sentence's counts are constant between its own confidences.
    p_num, r_num = [Fraction(0)] * (n + 1), [Fraction(0)] * (n + 1)
    p_den = [0] * (n + 1)
    gold_total = 0
    for preds, gold in per_sentence:
        if not gold:
            continue
        gold_total += len(gold)
        table = _table([p for p, _ in preds], gold)
        confs = [conf for _, conf in preds]
        start = 0
        for c in sorted(set(confs)):
            end = index[c] + 1  # thresholds [start, end) keep exactly the predictions with confidence >= c
            kept = [j for j, conf in enumerate(confs) if conf >= c]
            prec, rec = _numerators(table, kept)
            p_num[start] += prec
            p_num[end] -= prec
            r_num[start] += rec
            r_num[end] -= rec
            p_den[start] += len(kept)
            p_den[end] -= len(kept)
            start = end
    points = []
    acc_p, acc_r, acc_d = Fraction(0), Fraction(0), 0
    for k, t in enumerate(thresholds):
        acc_p, acc_r, acc_d = acc_p + p_num[k], acc_r + r_num[k], acc_d + p_den[k]
        precision = acc_p / acc_d if acc_d else Fraction(1)
        recall = acc_r / gold_total if gold_total else Fraction(0)
        points.append((t, precision, recall))
    return points


def carb_curve(
    per_sentence: Sequence[tuple[Sequence[Scored], Sequence[OpenTupleStrings]]],
) -> list[tuple[float, float, float]]:
    """CaRB's precision-recall curve: one (threshold, precision, recall) per distinct confidence, ascending.

    `per_sentence` holds, per sentence, its (tuple, confidence) predictions and its gold tuples. At threshold
    t each sentence keeps its predictions with confidence >= t and is scored as `carb_counts` does, summed
    over sentences; precision is 1 where no prediction is kept. CaRB's "optimal F1" is the best F1 here.
    """
    return [(t, float(p), float(r)) for t, p, r in _curve(per_sentence)]


def carb_auc(per_sentence: Sequence[tuple[Sequence[Scored], Sequence[OpenTupleStrings]]]) -> float:
    """Area under CaRB's precision-recall curve: the `carb_curve` points from the lowest threshold up, then
    (recall 0, precision 1), joined by trapezoids over recall, as CaRB computes it (CaRB then rounds to 3
    decimals; this does not). Computed exactly, rounded once to a float. No prediction at all gives 0.0."""
    curve = _curve(per_sentence)
    if not curve:
        return 0.0
    pts = [(r, p) for _, p, r in curve] + [(Fraction(0), Fraction(1))]
    area = sum(((r0 - r1) * (p0 + p1) / 2 for (r0, p0), (r1, p1) in pairwise(pts)), Fraction(0))
    return float(area)
