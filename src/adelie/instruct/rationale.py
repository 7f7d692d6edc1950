"""Gold-derived rationales: the offline `[Explanation]:` for records that have no teacher explanation.

A rationale is built only from an instance's gold answer and its text. It names every item of the answer,
with the labels as the prompt shows them (renamed, coarse or symbolic: the caller passes the shown instance),
names no other item, and says that nothing else qualifies; an empty answer gets a sentence saying that
nothing of the offered kind is there. Relation rationales quote the stretch of text that joins the two
mentions when it is short. Each task has a few phrasings, picked with the caller's seeded random stream, so
the same stream gives the same rationale.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence

from adelie.schema import Task
from adelie.tasks.base import Instance, Item
from adelie.tasks.formats import article, join_and, quote

MAX_QUOTE_WORDS = 25  # longer stretches between two mentions are not quoted
_MAX_OCCURRENCES = 50  # occurrences of a mention searched for the nearest pair
_MARKERS = re.compile(r"\[\s*(?:answer|explanation)\s*\]", re.I)
_PLACEHOLDERS = frozenset({"", "-", "n/a", "na", "none", "not specified"})

Maker = Callable[[Instance, Sequence[Item], Sequence[str], random.Random], str]


def gold_rationale(inst: Instance, items: Sequence[Item], labels_shown: Sequence[str], r: random.Random) -> str:
    """A short explanation of the answer `items` (the gold of `inst` as the prompt shows it; on-demand IE
    reads `inst.table`), phrased with one of the task's variants drawn from `r`. `labels_shown` are the
    options offered in the prompt."""
    text = " ".join(_MAKERS[inst.task](inst, items, labels_shown, r).splitlines())
    # a quoted mention such as "[Answer]: x" must not end the explanation early when the record is read back
    return _MARKERS.sub(lambda m: "(" + m.group(0)[1:-1] + ")", text)


# --- helpers ----------------------------------------------------------------------------------------------


def _occurrences(text: str, s: str) -> list[int]:
    out: list[int] = []
    i = text.find(s)
    while i >= 0 and len(out) < _MAX_OCCURRENCES:
        out.append(i)
        i = text.find(s, i + 1)
    return out


def passage(text: str, a: str, b: str) -> str | None:
    """The stretch of `text` from the nearest mentions of `a` and `b` (either order), whitespace collapsed,
    quoted, with `...` where it was cut out of the text; None when a mention is missing or the stretch has
    more than MAX_QUOTE_WORDS words."""
    if not a.strip() or not b.strip():
        return None
    best: tuple[int, int] | None = None
    for i in _occurrences(text, a):
        for j in _occurrences(text, b):
            lo, hi = min(i, j), max(i + len(a), j + len(b))
            if best is None or hi - lo < best[1] - best[0]:
                best = (lo, hi)
    if best is None:
        return None
    words = text[best[0]:best[1]].split()
    if len(words) > MAX_QUOTE_WORDS:
        return None
    return quote(("..." if text[:best[0]].strip() else "") + " ".join(words)
                 + ("..." if text[best[1]:].strip() else ""))


def _plural(labels: Sequence[str], noun: str) -> str:
    return noun if len(labels) == 1 else noun + "s"


def _by_label(items: Sequence[Item], text_at: int, label_at: int) -> dict[str, list[str]]:
    """Quoted texts per label, labels in order of first appearance."""
    groups: dict[str, list[str]] = {}
    for it in items:
        groups.setdefault(it[label_at], []).append(quote(it[text_at]))
    return groups


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


def _a(words: str) -> str:
    return f"{article(words)} {words}"


def _event(label: str) -> str:
    """`attack event` (`adverse event` stays as it is)."""
    return label if label.lower().endswith("event") else f"{label} event"


def _pair(inst: Instance) -> tuple[str, str]:
    """The head and tail texts of a relation-classification or event-relation instance."""
    head = str(inst.meta.get("head_text") or inst.query.get("head", ""))
    tail = str(inst.meta.get("tail_text") or inst.query.get("tail", ""))
    return head, tail


# --- one maker per task -----------------------------------------------------------------------------------


def _ner(inst: Instance, items: Sequence[Item], labels: Sequence[str], r: random.Random) -> str:
    types = _plural(labels, "type")
    if not items:
        return r.choice((
            f"None of the offered {types} is mentioned.",
            f"The text mentions nothing of the offered {types}.",
            f"No span of the text names an entity of the offered {types}.",
        ))
    groups = _by_label(items, 0, 1)
    v = r.randrange(4)
    if v == 0:
        return ("; ".join(f"{quote(t)} is {_a(lab)} mention" for t, lab in items)
                + f". No other span names one of the offered {types}.")
    if v == 1:
        return ("The mentions by type: " + "; ".join(f"{lab}: {', '.join(ts)}" for lab, ts in groups.items())
                + f". Nothing else in the text belongs to the offered {types}.")
    if v == 2:
        listed = join_and([f"{quote(t)} ({lab})" for t, lab in items])
        return f"{listed} {'is' if len(items) == 1 else 'are'} the only mention{'s' * (len(items) > 1)} of the " \
               f"offered {types}."
    return (f"Of the offered {types}, only {join_and(list(groups))} {'occurs' if len(groups) == 1 else 'occur'}: "
            + join_and([f"{quote(t)} is of type {lab}" for t, lab in items]) + ".")


def _event_detection(inst: Instance, items: Sequence[Item], labels: Sequence[str], r: random.Random) -> str:
    types = _plural(labels, "type")
    if not items:
        return r.choice((
            f"No word in the text describes an event of the offered {types}.",
            f"The text reports no event of the offered {types}.",
            f"None of the offered event {types} occurs in the text.",
        ))
    groups = _by_label(items, 0, 1)
    v = r.randrange(4)
    if v == 0:
        return ("; ".join(f"{quote(t)} signals {_a(_event(lab))}" for t, lab in items)
                + f". No other word signals an event of the offered {types}.")
    if v == 1:
        return ("The event triggers by type: " + "; ".join(f"{lab}: {', '.join(ts)}" for lab, ts in groups.items())
                + f". No other word in the text describes an event of the offered {types}.")
    if v == 2:
        return (f"The trigger{'s' * (len(items) > 1)} of the offered event {types} "
                f"{'is' if len(items) == 1 else 'are'} " + join_and([f"{quote(t)} ({lab})" for t, lab in items])
                + "; there are no others.")
    return _capital("; ".join(f"the word {quote(t)} describes {_a(_event(lab))}" for t, lab in items)
                    + ". Nothing else in the text does.")


def _event_arguments(inst: Instance, items: Sequence[Item], labels: Sequence[str], r: random.Random) -> str:
    trigger = quote(str(inst.meta.get("trigger_text") or inst.query.get("trigger", "")))
    etype = str(inst.query.get("event_type", ""))
    roles = _plural(labels, "role")
    if not items:
        return r.choice((
            f"The text names no participant of the event {trigger} in the offered {roles}.",
            f"None of the offered {roles} of the event {trigger} ({etype}) is filled in the text.",
            f"No argument of the event {trigger} fits the offered {roles}.",
        ))
    v = r.randrange(3)
    if v == 0:
        return (f"In the event marked by {trigger} ({etype}), "
                + join_and([f"{quote(a)} is the {role}" for a, role in items])
                + ". The text fills no other offered role.")
    if v == 1:
        groups = _by_label(items, 0, 1)
        return (f"The event {trigger} is of type {etype}. Its arguments by role: "
                + "; ".join(f"{role}: {', '.join(args)}" for role, args in groups.items())
                + ". No other offered role is mentioned.")
    return (join_and([f"{quote(a)} fills the {role} role" for a, role in items])
            + f" of the event {trigger}; no other offered role is filled.")


def _label_pair(events: bool) -> Maker:
    """Relation classification (`events` False) or event relations: one label for a given pair."""
    def make(inst: Instance, items: Sequence[Item], labels: Sequence[str], r: random.Random) -> str:
        head, tail = _pair(inst)
        h, t = quote(head), quote(tail)
        pair = f"the events {h} and {t}" if events else f"{h} and {t}"
        p = passage(inst.text, head, tail)
        if not items:
            options = [f"The text does not link {pair} by any of the offered relations.",
                       f"None of the offered relations holds between {pair}."]
            if p:
                options.append(f"{_capital(pair)} occur in {p}, but no offered relation holds between "
                               "them.")
            return r.choice(options)
        lab = items[0][0]
        if p:
            options = [f"The text says {p}, so the relation between {pair} is {lab}.",
                       f"{_capital(pair)} are linked in {p}: of the offered relations, {lab} holds "
                       "between them.",
                       f"In {p}, the relation {lab} holds from {'the event ' if events else ''}{h} to "
                       f"{'the event ' if events else ''}{t}."]
        else:
            options = [f"The text mentions {pair}; the relation between them is {lab}.",
                       f"Of the offered relations, {lab} is the one that holds between {pair}.",
                       f"The text relates {'the event ' if events else ''}{h} to {'the event ' if events else ''}"
                       f"{t} by {lab}."]
        return r.choice(options)
    return make


def _relation_extraction(inst: Instance, items: Sequence[Item], labels: Sequence[str], r: random.Random) -> str:
    if not items:
        return r.choice((
            "No two mentions in the text are linked by an offered relation.",
            f"The text states no relation of the offered {_plural(labels, 'type')}.",
            "No pair of mentions in the text stands in one of the offered relations.",
        ))
    v = r.randrange(3)
    if v == 0:
        parts = []
        for h, rel, t in items:
            p = passage(inst.text, h, t) if len(items) <= 4 else None
            said = f"the text says {p}, so " if p else ""
            parts.append(f"{said}{quote(h)} has the relation {rel} with {quote(t)}")
        return _capital("; ".join(parts) + ". No other pair of mentions is linked by an offered relation.")
    if v == 1:
        return ("The text states these relations: "
                + "; ".join(f"{rel} links {quote(h)} to {quote(t)}" for h, rel, t in items)
                + ". It states no other offered relation.")
    groups: dict[str, list[str]] = {}
    for h, rel, t in items:
        groups.setdefault(rel, []).append(f"({quote(h)}, {quote(t)})")
    return ("Pairs by relation: " + "; ".join(f"{rel}: {', '.join(ps)}" for rel, ps in groups.items())
            + ". No other pair of mentions stands in an offered relation.")


def _tuple_phrase(item: Item) -> str:
    pred, args = quote(item[0]), [quote(a) for a in item[1:] if a.strip()]
    if not args:
        return f"{pred} on its own"
    return f"{pred} with {join_and(args)}"


def _open_ie(inst: Instance, items: Sequence[Item], labels: Sequence[str], r: random.Random) -> str:
    if not items:
        return r.choice((
            "The text states no fact that can be written as a tuple.",
            "There is no predicate with arguments to extract from this text.",
            "No proposition can be extracted from the text.",
        ))
    v = r.randrange(3)
    if v == 0:
        return ("Each predicate of the text with its arguments: " + "; ".join(_tuple_phrase(it) for it in items)
                + ". These are all the facts the text states.")
    if v == 1:
        shown = ["(" + "; ".join(quote(f) for f in ((it[1], it[0], *it[2:]) if len(it) > 1 else it) if f.strip())
                 + ")" for it in items]
        return f"Reading the clauses in order gives {join_and(shown)}. The text states no other fact."
    return ("The text states " + ("one fact" if len(items) == 1 else f"{len(items)} facts") + ": "
            + "; ".join(f"the predicate {_tuple_phrase(it)}" for it in items) + ". Nothing else can be extracted.")


def _row_key(row: Sequence[str]) -> str:
    cells = [c for c in row if c.strip().lower() not in _PLACEHOLDERS][:2]
    return " / ".join(quote(c) for c in cells) if cells else quote(" ".join(row))


def _on_demand(inst: Instance, items: Sequence[Item], labels: Sequence[str], r: random.Random) -> str:
    table = inst.table
    if table is None or not table.header or not table.rows:
        return r.choice((
            "The text holds nothing the instruction asks for.",
            "Nothing in the text matches the request, so no table can be built.",
            "The text gives no information of the requested kind.",
        ))
    cols = join_and([quote(c) for c in table.header])
    column = "column" if len(table.header) == 1 else "columns"
    rows = [_row_key(row) for row in table.rows]
    n = len(rows)
    v = r.randrange(3)
    if v == 0:
        return (f"The instruction asks for the {column} {cols}. The text gives {n} matching "
                f"{'row' if n == 1 else 'rows'}: {'; '.join(rows)}.")
    if v == 1:
        return f"Following the instruction, each row is one thing the text gives: {'; '.join(rows)}; the " \
               f"{column} {'is' if len(table.header) == 1 else 'are'} {cols}."
    return (f"The text provides what the instruction asks for in {n} {'row' if n == 1 else 'rows'} "
            f"({'; '.join(rows)}), under the {column} {cols}.")


_MAKERS: dict[Task, Maker] = {
    Task.NER: _ner,
    Task.RELATION_CLASSIFICATION: _label_pair(events=False),
    Task.RELATION_EXTRACTION: _relation_extraction,
    Task.EVENT_DETECTION: _event_detection,
    Task.EVENT_ARGUMENTS: _event_arguments,
    Task.EVENT_RELATION: _label_pair(events=True),
    Task.OPEN_IE: _open_ie,
    Task.ON_DEMAND: _on_demand,
}
