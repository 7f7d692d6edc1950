"""Reading and writing answers: markers, quoting, normalisation, tolerant JSON, sentence splitting.

Every rendered answer is `[Answer]: body`, or `[Explanation]: text` + newline + `[Answer]: body`. Inside a
body a field is written bare when it reads back as itself, and as a JSON string literal (`"a; b"`) when it
holds a delimiter, a quote at its edge, a line break or edge whitespace, so any string survives a round trip.
Model output is untrusted: nothing here raises on odd text.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from adelie.tasks.base import Item

ANSWER_MARK = "[Answer]:"
EXPLANATION_MARK = "[Explanation]:"
QUOTES = "\"'`“”‘’„«»"
# Stripped from both ends when comparing items (besides whitespace).
EDGE_PUNCT = ".,;:!?"
# What a bare answer means when it stands alone (compared after `normalise`).
NA_PHRASES = frozenset({
    "na", "n/a", "n.a", "none", "no answer", "nothing", "null", "empty", "none of the above", "not applicable",
})
# A JSON string literal: what quoted fields look like.
Q = r'"(?:[^"\\]|\\.)*"'

_ANSWER_RE = re.compile(r"\[\s*answer\s*\]\s*:?", re.I)
_EXPLANATION_RE = re.compile(r"\[\s*explanation\s*\]\s*:?", re.I)
_LOOSE_ANSWER_RE = re.compile(r"(?im)^[ \t]*[*_#]*[ \t]*(?:final[ \t]+)?answer[ \t]*[*_]*[ \t]*:[*_]*")
_FENCE_RE = re.compile(r"(?ms)^[ \t]*```[^\n`]*\n?(.*?)(?:^[ \t]*```|\Z)")
_FENCE_LINE_RE = re.compile(r"(?m)^[ \t]*```[^\n`]*$")
_BULLET_RE = re.compile(r"^\s*(?:[-*•]\s+)")
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_RAW_JSON_BREAKS = {"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def normalise(s: str) -> str:
    """The comparison form of a field: NFC, case-folded, whitespace collapsed, and quotes, whitespace and
    `.,;:!?` stripped from both ends (inner punctuation stays)."""
    s = " ".join(unicodedata.normalize("NFC", s).split()).casefold()
    return s.strip(" " + QUOTES + EDGE_PUNCT)


def item_key(item: Iterable[str]) -> tuple[str, ...]:
    """An item in comparison form (`normalise` on every field)."""
    return tuple(normalise(f) for f in item)


def dedupe(items: Iterable[Item]) -> tuple[Item, ...]:
    """Items without repeats (compared by `item_key`), first occurrence kept, order kept."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for it in items:
        k = item_key(it)
        if k not in seen:
            seen.add(k)
            out.append(it)
    return tuple(out)


# --- writing -----------------------------------------------------------------------------------------------


def quote(s: str) -> str:
    """`s` as a one-line JSON string literal (non-ASCII kept)."""
    return dumps(s)


def dumps(value: Any) -> str:
    """Compact one-line JSON (non-ASCII kept; Unicode line separators escaped so the JSON stays one line)."""
    out = json.dumps(value, ensure_ascii=False)
    for raw, esc in _RAW_JSON_BREAKS.items():
        out = out.replace(raw, esc)
    return out


def bare_ok(s: str, unsafe: str = "", reserved: Collection[str] = ()) -> bool:
    """Whether `s` reads back as itself unquoted: non-empty, no edge whitespace or edge quote, no character of
    `unsafe`, no control or line-break character, no leading bracket or bullet-like character, and not one
    of `reserved` (normalised)."""
    if not s or s != s.strip() or s[0] in QUOTES + "[{(|-*•#" or s[-1] in QUOTES:
        return False
    if any(c in unsafe or c in _LINE_BREAKS or unicodedata.category(c) == "Cc" for c in s):
        return False
    return normalise(s) not in reserved


def field(s: str, unsafe: str = "", reserved: Collection[str] = ()) -> str:
    """`s` bare when `bare_ok`, else quoted."""
    return s if bare_ok(s, unsafe, reserved) else quote(s)


def join_answer(body: str, explanation: str | None = None) -> str:
    """`[Answer]: body`, preceded by `[Explanation]: ...` on its own line when an explanation is given."""
    answer = f"{ANSWER_MARK}{'' if body.startswith(chr(10)) else ' '}{body}"
    if explanation is None:
        return answer
    return f"{EXPLANATION_MARK} {explanation.strip()}\n{answer}"


def article(word: str) -> str:
    """`an` before a vowel letter, else `a`."""
    first = word.lstrip(QUOTES)[:1].lower()
    return "an" if first and first in "aeiou" else "a"


