"""Held-out evaluation: suites, prompts with evaluation-only templates, greedy generation, scoring with each
task's own scorer, bootstrap intervals, and reports comparing runs."""

from __future__ import annotations

from adelie.evaluate.bootstrap import f1_interval, mean_interval
from adelie.evaluate.metrics import aggregate, score_record, set_metrics
from adelie.evaluate.prompts import EvalItem, build_items
from adelie.evaluate.report import compare_markdown, run_markdown
from adelie.evaluate.run import EvalConfig, load_metrics, read_predictions, run_eval
from adelie.evaluate.suites import FAMILY, HELDOUT, EvalSet, resolve_suite

__all__ = [
    "FAMILY", "HELDOUT", "EvalConfig", "EvalItem", "EvalSet", "aggregate", "build_items", "compare_markdown",
    "f1_interval", "load_metrics", "mean_interval", "read_predictions", "resolve_suite", "run_eval",
    "run_markdown", "score_record", "set_metrics",
]
