"""vLLM backend of adelie.generate (used when vLLM is installed and CUDA is available; not tested on CPU).

Prompts are rendered and tokenized by adelie (same chat template as the transformers backend) and passed to
``vllm.LLM.generate`` as token ids. vLLM has no per-step hook for the repetition guard, so it is applied afterwards:
a looping output is cut where the loop became long enough, with finish reason ``repetition``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adelie.chat import end_of_turn_ids
from adelie.errors import AdelieError
from adelie.generate import GenerationConfig, Output, repetition_end


class VLLMBackend:
    """A ``vllm.LLM`` for one model directory (or hub name)."""

    def __init__(self, spec: str | Path, tokenizer: Any, config: GenerationConfig, *, trust_remote_code: bool = False):
        try:
            from vllm import LLM
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise AdelieError("the vllm backend needs vLLM: pip install vllm (CUDA only)") from exc
        import torch

        from adelie.models import resolve_model

        source = str(resolve_model(spec))
        self.tokenizer = tokenizer
        bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        dtype = "bfloat16" if bf16 else "float16"  # as adelie.models.load_model on CUDA
        self.llm = LLM(
            model=source, tokenizer=source, dtype=dtype, seed=config.seed, trust_remote_code=trust_remote_code
        )
        self.stop_ids = end_of_turn_ids(tokenizer)  # vLLM adds the model's own eos ids itself

    def generate(
        self, prompts: list[list[int]], config: GenerationConfig, *, progress: bool = True,
        grammars: Sequence[str | None] | None = None,
    ) -> list[list[Output]]:
        """``config.n`` outputs per tokenized prompt, in input order (vLLM schedules batches itself). ``grammars``
        (GBNF text or None per prompt) go to vLLM's structured outputs."""
        from vllm import SamplingParams

        base = dict(
            n=1 if config.greedy else config.n,  # greedy samples are identical: decode once, copy below
            temperature=config.temperature,
            top_p=config.top_p if not config.greedy else 1.0,
            seed=config.seed,
            max_tokens=config.max_new_tokens,
            stop=list(config.stop) or None,
            stop_token_ids=self.stop_ids,
            logprobs=1,
            skip_special_tokens=True,
        )
        per_prompt = [
            SamplingParams(**base, **_structured(g)) if g is not None else SamplingParams(**base)
            for g in (grammars if grammars is not None else [None] * len(prompts))
        ]
        requests = [{"prompt_token_ids": ids} for ids in prompts]
        results = self.llm.generate(requests, per_prompt, use_tqdm=progress)
        outputs = [[self._output(c, config) for c in r.outputs] for r in results]
        if config.greedy:
            outputs = [
                [Output(o.text, list(o.token_ids), list(o.logprobs), o.finish_reason) for _ in range(config.n)]
                for (o,) in outputs
            ]
        return outputs

    def _output(self, completion: Any, config: GenerationConfig) -> Output:
        ids = list(completion.token_ids)
        logprobs = [
            step[tid].logprob if step and tid in step else float("nan")
            for tid, step in zip(ids, completion.logprobs or [None] * len(ids), strict=False)
        ]
        at = None
        if config.repetition_guard:
            at = repetition_end(
                ids, config.repetition_max_period, config.repetition_min_repeats, config.repetition_min_span
            )
        if at is not None and (at < len(ids) or completion.finish_reason == "length"):
            text = self.tokenizer.decode(ids[:at], skip_special_tokens=True)
            return Output(text, ids[:at], logprobs[:at], "repetition")
        return Output(completion.text, ids, logprobs, "stop" if completion.finish_reason == "stop" else "length")


def _structured(grammar: str) -> dict[str, Any]:
    """The SamplingParams keyword that makes vLLM follow a GBNF grammar (its name changed across versions)."""
    try:
        from vllm.sampling_params import StructuredOutputsParams

        return {"structured_outputs": StructuredOutputsParams(grammar=grammar)}
    except ImportError:  # vLLM before structured_outputs (0.10 and earlier)
        from vllm.sampling_params import GuidedDecodingParams

        return {"guided_decoding": GuidedDecodingParams(grammar=grammar)}
