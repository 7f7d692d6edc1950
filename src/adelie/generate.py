"""Batched decoding for everything in adelie that generates text.

``Generator(model, tokenizer, config).generate(conversations)`` renders each conversation with the tokenizer's chat
template (plus the generation prompt) and returns, per conversation, ``config.n`` ``Output`` objects in input order.
Backends: transformers (always available; batched ``model.generate`` with left padding and a KV cache) and vLLM
(used automatically when it is installed, CUDA is available and the model is given as a spec or path).
"""

from __future__ import annotations

import contextlib
import importlib.util
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from adelie.chat import end_of_turn_ids
from adelie.errors import AdelieError

FinishReason = Literal["stop", "length", "repetition"]
Conversation = list[dict[str, str]]


@dataclass(frozen=True)
class GenerationConfig:
    """Decoding settings.

    ``temperature`` 0 means greedy decoding (then the ``n`` outputs of a prompt are identical copies). Batches hold
    at most ``batch_size`` prompts and, when ``max_batch_tokens`` is set, at most that many tokens counted as
    prompts x n x (longest prompt + max_new_tokens). The repetition guard stops a sequence whose last tokens are one
    block of at most ``repetition_max_period`` tokens repeated at least ``repetition_min_repeats`` times and over at
    least ``repetition_min_span`` tokens. ``stop`` strings end the output (the text excludes them).
    """

    max_new_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    n: int = 1
    seed: int = 0
    batch_size: int = 16
    max_batch_tokens: int | None = None
    repetition_guard: bool = True
    repetition_max_period: int = 64
    repetition_min_repeats: int = 4
    repetition_min_span: int = 48
    stop: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        problems = []
        if self.max_new_tokens < 1:
            problems.append("max_new_tokens must be at least 1")
        if self.temperature < 0:
            problems.append("temperature must be >= 0 (0 = greedy)")
        if not 0 < self.top_p <= 1:
            problems.append("top_p must be in (0, 1]")
        if self.n < 1 or self.batch_size < 1:
            problems.append("n and batch_size must be at least 1")
        if self.max_batch_tokens is not None and self.max_batch_tokens < 1:
            problems.append("max_batch_tokens must be positive")
        if min(self.repetition_max_period, self.repetition_min_repeats, self.repetition_min_span) < 1:
            problems.append("repetition guard settings must be positive")
        if problems:
            raise AdelieError("invalid generation config: " + "; ".join(problems))
        object.__setattr__(self, "stop", tuple([self.stop] if isinstance(self.stop, str) else self.stop))

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass
class Output:
    """One generated answer: the text (without the end-of-turn token or stop string), the generated token ids (the
    end-of-turn token included when the model emitted one), their log-probabilities under the model (before
    temperature and top-p), and why generation ended."""

    text: str
    token_ids: list[int]
    logprobs: list[float]
    finish_reason: FinishReason

    @property
    def num_tokens(self) -> int:
        return len(self.token_ids)

    @property
    def mean_logprob(self) -> float:
        """Average token log-probability (0.0 for an empty output)."""
        return sum(self.logprobs) / len(self.logprobs) if self.logprobs else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "token_ids": self.token_ids,
            "logprobs": self.logprobs,
            "finish_reason": self.finish_reason,
            "num_tokens": self.num_tokens,
        }


def repetition_end(ids: Sequence[int], max_period: int, min_repeats: int, min_span: int) -> int | None:
    """The smallest k such that ``ids[:k]`` ends in a block of period <= ``max_period`` repeated at least
    ``min_repeats`` times over at least ``min_span`` tokens; None when there is none."""
    best: int | None = None
    for period in range(1, max_period + 1):
        need = max(period * min_repeats, min_span) - period  # matches ids[i] == ids[i - period] in a row
        run = 0
        for i in range(period, len(ids) if best is None else min(len(ids), best)):
            run = run + 1 if ids[i] == ids[i - period] else 0
            if run >= need:
                best = i + 1
                break
    return best


def render_prompts(tokenizer: Any, conversations: Sequence[Conversation]) -> list[list[int]]:
    """Token ids of each conversation rendered with the chat template and the generation prompt."""
    prompts = []
    for i, conversation in enumerate(conversations):
        try:
            text = tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=True)
        except Exception as exc:
            raise AdelieError(f"conversation {i} cannot be rendered with the chat template: {exc}") from exc
        prompts.append(tokenizer(text, add_special_tokens=False)["input_ids"])
    return prompts


