"""The machinery shared by tasks whose answers are item tuples: rendering in the three formats, the
auto-detecting parser, and strict scoring. Each task module supplies the shape of its items.

Parsing, in order (the first that yields something wins):
1. a body starting with `[` or `{` read as JSON (Python-literal quotes and truncated lists salvaged); a
   body that starts like JSON objects or strings but cannot be read is unreadable;
2. an NA answer: the first line is a no-answer phrase, or the first sentence is the task's NA sentence;
3. natural-language sentences whose text fields are quoted, when they give at least as many items as
   the canonical reading of the first paragraph (for single-label tasks: whenever they give one); else
   the canonical reading when it gives any item;
4. natural-language sentences with unquoted fields; 5. a JSON value anywhere in the body.
Otherwise the answer is unreadable: `Parsed(ok=False)`. Items are deduplicated (compared normalised).
"""

from __future__ import annotations

import re
from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from adelie.tasks.base import (
    Counts,
    Format,
    IETask,
    Instance,
    Item,
    Parsed,
    Template,
    TemplateSplit,
)
from adelie.tasks.formats import (
    NA_PHRASES,
    Q,
    article,
    bare_ok,
    dedupe,
    dumps,
    field,
    first_line,
    groups,
    is_na,
    join_answer,
    json_key,
    load_json,
    normalise,
    paragraph_lines,
    quote,
    scalar,
    sentences,
    split_answer,
    split_top,
    strip_fences,
    unquote,
    unwrap,
)
from adelie.tasks.grammar import (
    MAX_SPAN_TOKENS,
    GrammarBuilder,
    alt,
    answer,
    field_span,
    items_of,
    json_objects,
    json_string,
    lit,
    seq,
)
from adelie.tasks.prompting import AnswerHelp, fill, format_instruction, load_templates
from adelie.tasks.scoring import strict_counts

_UNSAFE_NATURAL = '."'
_JSON_START = re.compile(r'\{|\[\s*[\[{"\']')


