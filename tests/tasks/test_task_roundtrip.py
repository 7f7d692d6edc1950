"""parse(render_answer(gold)) gives back the gold, for every task, format, with and without explanation."""

from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st
from task_helpers import keys, make

from adelie.schema import Table, Task
from adelie.tasks import FORMATS, Instance, get_task
from adelie.tasks.formats import NA_PHRASES, normalise

TRICKY = [
    "a; b", "x: y", 'say "hi"', "'single'", "(paren)", "a, b", "Köln", "東京", "naïve café", "C++", "U.S.",
    "[Answer]: x", "{brace}", "tab\tinside", "line\nbreak", "  padded  ", "\\back\\slash", "--dash", "- bullet",
    "NA", "none", "is a", "has the relation", "The relation", "role x", "attack event", "\u2028sep", "ends.",
    "a | b", "`tick`", "«guillemets»", "it's", ")", "(", '"', "an apple", "the boss", "1. first", "#hash",
]

text = st.one_of(
    st.sampled_from(TRICKY),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(TRICKY), st.sampled_from(TRICKY)),
).filter(lambda s: normalise(s) != "" or s.strip() != "")
field = text.filter(lambda s: s.strip())
label = field.filter(lambda s: normalise(s) not in NA_PHRASES and normalise(s) != "na")
explanation = st.one_of(st.none(), st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="["),
                                           max_size=40).map(lambda s: " ".join(s.split()) or "why"))
fmt = st.sampled_from(FORMATS)

EXAMPLES = int(os.environ.get("ADELIE_HYPOTHESIS_EXAMPLES", "150"))  # raise it for a longer search
PAIR_TASKS = [Task.NER, Task.EVENT_DETECTION, Task.EVENT_ARGUMENTS]


def check(inst: Instance, fmt: str, expl: str | None) -> None:
    task = get_task(inst.task)
    answer = task.render_answer(inst, fmt, explanation=expl)
    parsed = task.parse(answer, inst)
    assert parsed.ok, answer
    assert keys(parsed.items) == keys(inst.gold), answer
    assert parsed.format == fmt, answer
    assert parsed.explanation == (expl.strip() if expl else None)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from(PAIR_TASKS), st.lists(st.tuples(field, label), max_size=4), fmt, explanation)
def test_pairs(task: Task, gold: list, fmt: str, expl: str | None) -> None:
    check(make(task, gold, labels=[lab for _, lab in gold]), fmt, expl)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.tuples(field, label, field), max_size=4), fmt, explanation)
def test_triples(gold: list, fmt: str, expl: str | None) -> None:
    check(make(Task.RELATION_EXTRACTION, gold), fmt, expl)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.sampled_from([Task.RELATION_CLASSIFICATION, Task.EVENT_RELATION]), st.lists(label, max_size=1),
       field, field, fmt, explanation)
def test_single_label(task: Task, gold: list, head: str, tail: str, fmt: str, expl: str | None) -> None:
    check(make(task, [(g,) for g in gold], head=head, tail=tail), fmt, expl)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.lists(st.tuples(field, st.lists(text | st.just(""), max_size=3)), max_size=4), fmt, explanation)
def test_open_ie(tuples: list, fmt: str, expl: str | None) -> None:
    check(make(Task.OPEN_IE, [(p, *args) for p, args in tuples]), fmt, expl)


def _not_rule(row: list[str]) -> bool:
    return not all(set(c.strip()) <= set("-:") and "---" in c for c in row)


@st.composite
def tables(draw: st.DrawFn) -> Table:
    width = draw(st.integers(1, 4))
    header = draw(st.lists(text | st.just(""), min_size=width, max_size=width))
    rows = draw(st.lists(st.lists(text | st.just(""), min_size=width, max_size=width).filter(_not_rule),
                         max_size=3))
    return Table(header=tuple(header), rows=tuple(tuple(r) for r in rows))


def _norm_table(t: Table) -> tuple:
    return tuple(normalise(c) for c in t.header), tuple(tuple(normalise(c) for c in r) for r in t.rows)


@settings(max_examples=EXAMPLES, deadline=None)
@given(tables(), fmt, explanation)
def test_on_demand(table: Table, fmt: str, expl: str | None) -> None:
    task = get_task(Task.ON_DEMAND)
    inst = Instance(task=Task.ON_DEMAND, dataset="toy", example_id="x", text="t", query={"instruction": "i"},
                    table=table)
    answer = task.render_answer(inst, fmt, explanation=expl)
    parsed = task.parse(answer, inst)
    if not table.rows:  # a table without rows is answered NA
        assert parsed.ok and parsed.table is None, answer
    else:
        assert parsed.ok and parsed.table is not None, answer
        assert _norm_table(parsed.table) == _norm_table(table), answer
    assert parsed.format == fmt
    assert parsed.explanation == (expl.strip() if expl else None)


def test_exact_round_trip_of_ordinary_items() -> None:
    """Plain items come back exactly as written, not merely equal after normalisation."""
    gold = (("Barack Obama", "person"), ("Hawaii", "location"))
    inst = make(Task.NER, gold, labels=["person", "location"])
    for f in FORMATS:
        assert get_task(Task.NER).parse(get_task(Task.NER).render_answer(inst, f), inst).items == gold


@given(st.text(max_size=200))
@settings(max_examples=2 * EXAMPLES, deadline=None)
def test_parser_never_fails_on_noise(noise: str) -> None:
    for task in Task:
        t = get_task(task)
        parsed = t._parse(noise, None, "NA")  # the unguarded parser: a bug here would raise
        assert isinstance(parsed.ok, bool)
