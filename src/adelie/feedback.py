"""IEFeedback: preference pairs made by sampling an SFT model on training prompts and scoring the samples.

For each prompt drawn from the train-role datasets (never a held-out split), the model samples K answers; each is
parsed and scored against the gold with the task's own parser and scorer (``instance_score``). A prompt whose
samples are all perfect gives nothing. Otherwise it gives at most one pair: with probability ``gold_share`` the
gold answer is chosen over the worst sample, else the best sample over the worst one; either way only when the
chosen answer's score beats the rejected one's by more than ``margin``.

Output (``out`` folder): ``pairs.jsonl`` in TRL's conversational preference format (``prompt`` a list of chat
messages, ``chosen`` and ``rejected`` one assistant message each) plus ``metadata``; ``manifest.json`` (config,
score distribution per task, pair counts by kind, mean gap); ``samples.jsonl``, the cache of sampled answers per
prompt that makes a rerun resume where it stopped.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, TypeAdapter, ValidationError

from adelie.configfile import read_yaml_mapping
from adelie.constrained import DECODINGS
from adelie.datasets import registry
from adelie.datasets.reading import ReadContext
from adelie.errors import AdelieError
from adelie.generate import GenerationConfig
from adelie.instruct.records import write_jsonl, write_text
from adelie.instruct.seeding import rng
from adelie.tasks import FORMATS, get_task, instance_score, prompt_grammar
from adelie.tasks.base import Instance

PairKind = Literal["best_vs_worst", "gold_vs_worst"]


@dataclass
class FeedbackConfig:
    """Everything that decides an IEFeedback build (YAML section ``feedback:``); same config + seed = same pairs."""

    __pydantic_config__ = ConfigDict(extra="forbid")

    seed: int = 42
    datasets: list[str] | None = None  # None: every dataset with a train-role split
    data_dir: str | None = None  # default: $ADELIE_DATA_DIR, else ../shared/datasets
    prompts_per_dataset: int = 200  # prompts drawn from each dataset's train-role split
    samples: int = 5  # K answers sampled per prompt
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 256
    batch_size: int = 16  # prompts per generation batch (and per cache flush)
    margin: float = 0.1  # chosen must beat rejected by more than this
    gold_share: float = 0.7  # share of prompts whose chosen answer is the gold one
    format: str = "canonical"  # answer format asked for in the prompts
    no_answer: str = "NA"
    dtype: str = "auto"  # sampling precision: auto = bfloat16 on CUDA and on CPUs with native bf16, else float32
    overlap_guard: bool = True  # drop training examples that contain a sentence of a held-out split
    decoding: str = "free"  # free: the model's own mistakes, which preference pairs need; constrained: grammar

    def check(self, source: str = "config") -> None:
        """Raise AdelieError when a value is out of range."""
        problems = []
        if self.samples < 2:
            problems.append("samples must be at least 2")
        if self.prompts_per_dataset < 1 or self.max_new_tokens < 1 or self.batch_size < 1:
            problems.append("prompts_per_dataset, max_new_tokens and batch_size must be positive")
        if not 0 <= self.gold_share <= 1:
            problems.append("gold_share must be between 0 and 1")
        if not 0 <= self.margin < 1:
            problems.append("margin must be in [0, 1)")
        if self.temperature <= 0:
            problems.append("temperature must be positive (sampling)")
        if self.format not in FORMATS:
            problems.append(f"format must be one of {list(FORMATS)}")
        if self.decoding not in DECODINGS:
            problems.append(f"decoding must be constrained or free, got {self.decoding!r}")
        if problems:
            raise AdelieError(f"{source}: invalid feedback config: " + "; ".join(problems))

    def generation(self) -> GenerationConfig:
        return GenerationConfig(
            max_new_tokens=self.max_new_tokens, temperature=self.temperature, top_p=self.top_p, n=self.samples,
            seed=self.seed, batch_size=self.batch_size,
        )


def load_feedback_config(path: str | Path | None = None) -> FeedbackConfig:
    """The ``feedback:`` section of YAML file ``path`` (a file without that section is read whole); the default
    config when ``path`` is None."""
    if path is None:
        return FeedbackConfig()
    path = Path(path)
    data = read_yaml_mapping(path)
    section = data.get("feedback", data)
    section = {} if section is None else section
    if not isinstance(section, dict):
        raise AdelieError(f"{path}: the `feedback` section must be a mapping of config fields")
    return feedback_config_from_dict(section, str(path))


def feedback_config_from_dict(data: dict[str, Any], source: str = "config") -> FeedbackConfig:
    """Validate a ``feedback:`` mapping into a config; errors name ``source`` and the key."""
    try:
        cfg = TypeAdapter(FeedbackConfig).validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
        raise AdelieError(f"{source}: invalid feedback config: {problems}") from None
    cfg.check(source)
    return cfg


@dataclass(frozen=True)
class Prompt:
    """One feedback prompt: its key, dataset, the gold instance, the user turn and the gold answer text."""

    key: str
    dataset: str
    inst: Instance
    messages: list[dict[str, str]]
    gold: str


def train_splits(cfg: FeedbackConfig) -> list[tuple[str, str]]:
    """(dataset, train-role split) for each dataset the config names, each checked with ``check_trainable``;
    naming a dataset without a train-role split raises HeldOutError."""
    pairs = registry.training_pool(names=cfg.datasets)
    for spec, split in pairs:
        registry.check_trainable(spec.name, split.name)
    if not pairs:
        raise AdelieError("the feedback config selects no train-role dataset")
    return [(spec.name, split.name) for spec, split in pairs]


def draw_prompts(cfg: FeedbackConfig, progress: Callable[[str], None] = lambda _: None) -> list[Prompt]:
    """``prompts_per_dataset`` seeded prompts from each train-role split: instances of the dataset's tasks, a
    training template each, the user turn in ``cfg.format``, the gold answer rendered in the same format.
    With ``overlap_guard``, examples containing a held-out sentence (``adelie.instruct.guard``) are left out."""
    from adelie.instruct.guard import protected_index

    splits = train_splits(cfg)
    index = protected_index(cfg.data_dir) if cfg.overlap_guard else None
    prompts = []
    for name, split in splits:
        progress(name)
        spec = registry.get(name)
        examples = list(registry.iter_examples(name, split, cfg.data_dir, ReadContext(skip_invalid=True)))
        if index is not None:
            examples = [ex for ex in examples if not index.example_hits(ex)]
        instances = [
            (f"{task.value}:{ex.id}#{i}", inst)
            for task in spec.tasks for ex in examples
            for i, inst in enumerate(get_task(task).instances_from_spec(ex, spec))
        ]
        chosen = rng(cfg.seed, "feedback-prompts", name).sample(instances, min(cfg.prompts_per_dataset, len(instances)))
        for key, inst in chosen:
            module = get_task(inst.task)
            template = rng(cfg.seed, "feedback-template", name, key).choice(list(module.templates("train")))
            user = module.render_prompt(inst, template, cfg.format, cfg.no_answer)  # type: ignore[arg-type]
            gold = module.render_answer(inst, cfg.format, no_answer=cfg.no_answer)  # type: ignore[arg-type]
            prompts.append(Prompt(f"{name}/{key}", name, inst, [{"role": "user", "content": user}], gold))
    return prompts


def score_answer(text: str, inst: Instance) -> float:
    """The task metric of one answer against the instance's gold (``instance_score``; unreadable answers 0)."""
    module = get_task(inst.task)
    return instance_score(module.score(module.parse(text, inst), inst))


