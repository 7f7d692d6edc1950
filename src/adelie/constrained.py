"""Grammar-constrained decoding with llguidance: compile an answer grammar, mask each step's logits.

``GrammarEngine(tokenizer, vocab_size, stop_ids)`` compiles the GBNF text of ``IETask.answer_grammar`` (cached by
text) and makes one matcher per decoded row. The decode loop (``adelie._hf_decoding``) asks ``fill`` for the
rows' allowed tokens, masks the logits with ``apply``, and tells each matcher the token chosen with ``advance``.
A row whose grammar is complete can only end its turn; a row without a grammar decodes freely in the same batch.

llguidance was chosen over xgrammar, outlines-core and lm-format-enforcer by measurement (BENCHMARKS.md,
"Constrained decoding": the same mask cost as xgrammar at batch 16, without the 1 GB triton package xgrammar pulls
into a CPU install); ``benchmarks/constrained.py`` repeats the comparison. The grammar text is GBNF (what vLLM's
structured outputs and xgrammar take), converted with llguidance's own ``gbnf_to_lark``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Literal

from adelie.errors import AdelieError

Decoding = Literal["constrained", "free"]
DECODINGS: tuple[Decoding, ...] = ("constrained", "free")


class GrammarError(AdelieError):
    """An answer grammar that does not compile (a bug in the task's grammar, named with its first lines)."""


def check_decoding(value: str, where: str = "decoding") -> Decoding:
    """`value` when it is a decoding mode, else an AdelieError naming `where` and the modes."""
    if value not in DECODINGS:
        raise AdelieError(f"unknown {where} {value!r}: use {' or '.join(DECODINGS)}")
    return value  # type: ignore[return-value]


def _llguidance() -> Any:
    try:
        import llguidance
        import llguidance.hf
        from llguidance.gbnf_to_lark import gbnf_to_lark
    except ImportError as exc:  # pragma: no cover - llguidance is a dependency
        raise AdelieError("constrained decoding needs llguidance: pip install llguidance (or use --decoding free)") \
            from exc
    return llguidance, llguidance.hf, gbnf_to_lark


class GrammarEngine:
    """Compiles answer grammars for one tokenizer and drives per-row matchers (llguidance)."""

    def __init__(self, tokenizer: Any, vocab_size: int, stop_ids: Sequence[int]) -> None:
        _, hf, _ = _llguidance()
        self.vocab_size = vocab_size
        self.stop_ids = list(stop_ids)
        self._tokenizer = hf.from_tokenizer(tokenizer, n_vocab=vocab_size, eos_token=self.stop_ids)
        self._bits = torch_arange_bits()

    @functools.lru_cache(maxsize=64)  # noqa: B019 - one engine per loaded model, kept as long as the model
    def compile(self, grammar: str) -> Any:
        """A matcher at the start of the answer for a GBNF text (copied for each row); GrammarError when the
        grammar does not compile."""
        llg, _, gbnf_to_lark = _llguidance()
        try:
            lark = gbnf_to_lark(grammar)
        except Exception as exc:  # the converter raises plain exceptions on syntax errors
            raise GrammarError(f"answer grammar does not compile: {exc}\n{_head(grammar)}") from None
        matcher = llg.LLMatcher(self._tokenizer, lark, log_level=0)
        if matcher.is_error():
            raise GrammarError(f"answer grammar does not compile: {matcher.get_error()}\n{_head(grammar)}")
        return matcher

    def matcher(self, compiled: Any) -> Any:
        """A fresh matcher (state at the start of the answer) for a compiled grammar."""
        return compiled.deep_copy()

    def new_mask(self, rows: int) -> Any:
        """A token bitmask for `rows` rows (32 tokens per int32)."""
        import torch

        return torch.full((rows, (self.vocab_size + 31) // 32), -1, dtype=torch.int32)

    def apply(self, logits: Any, matchers: Sequence[Any | None], mask: Any) -> None:
        """Mask `logits` in place: each row with a matcher keeps only the tokens its grammar allows next."""
        from llguidance.torch import fill_next_token_bitmask

        rows = [j for j, m in enumerate(matchers) if m is not None]
        if not rows:
            return
        for j in rows:
            fill_next_token_bitmask(matchers[j], mask, j)
        index = torch_index(rows, logits.device)
        words = mask[rows].to(logits.device)
        allowed = ((words.unsqueeze(-1) >> self._bits.to(logits.device)) & 1).bool().flatten(1)
        width = min(allowed.shape[1], logits.shape[-1])
        sub = logits.index_select(0, index)
        sub[:, :width].masked_fill_(~allowed[:, :width], float("-inf"))
        sub[:, width:] = float("-inf")
        logits.index_copy_(0, index, sub)

    @staticmethod
    def advance(matcher: Any, token: int) -> bool:
        """Feed the chosen token to a row's matcher; False when the grammar rejects it (the row must stop)."""
        return bool(matcher.consume_token(token)) and not matcher.is_error()

    @staticmethod
    def finished(matcher: Any) -> bool:
        """Whether the row's answer is complete: nothing but the end of turn may follow (the row can stop without
        decoding it)."""
        return bool(matcher.is_stopped())


def torch_arange_bits() -> Any:
    import torch

    return torch.arange(32, dtype=torch.int32)


def torch_index(rows: list[int], device: Any) -> Any:
    import torch

    return torch.tensor(rows, dtype=torch.long, device=device)


def _head(grammar: str) -> str:
    return "\n".join(grammar.splitlines()[:3])
