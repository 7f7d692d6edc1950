"""Scoring prediction records with each task's own parser and scorer, and aggregating them into metrics.

Per evaluation set: micro precision / recall / F1 from summed `Counts`, a bootstrap interval for F1, the share
of answers that parsed, the off-list rate (predicted labels not among the offered ones), the ungrounded rate
(predicted spans that are not substrings of the text), the mean answer tokens, the generation seconds and the
decoding that made the answers; Open IE adds CaRB's AUC (each answer's mean token log-probability is the confidence of
all its tuples); on-demand IE adds the mean content ROUGE-L with its interval. Averages are means of the sets'
F1 over each task and over each family (closed, open, on-demand), as the paper averages datasets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from statistics import mean
from typing import Any

from adelie.evaluate.bootstrap import DRAWS, f1_interval, mean_interval
from adelie.evaluate.compat import compat_counts
from adelie.evaluate.suites import FAMILY
from adelie.instruct.records import instance_from_dict
from adelie.instruct.seeding import rng
from adelie.schema import Task
from adelie.tasks import Counts, get_task
from adelie.tasks.formats import normalise


def score_record(record: Mapping[str, Any], compat: str = "none") -> dict[str, Any]:
    """Parse and score one prediction record: counts, ok, parsed items, and content ROUGE for on-demand IE."""
    inst = instance_from_dict(record["instance"])
    task = get_task(inst.task)
    parsed = task.parse(str(record.get("output", "")), inst)
    counts = compat_counts(compat, parsed, inst)
    if counts is None:
        counts = task.score(parsed, inst)
    items = parsed.items if parsed.ok else ()
    offered = {normalise(x) for x in inst.labels}
    labels = [lab for it in items for lab in task.item_labels(it)]
    spans = [sp for it in items for sp in task.item_spans(it)]
    out: dict[str, Any] = {
        "counts": counts, "ok": parsed.ok, "items": items,
        "labels": len(labels), "off_list": sum(normalise(lab) not in offered for lab in labels),
        "spans": len(spans), "ungrounded": sum(sp not in inst.text for sp in spans),
    }
    if inst.task == Task.ON_DEMAND and inst.table is not None:
        from adelie.tasks.table_score import content_rouge

        out["rouge"] = content_rouge(parsed.table if parsed.ok else None, inst.table)
    return out


def _set_seed(seed: int, name: str) -> int:
    return rng(seed, "bootstrap", name).getrandbits(32)


def set_metrics(
    name: str, records: Sequence[Mapping[str, Any]], *, compat: str = "none", draws: int = DRAWS, seed: int = 0
) -> dict[str, Any]:
    """Metrics of one evaluation set from its prediction records (see the module docstring)."""
    scored = [score_record(r, compat) for r in records]
    counts = [s["counts"] for s in scored]
    total = sum(counts, Counts())
    lo, hi = f1_interval(counts, draws, _set_seed(seed, name))
    first = records[0]
    out: dict[str, Any] = {
        "dataset": first["dataset"], "split": first["split"], "task": first["task"], "n": len(records),
        "parsed": sum(s["ok"] for s in scored) / len(scored), "precision": total.precision, "recall": total.recall,
        "f1": total.f1, "f1_ci": [lo, hi], "counts": [total.tp_pred, total.pred, total.tp_gold, total.gold],
        "off_list": _rate(sum(s["off_list"] for s in scored), sum(s["labels"] for s in scored)),
        "ungrounded": _rate(sum(s["ungrounded"] for s in scored), sum(s["spans"] for s in scored)),
        "answer_tokens": mean(float(r.get("num_tokens", 0)) for r in records),
        "seconds": sum(float(r.get("seconds", 0.0)) for r in records),
        "decoding": sorted({str(r.get("decoding", "free")) for r in records}),
    }
    if first["task"] == Task.OPEN_IE.value:
        from adelie.tasks.carb import carb_auc

        out["auc"] = carb_auc([
            ([(item, float(r.get("mean_logprob", 0.0))) for item in s["items"]],
             [tuple(g) for g in r["instance"]["gold"]])
            for r, s in zip(records, scored, strict=True)
        ])
    if first["task"] == Task.ON_DEMAND.value:
        rouges = [s.get("rouge", 0.0) for s in scored]
        out["content_rouge"] = mean(rouges)
        out["content_rouge_ci"] = list(mean_interval(rouges, draws, _set_seed(seed, name + "/rouge")))
    return out


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _avg(values: Iterable[float]) -> float | None:
    vals = list(values)
    return mean(vals) if vals else None


def aggregate(
    records: Iterable[Mapping[str, Any]], *, compat: str = "none", draws: int = DRAWS, seed: int = 0
) -> dict[str, Any]:
    """metrics.json content: per-set metrics (keyed by `dataset/split/task`), per-task and per-family averages."""
    by_set: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in records:
        by_set[r["set"]].append(r)
    sets = {name: set_metrics(name, recs, compat=compat, draws=draws, seed=seed)
            for name, recs in sorted(by_set.items())}
    tasks: dict[str, float | None] = {}
    for t in Task:
        tasks[t.value] = _avg(m["f1"] for m in sets.values() if m["task"] == t.value)
    families = {fam: _avg(m["f1"] for m in sets.values() if FAMILY[Task(m["task"])] == fam)
                for fam in ("closed", "open", "on-demand")}
    return {"sets": sets, "tasks": {k: v for k, v in tasks.items() if v is not None},
            "families": {k: v for k, v in families.items() if v is not None},
            "compat": compat, "bootstrap": {"draws": draws, "seed": seed, "level": 0.95}}