@dataclass(frozen=True)
class Pair:
    """A chosen/rejected answer pair and why it was made."""

    kind: PairKind
    chosen: str
    rejected: str
    chosen_score: float
    rejected_score: float

    @property
    def gap(self) -> float:
        return self.chosen_score - self.rejected_score


def make_pair(
    samples: Sequence[str], scores: Sequence[float], gold: str, r: random.Random, margin: float = 0.1,
    gold_share: float = 0.7,
) -> Pair | None:
    """The pair of one prompt (see the module docstring); None when every sample is perfect or no candidate
    beats the worst sample by more than ``margin``. Ties go to the earliest sample."""
    if not samples or len(samples) != len(scores):
        raise ValueError("make_pair needs one score per sample")
    if all(s >= 1.0 for s in scores):
        return None
    use_gold = r.random() < gold_share
    worst = min(range(len(scores)), key=lambda i: (scores[i], i))
    best = max(range(len(scores)), key=lambda i: (scores[i], -i))
    if use_gold:
        pair = Pair("gold_vs_worst", gold, samples[worst], 1.0, scores[worst])
    else:
        pair = Pair("best_vs_worst", samples[best], samples[worst], scores[best], scores[worst])
    if pair.gap <= margin or pair.chosen.strip() == pair.rejected.strip():
        return None
    return pair