class ItemTask(IETask):
    """A task whose answer is a set of item tuples of `arity` fields (None: any number, at least one)."""

    arity: ClassVar[int | None]
    help: ClassVar[AnswerHelp]
    synonyms: ClassVar[Mapping[str, tuple[str, ...]]]  # field -> accepted JSON keys (comparison form)
    na_sentence: ClassVar[str]  # natural-language NA answer; may use {na}, {head}, {tail}
    na_pattern: ClassVar[re.Pattern[str]]  # recognises the NA sentence
    span_tokens: ClassVar[int] = MAX_SPAN_TOKENS  # constrained decoding: longest span, in text tokens

    # --- hooks for the item shape -----------------------------------------------------------------------

    @abstractmethod
    def render_canonical(self, items: Sequence[Item], inst: Instance) -> str:
        """The canonical body for non-empty `items`."""

    @abstractmethod
    def render_natural(self, item: Item, inst: Instance) -> str:
        """One natural-language sentence for `item`, ending with a period."""

    @abstractmethod
    def natural_item(self, sentence: str, strict: bool) -> Item | None:
        """The item one sentence states (without its final period); `strict` requires quoted text fields."""

    @abstractmethod
    def canonical_items(self, body: str, inst: Instance | None) -> list[Item]:
        """Items read from the canonical form (first paragraph), salvaging what can be read."""

    def render_json(self, items: Sequence[Item], inst: Instance, no_answer: str) -> Any:
        """The JSON value of the answer (possibly empty)."""
        return [dict(zip(self.fields, it, strict=True)) for it in items]

    def json_items(self, value: Any, inst: Instance | None, no_answer: Sequence[str]) -> tuple[list[Item], int]:
        """Items read from a JSON value, and how many records could not be read."""
        value = unwrap(value, self._known_keys())
        records = value if isinstance(value, list) else [value]
        items, bad = [], 0
        for rec in records:
            it = self.json_record(rec)
            if it is None:
                bad += 1
            else:
                items.append(it)
        return items, bad

    def json_record(self, rec: Any) -> Item | None:
        """One item from a JSON object (keys matched through `synonyms`) or a list in field order."""
        if isinstance(rec, dict):
            by_key = {json_key(k): v for k, v in rec.items()}
            values = []
            for f in self.fields:
                v = next((by_key[k] for k in self.synonyms[f] if k in by_key), None)
                s = scalar(v)
                if s is None:
                    return None
                values.append(s)
            return tuple(values)
        if isinstance(rec, list | tuple) and len(rec) == len(self.fields):
            values = [scalar(v) for v in rec]
            return None if any(v is None for v in values) else tuple(v for v in values if v is not None)
        return None

    def valid(self, item: Item) -> bool:
        """Whether a read item has the task's shape, with no blank field."""
        if self.arity is not None and len(item) != self.arity:
            return False
        return bool(item) and all(isinstance(f, str) and f.strip() for f in item)

    def _known_keys(self) -> set[str]:
        return {k for keys in self.synonyms.values() for k in keys}

    # --- prompts and answers ----------------------------------------------------------------------------

    def templates(self, split: TemplateSplit) -> Sequence[Template]:
        """The packaged templates of this task for `split` (`tasks/templates/<task>.yaml`)."""
        return load_templates(self.task, split, self.slots)

    def slot_values(self, inst: Instance, no_answer: str) -> dict[str, str]:
        """What fills each slot: the text, the options comma-separated, the NA phrase, and `inst.query`."""
        values = {"text": inst.text, "labels": ", ".join(inst.labels), "no_answer": no_answer, **inst.query}
        return {k: v for k, v in values.items() if k in self.slots}

    def render_prompt(self, inst: Instance, template: Template, fmt: Format, no_answer: str = "NA") -> str:
        """The filled template, a blank line, and the output-format instruction for `fmt` (one of several
        phrasings, chosen stably from the template id and the instance)."""
        key = (template.id, inst.dataset, inst.example_id, inst.meta.get("instance_id", ""))
        instruction = format_instruction(
            self.help, fmt, no_answer, self._body(inst, (), "json", no_answer),
            self._body(inst, (), "natural", no_answer), key,
        )
        return f"{fill(template, self.slot_values(inst, no_answer))}\n\n{instruction}"

    def render_answer(
        self, inst: Instance, fmt: Format, explanation: str | None = None, no_answer: str = "NA"
    ) -> str:
        """`[Answer]: ` + the gold items in `fmt` (NA answer when there are none), preceded by
        `[Explanation]: ...` when given."""
        return join_answer(self._body(inst, inst.gold, fmt, no_answer), explanation)

    def _body(self, inst: Instance, items: Sequence[Item], fmt: Format, no_answer: str) -> str:
        if fmt == "json":
            return dumps(self.render_json(items, inst, no_answer))
        if fmt == "natural":
            if not items:
                return self.natural_na(inst, no_answer)
            return " ".join(self.render_natural(it, inst) for it in items)
        if fmt == "canonical":
            return self.render_canonical(items, inst) if items else no_answer
        raise ValueError(f"unknown answer format {fmt!r}; expected canonical, json or natural")

    def natural_na(self, inst: Instance, no_answer: str) -> str:
        """The natural-language NA sentence."""
        return self.na_sentence.format(na=no_answer, **_quoted_query(inst))

    # --- parsing ----------------------------------------------------------------------------------------

    def parse(self, text: str, inst: Instance | None = None, no_answer: str = "NA") -> Parsed:
        """Read a model answer in any format (see the module docstring); never raises. `no_answer` (and
        `inst.meta["no_answer"]`) are accepted as NA besides the usual phrases (NA, none, N/A, ...)."""
        try:
            return self._parse(text, inst, no_answer)
        except Exception:  # model output is untrusted: a parser bug must not stop a batch
            return Parsed(ok=False)

    def _parse(self, text: str, inst: Instance | None, no_answer: str) -> Parsed:
        ans = split_answer(text if isinstance(text, str) else "")
        expl = ans.explanation or None
        body = strip_fences(ans.body).strip() if ans.body is not None else ""
        if not body:
            return Parsed(ok=False, explanation=expl)
        nas = [no_answer, str(inst.meta.get("no_answer", "")) if inst is not None else ""]

        def done(items: Iterable[Item], fmt: Format) -> Parsed:
            return Parsed(dedupe(items), True, fmt, expl)

        if body[0] in "[{":
            if (got := self._from_json(body, inst, nas)) is not None:
                return done(got, "json")
            if _JSON_START.match(body):  # clearly JSON, but unreadable: no other format starts like this
                return Parsed(ok=False, explanation=expl)
        if is_na(first_line(body), nas):
            return done((), "canonical")
        said = sentences(body)
        if said and self.na_pattern.search(said[0]):
            return done((), "natural")
        natural = list(dedupe(self._natural(said, strict=True)))
        canonical = list(dedupe(it for it in self.canonical_items(body, inst) if self.valid(it)))
        if natural and self.prefer_natural(natural, canonical):
            return done(natural, "natural")
        if canonical:
            return done(canonical, "canonical")
        if loose := self._natural(said, strict=False):
            return done(loose, "natural")
        if (got := self._from_json(body, inst, nas)) is not None:
            return done(got, "json")
        return Parsed(ok=False, explanation=expl)

    def prefer_natural(self, natural: list[Item], canonical: list[Item]) -> bool:
        """Whether sentences with quoted fields win over the canonical reading of the same answer: when they
        give at least as many items."""
        return len(natural) >= len(canonical)

    def _natural(self, said: list[str], strict: bool) -> list[Item]:
        out = []
        for s in said:
            it = self.natural_item(s, strict)
            if it is not None and self.valid(it):
                out.append(it)
        return out

    def _from_json(self, body: str, inst: Instance | None, nas: Sequence[str]) -> list[Item] | None:
        value = load_json(body)
        if value is None:
            return None
        items, bad = self.json_items(value, inst, nas)
        items = [it for it in items if self.valid(it)]
        if not items and bad:
            return None
        return items

    # --- scoring ----------------------------------------------------------------------------------------

    def score(self, pred: Parsed, inst: Instance) -> Counts:
        """Strict micro counts over sets of normalised items: tp = |pred ∩ gold|, pred = |pred|,
        gold = |gold| (duplicates count once on both sides). NA and unreadable answers are empty
        predictions; empty gold with an empty prediction gives all-zero counts."""
        return strict_counts(pred.items if pred.ok else (), inst.gold)


