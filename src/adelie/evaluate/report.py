"""Markdown reports of evaluation metrics: one table per task with its average, a summary of the closed / open /
on-demand averages, and for comparisons one PNG bar chart per task (95% bootstrap intervals as error bars).
Scores are percentages with one decimal, as the paper prints them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from adelie.schema import Task

TASK_TITLES: dict[str, str] = {
    Task.NER.value: "Named entity recognition", Task.RELATION_CLASSIFICATION.value: "Relation classification",
    Task.RELATION_EXTRACTION.value: "Relation extraction", Task.EVENT_DETECTION.value: "Event detection",
    Task.EVENT_ARGUMENTS.value: "Event argument extraction", Task.EVENT_RELATION.value: "Event relation extraction",
    Task.OPEN_IE.value: "Open IE", Task.ON_DEMAND.value: "On-demand IE",
}
FAMILY_TITLES = {"closed": "Closed IE", "open": "Open IE", "on-demand": "On-demand IE"}

Metrics = Mapping[str, Any]


def pct(x: float | None) -> str:
    """A score in [0, 1] as a percentage with one decimal; '-' when missing."""
    return "-" if x is None else f"{100 * x:.1f}"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _ci(m: Mapping[str, Any], key: str = "f1_ci") -> str:
    lo, hi = m[key]
    return f"[{pct(lo)}, {pct(hi)}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def _tasks_in(runs: Sequence[Metrics]) -> list[str]:
    present = {m["task"] for run in runs for m in run["sets"].values()}
    return [t.value for t in Task if t.value in present]


def run_markdown(metrics: Metrics, title: str = "Evaluation") -> str:
    """The report of one run."""
    lines = [f"# {title}", ""]
    run = metrics.get("run", {})
    if run:
        lines += [f"model `{run.get('model')}`, suite `{run.get('suite')}`, {run.get('shots')}-shot, "
                  f"limit {run.get('limit')}, decoding `{run.get('decoding', 'free')}`, scoring "
                  f"`{metrics.get('compat', 'none')}`; F1 with 95% bootstrap intervals "
                  f"({metrics['bootstrap']['draws']} draws); off-list: predicted labels not offered; ungrounded: "
                  "predicted spans not in the text", ""]
    for task in _tasks_in([metrics]):
        sets = [m for m in metrics["sets"].values() if m["task"] == task]
        extra = {"open_ie": ["AUC"], "on_demand": ["content ROUGE-L", "ROUGE 95% CI"]}.get(task, [])
        rows = []
        for m in sets:
            more = {"open_ie": [pct(m.get("auc"))],
                    "on_demand": [pct(m.get("content_rouge")), _ci(m, "content_rouge_ci") if "content_rouge_ci" in m
                                  else "-"]}.get(task, [])
            rows.append([m["dataset"], m["split"], str(m["n"]), pct(m["precision"]), pct(m["recall"]), pct(m["f1"]),
                         _ci(m), pct(m["parsed"]), pct(m.get("off_list")), pct(m.get("ungrounded")),
                         _num(m.get("answer_tokens")), _num(m.get("seconds")), *more])
        rows.append(["**average**", "", "", "", "", pct(metrics["tasks"].get(task)), "", "", "", "", "", "",
                     *[""] * len(extra)])
        header = ["dataset", "split", "n", "P", "R", "F1", "F1 95% CI", "parsed", "off-list", "ungrounded",
                  "answer tokens", "seconds", *extra]
        lines += [f"## {TASK_TITLES[task]}", "", *_table(header, rows), ""]
    lines += ["## Summary", "", *_table(["family", "average F1"],
                                        [[FAMILY_TITLES[f], pct(v)] for f, v in metrics["families"].items()]), ""]
    return "\n".join(lines)


def _chart(path: Path, task: str, labels: Sequence[str], runs: Sequence[Metrics], names: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    x = np.arange(len(names))
    width = 0.8 / len(labels)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.2 * len(names) * len(labels) ** 0.5 + 2), 3.6))
    for k, (label, run) in enumerate(zip(labels, runs, strict=True)):
        f1 = np.array([100 * run["sets"][n]["f1"] if n in run["sets"] else np.nan for n in names])
        lo = np.array([100 * run["sets"][n]["f1_ci"][0] if n in run["sets"] else np.nan for n in names])
        hi = np.array([100 * run["sets"][n]["f1_ci"][1] if n in run["sets"] else np.nan for n in names])
        err = np.nan_to_num(np.vstack([f1 - lo, hi - f1]).clip(min=0))
        ax.bar(x + (k - (len(labels) - 1) / 2) * width, np.nan_to_num(f1), width, yerr=err, capsize=2, label=label)
    ax.set_xticks(x, [n.split("/")[0] for n in names], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("F1 (%)")
    ax.set_title(TASK_TITLES[task])
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _decodings(run: Metrics) -> list[str]:
    if "decoding" in run.get("run", {}):
        return [run["run"]["decoding"]]
    return sorted({d for m in run["sets"].values() for d in m.get("decoding", [])})


def compare_markdown(labels: Sequence[str], runs: Sequence[Metrics], out: str | Path, charts: bool = True) -> str:
    """A report comparing runs (F1 [95% CI] per set, task and family averages), written to `out`, with one
    chart `<out stem>_<task>.png` per task beside it when `charts`. Returns the markdown."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    decodings = sorted({d for run in runs for d in _decodings(run)})
    lines = ["# Evaluation comparison", "",
             f"F1 (%) with 95% bootstrap intervals; decoding: {', '.join(decodings) or 'free'}.", ""]
    for task in _tasks_in(runs):
        names = sorted({n for run in runs for n, m in run["sets"].items() if m["task"] == task})
        rows = [[n.rsplit("/", 1)[0], *(f"{pct(run['sets'][n]['f1'])} {_ci(run['sets'][n])}" if n in run["sets"]
                                        else "-" for run in runs)] for n in names]
        rows.append(["**average**", *(pct(run["tasks"].get(task)) for run in runs)])
        lines += [f"## {TASK_TITLES[task]}", "", *_table(["set", *labels], rows), ""]
        if charts:
            png = out.with_name(f"{out.stem}_{task}.png")
            _chart(png, task, labels, runs, names)
            lines += [f"![{TASK_TITLES[task]}]({png.name})", ""]
    fams = [f for f in FAMILY_TITLES if any(f in run["families"] for run in runs)]
    lines += ["## Summary", "", *_table(["family", *labels],
                                        [[FAMILY_TITLES[f], *(pct(run["families"].get(f)) for run in runs)]
                                         for f in fams]), ""]
    text = "\n".join(lines)
    out.write_text(text, encoding="utf-8")
    return text