def pair_record(prompt: Prompt, pair: Pair, scores: Sequence[float]) -> dict[str, Any]:
    """A TRL conversational preference record with adelie's metadata."""
    return {
        "prompt": prompt.messages,
        "chosen": [{"role": "assistant", "content": pair.chosen}],
        "rejected": [{"role": "assistant", "content": pair.rejected}],
        "metadata": {
            "dataset": prompt.dataset, "task": prompt.inst.task.value, "key": prompt.key, "kind": pair.kind,
            "chosen_score": round(pair.chosen_score, 6), "rejected_score": round(pair.rejected_score, 6),
            "gap": round(pair.gap, 6), "scores": [round(s, 6) for s in scores],
        },
    }


def read_cache(path: Path) -> dict[str, list[str]]:
    """Sampled answers per prompt key from ``samples.jsonl``; a partial last line is cut off the file."""
    if not path.is_file():
        return {}
    cache: dict[str, list[str]] = {}
    raw = path.read_bytes()
    good = 0
    for line in raw.split(b"\n")[:-1]:  # the piece after the last newline is partial (or empty)
        try:
            record = json.loads(line)
            cache[record["key"]] = [str(s) for s in record["samples"]]
        except (json.JSONDecodeError, KeyError, TypeError):
            break
        good += len(line) + 1
    if good < len(raw):
        with path.open("r+b") as f:
            f.truncate(good)
    return cache