def join_and(parts: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    if len(parts) <= 2:
        return " and ".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def pick(n: int, *keys: object) -> int:
    """A stable choice in range(n) from `keys` (same keys, same choice, in every process)."""
    digest = hashlib.sha256("\x1f".join(str(k) for k in keys).encode("utf-8")).hexdigest()
    return int(digest[:12], 16) % n


# --- reading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A model answer taken apart: the explanation (when marked) and the body (None when an explanation
    was started but no answer followed)."""

    body: str | None
    explanation: str | None = None


def split_answer(text: str) -> Answer:
    """Separate `[Explanation]: ...` from `[Answer]: ...` (markers in any case and spacing). Without a
    bracketed answer marker, a line starting `Answer:` counts; without either, the whole text is the body."""
    ans = _ANSWER_RE.search(text)
    exp = _EXPLANATION_RE.search(text)
    if exp is not None and (ans is None or exp.start() < ans.start()):
        if ans is None:
            loose = _LOOSE_ANSWER_RE.search(text, exp.end())
            if loose is None:
                return Answer(None, text[exp.end():].strip())
            return Answer(text[loose.end():], text[exp.end():loose.start()].strip())
        return Answer(text[ans.end():], text[exp.end():ans.start()].strip())
    if ans is not None:
        return Answer(text[ans.end():])
    loose = _LOOSE_ANSWER_RE.search(text)
    if loose is not None and not text[:loose.start()].strip():
        return Answer(text[loose.end():])
    return Answer(text)


def strip_fences(body: str) -> str:
    """The content of the first ``` fenced block when the body has one (an unclosed fence runs to the end);
    otherwise the body. Fences count only at the start of a line; when the first block is empty (the
    fences wrapped the answer marker too), the fence lines are removed instead."""
    m = _FENCE_RE.search(body)
    if m is None:
        return body
    if m.group(1).strip():
        return m.group(1)
    return _FENCE_LINE_RE.sub("", body)  # an empty first block: the fences wrapped the marker, drop them


def unquote(s: str) -> str:
    """A field as written: a JSON string literal decoded, other matching edge quotes removed, else stripped."""
    s = s.strip()
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        try:
            value = json.loads(s)
        except ValueError:
            return s[1:-1]
        return value if isinstance(value, str) else s[1:-1]
    if len(s) >= 2 and (s[0], s[-1]) in {("'", "'"), ("`", "`"), ("“", "”"), ("‘", "’"), ("«", "»")}:
        return s[1:-1]
    return s


def _active(s: str, fresh_chars: str, anywhere: bool) -> list[bool] | None:
    """Per character, whether it lies outside a double-quoted string. A quote opens a string anywhere when
    `anywhere`, else only at the start of a field (after one of `fresh_chars`, an opening bracket or the
    start, ignoring whitespace). None when a string is left open."""
    act = [True] * len(s)
    in_q = esc = False
    fresh = True
    for i, ch in enumerate(s):
        if in_q:
            act[i] = False
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_q = False
            continue
        if ch == '"' and (anywhere or fresh):
            in_q, act[i], fresh = True, False, False
        elif ch in fresh_chars or ch in "([{":
            fresh = True
        elif not ch.isspace():
            fresh = False
    return None if in_q else act


_FIELD_SEPS = ";:,"


def active(s: str, fresh_chars: str = _FIELD_SEPS, anywhere: bool = False) -> list[bool]:
    """`_active`, treating every character as outside quotes when a quote is left open (noisy output)."""
    got = _active(s, fresh_chars, anywhere)
    return got if got is not None else [True] * len(s)


def split_top(s: str, seps: str, brackets: bool = False) -> list[str]:
    """Split `s` on any of `seps` outside quoted strings (and, with `brackets`, outside brackets; unbalanced
    brackets fall back to ignoring them)."""
    act = active(s)
    for use_brackets in ((True, False) if brackets else (False,)):
        parts, start, depth = [], 0, 0
        for i, ch in enumerate(s):
            if not act[i]:
                continue
            if use_brackets and ch in "([{":
                depth += 1
            elif use_brackets and ch in ")]}":
                depth -= 1
                if depth < 0:
                    break
            elif depth == 0 and ch in seps:
                parts.append(s[start:i])
                start = i + 1
        else:
            if depth == 0:
                parts.append(s[start:])
                return parts
    return [s]


def groups(s: str) -> tuple[list[str], int]:
    """The contents of top-level `( ... )` groups outside quoted strings, and how many groups were left
    open (a truncated answer)."""
    act = active(s)
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(s):
        if not act[i]:
            continue
        if ch == "(":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                out.append(s[start:i])
    return out, int(depth > 0)


def paragraph_lines(body: str) -> list[str]:
    """The non-empty lines of the first paragraph of `body` (up to the first blank line), list bullets removed."""
    lines = []
    for line in body.strip().splitlines():
        if not line.strip():
            break
        lines.append(_BULLET_RE.sub("", line).strip())
    return lines


def first_line(body: str) -> str:
    """The first non-empty line of `body`, stripped."""
    return next((ln.strip() for ln in body.splitlines() if ln.strip()), "")


def sentences(body: str) -> list[str]:
    """Sentences of a natural-language answer: split at `.` followed by whitespace or the end, and at line
    breaks, outside double-quoted strings; the final `.` is dropped; bullets removed."""
    act = active(body, anywhere=True)
    out, start = [], 0
    n = len(body)
    for i, ch in enumerate(body):
        if not act[i]:
            continue
        if ch in _LINE_BREAKS or (ch == "." and (i + 1 == n or body[i + 1].isspace())):
            out.append(body[start:i])
            start = i + 1
    out.append(body[start:])
    return [s for s in (_BULLET_RE.sub("", x).strip() for x in out) if s]


def quoted_list(s: str) -> list[str] | None:
    """The strings of `"a"`, `"a" and "b"`, `"a", "b" and "c"` (decoded), or None when `s` is not such a list."""
    if not re.fullmatch(rf"\s*{Q}(?:\s*(?:,\s*and|,|and)\s*{Q})*\s*", s):
        return None
    return [unquote(m) for m in re.findall(Q, s)]


def is_na(line: str, extra: Iterable[str] = ()) -> bool:
    """Whether a bare answer line says "no answer": one of NA_PHRASES or `extra` after `normalise`. A line
    written as a JSON string literal is a value, never NA."""
    line = line.strip()
    if not line or line.startswith('"'):
        return False
    key = normalise(line)
    return key in NA_PHRASES or key in {normalise(e) for e in extra if e}


# --- tolerant JSON -----------------------------------------------------------------------------------------

_FAIL = object()


def _literal(s: str) -> Any:
    try:
        return ast.literal_eval(s)
    except Exception:  # literal_eval raises many kinds (SyntaxError, ValueError, MemoryError, RecursionError...)
        return _FAIL


def _balanced_end(s: str, i: int) -> int | None:
    """The index just after the bracket closing the one at `i`, skipping '...' and "..." strings; None when
    it is never closed."""
    depth, q, esc = 0, "", False
    for j in range(i, len(s)):
        ch = s[j]
        if q:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == q:
                q = ""
            continue
        if ch in "\"'":
            q = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return j + 1
    return None


def _value_at(s: str, i: int) -> tuple[Any, int] | None:
    """A complete JSON or Python-literal value starting at `i`, and the index after it."""
    try:
        return json.JSONDecoder().raw_decode(s, i)
    except (ValueError, RecursionError):
        pass
    if s[i] in "[{":
        end = _balanced_end(s, i)
    elif s[i] in "\"'":
        m = re.compile(r"'(?:[^'\\]|\\.)*'|" + Q).match(s, i)
        end = m.end() if m else None
    else:
        end = None
    if end is None:
        return None
    value = _literal(s[i:end])
    return None if value is _FAIL else (value, end)


def load_json(text: str) -> Any | None:
    """The first JSON value (or Python literal) in `text`, starting at its first `[` or `{`. Text after the
    value is ignored; a truncated list gives its complete elements; None when nothing can be read."""
    starts = [i for i in (text.find("["), text.find("{")) if i >= 0]
    if not starts:
        return None
    i = min(starts)
    got = _value_at(text, i)
    if got is not None:
        return got[0]
    if text[i] != "[":
        return None
    elems: list[Any] = []
    pos = i + 1
    while True:
        while pos < len(text) and (text[pos].isspace() or text[pos] == ","):
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            break
        got = _value_at(text, pos)
        if got is None:
            break
        elems.append(got[0])
        pos = got[1]
    return elems if elems else None


def json_key(key: object) -> str:
    """A JSON object key in comparison form: lower case, letters and digits only (`Entity_Type` -> entitytype)."""
    return re.sub(r"[^0-9a-z]", "", str(key).lower())


def scalar(value: Any) -> str | None:
    """A JSON scalar as a field string: strings as they are, numbers and booleans as text, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


_WRAPPERS = frozenset({
    "answer", "answers", "result", "results", "output", "outputs", "items", "data", "predictions", "entities",
    "relations", "triples", "events", "triggers", "arguments", "tuples", "extractions", "facts",
})


def unwrap(value: Any, known_keys: Collection[str] = ()) -> Any:
    """Strip wrappers such as `{"entities": [...]}` or `{"answer": {...}}`: a one-key object whose key is not
    one of `known_keys` (comparison form) and is a wrapper word, or whose value is a list of objects/lists."""
    for _ in range(3):
        if isinstance(value, dict) and len(value) == 1:
            (k, v), = value.items()
            key = json_key(k)
            nested = isinstance(v, list) and bool(v) and all(isinstance(e, dict | list) for e in v)
            if key not in known_keys and isinstance(v, list | dict) and (key in _WRAPPERS or nested):
                value = v
                continue
        break
    return value
