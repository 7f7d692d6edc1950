"""transformers internals of adelie.generate: one left-padded batch decoded with a KV cache.

The loop is ours rather than ``model.generate`` for one reason: a row that has finished (end of turn, repetition,
stop string) leaves the batch at once, its cache rows dropped, so the rest of the batch no longer pays for it. With
IE answers of very different lengths (``NA`` next to a forty-item entity list) most of a padded batch's steps were
spent on finished rows. Sampling follows transformers' semantics: temperature, then top-p over the tempered
distribution; the recorded log-probabilities are those of the unprocessed logits.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import torch
from transformers import DynamicCache

if TYPE_CHECKING:
    from adelie.constrained import GrammarEngine
    from adelie.generate import GenerationConfig, Output


ITEM_REPEATS = 3  # constrained rows: a block repeated this many times ...
ITEM_SPAN = 12  # ... over at least this many tokens ends the row


class RepetitionGuard:
    """Stops a row whose generated tokens end in one block (period <= ``max_period``) repeated at least
    ``min_repeats`` times over at least ``min_span`` tokens; same rule as ``adelie.generate.repetition_end``.

    Keeps, per row and period p, how many consecutive generated tokens equal the token p positions earlier, so each
    step costs O(rows x max_period). ``fired[row]`` is the number of generated tokens when the row first fired (-1:
    never). Call it with the full sequences (prompt width + generated tokens) after each step.
    """

    def __init__(self, prompt_width: int, max_period: int, min_repeats: int, min_span: int) -> None:
        self.prompt_width = prompt_width
        self.max_period = max_period
        periods = torch.arange(1, max_period + 1)
        self._periods = periods
        self._need = torch.clamp(periods * min_repeats, min=min_span) - periods
        self._runs: torch.Tensor | None = None
        self.fired: torch.Tensor | None = None

    def __call__(self, input_ids: torch.Tensor, scores: Any = None, **kwargs: Any) -> torch.Tensor:
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

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the rows ``keep`` (rows that left the batch are forgotten)."""
        if self._runs is not None and self.fired is not None:
            self._runs, self.fired = self._runs[keep], self.fired[keep]


def _next_tokens(logits: torch.Tensor, config: GenerationConfig) -> torch.Tensor:
    """Greedy argmax, or a sample after temperature and top-p (nucleus) filtering."""
    if config.greedy:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits / config.temperature, dim=-1)
    if config.top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        outside = sorted_probs.cumsum(dim=-1) - sorted_probs > config.top_p  # the first token always stays
        sorted_probs = sorted_probs.masked_fill(outside, 0.0)
        probs = torch.zeros_like(probs).scatter(-1, order, sorted_probs)
    return torch.multinomial(probs, 1).squeeze(-1)


def _hits_stop_string(tokenizer: Any, ids: list[int], stop: tuple[str, ...], longest: int) -> bool:
    """Whether the decoded tail of ``ids`` (enough tokens to hold the longest stop string) contains one."""
    tail = tokenizer.decode(ids[-(longest + 4):], skip_special_tokens=True)
    return any(s and s in tail for s in stop)


def _cache_keyword(model: Any) -> str:
    """``cache`` in recent transformers, ``past_key_values`` before it was renamed."""
    return "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"


