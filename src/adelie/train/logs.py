"""Training logs: tokens/s on every log line, and a JSONL copy of the log that survives resumes.

The console gets the Trainer's progress bar and log lines; TensorBoard gets the same values when it is installed.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback


def count_tokens(inputs: dict[str, Any]) -> int:
    """Real (non-pad) tokens in a collated batch: the attention mask's sum, or every token of a padding-free batch
    (which has no attention mask and no padding)."""
    if "attention_mask" in inputs:
        return int(inputs["attention_mask"].sum())
    return int(inputs["input_ids"].numel())


class ThroughputMixin:
    """Trainer mixin: counts real tokens per training step and adds ``tokens_per_second`` (since the previous log,
    summed over processes) to each training log."""

    _tokens_since_log: int = 0
    _last_log_time: float | None = None
    real_tokens_seen: int = 0  # this process, this session (not restored on resume)

    def training_step(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        tokens = count_tokens(inputs)
        self._tokens_since_log += tokens
        self.real_tokens_seen += tokens
        if self._last_log_time is None:
            self._last_log_time = time.perf_counter()
        return super().training_step(model, inputs, *args, **kwargs)  # type: ignore[misc]

    def log(self, logs: dict[str, float], *args: Any, **kwargs: Any) -> None:
        if "loss" in logs and self._last_log_time is not None:
            import torch

            now = time.perf_counter()
            local = torch.tensor(self._tokens_since_log, device=self.args.device)  # type: ignore[attr-defined]
            tokens = int(self.accelerator.reduce(local, reduction="sum"))  # type: ignore[attr-defined]
            logs["tokens_per_second"] = round(tokens / max(now - self._last_log_time, 1e-9), 2)
            self._tokens_since_log, self._last_log_time = 0, now
        super().log(logs, *args, **kwargs)  # type: ignore[misc]


class JsonlLogCallback(TrainerCallback):
    """Appends every log (training and evaluation) as one JSON line with its step and wall time.

    On resume from step N, lines of the interrupted run after step N are dropped first, so the file reads as one run.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not self.path.exists():
            return
        kept = [line for line in self.path.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= state.global_step]
        self.path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        record = {"step": state.global_step, "time": round(time.time(), 3)}
        record.update({k: _plain(v) for k, v in logs.items()})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)


def read_log(path: str | Path) -> list[dict[str, Any]]:
    """The records of a JSONL training log."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