def plan_batches(lengths: Sequence[int], config: GenerationConfig) -> list[list[int]]:
    """Prompt indices grouped into batches, longest prompts first (so an out-of-memory error comes early)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches:
            batch = batches[-1]
            width = lengths[batch[0]] + config.max_new_tokens
            tokens = (len(batch) + 1) * config.n * width
            if len(batch) < config.batch_size and (
                config.max_batch_tokens is None or tokens <= config.max_batch_tokens
            ):
                batch.append(i)
                continue
        batches.append([i])
    return batches


def cut_at_stop_strings(tokenizer: Any, ids: list[int], stop: Sequence[str]) -> tuple[int, str] | None:
    """``(k, text)`` when the decoded ``ids`` contain a stop string: k is the smallest prefix of ids whose text
    contains it, ``text`` the decoded text before it; None when no stop string occurs."""
    text = tokenizer.decode(ids, skip_special_tokens=True)
    found = [text.find(s) for s in stop if s and s in text]
    if not found:
        return None
    cut = min(found)
    target = text[: cut + 1]  # any prefix reaching past the stop string's first character
    lo, hi = 1, len(ids)
    while lo < hi:
        mid = (lo + hi) // 2
        prefix = tokenizer.decode(ids[:mid], skip_special_tokens=True)
        if len(prefix) > cut and prefix.startswith(target) and any(s in prefix for s in stop if s):
            hi = mid
        else:
            lo = mid + 1
    return lo, text[:cut]


def finish_output(
    tokenizer: Any,
    ids: list[int],
    logprobs: list[float],
    config: GenerationConfig,
    stop_ids: set[int],
    repetition_at: int | None = None,
    default: FinishReason = "length",
) -> Output:
    """Turn raw generated ids into an Output: cut at the first end-of-turn token, at ``repetition_at`` (where the
    repetition guard fired) or at a stop string, whichever comes first."""
    end, reason = len(ids), default
    first_stop = next((i for i, t in enumerate(ids) if t in stop_ids), None)
    if first_stop is not None:
        end, reason = first_stop + 1, "stop"
    if repetition_at is not None and (repetition_at < end or (repetition_at == end and reason == "length")):
        end, reason = repetition_at, "repetition"
    ids, logprobs = ids[:end], logprobs[:end]
    content = ids[:-1] if reason == "stop" and ids and ids[-1] in stop_ids else ids
    cut = cut_at_stop_strings(tokenizer, content, config.stop) if config.stop else None
    if cut is not None:
        k, text = cut
        return Output(text, ids[:k], logprobs[:k], "stop")
    return Output(tokenizer.decode(content, skip_special_tokens=True), ids, logprobs, reason)


class Generator:
    """Batched generation for chat conversations; see ``generate``.

    ``model`` is a loaded transformers model, or a model spec / path (then the model is loaded here, in ``dtype``
    (see ``adelie.models.load_model``; "auto" = bf16 where the hardware computes it natively), and the vLLM
    backend can be used). ``backend``: ``auto`` (vLLM when importable, CUDA is available and ``model`` is a spec),
    ``transformers`` or ``vllm``.
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any = None,
        config: GenerationConfig | None = None,
        *,
        backend: Literal["auto", "transformers", "vllm"] = "auto",
        progress: bool = True,
        trust_remote_code: bool = False,
        dtype: Any = None,
    ) -> None:
        from adelie.models import load_model, load_tokenizer

        self.config = config or GenerationConfig()
        self.progress = progress
        is_spec = isinstance(model, str | Path)
        if backend == "auto":
            backend = "vllm" if is_spec and vllm_available() else "transformers"
        if backend not in ("transformers", "vllm"):
            raise AdelieError(f"unknown generation backend {backend!r}: use auto, transformers or vllm")
        if backend == "vllm" and not is_spec:
            raise AdelieError("the vllm backend needs a model path or spec: save the model and pass its directory")
        self.backend = backend
        if is_spec and backend == "transformers":
            loaded, own_tokenizer = load_model(model, trust_remote_code=trust_remote_code, dtype=dtype)
            model, tokenizer = loaded, tokenizer or own_tokenizer
        elif tokenizer is None:
            if not is_spec:
                raise AdelieError("Generator needs the tokenizer of the model it is given")
            tokenizer = load_tokenizer(model, trust_remote_code=trust_remote_code)
        self.tokenizer = tokenizer
        self._grammars: Any = None
        if backend == "vllm":
            from adelie.vllm_backend import VLLMBackend

            self._engine: Any = VLLMBackend(model, tokenizer, self.config, trust_remote_code=trust_remote_code)
            self.model = None
        else:
            self.model = model
            self._engine = None

    def generate(
        self, conversations: Sequence[Conversation], config: GenerationConfig | None = None,
        grammars: Sequence[str | None] | None = None,
    ) -> list[list[Output]]:
        """``config.n`` outputs for each conversation, in input order (``config`` overrides the generator's).

        ``grammars``: per conversation, the GBNF text its answer must follow (``IETask.answer_grammar``), or None
        to decode it freely; rows with and without grammars share batches."""
        config = config or self.config
        if not conversations:
            return []
        if grammars is not None and len(grammars) != len(conversations):
            raise AdelieError(f"{len(grammars)} grammars for {len(conversations)} conversations")
        prompts = render_prompts(self.tokenizer, conversations)
        if self._engine is not None:
            return self._engine.generate(prompts, config, progress=self.progress, grammars=grammars)
        compiled = None
        if grammars is not None and any(g is not None for g in grammars):
            engine = self.grammar_engine()
            compiled = [engine.compile(g) if g is not None else None for g in grammars]
        return _generate_transformers(self.model, self.tokenizer, prompts, config, self.progress, compiled,
                                      self._grammars)

    def grammar_engine(self) -> Any:
        """The `adelie.constrained.GrammarEngine` of this model's tokenizer (made on first use)."""
        if self._grammars is None:
            from adelie.constrained import GrammarEngine

            stop_ids = end_of_turn_ids(self.tokenizer, self.model.generation_config.eos_token_id)
            vocab = max(int(self.model.config.vocab_size), len(self.tokenizer))
            self._grammars = GrammarEngine(self.tokenizer, vocab, stop_ids)
        return self._grammars


