"""Open information extraction: (predicate; arguments...) tuples, no schema.

Instances: one per example, gold = (predicate, arg1, arg2, ...) for each tuple of the example (strings as
the source gives them), without repeats. Items have a variable number of fields: the predicate, then the
arguments in order (an argument may be the empty string).

Answers put the first argument before the predicate, as a sentence reads: canonical
`[Answer]: (Obama; was born in; Hawaii); (Obama; was; president)` i.e. `(arg1; predicate; arg2; arg3 ...)`,
`(predicate)` for a tuple without arguments; JSON `[{"predicate": "was born in", "arguments": ["Obama",
"Hawaii"]}]` (a plain list inside the JSON list follows the canonical order); natural
`The predicate "was born in" has the arguments "Obama" and "Hawaii".`; NA: `NA` / `[]` /
`No tuples can be extracted from the text (NA).` Scoring is CaRB-style (`adelie.tasks.carb.carb_counts`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from adelie.schema import Example, Task
from adelie.tasks.base import Counts, Format, Instance, Item, Parsed
from adelie.tasks.context import gold_items
from adelie.tasks.formats import Q, field, join_and, json_key, quote, quoted_list, scalar, unquote
from adelie.tasks.grammar import GrammarBuilder, alt, answer, field_span, items_of, json_string, lit, seq
from adelie.tasks.items import TUPLE_UNSAFE, ItemTask, tuple_fields
from adelie.tasks.prompting import AnswerHelp

_PREDICATE_KEYS = ("predicate", "relation", "rel", "verb", "pred", "relationphrase")
_ARGUMENT_KEYS = ("arguments", "args", "argument")
PredicateSource = Literal["text", "free"]
PREDICATE_WORDS = 8  # a free predicate: at most this many words
MORE_ARGUMENTS = 3  # constrained decoding: a tuple has its first argument and at most this many more


class OpenIETask(ItemTask):
    """Items (predicate, arg1, arg2, ...)."""

    task = Task.OPEN_IE
    fields = ("predicate", "arguments")  # an item is (predicate, *arguments)
    slots = ("text", "no_answer")
    arity = None
    span_tokens = 40  # arguments are often clauses
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]] = {"predicate": _PREDICATE_KEYS, "arguments": _ARGUMENT_KEYS}
    na_sentence = "No tuples can be extracted from the text ({na})."
    na_pattern = re.compile(r"^(?:there (?:are|is) )?no (?:tuples?|facts?|propositions?|extractions?)\b", re.I)
    help = AnswerHelp(
        nothing="the text states no fact",
        canonical="(subject; predicate; object); (subject; predicate; object; more arguments)",
        json='[{"predicate": "...", "arguments": ["...", "..."]}]',
        natural='one sentence per tuple, such as: The predicate "was born in" has the arguments "Obama" and '
                '"Hawaii".',
    )

    def instances(self, example: Example, labels: Mapping[str, str] | None = None) -> list[Instance]:
        """One instance per example (`labels` is not used: open IE has no schema)."""
        gold = gold_items([
            (t.predicate_span.start if t.predicate_span else len(example.text), (t.predicate, *t.arguments))
            for t in example.tuples
        ])
        return [Instance(
            task=self.task, dataset=example.dataset, example_id=example.id, text=example.text, gold=gold,
            meta={"instance_id": example.id},
        )]

    def valid(self, item: Item) -> bool:
        """A predicate that is not blank, then any number of arguments."""
        return bool(item) and all(isinstance(f, str) for f in item) and bool(item[0].strip())

    def render_canonical(self, items: Sequence[Item], inst: Instance) -> str:
        return "; ".join("(" + "; ".join(field(f, ";,()") for f in _reading_order(it)) + ")" for it in items)

    def render_json(self, items: Sequence[Item], inst: Instance, no_answer: str) -> Any:
        return [{"predicate": it[0], "arguments": list(it[1:])} for it in items]

    def render_natural(self, item: Item, inst: Instance) -> str:
        pred, args = quote(item[0]), [quote(a) for a in item[1:]]
        if not args:
            return f"The predicate {pred} has no arguments."
        noun = "argument" if len(args) == 1 else "arguments"
        return f"The predicate {pred} has the {noun} {join_and(args)}."

    def natural_item(self, sentence: str, strict: bool) -> Item | None:
        pred = rf"(?P<p>{Q})" if strict else rf"(?P<p>{Q}|.+?)"
        m = re.fullmatch(rf"the predicate {pred} has (?:no arguments|the arguments? (?P<args>.+))", sentence,
                         re.I | re.S)
        if m is None:
            return None
        args = quoted_list(m.group("args")) if m.group("args") is not None else []
        return None if args is None else (unquote(m.group("p")), *args)

    def canonical_items(self, body: str, inst: Instance | None) -> list[Item]:
        out: list[Item] = []
        for fields in tuple_fields(body):
            out.append((fields[0],) if len(fields) == 1 else (fields[1], fields[0], *fields[2:]))
        return out

    def json_record(self, rec: Any) -> Item | None:
        if isinstance(rec, list | tuple):
            values = [scalar(v) for v in rec]
            if not values or any(v is None for v in values):
                return None
            vs = [v for v in values if v is not None]
            return (vs[0],) if len(vs) == 1 else (vs[1], vs[0], *vs[2:])
        if not isinstance(rec, dict):
            return None
        by_key = {json_key(k): v for k, v in rec.items()}
        pred = scalar(next((by_key[k] for k in _PREDICATE_KEYS if k in by_key), None))
        if pred is None:
            return None
        listed = next((by_key[k] for k in _ARGUMENT_KEYS if k in by_key), None)
        if isinstance(listed, list):
            args = [scalar(a) for a in listed]
        else:
            numbered = sorted((int(k[3:]), v) for k, v in by_key.items() if re.fullmatch(r"arg\d+", k))
            args = [scalar(v) for _, v in numbered] or [
                scalar(by_key[k]) for k in ("subject", "object") if k in by_key
            ]
        if any(a is None for a in args):
            return None
        return (pred, *(a for a in args if a is not None))

    def item_spans(self, item: Item) -> tuple[str, ...]:
        """The arguments (the predicate may be a free phrase)."""
        return tuple(a for a in item[1:] if a)

    def answer_grammar(
        self, inst: Instance, fmt: Format, no_answer: str = "NA", explanation: bool = False,
        predicates: PredicateSource = "free",
    ) -> str | None:
        """`(arg1; predicate; arg2; ...); ...` (canonical) or `[{"predicate": ..., "arguments": [...]}]`
        (JSON): arguments copied from `inst.text`; the predicate any phrase of at most `PREDICATE_WORDS` words
        without separators (`"free"`, the default: CaRB's predicates are often not in the text, `is` or `has`
        added; the free form admits 137 of 253 gold tuples of 60 CaRB test sentences, copying 80) or copied from
        the text (`"text"`, what extraction uses so that every string is grounded); or the NA answer."""
        g = GrammarBuilder()
        if fmt == "canonical":
            arg = field_span(g, inst.text, TUPLE_UNSAFE, self.span_tokens)
            pred = (g.spans(inst.text, TUPLE_UNSAFE, name="pred", max_tokens=PREDICATE_WORDS) if predicates == "text"
                    else _free_predicate(g, '";,()[]{}'))
            more = f"( {lit('; ')} {arg} ){{0,{MORE_ARGUMENTS}}}" if arg else None
            item = seq(lit("("), arg, lit("; "), pred, more, lit(")"))
            return answer(g, alt(lit(no_answer), items_of(item)), explanation)
        if fmt == "json":
            arg = json_string(g.spans(inst.text, json=True, max_tokens=self.span_tokens))
            pred = json_string(g.spans(inst.text, json=True, name="pred", max_tokens=PREDICATE_WORDS)
                               if predicates == "text" else _free_predicate(g, '"\\'))
            args = f"{arg} ( {lit(', ')} {arg} ){{0,{MORE_ARGUMENTS}}}" if arg else None
            record = seq(lit('{"predicate": '), pred, lit(', "arguments": ['), args, lit("]}"))
            body = alt(lit("[]"), seq(lit("["), items_of(g.rule("record", record) if record else None, ", "),
                                      lit("]")))
            return answer(g, body or lit("[]"), explanation)
        return None

    def score(self, pred: Parsed, inst: Instance) -> Counts:
        """CaRB-style counts (`adelie.tasks.carb.carb_counts`) of the predicted tuples against the gold;
        NA and unreadable answers are empty predictions."""
        from adelie.tasks.carb import carb_counts

        return carb_counts(pred.items if pred.ok else (), inst.gold)


def _free_predicate(g: GrammarBuilder, unsafe: str) -> str:
    """A rule for a predicate not tied to the text: 1 to `PREDICATE_WORDS` words of at most 30 characters
    each, none holding a character of `unsafe`, separated by single spaces."""
    banned = "".join("\\" + c if c in "\\]^-[" else c for c in unsafe)
    word = g.rule("pword", f"[^ \\t\\n\\r{banned}]{{1,30}}")
    return g.rule("pred", f'{word} ( " " {word} ){{0,{PREDICATE_WORDS - 1}}}')


def _reading_order(item: Item) -> Item:
    """(predicate, arg1, arg2, ...) as written: (arg1, predicate, arg2, ...); (predicate) without arguments."""
    return item if len(item) == 1 else (item[1], item[0], *item[2:])
