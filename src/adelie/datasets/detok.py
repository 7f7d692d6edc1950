"""Token sequences to text: one string plus the character offsets of every token in it."""

from __future__ import annotations

from collections.abc import Sequence

# No space before these tokens ("word ," -> "word,") ...
_ATTACH_LEFT = {",", ".", ":", ";", "!", "?", ")", "]", "}", "%", "''", "'s", "'S", "n't", "N'T", "'re", "'ve",
                "'m", "'ll", "'d", "'RE", "'VE", "'M", "'LL", "'D", "...", "-RRB-", "-RSB-", "-RCB-"}
# ... and none after these ("( word" -> "(word").
_ATTACH_RIGHT = {"(", "[", "{", "$", "``", "#", "-LRB-", "-LSB-", "-LCB-"}


def detokenize(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Join tokens into readable text; return it with each token's (start, end) offsets.

    `text[start:end] == token` holds for every token. Spacing follows English punctuation conventions;
    straight double quotes alternate between opening (no space after) and closing (no space before).
    """
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    pos = 0
    open_quote = False
    prev: str | None = None
    for tok in tokens:
        space = prev is not None and prev != "" and tok != ""
        if space:
            if tok in _ATTACH_LEFT or prev in _ATTACH_RIGHT:
                space = False
            elif tok == '"':
                space = not open_quote  # a closing quote attaches left
            elif prev == '"' and open_quote:
                space = False  # nothing between an opening quote and its first word
        if tok == '"':
            open_quote = not open_quote
        if space:
            parts.append(" ")
            pos += 1
        offsets.append((pos, pos + len(tok)))
        parts.append(tok)
        pos += len(tok)
        prev = tok
    return "".join(parts), offsets