def vllm_available() -> bool:
    """Whether vLLM is installed and a CUDA device is available."""
    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


@contextlib.contextmanager
def _seeded(seed: int, device: Any) -> Iterator[None]:
    """Seed torch for the block without disturbing the caller's random state."""
    import torch

    devices = [device] if getattr(device, "type", "cpu") == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _generate_transformers(
    model: Any, tokenizer: Any, prompts: list[list[int]], config: GenerationConfig, progress: bool,
    grammars: list[Any] | None = None, engine: Any = None,
) -> list[list[Output]]:
    from tqdm.auto import tqdm

    from adelie._hf_decoding import decode_batch

    limit = getattr(model.config, "max_position_embeddings", None)
    for i, prompt in enumerate(prompts):
        if limit and len(prompt) >= limit:
            raise AdelieError(f"conversation {i} is {len(prompt)} tokens long: the model handles at most {limit}")
    stop_ids = end_of_turn_ids(tokenizer, model.generation_config.eos_token_id)
    results: list[list[Output]] = [[] for _ in prompts]
    bar = tqdm(total=len(prompts), unit="prompt", desc="generating", disable=not progress)
    start, n_tokens = time.perf_counter(), 0
    was_training = model.training
    model.eval()  # no dropout while decoding; restored below
    with _seeded(config.seed, model.device), bar, _restore_mode(model, was_training):
        for batch in plan_batches([len(p) for p in prompts], config):
            outputs = decode_batch(model, tokenizer, [prompts[i] for i in batch], config, stop_ids,
                                   [grammars[i] for i in batch] if grammars is not None else None, engine)
            for i, outs in zip(batch, outputs, strict=True):
                results[i] = outs if not config.greedy else [_copy(outs[0]) for _ in range(config.n)]
                n_tokens += sum(o.num_tokens for o in outs)
            elapsed = max(time.perf_counter() - start, 1e-9)
            bar.update(len(batch))
            bar.set_postfix(prompts_s=f"{bar.n / elapsed:.2f}", tokens_s=f"{n_tokens / elapsed:.1f}")
    return results


@contextlib.contextmanager
def _restore_mode(model: Any, training: bool) -> Iterator[None]:
    try:
        yield
    finally:
        model.train(training)


def _copy(output: Output) -> Output:
    return Output(output.text, list(output.token_ids), list(output.logprobs), output.finish_reason)