def sample_prompts(
    generator: Any, prompts: Sequence[Prompt], cfg: FeedbackConfig, cache_path: Path
) -> dict[str, list[str]]:
    """K samples for every prompt, from the cache where present; new ones are appended to the cache one batch at a
    time. Batches are fixed by prompt position, each seeded from (seed, batch index)."""
    cache = read_cache(cache_path)
    gen_cfg = cfg.generation()
    with cache_path.open("a", encoding="utf-8", newline="\n") as f:
        for start in range(0, len(prompts), cfg.batch_size):
            todo = [p for p in prompts[start : start + cfg.batch_size] if p.key not in cache]
            if not todo:
                continue
            seed = rng(cfg.seed, "feedback-sample", start // cfg.batch_size).randrange(2**31)
            grammars = ([prompt_grammar(p.inst, p.messages, cfg.format, cfg.no_answer) for p in todo]  # type: ignore[arg-type]
                        if cfg.decoding == "constrained" else None)
            outputs = generator.generate([p.messages for p in todo], replace(gen_cfg, seed=seed), grammars=grammars)
            lines = []
            for p, outs in zip(todo, outputs, strict=True):
                cache[p.key] = [o.text for o in outs]
                lines.append(json.dumps({"key": p.key, "samples": cache[p.key]}, ensure_ascii=False) + "\n")
            f.write("".join(lines))
            f.flush()
            os.fsync(f.fileno())
    return cache


@dataclass
class Stats:
    """Counters for the manifest."""

    prompts: int = 0
    all_perfect: int = 0
    no_pair: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    gaps: list[float] = field(default_factory=list)
    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # task -> sample scores


def form_pairs(prompts: Sequence[Prompt], samples: dict[str, list[str]], cfg: FeedbackConfig
               ) -> tuple[list[dict[str, Any]], Stats]:
    """Score every prompt's samples and form its pair; the pair records and the statistics."""
    records, stats = [], Stats()
    for p in prompts:
        texts = samples[p.key]
        scores = [score_answer(t, p.inst) for t in texts]
        stats.prompts += 1
        stats.scores[p.inst.task.value].extend(scores)
        if all(s >= 1.0 for s in scores):
            stats.all_perfect += 1
            continue
        pair = make_pair(texts, scores, p.gold, rng(cfg.seed, "feedback-pair", p.key), cfg.margin, cfg.gold_share)
        if pair is None:
            stats.no_pair += 1
            continue
        stats.kinds[pair.kind] += 1
        stats.gaps.append(pair.gap)
        records.append(pair_record(p, pair, scores))
    return records, stats


def distribution(scores: Iterable[float]) -> dict[str, Any]:
    """Count, mean and a histogram (0, (0, 0.5), [0.5, 1), 1) of sample scores."""
    values = list(scores)
    bins = Counter("0" if s <= 0 else "(0,0.5)" if s < 0.5 else "[0.5,1)" if s < 1 else "1" for s in values)
    return {
        "samples": len(values), "mean": round(sum(values) / len(values), 4) if values else None,
        "histogram": {b: bins.get(b, 0) for b in ("0", "(0,0.5)", "[0.5,1)", "1")},
    }


def build_feedback(
    model: Any, cfg: FeedbackConfig, out: str | Path, *, generator: Any = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Build IEFeedback into folder ``out`` (see the module docstring); the manifest.

    ``model`` is the SFT model spec or directory; ``generator`` (an ``adelie.generate.Generator``) replaces it when
    given. Rerunning with the same config reuses ``samples.jsonl``.
    """
    from adelie.generate import Generator

    cfg.check()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "config.json"
    config_json = json.dumps({"model": str(model), **asdict(cfg)}, indent=2, sort_keys=True) + "\n"
    if config_path.is_file() and config_path.read_text(encoding="utf-8") != config_json:
        raise AdelieError(
            f"{out} holds a feedback build with another model or config (see {config_path}): choose another --out "
            "or remove it"
        )
    write_text(config_path, [config_json])
    prompts = draw_prompts(cfg, progress)
    cache_path = out / "samples.jsonl"
    cached = read_cache(cache_path)
    if any(p.key not in cached for p in prompts):
        generator = generator or Generator(model, None, cfg.generation(), progress=True, dtype=cfg.dtype)
    samples = sample_prompts(generator, prompts, cfg, cache_path) if generator is not None else cached
    records, stats = form_pairs(prompts, samples, cfg)
    write_jsonl(out / "pairs.jsonl", records)
    manifest = {
        "model": str(model),
        "config": asdict(cfg),
        "prompts": stats.prompts,
        "pairs": len(records),
        "pairs_by_kind": {k: stats.kinds.get(k, 0) for k in ("gold_vs_worst", "best_vs_worst")},
        "dropped_all_perfect": stats.all_perfect,
        "dropped_small_gap": stats.no_pair,
        "mean_gap": round(sum(stats.gaps) / len(stats.gaps), 4) if stats.gaps else None,
        "prompts_per_dataset": dict(sorted(Counter(p.dataset for p in prompts).items())),
        "scores_by_task": {t: distribution(s) for t, s in sorted(stats.scores.items())},
    }
    write_text(out / "manifest.json", [json.dumps(manifest, indent=2) + "\n"])
    return manifest