def _quoted_query(inst: Instance) -> dict[str, str]:
    """Head and tail texts (JSON-quoted) for sentences about a given pair."""
    head = inst.meta.get("head_text", inst.query.get("head", ""))
    tail = inst.meta.get("tail_text", inst.query.get("tail", ""))
    return {"head": quote(str(head)), "tail": quote(str(tail))}


def _field_re(name: str, strict: bool) -> str:
    return rf"(?P<{name}>{Q})" if strict else rf"(?P<{name}>{Q}|.+?)"


def _read(m: re.Match[str], name: str) -> str:
    return unquote(m.group(name))


def _natural_label(task: ItemTask, label: str, sentence: str, item: Item) -> str:
    """`sentence` (a format string with {label} and {art}) with `label` bare when the sentence reads back as
    `item` and not as NA, else with the label quoted. Labels that read as NA phrases are always quoted."""
    if bare_ok(label, _UNSAFE_NATURAL, NA_PHRASES):
        bare = sentence.format(label=label, art=article(label))
        said = bare.removesuffix(".")
        if not task.na_pattern.search(said) and task.natural_item(said, True) == item:
            return bare
    return sentence.format(label=quote(label), art=article(label))


class PairTask(ItemTask):
    """Items (text, label): canonical `text: label; text: label`; natural one sentence per item."""

    arity = 2
    natural_form: ClassVar[str]  # e.g. '{text} is {art} {label}.'
    natural_re: ClassVar[str]  # regex body with {a} (text) and {b} (label) groups

    def render_canonical(self, items: Sequence[Item], inst: Instance) -> str:
        return "; ".join(f"{field(t, ';:')}: {field(lab, ';:')}" for t, lab in items)

    def render_natural(self, item: Item, inst: Instance) -> str:
        text, label = item
        form = self.natural_form.replace("{text}", _esc(quote(text)))
        return _natural_label(self, label, form, item)

    def natural_item(self, sentence: str, strict: bool) -> Item | None:
        pattern = self.natural_re.format(a=_field_re("a", strict), b=_field_re("b", False))
        m = re.fullmatch(pattern, sentence, re.I | re.S)
        return (_read(m, "a"), _read(m, "b")) if m else None

    def canonical_items(self, body: str, inst: Instance | None) -> list[Item]:
        labels = {normalise(x) for x in inst.labels} if inst is not None else set()
        out = []
        for line in paragraph_lines(body):
            segs = split_top(line, ";")
            if len(segs) == 1 and len(split_top(line, ":")) > 2:  # `a: x, b: y`
                segs = split_top(line, ",")
            for seg in segs:
                parts = split_top(seg, ":")
                if len(parts) < 2:
                    continue
                text, label = unquote(":".join(parts[:-1])), unquote(parts[-1])
                if normalise(text) in labels and normalise(label) not in labels:  # `type: entity`
                    text, label = label, text
                out.append((text, label))
        return out

    def item_spans(self, item: Item) -> tuple[str, ...]:
        return item[:1]

    def item_labels(self, item: Item) -> tuple[str, ...]:
        return item[1:2]

    def answer_grammar(
        self, inst: Instance, fmt: Format, no_answer: str = "NA", explanation: bool = False
    ) -> str | None:
        """`text: label; ...` (canonical) or `[{"<field>": "text", "<field>": "label"}, ...]` (JSON), texts
        copied from `inst.text` on word boundaries, labels from `inst.labels`; or the NA answer."""
        g = GrammarBuilder()
        if fmt == "canonical":
            span = field_span(g, inst.text, ";:", self.span_tokens)
            item = seq(span, lit(": "), g.choice(field(lab, ";:") for lab in inst.labels))
            return answer(g, alt(lit(no_answer), items_of(item)), explanation)
        if fmt == "json":
            span = json_string(g.spans(inst.text, json=True, max_tokens=self.span_tokens))
            label = g.choice(dumps(lab) for lab in inst.labels)
            return answer(g, json_objects(g, list(zip(self.fields, (span, label), strict=True))), explanation)
        return None

    def json_items(self, value: Any, inst: Instance | None, no_answer: Sequence[str]) -> tuple[list[Item], int]:
        labels = {normalise(x) for x in inst.labels} if inst is not None else set()
        label_keys = {json_key(x) for x in inst.labels} if inst is not None else set()
        value = unwrap(value, self._known_keys() | label_keys)
        if isinstance(value, dict) and not any(json_key(k) in self._known_keys() for k in value):
            return _label_map_items(value, labels)
        return super().json_items(value, inst, no_answer)