def decode_batch(
    model: Any, tokenizer: Any, prompts: list[list[int]], config: GenerationConfig, stop_ids: list[int],
    grammars: list[Any] | None = None, engine: GrammarEngine | None = None,
) -> list[list[Output]]:
    """Generate for one batch of tokenized prompts; per prompt, n outputs (1 when greedy). `grammars` holds a
    compiled answer grammar (or None: free) per prompt, `engine` the `GrammarEngine` that compiled them; every
    row with a grammar can only write what its grammar allows, and ends when it is complete."""
    from adelie.generate import Output, finish_output

    per_prompt = 1 if config.greedy else config.n
    rows = [p for p in prompts for _ in range(per_prompt)]
    matchers: list[Any] = [None] * len(rows)
    if grammars is not None and engine is not None and any(g is not None for g in grammars):
        matchers = [engine.matcher(g) if g is not None else None for g in grammars for _ in range(per_prompt)]
    constrained = engine is not None and any(m is not None for m in matchers)
    matchers_all = list(matchers)  # per original row (the active list shrinks as rows finish)
    complete = [False] * len(rows)  # rows whose grammar finished (they end as if the end of turn came next)
    ok_at: list[list[int]] = [[] for _ in rows]  # generated-token counts at which a constrained answer was complete
    bitmask = engine.new_mask(len(rows)) if constrained and engine is not None else None
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else stop_ids[0]
    width = max(len(p) for p in rows)
    device = model.device
    input_ids = torch.tensor([[pad_id] * (width - len(p)) + p for p in rows], device=device)
    mask = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in rows], device=device)
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    guard = (
        RepetitionGuard(width, config.repetition_max_period, config.repetition_min_repeats, config.repetition_min_span)
        if config.repetition_guard else None
    )
    stop_set = set(stop_ids)
    stop_tensor = torch.tensor(sorted(stop_set), device=device)
    longest_stop = max((len(tokenizer.encode(s, add_special_tokens=False)) for s in config.stop if s), default=0)
    generated: list[list[int]] = [[] for _ in rows]
    logprobs: list[list[float]] = [[] for _ in rows]
    fired: list[int] = [-1] * len(rows)
    active = torch.arange(len(rows), device=device)  # original row of each row still in the batch
    # A constrained row can only loop by repeating items (`x: a; x: a; ...`), which add nothing: it stops at the
    # third repeat of a block of at least 4 tokens instead of running to the free rows' threshold.
    tight = (
        RepetitionGuard(width, config.repetition_max_period, ITEM_REPEATS, ITEM_SPAN)
        if config.repetition_guard and constrained else None
    )
    has_grammar = torch.tensor([m is not None for m in matchers], device=device)
    history = input_ids  # the active rows' full sequences, for the repetition guard
    cache = DynamicCache(config=model.config)
    kv = {_cache_keyword(model): cache}
    with torch.inference_mode():
        logits = model(input_ids=input_ids, attention_mask=mask, position_ids=positions, use_cache=True,
                       logits_to_keep=1, **kv).logits[:, -1, :].float()
        positions = positions[:, -1:]
        for step in range(config.max_new_tokens):
            raw = logits
            if constrained and engine is not None:
                logits = logits.clone()
                engine.apply(logits, matchers, bitmask)
            token = _next_tokens(logits, config)
            token_lp = torch.log_softmax(raw, dim=-1).gather(1, token[:, None]).squeeze(1)
            history = torch.cat([history, token[:, None]], dim=1)
            done = torch.isin(token, stop_tensor)
            if constrained:
                for j, (row, m, t) in enumerate(zip(active.tolist(), matchers, token.tolist(), strict=True)):
                    if m is None or done[j]:
                        continue
                    if not engine.advance(m, t):
                        done[j] = True  # cannot happen while the mask holds; the row stops, cut
                    elif engine.finished(m):  # the answer is complete: only the end of turn could follow
                        done[j] = complete[row] = True
                    elif engine.complete(m):
                        ok_at[row].append(len(generated[row]) + 1)  # this step's token is appended below
            if guard is not None:
                hit = guard(history)
                if tight is not None:  # only once the row has a complete answer to fall back on
                    some = torch.tensor([bool(ok_at[r]) for r in active.tolist()], device=device)
                    hit |= tight(history) & has_grammar & some
                done |= hit
            for j, (row, t, lp) in enumerate(zip(active.tolist(), token.tolist(), token_lp.tolist(), strict=True)):
                generated[row].append(t)
                logprobs[row].append(lp)
                if guard is not None and fired[row] < 0 and guard.fired[j] >= 0:
                    fired[row] = int(guard.fired[j])
                if tight is not None and fired[row] < 0 and has_grammar[j] and hit[j] and tight.fired[j] >= 0:
                    fired[row] = len(generated[row])  # it fired now (its own record may predate a complete point)
                if config.stop and not done[j] and _hits_stop_string(tokenizer, generated[row], config.stop,
                                                                     longest_stop):
                    done[j] = True
            if step + 1 == config.max_new_tokens or bool(done.all()):
                break
            if bool(done.any()):
                keep = (~done).nonzero().squeeze(1)
                cache.batch_select_indices(keep)
                active, token, mask, positions, history = (
                    active[keep], token[keep], mask[keep], positions[keep], history[keep])
                matchers = [matchers[k] for k in keep.tolist()]
                if guard is not None:
                    guard.select(keep)
                if tight is not None:
                    tight.select(keep)
                has_grammar = has_grammar[keep]
            mask = torch.cat([mask, mask.new_ones(mask.shape[0], 1)], dim=1)
            positions = positions + 1
            logits = model(input_ids=token[:, None], attention_mask=mask, position_ids=positions,
                           use_cache=True, **kv).logits[:, -1, :].float()
    outputs = [
        finish_output(tokenizer, ids, lps, config, stop_set, f if f > 0 else None, "stop" if done_ok else "length")
        for ids, lps, f, done_ok in zip(generated, logprobs, fired, complete, strict=True)
    ]
    for k, out in enumerate(outputs):
        # a constrained answer cut by the budget or the repetition guard ends at its last complete point (after
        # its last whole item), so it still parses and holds no half-written label or span
        ok = max((n for n in ok_at[k] if n <= out.num_tokens), default=0)
        if matchers_all[k] is not None and out.finish_reason != "stop" and 0 < ok < out.num_tokens:
            ids = out.token_ids[:ok]
            outputs[k] = Output(tokenizer.decode(ids, skip_special_tokens=True), ids, out.logprobs[:ok],
                                out.finish_reason)
    return [outputs[i * per_prompt : (i + 1) * per_prompt] for i in range(len(prompts))]
