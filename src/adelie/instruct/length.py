"""Record length in tokens of the target model's tokenizer, and fitting records under a limit.

A conversation's length is the sum of its messages' token counts plus the chat template's overhead (the
tokens it adds per message and once per conversation, measured from the tokenizer's own template). Message
texts are tokenized once each (demonstrations repeat), so counting a whole corpus takes seconds. The count can
differ from tokenizing the rendered conversation by a token per message where tokens merge across a boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adelie.errors import AdelieError

Message = dict[str, str]


class TokenCounter:
    """Counts tokens of conversations with one tokenizer."""

    def __init__(self, tokenizer: Any, name: str = "") -> None:
        self.tokenizer = tokenizer
        self.name = name
        self._cache: dict[str, int] = {}
        self.base, self.per_message = self._overhead()

    def texts(self, texts: Sequence[str]) -> list[int]:
        """Token counts of `texts` (without special tokens), cached."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for i in range(0, len(todo), 1024):
            batch = todo[i:i + 1024]
            ids = self.tokenizer(batch, add_special_tokens=False)["input_ids"]
            self._cache.update(zip(batch, map(len, ids), strict=True))
        return [self._cache[t] for t in texts]

    def conversation(self, messages: Sequence[Message]) -> int:
        """Tokens of a whole conversation as the chat template lays it out."""
        return self.base + sum(self.per_message + n for n in self.texts([m["content"] for m in messages]))

    def _overhead(self) -> tuple[int, int]:
        if not getattr(self.tokenizer, "chat_template", None):
            return 0, 0
        a, b = "Hello there.", "Hi."
        short = [{"role": "user", "content": a}, {"role": "assistant", "content": b}]
        n_content = sum(self.texts([a, b]))
        two = self._rendered(short) - n_content
        four = self._rendered(short + short) - 2 * n_content
        per = max(0, (four - two) // 2)
        return max(0, two - 2 * per), per

    def _rendered(self, messages: list[Message]) -> int:
        text = self.tokenizer.apply_chat_template(messages, tokenize=False)
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


def load_counter(spec: str | None) -> TokenCounter | None:
    """A counter for the tokenizer of model `spec` ("default", a model directory or hub name); None for None."""
    if spec is None:
        return None
    from adelie.models import load_tokenizer

    try:
        return TokenCounter(load_tokenizer(spec), str(spec))
    except AdelieError:
        raise
    except Exception as exc:  # tokenizers raise many kinds on a bad directory
        raise AdelieError(f"cannot load the tokenizer {spec!r} for the length limit: {exc}") from exc


def fit(
    counter: TokenCounter | None, demos: list[list[Message]], query: list[Message], max_tokens: int
) -> tuple[list[list[Message]], int | None]:
    """Drop the earliest demonstrations until the conversation fits; (kept demonstrations, length), length None
    when even the query alone is too long (or no counter: (demos, None) unchanged)."""
    if counter is None:
        return demos, None
    while True:
        n = counter.conversation([m for d in demos for m in d] + query)
        if n <= max_tokens:
            return demos, n
        if not demos:
            return demos, None
        demos = demos[1:]


def percentiles(values: Sequence[int], points: Sequence[int] = (50, 90, 95, 99)) -> dict[str, float]:
    """Nearest-rank percentiles, mean and max of `values` (empty dict for no values)."""
    if not values:
        return {}
    ordered = sorted(values)
    out: dict[str, float] = {}
    for p in points:
        rank = max(1, -(-p * len(ordered) // 100))
        out[f"p{p}"] = ordered[rank - 1]
    out["max"] = ordered[-1]
    out["mean"] = round(sum(ordered) / len(ordered), 1)
    return out
