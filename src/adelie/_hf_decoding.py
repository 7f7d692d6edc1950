"""transformers internals of adelie.generate: one left-padded batch through ``model.generate``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from transformers import GenerationConfig as HFGenerationConfig
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

if TYPE_CHECKING:
    from adelie.generate import GenerationConfig, Output


class LogprobRecorder(LogitsProcessor):
    """Records the log-probability of every generated token under the model's unprocessed logits.

    A logits processor sees the distribution for step t and, at step t + 1, the token chosen at step t; keeping only
    the previous step's log-softmax keeps memory at one (rows x vocabulary) tensor. Must run before temperature and
    top-p, which transformers applies after user processors.
    """

    def __init__(self) -> None:
        self._last: torch.Tensor | None = None
        self._steps: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._last is not None:
            self._steps.append(self._last.gather(1, input_ids[:, -1:]).squeeze(1))
        self._last = torch.log_softmax(scores.float(), dim=-1)
        return scores

    def finish(self, sequences: torch.Tensor) -> torch.Tensor:
        """(rows x generated tokens) log-probabilities, given the final sequences."""
        if self._last is not None:
            self._steps.append(self._last.gather(1, sequences[:, -1:]).squeeze(1))
            self._last = None
        if not self._steps:
            return torch.zeros(sequences.shape[0], 0)
        return torch.stack(self._steps, dim=1).cpu()


class RepetitionGuard(StoppingCriteria):
    """Stops a row whose generated tokens end in one block (period <= ``max_period``) repeated at least
    ``min_repeats`` times over at least ``min_span`` tokens; same rule as ``adelie.generate.repetition_end``.

    Keeps, per row and period p, how many consecutive generated tokens equal the token p positions earlier, so each
    step costs O(rows x max_period). ``fired[row]`` is the number of generated tokens when the row first fired (-1:
    never).
    """

    def __init__(self, prompt_width: int, max_period: int, min_repeats: int, min_span: int) -> None:
        self.prompt_width = prompt_width
        self.max_period = max_period
        periods = torch.arange(1, max_period + 1)
        self._periods = periods
        self._need = torch.clamp(periods * min_repeats, min=min_span) - periods
        self._runs: torch.Tensor | None = None
        self.fired: torch.Tensor | None = None

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        rows, length = input_ids.shape
        generated = length - self.prompt_width
        if self._runs is None:
            self._runs = torch.zeros(rows, self.max_period, dtype=torch.long, device=input_ids.device)
            self.fired = torch.full((rows,), -1, dtype=torch.long, device=input_ids.device)
            self._periods = self._periods.to(input_ids.device)
            self._need = self._need.to(input_ids.device)
        earlier = input_ids[:, max(0, length - 1 - self.max_period) : length - 1].flip(1)  # [:, p-1] = token t-p
        equal = torch.zeros(rows, self.max_period, dtype=torch.bool, device=input_ids.device)
        equal[:, : earlier.shape[1]] = earlier == input_ids[:, -1:]
        equal &= self._periods <= generated - 1  # compare generated tokens only
        self._runs = (self._runs + 1) * equal
        hit = (self._runs >= self._need).any(dim=1)
        self.fired[hit & (self.fired < 0)] = generated
        return hit


def _hf_config(config: GenerationConfig, stop_ids: list[int], pad_id: int) -> HFGenerationConfig:
    sampling = not config.greedy
    extra = {"temperature": config.temperature, "top_p": config.top_p, "top_k": 0, "min_p": 0.0} if sampling else {}
    return HFGenerationConfig(
        max_new_tokens=config.max_new_tokens,
        do_sample=sampling,
        num_return_sequences=config.n if sampling else 1,
        eos_token_id=stop_ids,
        pad_token_id=pad_id,
        repetition_penalty=1.0,
        use_cache=True,
        **extra,
    )


def decode_batch(
    model: Any, tokenizer: Any, prompts: list[list[int]], config: GenerationConfig, stop_ids: list[int]
) -> list[list[Output]]:
    """Generate for one batch of tokenized prompts; per prompt, n outputs (1 when greedy)."""
    from adelie.generate import finish_output

    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop_ids[0]
    width = max(len(p) for p in prompts)
    input_ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in prompts], device=model.device)
    attention_mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompts], device=model.device)
    recorder = LogprobRecorder()
    criteria = StoppingCriteriaList()
    guard = None
    if config.repetition_guard:
        guard = RepetitionGuard(
            width, config.repetition_max_period, config.repetition_min_repeats, config.repetition_min_span
        )
        criteria.append(guard)
    extra = {"stop_strings": list(config.stop), "tokenizer": tokenizer} if config.stop else {}
    with torch.inference_mode():
        sequences = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            generation_config=_hf_config(config, stop_ids, pad_id),
            logits_processor=LogitsProcessorList([recorder]),
            stopping_criteria=criteria,
            **extra,
        )
    logprobs = recorder.finish(sequences).tolist()
    generated = sequences[:, width:].tolist()
    fired = guard.fired.tolist() if guard is not None and guard.fired is not None else [-1] * len(generated)
    stop_set = set(stop_ids)
    per_prompt = len(generated) // len(prompts)
    outputs = [
        finish_output(tokenizer, ids, lps, config, stop_set, f if f > 0 else None)
        for ids, lps, f in zip(generated, logprobs, fired, strict=True)
    ]
    return [outputs[i * per_prompt : (i + 1) * per_prompt] for i in range(len(prompts))]
