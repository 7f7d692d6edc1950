"""An evaluation run: build the prompts, generate greedily, append each answer to predictions.jsonl, then score
everything into metrics.json and report.md.

Resumable: records already in predictions.jsonl (matched by key) are not generated again. run.json holds the
settings that shape the prompts and answers; resuming with different ones raises instead of mixing runs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from adelie.constrained import check_decoding
from adelie.errors import AdelieError
from adelie.evaluate.bootstrap import DRAWS
from adelie.evaluate.compat import COMPAT_MODES
from adelie.evaluate.metrics import aggregate
from adelie.evaluate.prompts import EvalItem, answer_budget, build_items, read_built_items
from adelie.evaluate.report import run_markdown
from adelie.evaluate.suites import resolve_suite
from adelie.instruct.records import dumps, instance_to_dict
from adelie.tasks import FORMATS, Format

logger = logging.getLogger(__name__)

PREDICTIONS = "predictions.jsonl"
METRICS = "metrics.json"
RUN = "run.json"
REPORT = "report.md"


class RunMismatchError(AdelieError):
    """An output directory holds a run made with other settings."""


@dataclass(frozen=True)
class EvalConfig:
    """What an evaluation run is: the model, the sets, and every setting that changes prompts or answers."""

    model: str
    suite: str = "heldout"
    datasets: tuple[str, ...] | None = None
    shots: int = 0
    limit: int | None = None
    seed: int = 0
    fmt: Format = "canonical"
    no_answer: str = "NA"
    max_new_tokens: int = 512  # the cap; each set gets about twice its longest gold answer (prompts.answer_budget)
    batch_size: int = 16
    dtype: str = "auto"  # model weights: auto = bfloat16 on CUDA and on CPUs with native bf16, else float32
    compat: str = "none"
    draws: int = DRAWS
    prompts: str | None = None  # a directory from `adelie build eval-prompts`, used instead of building prompts
    decoding: str = "constrained"  # constrained: answers follow each instance's grammar; free: any text
    data_dir: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.shots < 0:
            raise AdelieError(f"--shots must be 0 or more, got {self.shots}")
        if self.limit is not None and self.limit < 1:
            raise AdelieError(f"--limit must be at least 1, got {self.limit}")
        if self.fmt not in FORMATS:
            raise AdelieError(f"unknown answer format {self.fmt!r}: use {', '.join(FORMATS)}")
        check_decoding(self.decoding, "--decoding")
        if self.compat not in COMPAT_MODES:
            raise AdelieError(f"unknown --compat {self.compat!r}: use {', '.join(COMPAT_MODES)}")

    def identity(self) -> dict[str, Any]:
        """The settings a resumed run must share (scoring-only settings and the sets chosen may change)."""
        d = asdict(self)
        return {k: d[k] for k in ("model", "shots", "seed", "fmt", "no_answer", "max_new_tokens", "prompts", "dtype",
                                  "decoding")}


def read_predictions(path: Path) -> list[dict[str, Any]]:
    """The records of predictions.jsonl; a torn last line (an interrupted write) is dropped, other bad lines
    raise naming the line."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if n == len(lines):
                logger.warning("%s: dropping a torn last line", path)
                continue
            raise AdelieError(f"{path}:{n}: not a JSON record; fix or delete the line") from None
    return out


