"""`--compat adelie`: ADELIE's published scoring rules, where they differ from adelie's own scorers.

Only rules read in ADELIE's evaluation scripts (github.com/THU-KEG/ADELIE, scripts/tasks/*/evaluate.py) are
reproduced, restated over adelie's parsed items; every other set keeps its task's own scorer. See
the README (Evaluation, `--compat adelie`) for the rules and what they change.
"""

from __future__ import annotations

from collections.abc import Callable

from adelie.datasets.registry import get
from adelie.tasks import Counts, Instance, Parsed
from adelie.tasks.formats import normalise

COMPAT_MODES = ("none", "adelie")


def _fewnerd(pred: Parsed, inst: Instance) -> Counts:
    """scripts/tasks/fewnerd/evaluate.py: entities keyed by lower-cased text (one type each, the last one
    read wins), predicted types outside the offered options dropped (not counted as predictions), and
    location-GPE entities dropped from gold and prediction alike (ADELIE compares lower-cased types with the
    mixed-case option `location_GPE`, so they never match). tp: gold entities predicted with their type."""
    spec = get(inst.dataset)
    gpe = {normalise(spec.label_name(raw, "entity")) for raw in spec.entity_labels
           if raw.lower().replace("-", "_") == "location_gpe"}
    allowed = {normalise(label) for label in inst.labels} - gpe

    def as_dict(items: tuple[tuple[str, ...], ...]) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in items:
            if len(item) == 2 and normalise(item[1]) in allowed:
                out[normalise(item[0])] = normalise(item[1])
        return out

    gold, predicted = as_dict(inst.gold), as_dict(pred.items if pred.ok else ())
    tp = sum(1 for ent, typ in gold.items() if predicted.get(ent) == typ)
    return Counts.strict(tp, len(predicted), len(gold))


def _semeval(pred: Parsed, inst: Instance) -> Counts:
    """scripts/tasks/semeval/evaluate.py, with the entity pair fixed by the prompt: a prediction counts only
    when its relation is one of the 18 directed relations offered (Other and off-list labels count nowhere);
    the gold relation counts towards recall only when a prediction counted or nothing was predicted (so an
    instance answered with an off-list label leaves the recall denominator). tp: the first answer equals the
    gold relation."""
    items = pred.items if pred.ok else ()
    if not items:
        return Counts.strict(0, 0, len(inst.gold[:1]))
    answer = normalise(items[0][0])
    if answer not in {normalise(label) for label in inst.labels}:
        return Counts()
    tp = int(bool(inst.gold) and normalise(inst.gold[0][0]) == answer)
    return Counts.strict(tp, 1, len(inst.gold[:1]))


RULES: dict[str, Callable[[Parsed, Instance], Counts]] = {
    "fewnerd_inter": _fewnerd,
    "semeval2010_task8": _semeval,
}


def compat_counts(mode: str, pred: Parsed, inst: Instance) -> Counts | None:
    """ADELIE's counts for `inst` under `mode`, or None where adelie's own scorer applies."""
    if mode == "adelie" and inst.dataset in RULES:
        return RULES[inst.dataset](pred, inst)
    return None
