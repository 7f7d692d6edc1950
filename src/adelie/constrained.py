"""Grammar-constrained decoding with xgrammar: compile an answer grammar, mask each step's logits.

``GrammarEngine(tokenizer, vocab_size, stop_ids)`` compiles the GBNF text of ``IETask.answer_grammar`` (cached by
text) and makes one matcher per decoded row. The decode loop (``adelie._hf_decoding``) masks each step's logits
to the rows' allowed tokens with ``apply`` and tells each matcher the token chosen with ``advance``.
A row whose grammar is complete can only end its turn; a row without a grammar decodes freely in the same batch.

xgrammar was chosen over llguidance, outlines-core and lm-format-enforcer by measurement (BENCHMARKS.md,
"Constrained decoding"): at batch 16 its masks cost 1.7 ms a step (2% of a decoding step of the default model),
llguidance's 1.8 ms with the same apply kernel; xgrammar compiles adelie's GBNF natively (llguidance through a
converter) and is vLLM's default structured-output backend, so both backends read the same grammar the same way.
``benchmarks/constrained.py`` repeats the comparison.
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


def _xgrammar() -> Any:
    try:
        import xgrammar
    except ImportError as exc:  # pragma: no cover - xgrammar is a dependency
        raise AdelieError("constrained decoding needs xgrammar: pip install xgrammar (or use --decoding free)") \
            from exc
    return xgrammar


class GrammarEngine:
    """Compiles answer grammars for one tokenizer and drives per-row matchers (xgrammar)."""

    def __init__(self, tokenizer: Any, vocab_size: int, stop_ids: Sequence[int]) -> None:
        xgr = _xgrammar()
        self.vocab_size = vocab_size
        self.stop_ids = list(stop_ids)
        info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=self.stop_ids)
        # no cache: every instance's grammar is its own (its text), and a compiled one holds 1-20 MB
        self._compiler = xgr.GrammarCompiler(info, max_threads=1, cache_enabled=False)

    @functools.lru_cache(maxsize=16)  # noqa: B019 - one engine per loaded model; n samples share one grammar
    def compile(self, grammar: str) -> Any:
        """The compiled grammar of a GBNF text; GrammarError when it does not compile."""
        try:
            return self._compiler.compile_grammar(grammar)
        except (RuntimeError, ValueError) as exc:
            head = "\n".join(grammar.splitlines()[:3])
            raise GrammarError(f"answer grammar does not compile: {exc}\n{head}") from None

    def matcher(self, compiled: Any) -> Any:
        """A fresh matcher (state at the start of the answer) for a compiled grammar."""
        return _xgrammar().GrammarMatcher(compiled, override_stop_tokens=self.stop_ids)

    def new_mask(self, rows: int) -> Any:
        """A token bitmask for `rows` rows (32 tokens per int32)."""
        return _xgrammar().allocate_token_bitmask(rows, self.vocab_size)

    def apply(self, logits: Any, matchers: Sequence[Any | None], mask: Any) -> None:
        """Mask `logits` in place: each row with a matcher keeps only the tokens its grammar allows next."""
        xgr = _xgrammar()
        rows = [j for j, m in enumerate(matchers) if m is not None]
        if not rows:
            return
        for j in rows:
            matchers[j].fill_next_token_bitmask(mask, j)
        xgr.apply_token_bitmask_inplace(logits, mask[: len(matchers)].to(logits.device),
                                        vocab_size=min(self.vocab_size, logits.shape[-1]), indices=rows)

    @staticmethod
    def advance(matcher: Any, token: int) -> bool:
        """Feed the chosen token to a row's matcher; False when the grammar rejects it (the row must stop)."""
        return bool(matcher.accept_token(token))

    @staticmethod
    def complete(matcher: Any) -> bool:
        """Whether the row's answer could end here (the end of turn is allowed next)."""
        return bool(matcher.is_completed())

    @staticmethod
    def finished(matcher: Any) -> bool:
        """Whether the row's answer is complete and its end of turn accepted."""
        return bool(matcher.is_terminated())