def _label_map_items(value: dict[Any, Any], labels: set[str]) -> tuple[list[Item], int]:
    """Items from `{"person": ["Obama"]}` (label -> texts) or `{"Obama": "person"}` (text -> label)."""
    items, bad = [], 0
    for k, v in value.items():
        key = str(k)
        for x in v if isinstance(v, list) else [v]:
            s = scalar(x)
            if s is None:
                bad += 1
            elif isinstance(v, list) or (normalise(key) in labels and normalise(s) not in labels):
                items.append((s, key))
            else:
                items.append((key, s))
    return items, bad


class TripleTask(ItemTask):
    """Items (head, relation, tail): canonical `(head; relation; tail); (...)`."""

    arity = 3

    def render_canonical(self, items: Sequence[Item], inst: Instance) -> str:
        return "; ".join("(" + "; ".join(field(f, ";,()") for f in it) + ")" for it in items)

    def render_natural(self, item: Item, inst: Instance) -> str:
        head, rel, tail = item
        form = f"{_esc(quote(head))} has the relation {{label}} with {_esc(quote(tail))}."
        return _natural_label(self, rel, form, item)

    def natural_item(self, sentence: str, strict: bool) -> Item | None:
        h, r, t = _field_re("h", strict), _field_re("r", False), _field_re("t", strict)
        m = re.fullmatch(rf"{h} has the relation {r} (?:with|to) {t}", sentence, re.I | re.S)
        return (_read(m, "h"), _read(m, "r"), _read(m, "t")) if m else None

    def canonical_items(self, body: str, inst: Instance | None) -> list[Item]:
        return [tuple(fields) for fields in tuple_fields(body)]

    def item_spans(self, item: Item) -> tuple[str, ...]:
        return item[0:1] + item[2:3]

    def item_labels(self, item: Item) -> tuple[str, ...]:
        return item[1:2]

    def answer_grammar(
        self, inst: Instance, fmt: Format, no_answer: str = "NA", explanation: bool = False
    ) -> str | None:
        """`(head; relation; tail); ...` (canonical) or `[{"head": ..., "relation": ..., "tail": ...}]`
        (JSON), head and tail copied from `inst.text`, relations from `inst.labels`; or the NA answer."""
        g = GrammarBuilder()
        if fmt == "canonical":
            span = field_span(g, inst.text, TUPLE_UNSAFE, self.span_tokens)
            rel = g.choice(field(lab, ";,()") for lab in inst.labels)
            item = seq(lit("("), span, lit("; "), rel, lit("; "), span, lit(")"))
            return answer(g, alt(lit(no_answer), items_of(item)), explanation)
        if fmt == "json":
            span = json_string(g.spans(inst.text, json=True, max_tokens=self.span_tokens))
            rel = g.choice(dumps(lab) for lab in inst.labels)
            return answer(g, json_objects(g, list(zip(self.fields, (span, rel, span), strict=True))), explanation)
        return None


def tuple_fields(body: str) -> list[list[str]]:
    """The fields of each `( ... )` group on the lines of the first paragraph that start with `(` (split on
    `;`, or on `,` when a group has no `;`); without any `(`, each line is one group. Truncated groups are
    dropped."""
    lines = paragraph_lines(body)
    grouped = [ln for ln in lines if ln.startswith("(")]
    if grouped:
        found, _open = groups("\n".join(grouped))
    elif not any("(" in ln for ln in lines):
        found = lines
    else:
        found = []
    out = []
    for g in found:
        parts = split_top(g, ";", brackets=True)
        if len(parts) == 1:
            parts = split_top(g, ",", brackets=True)
        out.append([unquote(p) for p in parts])
    return out


