"""Counts and rates of a set of records, from their metadata: what the manifest and `adelie build stats` show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

GENERAL_TASK = "general"


def _sorted(c: Counter[Any]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(c.items(), key=lambda kv: str(kv[0]))}


def _share(n: int, total: int) -> float:
    return round(n / total, 4) if total else 0.0


def summarize(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts per dataset, task, format, shots, template and knob, and the shares of the IE records that
    are few-shot, explained, no-answer, and in each format."""
    by_dataset: Counter[str] = Counter()
    by_task: Counter[str] = Counter()
    by_format: Counter[str] = Counter()
    by_shots: Counter[int] = Counter()
    by_knob: Counter[str] = Counter()
    general_sources: Counter[str] = Counter()
    synthetic_sources: Counter[str] = Counter()
    templates: dict[str, set[str]] = {}
    na_by_dataset: Counter[str] = Counter()
    n = ie = few = expl = na = 0
    for rec in records:
        m = rec["metadata"]
        n += 1
        by_dataset[m["dataset"]] += 1
        by_task[m["task"]] += 1
        if m["task"] == GENERAL_TASK:
            general_sources[m.get("source") or "?"] += 1
            continue
        ie += 1
        by_format[m["format"]] += 1
        by_shots[m["shots"]] += 1
        few += m["shots"] > 0
        expl += bool(m["has_explanation"])
        na += bool(m["no_answer"])
        na_by_dataset[m["dataset"]] += bool(m["no_answer"])
        by_knob.update(m.get("knobs") or [])
        templates.setdefault(m["task"], set()).add(m["template"])
        if m.get("source"):
            synthetic_sources[m["source"]] += 1
    return {
        "records": n,
        "ie_records": ie,
        "general_records": n - ie,
        "by_dataset": _sorted(by_dataset),
        "by_task": _sorted(by_task),
        "by_format": _sorted(by_format),
        "by_shots": {str(k): v for k, v in sorted(by_shots.items())},
        "by_knob": _sorted(by_knob),
        "general_by_source": _sorted(general_sources),
        "on_demand_by_source": _sorted(synthetic_sources),
        "templates_per_task": {t: len(ids) for t, ids in sorted(templates.items())},
        "rates": {
            "format": {f: _share(c, ie) for f, c in sorted(by_format.items())},
            "few_shot": _share(few, ie),
            "explanation": _share(expl, ie),
            "no_answer": _share(na, ie),
            "no_answer_max_dataset": max((_share(na_by_dataset[d], by_dataset[d]) for d in na_by_dataset),
                                         default=0.0),
            "general_share_of_ie": _share(n - ie, ie),
            "knobs": {k: _share(c, ie) for k, c in sorted(by_knob.items())},
        },
    }


class KnobTally:
    """How often each label knob was drawn among the records where it could apply, to compare with the
    configured rates (what the prompt finally shows is in the records' `knobs` metadata)."""

    def __init__(self) -> None:
        self.n: Counter[str] = Counter()

    def add(self, labels: Sequence[str], plan: Any, vocab_size: int, *, has_coarse: bool, dropout_allowed: bool,
            has_synonyms: bool, has_distractors: bool, knobs: Any) -> None:
        """Count one rendered record: its original options `labels`, its `LabelPlan`, and whether its labels
        could be coarsened, renamed to synonyms or joined by distractors at all."""
        if not labels:
            return
        n = self.n
        n["labelled"] += 1
        fired = set(plan.knobs)
        if has_coarse:
            n["coarse_eligible"] += 1
            n["coarse"] += "coarse" in fired
        if vocab_size <= knobs.symbolic_max_labels and "coarse" not in fired:
            n["symbolic_eligible"] += 1
            n["symbolic"] += "symbolic" in fired
        if has_synonyms and not fired & {"coarse", "symbolic"}:
            n["synonyms_eligible"] += 1
            n["synonyms"] += "synonyms" in fired
        if has_distractors:
            n["distractors_eligible"] += 1
            n["distractors"] += "distractors" in fired
        if dropout_allowed and len(labels) > 1:
            kept = [lab for lab in labels if lab not in plan.drop] or list(labels)
            n["dropout_offered"] += len(labels)
            n["dropout_dropped"] += len(labels) - len(kept)
        shown = len(labels) + len(plan.distractors)
        if shown <= knobs.description_max_labels:
            n["description_eligible"] += 1
            n["description"] += plan.describe
        if shown <= knobs.example_max_labels:
            n["example_eligible"] += 1
            n["example"] += plan.exemplify

    def to_dict(self, knobs: Any) -> dict[str, Any]:
        n = self.n

        def rate(num: str, den: str, configured: float) -> dict[str, Any]:
            return {"configured": configured, "actual": _share(n[num], n[den]), "eligible": n[den]}

        return {
            "labelled_records": n["labelled"],
            "class_dropout": {"configured": knobs.class_dropout, "actual": _share(n["dropout_dropped"],
                              n["dropout_offered"]), "labels_offered": n["dropout_offered"]},
            "label_descriptions": rate("description", "description_eligible", knobs.description_rate),
            "label_examples": rate("example", "example_eligible", knobs.example_rate),
            "coarse_types": rate("coarse", "coarse_eligible", knobs.coarse_rate),
            "symbolic_labels": rate("symbolic", "symbolic_eligible", knobs.symbolic_rate),
            "synonyms": {**rate("synonyms", "synonyms_eligible", knobs.synonym_rate),
                         "note": "per record whose labels have synonyms; each label then renamed with "
                                 f"probability {knobs.synonym_share}"},
            "distractors": rate("distractors", "distractors_eligible",
                                knobs.distractor_rate if knobs.distractors else 0.0),
        }