def _drop_torn_tail(path: Path) -> None:
    """Cut an unfinished last line (an interrupted write) so that appended records start on a line of their own."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        logger.warning("%s: dropping a torn last line", path)
        path.write_bytes(data[: data.rfind(b"\n") + 1])


def _check_run(out: Path, config: EvalConfig) -> None:
    run_file = out / RUN
    if run_file.exists():
        before = json.loads(run_file.read_text(encoding="utf-8")).get("identity", {})
        before.setdefault("decoding", "free")  # runs from before constrained decoding were free
        if before != config.identity():
            diff = {k: (before.get(k), v) for k, v in config.identity().items() if before.get(k) != v}
            raise RunMismatchError(f"{out} holds a run with other settings {diff} (was, now); use another --out")
    run_file.write_text(json.dumps({"identity": config.identity(), "config": asdict(config)}, indent=2) + "\n",
                        encoding="utf-8")


def _record(item: EvalItem, output: Any, fmt: str, decoding: str, seconds: float) -> dict[str, Any]:
    inst = item.inst
    return {
        "key": item.key, "set": item.key.rsplit("/", 1)[0], "dataset": inst.dataset, "split": item.key.split("/")[1],
        "task": inst.task.value, "example_id": inst.example_id, "template": item.template, "format": fmt,
        "shots": item.shots, "messages": item.messages, "output": output.text,
        "finish_reason": output.finish_reason, "num_tokens": output.num_tokens, "mean_logprob": output.mean_logprob,
        "decoding": decoding, "seconds": seconds, "instance": instance_to_dict(inst),
    }


Generate = Callable[[Sequence[list[dict[str, str]]], int, Sequence[str | None] | None], list[Any]]


def make_generator(config: EvalConfig) -> Generate:
    """Greedy generation with `config.model`: conversations, a new-token budget and per-conversation answer
    grammars (None: free) in, one `Output` each out."""
    from dataclasses import replace

    from adelie.generate import GenerationConfig, Generator

    gen = Generator(config.model, config=GenerationConfig(
        max_new_tokens=config.max_new_tokens, temperature=0.0, seed=config.seed, batch_size=config.batch_size),
        dtype=config.dtype)
    return lambda convs, budget, grammars=None: [
        outs[0] for outs in gen.generate(convs, replace(gen.config, max_new_tokens=budget), grammars)]


def item_grammar(item: EvalItem, fmt: Format, no_answer: str) -> str | None:
    """The answer grammar of an evaluation prompt (None for free-form answer formats)."""
    from adelie.tasks import prompt_grammar

    return prompt_grammar(item.inst, item.messages, fmt, no_answer)


def run_eval(config: EvalConfig, out: str | Path, generate: Generate | None = None, chunk: int = 64) -> dict[str, Any]:
    """Evaluate `config` into `out` (predictions.jsonl, metrics.json, report.md, run.json); returns the metrics.

    `generate` replaces the model (tests); by default the model is loaded only if something is left to answer.
    Answers are appended every `chunk` prompts, so an interrupted run resumes where it stopped.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _check_run(out, config)
    pred_path = out / PREDICTIONS
    _drop_torn_tail(pred_path)
    done = {r["key"] for r in read_predictions(pred_path)}
    sets = resolve_suite(config.suite, config.datasets)
    wanted: set[str] = set()
    for es in sets:
        if config.prompts is not None:
            items = read_built_items(es, config.prompts, config.limit, config.seed)
        else:
            items = build_items(es, shots=config.shots, limit=config.limit, seed=config.seed, fmt=config.fmt,
                                no_answer=config.no_answer, root=config.data_dir)
        wanted |= {it.key for it in items}
        todo = [it for it in items if it.key not in done]
        logger.info("%s: %d prompts, %d to answer", es.name, len(items), len(todo))
        for start in range(0, len(todo), chunk):
            if generate is None:
                generate = make_generator(config)
            batch = todo[start:start + chunk]
            t0 = time.perf_counter()
            grammars = ([item_grammar(it, config.fmt, config.no_answer) for it in batch]
                        if config.decoding == "constrained" else None)
            outputs = generate([it.messages for it in batch],
                               answer_budget(batch[0].longest_gold, config.max_new_tokens), grammars)
            seconds = (time.perf_counter() - t0) / len(batch)
            with pred_path.open("a", encoding="utf-8") as f:
                for it, o in zip(batch, outputs, strict=True):
                    f.write(dumps(_record(it, o, config.fmt, config.decoding, seconds)) + "\n")
            logger.info("%s: %d answered (%.1f s)", es.name, len(batch), time.perf_counter() - t0)
    records = list({r["key"]: r for r in reversed(read_predictions(pred_path)) if r["key"] in wanted}.values())
    metrics = aggregate(records, compat=config.compat, draws=config.draws, seed=config.seed)
    metrics["run"] = {"model": config.model, "suite": config.suite, "shots": config.shots, "limit": config.limit,
                      "decoding": config.decoding}
    (out / METRICS).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out / REPORT).write_text(run_markdown(metrics, title=str(out)), encoding="utf-8")
    return metrics


def load_metrics(run_dir: str | Path) -> Mapping[str, Any]:
    """metrics.json of a run directory; AdelieError naming the directory when there is none."""
    path = Path(run_dir) / METRICS
    if not path.is_file():
        raise AdelieError(f"{run_dir}: no {METRICS} (run `adelie eval ... --out {run_dir}` first)")
    return json.loads(path.read_text(encoding="utf-8"))