# Characters a span inside a `( ... )` tuple may not hold (separators and brackets).
TUPLE_UNSAFE = ";,()[]{}"
NA_ALTERNATIVES = "|".join(re.escape(p) for p in sorted(NA_PHRASES, key=len, reverse=True))


class LabelTask(ItemTask):
    """A single label for a given pair (relation classification, event relations): items (label,), at most
    one expected. Scoring compares the first predicted item with the gold label."""

    arity = 1
    natural_subject: ClassVar[str]  # 'between {head} and {tail}' or 'between the events {head} and {tail}'

    def render_canonical(self, items: Sequence[Item], inst: Instance) -> str:
        return "; ".join(field(it[0], ";", reserved=_reserved(inst)) for it in items)

    def render_json(self, items: Sequence[Item], inst: Instance, no_answer: str) -> Any:
        return {"relation": items[0][0] if items else no_answer}

    def render_natural(self, item: Item, inst: Instance) -> str:
        subject = _esc(self.natural_subject.format(**_quoted_query(inst)))
        form = f"The relation {subject} is {{label}}."
        return _natural_label(self, item[0], form, item)

    def natural_item(self, sentence: str, strict: bool) -> Item | None:
        pair = rf"(?: between (?:the events? )?(?:{Q}|.+?) and (?:{Q}|.+?))?"
        m = re.fullmatch(rf"the relation{pair} is {_field_re('b', False)}", sentence, re.I | re.S)
        return (_read(m, "b"),) if m else None

    def canonical_items(self, body: str, inst: Instance | None) -> list[Item]:
        return [(unquote(p),) for p in split_top(first_line(body), ";")]

    def item_labels(self, item: Item) -> tuple[str, ...]:
        return item[:1]

    def answer_grammar(
        self, inst: Instance, fmt: Format, no_answer: str = "NA", explanation: bool = False
    ) -> str | None:
        """Exactly one offered label or the NA answer: bare (canonical) or `{"relation": "..."}` (JSON)."""
        g = GrammarBuilder()
        if fmt == "canonical":
            labels = [field(lab, ";", reserved=_reserved(inst)) for lab in inst.labels]
            return answer(g, g.choice([*labels, no_answer]) or lit(no_answer), explanation)
        if fmt == "json":
            labels = g.choice(dumps(lab) for lab in [*inst.labels, no_answer])
            return answer(g, seq(lit('{"relation": '), labels, lit("}")) or "", explanation)
        return None

    def prefer_natural(self, natural: list[Item], canonical: list[Item]) -> bool:
        """A sentence naming the relation always wins: the canonical reading of a sentence means nothing."""
        return True

    def json_items(self, value: Any, inst: Instance | None, no_answer: Sequence[str]) -> tuple[list[Item], int]:
        value = unwrap(value, self._known_keys())
        records = value if isinstance(value, list) else [value]
        items, bad = [], 0
        for rec in records:
            if isinstance(rec, dict):
                by_key = {json_key(k): v for k, v in rec.items()}
                rec = next((by_key[k] for k in self.synonyms["relation"] if k in by_key), None)
                if rec is None and by_key:  # {"relation": null} is NA; {"foo": 1} is not ours
                    if any(k in by_key for k in self.synonyms["relation"]):
                        continue
                    bad += 1
                    continue
            s = scalar(rec)
            if s is None:
                if rec is not None:
                    bad += 1
            elif s.strip() and not is_na(s, no_answer):
                items.append((s,))
        return items, bad

    def score(self, pred: Parsed, inst: Instance) -> Counts:
        """Single-label counts: the prediction is the first parsed item (none when NA), the gold is the
        instance's label (none for the dataset's no-relation label). tp = 1 when both exist and match after
        normalisation. An unreadable answer (ok=False) counts as one wrong prediction (pred = 1, tp = 0).
        ADELIE's SemEval script does not: there an NA or unreadable answer counts the gold only, which
        `--compat adelie` reproduces (`adelie.evaluate.compat`)."""
        gold = inst.gold[:1]
        if not pred.ok:
            return Counts.strict(0, 1, len(gold))
        return strict_counts(pred.items[:1], gold)


def _reserved(inst: Instance) -> set[str]:
    return set(NA_PHRASES) | {normalise(str(inst.meta.get("no_answer", "NA")))}


def _esc(s: str) -> str:
    """`s` safe inside a str.format pattern."""
    return s.replace("{", "{{").replace("}", "}}")
