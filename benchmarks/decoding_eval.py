"""Free against constrained decoding on the held-out suite: one table per model.

Runs ``adelie eval`` (``run_eval``) twice for the model, ``--decoding free`` and ``--decoding constrained``, zero-shot,
into ``OUT/free`` and ``OUT/constrained`` (resumable: rerun the same command to finish), then writes per set: F1 with
its 95% bootstrap interval, the share of answers parsed, the off-list label rate, the ungrounded span rate, mean
answer tokens and generation seconds, and the closed / open / on-demand averages.

    python benchmarks/decoding_eval.py --model default --label base --limit 50 --out runs/decoding-base
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import torch

from adelie.evaluate import EvalConfig, run_eval
from adelie.evaluate.report import pct

sys.path.insert(0, str(Path(__file__).parent))
from constrained import cpu_flags


def _num(x: float | None, digits: int = 1) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def table(label: str, runs: dict[str, dict[str, Any]]) -> str:
    """The markdown table of one model: a row per set, free and constrained side by side."""
    names = sorted({n for m in runs.values() for n in m["sets"]})
    head = ["set", "n"] + [f"{d} {col}" for d in runs for col in
                           ("F1 [95% CI]", "parsed", "off-list", "ungrounded", "tokens", "s")]
    lines = [f"**{label}**", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        cells = [name.rsplit("/", 1)[0], str(next(m["sets"][name]["n"] for m in runs.values()
                                                  if name in m["sets"]))]
        for m in runs.values():
            s = m["sets"].get(name)
            if s is None:
                cells += ["-"] * 6
                continue
            lo, hi = s["f1_ci"]
            cells += [f"{pct(s['f1'])} [{pct(lo)}, {pct(hi)}]", pct(s["parsed"]), pct(s.get("off_list")),
                      pct(s.get("ungrounded")), _num(s.get("answer_tokens")), _num(s.get("seconds"), 0)]
        lines.append("| " + " | ".join(cells) + " |")
    for fam in ("closed", "open", "on-demand"):
        cells = [f"**{fam} average**", ""]
        for m in runs.values():
            cells += [pct(m["families"].get(fam))] + [""] * 5
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--label", default="base")
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--datasets", default=None, help="comma-separated held-out datasets (default: all)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=512)
    parser.add_argument("--out", required=True)
    parser.add_argument("--json", default=None, help="default: benchmarks/results/decoding_<label>.json")
    args = parser.parse_args()
    datasets = tuple(d.strip() for d in args.datasets.split(",")) if args.datasets else None
    runs, wall = {}, {}
    for decoding in ("free", "constrained"):
        config = EvalConfig(model=args.model, suite="heldout", datasets=datasets, limit=args.limit,
                            batch_size=args.batch_size, max_new_tokens=args.max_new_tokens, decoding=decoding)
        t0 = time.perf_counter()
        runs[decoding] = run_eval(config, Path(args.out) / decoding)
        wall[decoding] = time.perf_counter() - t0
    md = table(args.label, runs)
    print(md)
    result = {
        "benchmark": "decoding_eval", "date": datetime.date.today().isoformat(),
        "command": "python benchmarks/decoding_eval.py " + " ".join(f"--{k.replace('_', '-')} {v}"
                                                                   for k, v in vars(args).items() if v is not None),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "cpu_flags": cpu_flags(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__},
        "model": args.model, "label": args.label, "limit": args.limit,
        "wall_s_this_invocation": wall,
        "suite_seconds": {d: sum(s.get("seconds", 0.0) for s in m["sets"].values()) for d, m in runs.items()},
        "families": {d: m["families"] for d, m in runs.items()},
        "sets": {d: {n: {k: s.get(k) for k in ("n", "f1", "f1_ci", "parsed", "off_list", "ungrounded",
                                               "answer_tokens", "seconds")}
                     for n, s in m["sets"].items()} for d, m in runs.items()},
        "markdown": md,
    }
    path = Path(args.json or f"benchmarks/results/decoding_{args.label}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
