"""Answer grammars: for one instance, the context-free grammar of every well-formed answer.

A grammar is written in GBNF (`root ::= ...`, llama.cpp's dialect), which xgrammar compiles, vLLM's structured
outputs accept and llguidance reads (through its `gbnf_to_lark`). Task modules build theirs from three pieces:

* `GrammarBuilder.spans(text, ...)`: any substring of the instance's text that starts on a word (CJK, Thai and
  similar scripts: on a character) and ends on one or on closing punctuation, copied exactly. It is a chain of
  rules over the text's tokens (`s7_3 ::= "word" ( " " s8_2 )?`: token 7, at most 3 more tokens), one rule per
  token and remaining length in a sentence-sized text, one rule per token (spans bounded by the sentence) in a
  document, so the grammar grows linearly with the text; repeated mentions are simply several ways to derive
  the same string. A token holding one of the field's delimiters, a line break and a sentence end stop a span.
* `GrammarBuilder.choice(strings)`: exactly one of the offered labels, written as the renderer writes it.
* `answer(body, explanation)`: `[Answer]: ` + body, after an optional `[Explanation]: ...` line.

Nothing here knows a decoding library; `adelie.constrained` compiles the text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import regex

from adelie.tasks.formats import ANSWER_MARK, EXPLANATION_MARK, dumps

# Scripts written without spaces between words: every character is a token of its own.
_CHAR_SCRIPTS = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_TOKEN_RE = regex.compile(
    rf"(?P<char>[{_CHAR_SCRIPTS}]\p{{M}}*)"  # one CJK-like character (with its combining marks)
    rf"|(?P<word>(?:(?![{_CHAR_SCRIPTS}])[\w\p{{M}}])+)"  # a run of letters, digits and combining marks
    r"|(?P<other>\S\p{M}*)"  # any other visible character (punctuation, symbols, emoji)
)
_NO_END = "([{<\"'“‘«„,;:-–—/&=|\\"  # tokens a span does not end on
_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
MAX_SPAN_TOKENS = 16  # default: a span is at most this many text tokens (words, CJK characters, punctuation)
BOUNDED_RULES = 2000  # spans are bounded in tokens while that takes at most this many rules (see `spans`)
MAX_COLUMNS = 8  # on-demand tables: at most this many columns
MAX_CELL_CHARS = 200  # on-demand tables: at most this many characters in a cell


def lit(s: str) -> str:
    """`s` as a grammar string literal (quotes, backslashes and control characters escaped)."""
    out = []
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ch in "\x7f\x85":
            out.append(f"\\x{ord(ch):02x}")
        elif ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def json_inner(s: str) -> str:
    """The characters of `s` inside a JSON string literal, as adelie writes JSON (`formats.dumps`)."""
    return dumps(s)[1:-1]


def text_tokens(text: str) -> list[tuple[int, int, str]]:
    """The tokens spans are made of: `(start, end, kind)` with kind `word`, `char` or `other`."""
    return [(m.start(), m.end(), m.lastgroup or "other") for m in _TOKEN_RE.finditer(text)]


class GrammarBuilder:
    """Collects named rules and writes the grammar text. Rule names are made unique per builder."""

    def __init__(self) -> None:
        self._rules: dict[str, str] = {}
        self._cache: dict[tuple[object, ...], str] = {}

    def rule(self, name: str, body: str) -> str:
        """Add `name ::= body` (a fresh name when taken) and return the name used."""
        base, n = name, 1
        while name in self._rules:
            n += 1
            name = f"{base}{n}"
        self._rules[name] = body
        return name

    def choice(self, strings: Iterable[str], name: str = "label") -> str | None:
        """A rule matching exactly one of `strings` (kept in order, without repeats); None when there are
        none."""
        options = list(dict.fromkeys(s for s in strings if s))
        if not options:
            return None
        key = ("choice", name, tuple(options))
        if key not in self._cache:
            self._cache[key] = self.rule(name, " | ".join(lit(s) for s in options))
        return self._cache[key]

    def spans(
        self, text: str, unsafe: str = "", json: bool = False, name: str = "span", max_tokens: int = 0
    ) -> str | None:
        """A rule matching any substring of `text` that starts with a word (or CJK-like character) token, ends
        with one or with closing punctuation, holds no character of `unsafe`, no line break and no sentence end,
        and is at most `max_tokens` tokens long (default `MAX_SPAN_TOKENS`; in a text long enough for that to take
        more than `BOUNDED_RULES` rules, spans of up to `max_tokens` tokens and some up to a quarter longer, see
        `_window_chains`); JSON-escaped when `json`. None when the text has no such span."""
        max_tokens = max_tokens or MAX_SPAN_TOKENS
        key = ("spans", text, unsafe, json, name, max_tokens)
        if key in self._cache:
            return self._cache[key]
        toks = text_tokens(text)
        bad = [any(c in unsafe for c in text[s:e]) for s, e, _ in toks]
        word = [kind != "other" and not b for (_, _, kind), b in zip(toks, bad, strict=True)]
        # a span may also end on closing punctuation (`Jr.`, `(UK)`, `50%`), never on an opening one or a comma
        end = [w or (not b and text[s:e][0] not in _NO_END) for w, b, (s, e, _) in zip(word, bad, toks, strict=True)]
        link = [i + 1 < len(toks) and not bad[i] and not bad[i + 1] and not _sentence_break(text, toks, i)
                for i in range(len(toks))]
        enc = json_inner if json else (lambda s: s)
        prefix = f"{name}_{len(self._cache)}_"
        if len(toks) * max_tokens <= BOUNDED_RULES:
            starts = self._bounded_chain(prefix, text, toks, enc, word, end, link, bad, max_tokens)
        else:
            starts = self._window_chains(prefix, text, toks, enc, word, end, link, bad, max_tokens)
        self._cache[key] = self.rule(name, " | ".join(starts)) if starts else None
        return self._cache[key]

    def _link_body(self, here: str, gap: str | None, nxt: str | None, can_end: bool) -> str:
        more = None if nxt is None else (f"{gap} {nxt}" if gap else nxt)
        if can_end and more:
            return f"{here} ( {more} )?"
        return f"{here} {more}" if more else here

    def _bounded_chain(self, prefix: str, text: str, toks: list[tuple[int, int, str]], enc: Any, word: list[bool],
                       end: list[bool], link: list[bool], bad: list[bool], depth: int) -> list[str]:
        """Rules `{prefix}{i}_{k}`: a span from token i with at most k more tokens (text tokens x depth rules)."""
        alive = [[False] * depth for _ in toks] + [[False] * depth]
        for i in range(len(toks) - 1, -1, -1):
            for k in range(depth):
                alive[i][k] = not bad[i] and (end[i] or (k > 0 and link[i] and alive[i + 1][k - 1]))
        for i, (s, e, _) in enumerate(toks):
            for k in range(depth):
                if alive[i][k]:
                    go = k > 0 and link[i] and alive[i + 1][k - 1]
                    gap = lit(enc(text[e : toks[i + 1][0]])) if go and text[e : toks[i + 1][0]] else None
                    self._rules[f"{prefix}{i}_{k}"] = self._link_body(
                        lit(enc(text[s:e])), gap, f"{prefix}{i + 1}_{k - 1}" if go else None, end[i])
        return [f"{prefix}{i}_{depth - 1}" for i in range(len(toks)) if word[i] and alive[i][depth - 1]]

    def _window_chains(self, prefix: str, text: str, toks: list[tuple[int, int, str]], enc: Any, word: list[bool],
                       end: list[bool], link: list[bool], bad: list[bool], bound: int) -> list[str]:
        """For a long text: overlapping windows of `bound + step` tokens every `step = bound // 4` tokens, each an
        unbounded chain `{prefix}w{start}_{i}` whose spans start in the window's first `step` tokens. Every span of
        up to `bound` tokens lies in one window, none is longer than `bound + step - 1`, and the rules number
        about 5 per text token (instead of `bound` per token)."""
        step = max(1, bound // 4)
        starts = []
        for w in range(0, len(toks), step):
            last = min(len(toks), w + bound + step) - 1
            alive = [False] * (last - w + 2)
            for i in range(last, w - 1, -1):
                alive[i - w] = not bad[i] and (end[i] or (i < last and link[i] and alive[i - w + 1]))
            for i in range(w, last + 1):
                if not alive[i - w]:
                    continue
                s, e, _ = toks[i]
                go = i < last and link[i] and alive[i - w + 1]
                gap = lit(enc(text[e : toks[i + 1][0]])) if go and text[e : toks[i + 1][0]] else None
                self._rules[f"{prefix}w{w}_{i}"] = self._link_body(
                    lit(enc(text[s:e])), gap, f"{prefix}w{w}_{i + 1}" if go else None, end[i])
            starts += [f"{prefix}w{w}_{i}" for i in range(w, min(w + step, last + 1)) if word[i] and alive[i - w]]
        return starts

    def text(self, root: str) -> str:
        """The grammar: `root ::= <root>` and every rule added."""
        lines = [f"root ::= {root}"] + [f"{k} ::= {v}" for k, v in self._rules.items()]
        return "\n".join(lines) + "\n"


def _sentence_break(text: str, toks: list[tuple[int, int, str]], i: int) -> bool:
    """Whether a span may not run from token i to token i + 1: a line break between them, or the end of a
    sentence (`.`, `!` or `?` after a word of three or more characters, then space and a capital; `Dr. No` and
    `U.S. Army` stay joined)."""
    gap = text[toks[i][1] : toks[i + 1][0]]
    if any(c in _BREAKS for c in gap):
        return True
    mark = text[toks[i][0] : toks[i][1]]
    if mark not in (".", "!", "?") or not gap or i == 0:
        return False
    before = text[toks[i - 1][0] : toks[i - 1][1]]
    return toks[i - 1][2] == "word" and len(before) >= 3 and text[toks[i + 1][0]].isupper()


def answer(g: GrammarBuilder, body: str, explanation: bool = False, newline_body: bool = False) -> str:
    """The grammar text of `[Answer]: <body>` (`[Answer]:` + newline when `newline_body`), after an optional
    `[Explanation]: <one line>` when `explanation`."""
    root = f"{lit(ANSWER_MARK if newline_body else ANSWER_MARK + ' ')} {body}"
    if explanation:
        expl = g.rule("explanation", f'{lit(EXPLANATION_MARK + " ")} [^\\n]+ "\\n"')
        root = f"{expl}? {root}"
    return g.text(root)


def alt(*options: str | None) -> str | None:
    """`( a | b | ... )` of the options that exist; None when none does."""
    present = [o for o in options if o]
    if not present:
        return None
    return present[0] if len(present) == 1 else "( " + " | ".join(present) + " )"


def seq(*parts: str | None) -> str | None:
    """The parts in a row; None when any part is missing (a sequence with an impossible part)."""
    return None if any(p is None for p in parts) else " ".join(p for p in parts if p)


def field_span(g: GrammarBuilder, text: str, unsafe: str, max_tokens: int = 0) -> str | None:
    """A span as the canonical renderer writes a field: bare when it holds none of `unsafe` and no double quote
    (an inner quote after a separator would read as the start of a quoted field), or JSON-quoted (then it may
    hold anything, `;`, `,` and quotes included)."""
    bare = g.spans(text, unsafe + '"', max_tokens=max_tokens)
    quoted = json_string(g.spans(text, json=True, name="qspan", max_tokens=max_tokens))
    return alt(bare, quoted)


def items_of(item: str | None, sep: str = "; ") -> str | None:
    """One or more `item`s joined by `sep`; None when `item` is."""
    return None if item is None else f"{item} ( {lit(sep)} {item} )*"


def json_string(inner: str | None) -> str | None:
    """A JSON string literal around the grammar expression `inner`; None when `inner` is."""
    return None if inner is None else f'"\\"" {inner} "\\""'


def json_objects(g: GrammarBuilder, fields: Sequence[tuple[str, str | None]], name: str = "record") -> str:
    """`[{"k": v, ...}, ...]` or `[]`: a JSON list of objects with the keys in order, values given as grammar
    expressions (already JSON-shaped); only `[]` when a value is impossible."""
    if any(v is None for _, v in fields):
        return '"[]"'
    pairs = f" {lit(', ')} ".join(f"{lit(dumps(k) + ': ')} {v}" for k, v in fields)
    record = g.rule(name, f'"{{" {pairs} "}}"')
    return f'( "[]" | "[" {items_of(record, ", ")} "]" )'


def asks_explanation(prompt: str) -> bool:
    """Whether a user turn asks for an `[Explanation]:` before the answer."""
    return EXPLANATION_MARK in prompt
